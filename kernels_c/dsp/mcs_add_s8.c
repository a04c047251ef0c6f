/* mcs_add_s8.c - int8 element-wise Add (TFLite scheme) for Cortex-M DSP. When the three
 * shifts are right shifts of at most 23 and left_shift <= 20 (what mcusim's quantizer and
 * TFLite produce), the loop runs branch-free: each requantization is SMLAL (doubling high
 * multiply with rounding) plus an add-and-shift rounding divide, all exact in that range;
 * otherwise it uses the generic helpers. Bit-exact with kernels_c/reference/mcs_add_s8.c;
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
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const int8_t *pa = a + it.a_offset;
        const int8_t *pb = b + it.b_offset;
        int8_t *out = output + r * n;
        if (fast) {
            for (i = 0; i < n; ++i) {
                const int32_t va = scale(((int32_t)*pa - q->a_zp) * (1 << ls), q->a_mult, ea,
                                         ra, na);
                const int32_t vb = scale(((int32_t)*pb - q->b_zp) * (1 << ls), q->b_mult, eb,
                                         rb, nb);
                int32_t v = scale(va + vb, q->out_mult, eo, ro, no);
                v = (v < lo) ? lo : ((v > hi) ? hi : v);
                out[i] = (int8_t)(v + q->output_zp);
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
