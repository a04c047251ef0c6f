/* mcs_add_s8.c - int8 element-wise Add (TFLite scheme) for Cortex-M DSP. When the three
 * shifts are right shifts of at most 23 and left_shift <= 20 (what mcusim's quantizer and
 * TFLite produce), the loop runs branch-free: each requantization is SMLAL (doubling high
 * multiply with rounding) plus an add-and-shift rounding divide, all exact in that range;
 * otherwise it uses the generic helpers. Large adds first tabulate the input rescalings
 * (256 values each) so each element needs one requantization; when one input's rescaling is
 * an exact shift (see add_shift_input) and the rows are contiguous, an assembly loop does the
 * rest (add_run_E below). Bit-exact with kernels_c/reference/mcs_add_s8.c; see
 * mcs_kernels_s8.h and mcs_dsp_s8.h. */
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
/* The shift-and-table path builds one table (about 2k cycles on the M33) and then saves about
 * 70 cycles per value over the per-value loop: worth it from a few dozen values. */
#define ADD_SHIFT_MIN_ELEMS 64
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

/* ---------------------------------------------------------------------------------------
 * Shift-and-table path. add_params gives the input with the larger scale the ratio 1/2:
 * multiplier 2^30, shift 0. With left_shift 20 its rescaling is then exact,
 *   SRDHM((q - zp) * 2^20, 2^30) = floor(((q - zp) * 2^50 + 2^30) / 2^31) = (q - zp) * 2^19,
 * so with the other input's table T[(uint8_t)p] = 2 * (rescaled p - zp_shift * 2^19) the
 * doubled sum is v2 = 2 * v = T[p] + q * 2^20 (|v2| < 2^30: |v| <= 2^28 + 255 * 2^19).
 * The output requantization, for e = -out_shift in [1, 23] (k = 2^(e-1) + output_zp * 2^e):
 *   SRDHM(v, m) = floor((2v * m + 2^31) / 2^32): SMMLAR(v2, m, k) adds k to it (SMMLAR: the
 *     high word of Ra:0 + Rn * Rm + 2^31, no saturation, no overflow here);
 *   RoundingDivideByPOT(x, e) + zp = (x + k - (x < 0)) >> e, and x < 0 may be replaced by
 *     v2 < 0: they differ only when x = 0 > v, where both give zp as 2^(e-1) - 1 < 2^e;
 *   SSAT #8 of that, then the act_min / act_max clamp per byte (SSUB8 + SEL, four at once).
 * |x + k| < 2^29 + 2^30, no overflow. Seven instructions per value, three of them loads; the
 * shift e is an immediate of SSAT, hence one loop per e in ADD_E_MIN..ADD_E_MAX (quantized
 * models give 18 or 19: e = 19 - floor(log2(2 max(s_a, s_b) / s_out))); other e fall back
 * to add_run_c, the same integers in C.
 * Emulator, Cortex-M33, ic_resnet8's adds (16384 / 8192 / 4096 values, Relu fused): 10.4 /
 * 10.6 / 11.1 cycles per value, table included, from 33 (+ 2.75 for the separate Relu); M7
 * 7.5, M4 12.6 on 2048 values. add_run_c (C, any e) takes about 24 on the M33.
 * --------------------------------------------------------------------------------------- */

/* The shift path's table: the storage of add_lut_a (one call never uses both paths). */
static int32_t *const add_shift_table = add_lut_a;

