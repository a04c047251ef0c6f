/* mcs_add_s8.c - int8 element-wise Add (TFLite scheme) for Cortex-M DSP. When the three
 * shifts are right shifts of at most 23 and left_shift <= 20 (what mcusim's quantizer and
 * TFLite produce), the loop runs branch-free: each requantization is SMLAL (doubling high
 * multiply with rounding) plus an add-and-shift rounding divide, all exact in that range;
 * otherwise it uses the generic helpers. Large adds first tabulate the two input rescalings
 * (256 values each) so each element needs one requantization. Bit-exact with kernels_c/reference/mcs_add_s8.c;
 * see mcs_kernels_s8.h and mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

/* RoundingDivideByPOT(SRDHM(x, m), e) for |x| < 2^30, m in [0, 2^31), e in [0, 23]:
 * r = 2^(e-1) (0 when e = 0), neg = 1 when e > 0 (the "- (x < 0)" term of the floor form). */
static inline int32_t scale(int32_t x, int32_t m, int32_t e, int32_t r, uint32_t neg)
{
    x = (int32_t)(((int64_t)x * (int64_t)m + (1LL << 30)) >> 31);
    return (x + r - (int32_t)(((uint32_t)x >> 31) & neg)) >> e;
}

static inline int32_t in_range(int32_t shift)
{
    return shift <= 0 && shift >= -23;
}

/* Rescaled inputs per int8 value (index v + 128), built once per call for large adds: the
 * first two requantizations depend on one int8 each, so 256 entries hold every result. */
#define ADD_LUT_MIN_ELEMS 1024
static int32_t add_lut_a[256];
static int32_t add_lut_b[256];

/* Contiguous a and b, output right shift e in [1, 23]: one table sum and one requantization
 * (mcs_dsp_requant_r) per element. */
static __attribute__((noinline)) void add_lut_contiguous(const int8_t *pa, const int8_t *pb, int8_t *out, int32_t n,
                               int32_t out_mult, int32_t e, int32_t out_zp, int32_t act_min,
                               int32_t act_max)
{
    const int32_t *la = add_lut_a + 128;
    const int32_t *lb = add_lut_b + 128;
    const int8_t *end = out + n;
    while (out < end) {
        const int32_t v = la[*pa++] + lb[*pb++];
        *out++ = mcs_dsp_requant_r(v, out_mult, e, out_zp, act_min, act_max);
    }
}

void mcs_add_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_add_s8_params_t *q)
{
    mcs_broadcast_iter_t it;
    const int32_t rows = mcs_broadcast_iter_init(&it, bc);
    const int32_t n = bc->out_shape[bc->ndim - 1];
    const int32_t sa = bc->a_strides[bc->ndim - 1];
    const int32_t sb = bc->b_strides[bc->ndim - 1];
    const int32_t lo = q->act_min - q->output_zp;
    const int32_t hi = q->act_max - q->output_zp;
    const int32_t ls = q->left_shift;
    const int32_t fast = ls >= 0 && ls <= 20 && in_range(q->a_shift) && in_range(q->b_shift) &&
                         in_range(q->out_shift);
    const int32_t ea = -q->a_shift;
    const int32_t eb = -q->b_shift;
    const int32_t eo = -q->out_shift;
    const int32_t ra = ea > 0 ? (1 << (ea - 1)) : 0;
    const int32_t rb = eb > 0 ? (1 << (eb - 1)) : 0;
    const int32_t ro = eo > 0 ? (1 << (eo - 1)) : 0;
    const uint32_t na = ea > 0 ? 1u : 0u;
    const uint32_t nb = eb > 0 ? 1u : 0u;
    const uint32_t no = eo > 0 ? 1u : 0u;
    /* parameters in locals: the int8 stores below may alias *q, so GCC would reload them */
    const int32_t a_zp = q->a_zp;
    const int32_t b_zp = q->b_zp;
    const int32_t a_mult = q->a_mult;
    const int32_t b_mult = q->b_mult;
    const int32_t out_mult = q->out_mult;
    const int32_t out_zp = q->output_zp;
    int32_t r, i;

    if (fast && rows * n >= ADD_LUT_MIN_ELEMS) {
        int32_t d, stride = 1, flat = 1;
        for (i = 0; i < 256; ++i) {
            add_lut_a[i] = scale((i - 128 - a_zp) * (1 << ls), a_mult, ea, ra, na);
            add_lut_b[i] = scale((i - 128 - b_zp) * (1 << ls), b_mult, eb, rb, nb);
        }
        /* no broadcasting at all: one flat pass over rows * n elements */
        for (d = bc->ndim - 1; d >= 0; --d) {
            if (bc->out_shape[d] != 1 &&
                (bc->a_strides[d] != stride || bc->b_strides[d] != stride)) {
                flat = 0;
            }
            stride *= bc->out_shape[d];
        }
        if (flat && eo >= 1) {
            add_lut_contiguous(a, b, output, rows * n, out_mult, eo, out_zp, q->act_min,
                               q->act_max);
            return;
        }
        for (r = 0; r < rows; ++r) {
            const int8_t *pa = a + it.a_offset;
            const int8_t *pb = b + it.b_offset;
            int8_t *out = output + r * n;
            if (sa == 1 && sb == 1 && eo >= 1) {
                add_lut_contiguous(pa, pb, out, n, out_mult, eo, out_zp, q->act_min,
                                   q->act_max);
                mcs_broadcast_iter_next(&it, bc);
                continue;
            }
            for (i = 0; i < n; ++i) {
                int32_t v = scale(add_lut_a[*pa + 128] + add_lut_b[*pb + 128], out_mult, eo,
                                  ro, no);
                v = (v < lo) ? lo : ((v > hi) ? hi : v);
                out[i] = (int8_t)(v + out_zp);
                pa += sa;
                pb += sb;
            }
            mcs_broadcast_iter_next(&it, bc);
        }
        return;
    }
    for (r = 0; r < rows; ++r) {
        const int8_t *pa = a + it.a_offset;
        const int8_t *pb = b + it.b_offset;
        int8_t *out = output + r * n;
        if (fast) {
            for (i = 0; i < n; ++i) {
                const int32_t va = scale(((int32_t)*pa - a_zp) * (1 << ls), a_mult, ea, ra, na);
                const int32_t vb = scale(((int32_t)*pb - b_zp) * (1 << ls), b_mult, eb, rb, nb);
                int32_t v = scale(va + vb, out_mult, eo, ro, no);
                v = (v < lo) ? lo : ((v > hi) ? hi : v);
                out[i] = (int8_t)(v + out_zp);
                pa += sa;
                pb += sb;
            }
        } else {
            for (i = 0; i < n; ++i) {
                const int32_t va = mcs_s8_mbqm(((int32_t)*pa - q->a_zp) * (1 << ls), q->a_mult,
                                               q->a_shift);
                const int32_t vb = mcs_s8_mbqm(((int32_t)*pb - q->b_zp) * (1 << ls), q->b_mult,
                                               q->b_shift);
                out[i] = mcs_s8_requant(va + vb, q->out_mult, q->out_shift, q->output_zp,
                                        q->act_min, q->act_max);
                pa += sa;
                pb += sb;
            }
        }
        mcs_broadcast_iter_next(&it, bc);
    }
}