static inline int32_t add_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* 1 when input (mult, shift) is rescaled by an exact shift: multiplier 2^30, shift 0, with
 * left_shift 20 (the assembly's LSL #20). */
static inline int32_t add_shift_input(int32_t mult, int32_t shift, int32_t ls)
{
    return mult == (1 << 30) && shift == 0 && ls == 20;
}

/* add_shift_table[(uint8_t)p] = 2 * scale((p - zp) * 2^20, mult, e) - off for every int8 p.
 * |(p - zp) * 2^20| < 2^28, so SRDHM(x, mult) = SMMULR(2x, mult) (exact while |2x| < 2^31):
 * one multiply per entry instead of scale()'s 64-bit product (~2k cycles per call, not ~5k). */
static void add_build_table(int32_t zp, int32_t mult, int32_t e, int32_t r, uint32_t neg,
                            int32_t off)
{
    int32_t x2 = (-128 - zp) * (1 << 21);
    int32_t i;
    for (i = 0; i < 256; ++i) {
        int32_t y;
        __asm__("smmulr %0, %1, %2" : "=r"(y) : "r"(x2), "r"(mult));
        y = (y + r - (int32_t)(((uint32_t)y >> 31) & neg)) >> e;
        add_shift_table[i ^ 0x80] = 2 * y - off; /* p = i - 128 */
        x2 += 1 << 21;
    }
}

/* n values, the generic e: what the assembly loops compute, in C. */
static void add_run_c(const int8_t *pa, const int8_t *pb, int8_t *out, int32_t n, int32_t m,
                      int32_t k, int32_t e, int32_t act_min, int32_t act_max)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t v2 = add_shift_table[(uint8_t)pb[i]] + (int32_t)((uint32_t)pa[i] << 20);
        int32_t x = __ssat((add_smmlar(v2, m, k) + (v2 >> 31)) >> e, 8);
        x = (x < act_min) ? act_min : ((x > act_max) ? act_max : x);
        out[i] = (int8_t)x;
    }
}

#define ADD_E_MIN 17
#define ADD_E_MAX 20

/* The assembly loops need 13 registers: not at -O0, where GCC keeps r7 as the frame pointer
 * (add_run_c does the whole row there). */
#if defined(__OPTIMIZE__)
#define ADD_ASM 1
#else
#define ADD_ASM 0
#endif

#if ADD_ASM
/* Two values: loads (pipelined, one cycle each after the first), v2, SMMLAR, sign term,
 * SSAT with the shift into D0 and t1. */
#define ADD_PAIR(E, D0)                                                                     \
    "ldrb %[t0], [%[pb]], #1\n\t"                                                           \
    "ldrb %[t1], [%[pb]], #1\n\t"                                                           \
    "ldrsb %[a0], [%[pa]], #1\n\t"                                                          \
    "ldrsb %[a1], [%[pa]], #1\n\t"                                                          \
    "ldr %[t0], [%[tb], %[t0], lsl #2]\n\t"                                                 \
    "ldr %[t1], [%[tb], %[t1], lsl #2]\n\t"                                                 \
    "add %[a0], %[t0], %[a0], lsl #20\n\t"                                                  \
    "add %[a1], %[t1], %[a1], lsl #20\n\t"                                                  \
    "smmlar %[t0], %[a0], %[m], %[k]\n\t"                                                   \
    "smmlar %[t1], %[a1], %[m], %[k]\n\t"                                                   \
    "add %[t0], %[t0], %[a0], asr #31\n\t"                                                  \
    "add %[t1], %[t1], %[a1], asr #31\n\t"                                                  \
    "ssat " D0 ", #8, %[t0], asr #" #E "\n\t"                                               \
    "ssat %[t1], #8, %[t1], asr #" #E "\n\t"

/* Four values packed into one word (BFI), clamped per byte (SSUB8 sets each lane's GE flag
 * where w >= bound, signed; SEL picks per lane), stored. */
#define ADD_WORD(E)                                                                         \
    ADD_PAIR(E, "%[w]")                                                                     \
    "bfi %[w], %[t1], #8, #8\n\t"                                                           \
    ADD_PAIR(E, "%[t0]")                                                                    \
    "bfi %[w], %[t0], #16, #8\n\t"                                                          \
    "bfi %[w], %[t1], #24, #8\n\t"                                                          \
    "ssub8 %[t0], %[w], %[lo]\n\t"                                                          \
    "sel %[w], %[w], %[lo]\n\t"                                                             \
    "ssub8 %[t0], %[w], %[hi]\n\t"                                                          \
    "sel %[w], %[hi], %[w]\n\t"                                                             \
    "str %[w], [%[out]], #4\n\t"

/* n8 (a multiple of 8, > 0) values, eight per iteration; pa is the shift input, pb the
 * tabulated one. 13 registers; the end pointer is read from the stack (a pipelined load). */
#define ADD_RUN(E)                                                                          \
    static void add_run_##E(const int8_t *pa, const int8_t *pb, int8_t *out, int32_t n8,  \
                            int32_t m, int32_t k, uint32_t lo4, uint32_t hi4)              \
    {                                                                                       \
        const int8_t *end = out + n8;                                                       \
        const int32_t *tb = add_shift_table;                                                \
        int32_t t0, t1, a0, a1;                                                             \
        uint32_t w;                                                                         \
        __asm__ volatile(                                                                   \
            "1:\n\t"                                                                        \
            ADD_WORD(E)                                                                     \
            ADD_WORD(E)                                                                     \
            "ldr %[t0], %[end]\n\t"                                                         \
            "cmp %[out], %[t0]\n\t"                                                         \
            "bne 1b"                                                                        \
            : [pa] "+r"(pa), [pb] "+r"(pb), [out] "+r"(out), [t0] "=&r"(t0),                \
              [t1] "=&r"(t1), [a0] "=&r"(a0), [a1] "=&r"(a1), [w] "=&r"(w)                  \
            : [tb] "r"(tb), [m] "r"(m), [k] "r"(k), [lo] "r"(lo4), [hi] "r"(hi4),           \
              [end] "m"(end)                                                                \
            : "cc", "memory");                                                              \
    }

ADD_RUN(17)
ADD_RUN(18)
ADD_RUN(19)
ADD_RUN(20)

typedef void (*add_run_fn)(const int8_t *, const int8_t *, int8_t *, int32_t, int32_t, int32_t,
                           uint32_t, uint32_t);
static const add_run_fn add_runs[ADD_E_MAX - ADD_E_MIN + 1] = {
    add_run_17, add_run_18, add_run_19, add_run_20,
};
#endif

/* n values of contiguous rows: the assembly loop for whole groups of eight, C for the rest. */
static void add_shift_rows(const int8_t *pa, const int8_t *pb, int8_t *out, int32_t n,
                           int32_t m, int32_t k, int32_t e, int32_t act_min, int32_t act_max)
{
    const int32_t n8 = (ADD_ASM && e >= ADD_E_MIN && e <= ADD_E_MAX) ? (n & ~7) : 0;
#if ADD_ASM
    if (n8 > 0) {
        const uint32_t lo4 = ((uint32_t)act_min & 0xFFu) * 0x01010101u;
        const uint32_t hi4 = ((uint32_t)act_max & 0xFFu) * 0x01010101u;
        add_runs[e - ADD_E_MIN](pa, pb, out, n8, m, k, lo4, hi4);
    }
#endif
    add_run_c(pa + n8, pb + n8, out + n8, n - n8, m, k, e, act_min, act_max);
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

    if (fast && rows * n >= ADD_SHIFT_MIN_ELEMS && eo >= 1 &&
        (add_shift_input(a_mult, q->a_shift, ls) || add_shift_input(b_mult, q->b_shift, ls))) {
        /* the shift input as pa (Add commutes), the other one tabulated */
        const int32_t swap = !add_shift_input(a_mult, q->a_shift, ls);
        const int32_t t_zp = swap ? a_zp : b_zp;
        const int32_t t_mult = swap ? a_mult : b_mult;
        const int32_t et = swap ? ea : eb;
        const int32_t rt = swap ? ra : rb;
        const uint32_t nt = swap ? na : nb;
        const int32_t s_zp = swap ? b_zp : a_zp;
        const int32_t ts_a = swap ? sb : sa;
        const int32_t ts_b = swap ? sa : sb;
        const int32_t k = (1 << (eo - 1)) + out_zp * (1 << eo);
        int32_t d, stride = 1, flat = 1;
        for (d = bc->ndim - 1; d >= 0; --d) {
            if (bc->out_shape[d] != 1 &&
                (bc->a_strides[d] != stride || bc->b_strides[d] != stride)) {
                flat = 0;
            }
            stride *= bc->out_shape[d];
        }
        if (flat) {
            add_build_table(t_zp, t_mult, et, rt, nt, s_zp * (1 << 20));
            add_shift_rows(swap ? b : a, swap ? a : b, output, rows * n, out_mult, k, eo,
                           q->act_min, q->act_max);
            return;
        }
        if (ts_a == 1 && ts_b == 1) { /* contiguous rows of a broadcast */
            add_build_table(t_zp, t_mult, et, rt, nt, s_zp * (1 << 20));
            for (r = 0; r < rows; ++r) {
                const int8_t *pa = a + it.a_offset;
                const int8_t *pb = b + it.b_offset;
                add_shift_rows(swap ? pb : pa, swap ? pa : pb, output + r * n, n, out_mult, k,
                               eo, q->act_min, q->act_max);
                mcs_broadcast_iter_next(&it, bc);
            }
            return;
        }
    }
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
