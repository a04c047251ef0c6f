/*
 * mcs_dsp_s8.h - private helpers of the int8 DSP kernels (kernels_c/dsp/), not a public API.
 *
 * Target: cores with the DSP extension (ARMv7E-M: Cortex-M4/M7; ARMv8-M Mainline with DSP:
 * Cortex-M33/M35P/M55), i.e. __ARM_FEATURE_DSP; ACLE intrinsics from arm_acle.h:
 *   __sxtb16  SXTB16: two signed bytes (0 and 2) -> two signed halfwords
 *   __sadd16  SADD16: halfwise add
 *   __smlad   SMLAD:  acc + lo*lo + hi*hi (dual 16x16 multiply-accumulate)
 *   __smlabb / __smlatt: acc + 16x16 of the bottom / top halfwords
 * GCC 12's arm_acle.h has no __ror and __sxtb16 takes no rotation, hence the one-instruction
 * helper mcs_dsp_sxtb16_ror8 (inline asm: SXTB16 Rd, Rm, ROR #8).
 *
 * Reordered int16 layout ("q15r"): a vector of K int8 values x, offset by `off`, is stored as
 * int16 in groups of four as (x0, x2, x1, x3), the tail (K % 4 values) in natural order. Then
 * one int8 weight word w = (w0, w1, w2, w3) dots with it as
 *   smlad(col[0..1], sxtb16(w)) + smlad(col[2..3], sxtb16(ror(w, 8))).
 * Two-column layout ("q15r2", MCS_DSP_COLS2_INT16(K) int16): the q15r groups of two columns
 * interleaved, group g of column j at [8g + 4j .. 8g + 4j + 3], then the tails as pairs,
 * value t of column j at [8G + 2t + j] (G = K / 4), so one pointer walks both columns.
 * Buffers are 4-byte aligned. Integer sums are exact, so the results equal the reference
 * kernels bit for bit.
 */
#ifndef MCS_DSP_S8_H
#define MCS_DSP_S8_H

#include <arm_acle.h>
#include <string.h>

#include "mcs_kernels_s8.h"

#if !defined(__ARM_FEATURE_DSP) || (__ARM_FEATURE_DSP != 1)
#error "kernels_c/dsp needs a core with the DSP extension (Cortex-M4/M7/M33 with DSP)"
#endif

/* int16 elements per im2col column of K values (even, so columns stay word aligned). */
#define MCS_DSP_COL_STRIDE(k) (((k) + 1) & ~1)
/* int16 elements of a q15r2 pair of columns of K values. */
#define MCS_DSP_COLS2_INT16(k) (2 * (k))

/* SXTB16 with its ROR #8 operand: bytes 1 and 3 -> two signed halfwords, one instruction
 * (the intrinsic has no rotation argument, and GCC does not fold a separate rotate). */
static inline int32_t mcs_dsp_sxtb16_ror8(int32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* acc + the sign-extended bytes 0 and 2 of x, per halfword modulo 2^16 (SXTAB16: SADD16 of
 * SXTB16 in one instruction, without the GE flags); _ror8: bytes 1 and 3 (the intrinsic
 * takes no rotation, and GCC does not fold a separate rotate into it). */
static inline int32_t mcs_dsp_sxtab16(int32_t acc, int32_t x)
{
    return (int32_t)__sxtab16((int16x2_t)acc, (int8x4_t)x);
}

static inline int32_t mcs_dsp_sxtab16_ror8(int32_t acc, int32_t x)
{
#if defined(__OPTIMIZE__)
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
#else
    return (int32_t)__sxtab16((int16x2_t)acc,
                              (int8x4_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
#endif
}

/* Four int8 (any alignment) as one word; LDR on cores with unaligned access. */
static inline int32_t mcs_dsp_ld_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two int16 (4-byte aligned) as one word. */
static inline int32_t mcs_dsp_ld_s16x2(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void mcs_dsp_st_s16x2(int16_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/*
 * mcs_s8_requant for the DSP kernels, same integers for every multiplier in [0, 2^31) (the
 * range mcs_kernels_s8.h allows; the SRDHM overflow case needs INT32_MIN): no overflow test,
 * and the clamp bounds come pre-shifted by the zero point (lo = act_min - zp, hi = act_max - zp).
 */
static inline int8_t mcs_dsp_requant(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp,
                                     int32_t lo, int32_t hi)
{
    int32_t x;
    if (shift > 0 || shift < -23) {
        x = mcs_s8_mbqm(acc, multiplier, shift);
    } else {
        /* SRDHM (SMLAL), then RoundingDivideByPOT as a saturating add of the rounding term
         * and an arithmetic shift: QADD only saturates when x > 2^31 - 2^(e-1), where the
         * exact quotient and the saturated one (2^(31-e) and 2^(31-e) - 1, both >= 2^8 for
         * e <= 23) clamp to the same int8. */
        const int32_t e = -shift;
        x = (int32_t)(((int64_t)acc * (int64_t)multiplier + (1LL << 30)) >> 31);
        if (e > 0) {
            x = __qadd(x, (int32_t)((1u << (e - 1)) - ((uint32_t)x >> 31))) >> e;
        }
    }
    x = (x < lo) ? lo : ((x > hi) ? hi : x);
    return (int8_t)(x + zp);
}

/*
 * The same integers as mcs_dsp_requant for a right shift e = -shift in [1, 23]: SRDHM
 * (SMLAL), then the rounding term 2^(e-1) - (x < 0) added with QADD and the arithmetic shift
 * (the expression of mcs_dsp_requant's e > 0 case). Then |x| <= 2^30, so x + zp cannot
 * overflow, and clamping x + zp to [act_min, act_max] (a sub-range of int8, as
 * mcs_kernels_s8.h requires) equals clamping it first to int8 with SSAT: the same result as
 * mcs_dsp_requant's clamp of x to [act_min - zp, act_max - zp] before adding zp.
 */
static inline int8_t mcs_dsp_requant_r(int32_t acc, int32_t multiplier, int32_t e, int32_t zp,
                                       int32_t act_min, int32_t act_max)
{
    int32_t x = (int32_t)(((int64_t)acc * (int64_t)multiplier + (1LL << 30)) >> 31);
    x = __qadd(x, (int32_t)(1u << (e - 1)) + (x >> 31)) >> e;
    x = __ssat(x + zp, 8);
    x = (x < act_min) ? act_min : x;
    x = (x > act_max) ? act_max : x;
    return (int8_t)x;
}

/* 1 when every one of the n shifts is in [-23, -1], so mcs_dsp_requant_r applies to all
 * channels (checked once per layer call, not per output). */
static inline int32_t mcs_dsp_shifts_fast(const int32_t *shift, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (shift[i] > -1 || shift[i] < -23) {
            return 0;
        }
    }
    return 1;
}

/*
 * The "small accumulator" requantization, for calls whose every accumulator is known to lie
 * in (-2^30, 2^30):
 *   SRDHM(acc, m) = floor((acc * m + 2^30) / 2^31) = floor((2acc * m + 2^31) / 2^32)
 *                 = SMMULR(2acc, m)   (SMMULR: most significant word of Rn*Rm, rounded by
 *                                      adding 0x80000000 before taking bits [63:32]),
 * exact as long as 2acc does not overflow, i.e. |acc| < 2^30. Then |x| <= |acc| < 2^30, so
 * RoundingDivideByPOT needs no saturating add: (x + 2^(e-1) - (x < 0)) >> e, with the
 * per-channel constant r = 2^(e-1). Two instructions fewer than SMLAL with a 64-bit rounding
 * constant, and no QADD.
 */
static inline int32_t mcs_dsp_rq_small(int32_t acc, int32_t m, int32_t e, int32_t r)
{
    int32_t x;
    __asm__("smmulr %0, %1, %2" : "=r"(x) : "r"(acc << 1), "r"(m));
    return (x + r + (x >> 31)) >> e;
}

/*
 * 1 when a call may use mcs_dsp_rq_small for every output: every shift in [-23, -1] (a right
 * shift, as mcs_dsp_shifts_fast) and |accumulator| < 2^30 guaranteed by the sizes alone:
 * |bias| < 2^29 and k terms of |(x - zp) * w| <= 255 * 128, k <= 16384 (2^14 * 2^15 = 2^29).
 * bias may be NULL. Checked once per call: O(n).
 */
static inline int32_t mcs_dsp_rq_small_ok(const int32_t *shift, const int32_t *bias, int32_t n,
                                          int32_t k)
{
    int32_t i;
    if (k > 16384 || !mcs_dsp_shifts_fast(shift, n)) {
        return 0;
    }
    if (bias != 0) {
        for (i = 0; i < n; ++i) {
            if (bias[i] >= (1 << 29) || bias[i] <= -(1 << 29)) {
                return 0;
            }
        }
    }
    return 1;
}

/* The `fast` level of mcs_dsp_mat_2col for a call (see there). */
static inline int32_t mcs_dsp_rq_level(const int32_t *shift, const int32_t *bias, int32_t n,
                                       int32_t k)
{
    return mcs_dsp_rq_small_ok(shift, bias, n, k) ? 2 : mcs_dsp_shifts_fast(shift, n);
}

/*
 * The "ReLU" requantization (MCS_DSP_RQ_RELU 1: the _relu kernels, e.g.
 * mcs_pointwise_s8_relu.c, which the compiler calls for layers whose act_min >= output_zp,
 * i.e. whose clamp floor is at or above real zero: ReLU, ReLU6).
 * The table requantization above is ((x + r' + (x >> 31)) >> e) with r' holding 2^(e-1) and
 * the zero point: the (x >> 31) makes RoundingDivideByPOT round half away from zero. When
 * act_min >= zp it changes nothing: for x >= 0 it is 0, and for x < 0 both
 *   ((x + 2^(e-1) - 1) >> e) + zp   (the exact value: RoundingDivideByPOT(x) <= 0)
 *   ((x + 2^(e-1)) >> e) + zp       (without the term: x + 2^(e-1) < 2^e, so also <= 0)
 * are <= zp <= act_min, so the clamp makes both act_min. The asm epilogues then drop their
 * "add t, r', acc, asr #31" (the sign of acc stands for that of x, see MCS_DSP_4COL_ASM_) and
 * give SMMLAR r' itself: one instruction per output. MCS_DSP_RQ_SIGN(t, r, a) is that add
 * (nothing in a _relu kernel), MCS_DSP_RQ_RA(t, r) the SMMLAR operand that follows it (t, or
 * r). Operand names as strings: MCS_DSP_RQ_SIGN("x1", "x0", "a0"). MCS_DSP_RQ_SWAP(x, y): x y,
 * or y x in a _relu kernel (the order of two instructions that keeps both without a stall).
 * mcs_dsp_rq_relu_ok: whether a call may take those epilogues; a _relu kernel called with
 * act_min < output_zp takes its exact C paths instead (slower, same bytes).
 */
#ifndef MCS_DSP_RQ_RELU
#define MCS_DSP_RQ_RELU 0
#endif
#if MCS_DSP_RQ_RELU
#define MCS_DSP_RQ_SIGN(t, r, a) ""
#define MCS_DSP_RQ_RA(t, r) "%[" r "]"
#define MCS_DSP_RQ_SWAP(x, y) y x
#else
#define MCS_DSP_RQ_SIGN(t, r, a) "add   %[" t "], %[" r "], %[" a "], asr #31\n\t"
#define MCS_DSP_RQ_RA(t, r) "%[" t "]"
#define MCS_DSP_RQ_SWAP(x, y) x y
#endif

static inline int32_t mcs_dsp_rq_relu_ok(int32_t act_min, int32_t output_zp)
{
    return !MCS_DSP_RQ_RELU || act_min >= output_zp;
}

/*
 * Per-channel table of the small requantization with the output zero point folded in:
 * {multiplier, e, r'} (int32 each, MCS_DSP_RQ_TABLE_BYTES(n) bytes, 4-byte aligned) with
 * e = -shift and r' = 2^(e-1) + zp * 2^e = (2zp + 1) << (e - 1), so that
 *   (x + r' + (x >> 31)) >> e = ((x + 2^(e-1) - (x < 0)) >> e) + zp
 * exactly (zp * 2^e is a multiple of 2^e), one add fewer per output, and no per-channel
 * arithmetic in the kernels' inner loops. No overflow: |x| < 2^30 (mcs_dsp_rq_small_ok) and
 * e <= 22 give |r'| < 2^29. Returns 1 when built, 0 when the call does not qualify
 * (the kernel then uses its general requantization). The kernels with a _relu version
 * call mcs_dsp_rq_table_act: in a _relu kernel a call qualifies only with act_min >= zp.
 */
#define MCS_DSP_RQ_TABLE_BYTES(n) (12 * (n))

static inline int32_t mcs_dsp_rq_table(int32_t *tab, const int32_t *multiplier,
                                       const int32_t *shift, const int32_t *bias, int32_t n,
                                       int32_t k, int32_t zp)
{
    /* One pass (the conditions of mcs_dsp_rq_small_ok, and e <= 22, checked while the table
     * is written): the per-call cost counts in small layers (batch-1 fully connected on the
     * M33: 21 -> 10 cycles per output channel with the three passes it replaces). */
    int32_t i;
    if (k > 16384) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        const int32_t e = -shift[i];
        if (e < 1 || e > 22) {
            return 0;
        }
        if (bias != 0 && (bias[i] >= (1 << 29) || bias[i] <= -(1 << 29))) {
            return 0;
        }
        tab[3 * i] = multiplier[i];
        tab[3 * i + 1] = e;
        tab[3 * i + 2] = (int32_t)((uint32_t)(2 * zp + 1) << (e - 1));
    }
    return 1;
}

/* mcs_dsp_rq_table in the kernels with a _relu version (mcs_dsp_rq_relu_ok first). */
static inline int32_t mcs_dsp_rq_table_act(int32_t *tab, const int32_t *multiplier,
                                           const int32_t *shift, const int32_t *bias, int32_t n,
                                           int32_t k, int32_t zp, int32_t act_min)
{
    return mcs_dsp_rq_relu_ok(act_min, zp) &&
           mcs_dsp_rq_table(tab, multiplier, shift, bias, n, k, zp);
}

/* The table requantization's sign term (x >> 31), none in a _relu kernel (MCS_DSP_RQ_RELU:
 * the table exists only for calls with act_min >= zp). */
#define MCS_DSP_RQ_NEG(x) (MCS_DSP_RQ_RELU ? 0 : ((x) >> 31))

/* mcs_dsp_rq_tab with the table entry already in registers. */
static inline int8_t mcs_dsp_rq_val(int32_t acc, int32_t m, int32_t e, int32_t r,
                                    int32_t act_min, int32_t act_max)
{
    int32_t x;
    __asm__("smmulr %0, %1, %2" : "=r"(x) : "r"(acc << 1), "r"(m));
    x = __ssat((x + r + MCS_DSP_RQ_NEG(x)) >> e, 8);
    x = (x < act_min) ? act_min : x;
    x = (x > act_max) ? act_max : x;
    return (int8_t)x;
}

/* One output of a table-driven requantization: entry t = {m, e, r'}, clamp to
 * [act_min, act_max] (SSAT to int8 first; the bounds are int8 values). */
static inline int8_t mcs_dsp_rq_tab(int32_t acc, const int32_t *t, int32_t act_min,
                                    int32_t act_max)
{
    int32_t x;
    __asm__("smmulr %0, %1, %2" : "=r"(x) : "r"(acc << 1), "r"(t[0]));
    x = __ssat((x + t[2] + MCS_DSP_RQ_NEG(x)) >> t[1], 8);
    x = (x < act_min) ? act_min : x;
    x = (x > act_max) ? act_max : x;
    return (int8_t)x;
}

/* x + zp clamped to [act_min, act_max] (a sub-range of int8): SSAT, then the bounds that
 * differ from int8's (one compare each; none for the no-activation case). */
static inline int8_t mcs_dsp_rq_store(int32_t x, int32_t zp, int32_t act_min, int32_t act_max)
{
    x = __ssat(x + zp, 8);
    x = (x < act_min) ? act_min : x;
    x = (x > act_max) ? act_max : x;
    return (int8_t)x;
}

/* n int8 values + off -> q15r layout at dst (n % 4 == 0 required). */
static inline void mcs_dsp_s8_to_q15r(const int8_t *src, int16_t *dst, int32_t n, int32_t off)
{
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    int32_t i;
    for (i = n >> 2; i > 0; --i) {
        const int32_t w = mcs_dsp_ld_s8x4(src);
        const int32_t lo = (int32_t)__sadd16((int16x2_t)__sxtb16(w), (int16x2_t)off2);
        const int32_t hi = (int32_t)__sadd16(mcs_dsp_sxtb16_ror8(w), (int16x2_t)off2);
        mcs_dsp_st_s16x2(dst, lo);
        mcs_dsp_st_s16x2(dst + 2, hi);
        src += 4;
        dst += 4;
    }
}

/* Dot product of one q15r column with one int8 weight row over k values. */
static inline int32_t mcs_dsp_dot_1x1(const int16_t *col, const int8_t *w, int32_t k,
                                      int32_t acc)
{
    int32_t i;
    for (i = k >> 2; i > 0; --i) {
        const int32_t wv = mcs_dsp_ld_s8x4(w);
        acc = __smlad(mcs_dsp_ld_s16x2(col), __sxtb16(wv), acc);
        acc = __smlad(mcs_dsp_ld_s16x2(col + 2), mcs_dsp_sxtb16_ror8(wv), acc);
        col += 4;
        w += 4;
    }
    for (i = k & 3; i > 0; --i) {
        acc += (int32_t)(*col++) * (int32_t)(*w++);
    }
    return acc;
}

/* n int8 values (n % 4 == 0) + off -> column j of a set of `ncols` interleaved columns at
 * cols (q15r2: 2, q15r4: 4; groups only): group g at cols + 4 * (ncols * g + j). */
static inline void mcs_dsp_s8_to_q15rn(const int8_t *src, int16_t *cols, int32_t j, int32_t n,
                                       int32_t off, int32_t ncols)
{
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    int16_t *dst = cols + 4 * j;
    int32_t i;
    for (i = n >> 2; i > 0; --i) {
        const int32_t w = mcs_dsp_ld_s8x4(src);
        mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, w));
        mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16_ror8(off2, w));
        src += 4;
        dst += 4 * ncols;
    }
}

/* n int8 values (n % 4 == 0) + off -> column j of a q15r2 pair at cols (groups only). */
static inline void mcs_dsp_s8_to_q15r2(const int8_t *src, int16_t *cols, int32_t j, int32_t n,
                                       int32_t off)
{
    mcs_dsp_s8_to_q15rn(src, cols, j, n, off, 2);
}

/* A contiguous int8 vector (k values, + off) -> column j of a q15r2 pair. */
static inline void mcs_dsp_vec_to_q15r2(const int8_t *src, int16_t *cols, int32_t j, int32_t k,
                                        int32_t off)
{
    const int32_t k4 = k & ~3;
    int16_t *tail = cols + 2 * k4 + j;
    int32_t t;
    mcs_dsp_s8_to_q15r2(src, cols, j, k4, off);
    for (t = 0; t < (k & 3); ++t) {
        tail[2 * t] = (int16_t)((int32_t)src[k4 + t] + off);
    }
}

/* A natural-order int16 column (k values) -> column j of a set of `ncols` interleaved
 * columns (q15r2: 2, q15r4: 4): groups ncols * 4 int16 apart, then tail value t at
 * [ncols * 4 * groups + ncols * t + j]. */
static inline void mcs_dsp_pack_q15rn(const int16_t *nat, int16_t *cols, int32_t j, int32_t k,
                                      int32_t ncols)
{
    const int32_t groups = k >> 2;
    int16_t *dst = cols + 4 * j;
    int16_t *tail = cols + 4 * ncols * groups + j;
    int32_t g, t;
    for (g = 0; g < groups; ++g) {
        dst[0] = nat[0];
        dst[1] = nat[2];
        dst[2] = nat[1];
        dst[3] = nat[3];
        nat += 4;
        dst += 4 * ncols;
    }
    for (t = 0; t < (k & 3); ++t) {
        tail[ncols * t] = nat[t];
    }
}

/*
 * Inner loop of mcs_dsp_mat_2col as inline assembly (GCC keeps spilling an accumulator or
 * the row stride in C): `pairs` iterations of two groups each, rows a (wa) and b (wa + k),
 * pixels 0 and 1 of the q15r2 columns at c. Per group: the b and a weight words (LDR, the
 * a one post-incremented), the low column words of both pixels, SXTB16 of each weight word
 * feeding two SMLADs, then the high column words with SXTB16 ROR #8. 13 registers.
 */
#ifndef MCS_DSP_ASM_2X2
/* The assembly loop is scheduled for single-issue pipelines (Cortex-M4, M33: grouped loads).
 * The dual-issue Cortex-M7 has its own (MCS_DSP_ASM_M7 below); among the cores mcusim targets
 * only the M7 has a double-precision FPU (__ARM_FP bit 3), which selects it. Not at -O0: GCC
 * then keeps r7 as the frame pointer and the 13 registers of these loops do not exist. */
#if (defined(__ARM_FP) && (__ARM_FP & 8)) || !defined(__OPTIMIZE__)
#define MCS_DSP_ASM_2X2 0
#else
#define MCS_DSP_ASM_2X2 1
#endif
#endif

#define MCS_DSP_2X2_STEP(o0, o1, o2, o3)                                                   \
    "ldr   %[wvb], [%[wa], %[k]]\n\t"                                                      \
    "ldr   %[wva], [%[wa]], #4\n\t"                                                        \
    "ldr   %[xa], [%[c], #" o0 "]\n\t"                                                    \
    "ldr   %[xb], [%[c], #" o2 "]\n\t"                                                    \
    "sxtb16 %[t], %[wva]\n\t"                                                              \
    "smlad %[a0], %[xa], %[t], %[a0]\n\t"                                                  \
    "smlad %[a1], %[xb], %[t], %[a1]\n\t"                                                  \
    "sxtb16 %[t], %[wvb]\n\t"                                                              \
    "smlad %[b0], %[xa], %[t], %[b0]\n\t"                                                  \
    "smlad %[b1], %[xb], %[t], %[b1]\n\t"                                                  \
    "ldr   %[xa], [%[c], #" o1 "]\n\t"                                                    \
    "ldr   %[xb], [%[c], #" o3 "]\n\t"                                                    \
    "sxtb16 %[t], %[wva], ror #8\n\t"                                                      \
    "smlad %[a0], %[xa], %[t], %[a0]\n\t"                                                  \
    "smlad %[a1], %[xb], %[t], %[a1]\n\t"                                                  \
    "sxtb16 %[t], %[wvb], ror #8\n\t"                                                      \
    "smlad %[b0], %[xa], %[t], %[b0]\n\t"                                                  \
    "smlad %[b1], %[xb], %[t], %[b1]\n\t"

#define MCS_DSP_2X2_OPERANDS                                                               \
    : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [wa] "+r"(wa),           \
      [c] "+r"(c), [n] "+r"(n), [wva] "=&r"(wva), [wvb] "=&r"(wvb), [xa] "=&r"(xa),        \
      [xb] "=&r"(xb), [t] "=&r"(t)                                                         \
    : [k] "r"(k)                                                                           \
    : "cc", "memory"

/* groups (>= 1) groups of 4 values: a0/a1 (row a, pixels 0/1), b0/b1 (row b = row a + k). */
#define MCS_DSP_2X2_LOOP(groups)                                                           \
    do {                                                                                   \
        int32_t n = (groups) >> 1;                                                         \
        int32_t wva, wvb, xa, xb, t;                                                       \
        if ((groups) & 1) {                                                                \
            __asm__ volatile(MCS_DSP_2X2_STEP("0", "4", "8", "12")                         \
                             "add   %[c], %[c], #16\n\t" MCS_DSP_2X2_OPERANDS);            \
        }                                                                                  \
        if (n > 0) {                                                                       \
            __asm__ volatile("1:\n\t" MCS_DSP_2X2_STEP("0", "4", "8", "12")                \
                             MCS_DSP_2X2_STEP("16", "20", "24", "28")                      \
                             "add   %[c], %[c], #32\n\t"                                   \
                             "subs  %[n], %[n], #1\n\t"                                    \
                             "bne   1b\n\t" MCS_DSP_2X2_OPERANDS);                         \
        }                                                                                  \
    } while (0)

/* One group (4 values) of the 2-pixel x 2-channel product: weight words of rows a and b,
 * column words x of pixel 0 (c[0..3]) and pixel 1 (c[4..7]). */
#define MCS_DSP_GROUP_2X2(wa, wb, c, a0, a1, b0, b1)                                       \
    do {                                                                                   \
        const int32_t wva_ = mcs_dsp_ld_s8x4(wa);                                          \
        const int32_t wvb_ = mcs_dsp_ld_s8x4(wb);                                          \
        const int32_t x0_ = mcs_dsp_ld_s16x2(c);                                           \
        const int32_t x1_ = mcs_dsp_ld_s16x2((c) + 2);                                     \
        const int32_t x2_ = mcs_dsp_ld_s16x2((c) + 4);                                     \
        const int32_t x3_ = mcs_dsp_ld_s16x2((c) + 6);                                     \
        int32_t wl_ = (int32_t)__sxtb16(wva_);                                             \
        a0 = __smlad(x0_, wl_, a0);                                                        \
        a1 = __smlad(x2_, wl_, a1);                                                        \
        wl_ = mcs_dsp_sxtb16_ror8(wva_);                                                   \
        a0 = __smlad(x1_, wl_, a0);                                                        \
        a1 = __smlad(x3_, wl_, a1);                                                        \
        wl_ = (int32_t)__sxtb16(wvb_);                                                     \
        b0 = __smlad(x0_, wl_, b0);                                                        \
        b1 = __smlad(x2_, wl_, b1);                                                        \
        wl_ = mcs_dsp_sxtb16_ror8(wvb_);                                                   \
        b0 = __smlad(x1_, wl_, b0);                                                        \
        b1 = __smlad(x3_, wl_, b1);                                                        \
    } while (0)

/* 1 on the Cortex-M7, selected like MCS_DSP_ASM_2X2 above (the double-precision FPU): its
 * dual-issue inner loops, MCS_DSP_2X2_LOOP_M7 below and mcs_dsp_mat_1col's
 * (mcs_fully_connected_s8.c). 0: the C loops (Cortex-M4; and -O0, where the frame pointer
 * takes r7 and the 14 registers these asm statements need do not exist). */
#ifndef MCS_DSP_ASM_M7
#if defined(__ARM_FP) && (__ARM_FP & 8) && defined(__OPTIMIZE__)
#define MCS_DSP_ASM_M7 1
#else
#define MCS_DSP_ASM_M7 0
#endif
#endif

/*
 * The inner loop of mcs_dsp_mat_2col(_q) on the dual-issue Cortex-M7, as inline assembly.
 * The M7 issues two instructions per cycle when the pair has a free unit for each (one MAC
 * pipe: never two SMLADs), the second does not read what the first writes, and a
 * SXTB16 (a SIMD/"BeginGroup" instruction in Arm's LLVM model ARMScheduleM7.td) comes first.
 * A group of 4 values x 2 rows x 2 pixels is 8 SMLAD + 4 SXTB16 + 6 LDR = 18 instructions,
 * so 9 cycles at best; this schedule issues every SMLAD with a SXTB16 or a LDR, two LDRs
 * together, and the sign-extended weights ping-pong between two registers (p, q) so that a
 * SXTB16 never feeds the SMLAD it pairs with. Software-pipelined: on entry to a group the
 * row-a weight word (wva, wa already past it), p = SXTB16(wva) and the low column words xa =
 * c[0..1] (pixel 0), xb = c[4..5] (pixel 1) are loaded; the group loads the next group's.
 * Pointers advance by post/pre-indexed loads: no ALU op in the loop but SUBS. GCC's schedule
 * of the C loop (MCS_DSP_GROUP_2X2) takes 13.9 cycles per group in mcusim's M7 model, this
 * one 9.25 (tools/bench_kernels.py on nucleo-h723zg, cycles/MAC: pointwise 25x5x64->64
 * 1.15 -> 0.89, conv3x3 16x16x32->32 1.01 -> 0.72; four groups per iteration instead of
 * eight: 0.92 and 0.735). Per group, [first | second] of each issue pair:
 *   [smlad a0 += xa.p | ldr wvb]      [sxtb16 q, wvb | smlad a1 += xb.p]
 *   [smlad b0 += xa.q | ldr xa, hi0]  [sxtb16 p, wva ror 8 | smlad b1 += xb.q]
 *   [smlad a0 += xa.p | ldr xb, hi1]  [sxtb16 q, wvb ror 8 | smlad a1 += xb.p]
 *   [smlad b0 += xa.q | ldr wva next] [sxtb16 p, wva | smlad b1 += xb.q]
 *   [ldr xb, next lo1 | ldr xa, next lo0 (c += 16)]
 */
#define MCS_DSP_M7_GROUP_HEAD                                                              \
    "smlad  %[a0], %[xa], %[p], %[a0]\n\t"                                                 \
    "ldr    %[wvb], [%[wb]], #4\n\t"                                                       \
    "sxtb16 %[q], %[wvb]\n\t"                                                              \
    "smlad  %[a1], %[xb], %[p], %[a1]\n\t"                                                 \
    "smlad  %[b0], %[xa], %[q], %[b0]\n\t"                                                 \
    "ldr    %[xa], [%[c], #4]\n\t"                                                         \
    "sxtb16 %[p], %[wva], ror #8\n\t"                                                      \
    "smlad  %[b1], %[xb], %[q], %[b1]\n\t"                                                 \
    "smlad  %[a0], %[xa], %[p], %[a0]\n\t"                                                 \
    "ldr    %[xb], [%[c], #12]\n\t"                                                        \
    "sxtb16 %[q], %[wvb], ror #8\n\t"                                                      \
    "smlad  %[a1], %[xb], %[p], %[a1]\n\t"                                                 \
    "smlad  %[b0], %[xa], %[q], %[b0]\n\t"

/* A group followed by another: load the next group's row-a word and low column words. */
#define MCS_DSP_M7_GROUP                                                                   \
    MCS_DSP_M7_GROUP_HEAD                                                                  \
    "ldr    %[wva], [%[wa]], #4\n\t"                                                       \
    "sxtb16 %[p], %[wva]\n\t"                                                              \
    "smlad  %[b1], %[xb], %[q], %[b1]\n\t"                                                 \
    "ldr    %[xb], [%[c], #24]\n\t"                                                        \
    "ldr    %[xa], [%[c], #16]!\n\t"

/* Groups entered at labels 10..17 (eight per iteration, counted by n), then the last group
 * (label 19), which loads nothing ahead: the body of the M7 loops below. */
#define MCS_DSP_M7_GROUPS_8                                                                \
    "10:\n\t" MCS_DSP_M7_GROUP                                                         \
    "11:\n\t" MCS_DSP_M7_GROUP                                                         \
    "12:\n\t" MCS_DSP_M7_GROUP                                                         \
    "13:\n\t" MCS_DSP_M7_GROUP                                                         \
    "14:\n\t" MCS_DSP_M7_GROUP                                                         \
    "15:\n\t" MCS_DSP_M7_GROUP                                                         \
    "16:\n\t" MCS_DSP_M7_GROUP                                                         \
    "17:\n\t" MCS_DSP_M7_GROUP                                                         \
    "subs   %[n], %[n], #1\n\t"                                                        \
    "bne    10b\n\t"                                                                   \
    "19:\n\t" MCS_DSP_M7_GROUP_HEAD

/*
 * groups (>= 1) groups of 4 values: a0/a1 (row a at wa, pixels 0/1), b0/b1 (row b = row
 * a + k); wa ends past row a's groups, as the C loop leaves it. The groups but the last run
 * eight per iteration (72 + SUBS/BNE + the taken branch: 74 cycles in mcusim's M7 model);
 * the first iteration enters at group 8 - (groups - 1) % 8 through a TBH table (Duff's
 * device: every group is the same code). The last group loads nothing ahead, so nothing is
 * read past the columns or row a.
 */
#define MCS_DSP_2X2_LOOP_M7(groups)                                                        \
    do {                                                                                   \
        const int8_t *wb_ = wa + k;                                                        \
        int32_t n_ = (groups);                                                             \
        int32_t wva_, wvb_, xa_, xb_, p_, q_;                                              \
        __asm__ volatile(                                                                  \
            "ldr    %[wva], [%[wa]], #4\n\t"                                               \
            "ldr    %[xa], [%[c]]\n\t"                                                     \
            "ldr    %[xb], [%[c], #8]\n\t"                                                 \
            "subs   %[n], %[n], #1\n\t"                                                    \
            "sxtb16 %[p], %[wva]\n\t"                                                      \
            "beq    19f\n\t"                                                               \
            "and    %[q], %[n], #7\n\t"                                                    \
            "add    %[n], %[n], #7\n\t"                                                    \
            "lsr    %[n], %[n], #3\n\t"                                                    \
            "tbh    [pc, %[q], lsl #1]\n\t"                                                \
            "0:\n\t"                                                                       \
            ".short (10f - 0b) / 2, (17f - 0b) / 2, (16f - 0b) / 2, (15f - 0b) / 2\n\t"    \
            ".short (14f - 0b) / 2, (13f - 0b) / 2, (12f - 0b) / 2, (11f - 0b) / 2\n\t"    \
            MCS_DSP_M7_GROUPS_8                                                        \
            "smlad  %[b1], %[xb], %[q], %[b1]\n\t"                                         \
            : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [wa] "+r"(wa),   \
              [wb] "+r"(wb_), [c] "+r"(c), [n] "+r"(n_), [wva] "=&r"(wva_),               \
              [wvb] "=&r"(wvb_), [xa] "=&r"(xa_), [xb] "=&r"(xb_), [p] "=&r"(p_),          \
              [q] "=&r"(q_)                                                                \
            :                                                                              \
            : "cc", "memory");                                                             \
    } while (0)

#if MCS_DSP_ASM_M7
/* x = max(x, t) (cond "lt") or min(x, t) ("gt") for the four outputs of a pair; t (register
 * c) holds the bound, `get` extracts it from the frame word `bounds` (act_min in the low
 * half, act_max in the high half: one operand for both, as GCC allows 30 per asm). */
#define MCS_DSP_M7_LO "sxth   %[c], %[c]\n\t"
#define MCS_DSP_M7_HI "asr    %[c], %[c], #16\n\t"
#define MCS_DSP_M7_CLAMP4(get, cond)                                                       \
    "ldr    %[c], %[bounds]\n\t" get                                                       \
    "cmp    %[a0], %[c]\n\tit     " cond "\n\tmov" cond "  %[a0], %[c]\n\t"                 \
    "cmp    %[a1], %[c]\n\tit     " cond "\n\tmov" cond "  %[a1], %[c]\n\t"                 \
    "cmp    %[b0], %[c]\n\tit     " cond "\n\tmov" cond "  %[b0], %[c]\n\t"                 \
    "cmp    %[b1], %[c]\n\tit     " cond "\n\tmov" cond "  %[b1], %[c]\n\t"

/*
 * Every channel pair of mcs_dsp_mat_2col_q on the Cortex-M7 in one asm statement (the M7
 * counterpart of MCS_DSP_PAIRS_ASM): per pair the bias, the groups of MCS_DSP_2X2_LOOP_M7
 * (the same MCS_DSP_M7_GROUP code), the k % 4 tail, the table-driven requantization, the
 * clamp and the four stores. The 14 registers of the group loop leave none for the per-call
 * values: they live in the frame (memory operands, reloaded once per pair; on the M7 two
 * loads, or a load and an ALU op, issue together).
 * Before (VWW int8 on nucleo-h723zg, blockprof): GCC's C around MCS_DSP_2X2_LOOP_M7 took
 * about 55 cycles per pair outside the groups (TBH set-up, requantization, clamp compares,
 * stores, pointer spills): 2.96 cycles/MAC for K = 8 (32 MACs per pair). Here:
 * - Dispatch: the entry into the group loop (Duff's device as in MCS_DSP_2X2_LOOP_M7)
 *   depends only on k, so it is looked up once per call in a table of Thumb addresses
 *   (bit 0 set) and kept in the frame; each pair's head ends in `ldr pc` to it. The pair
 *   loop is rotated (groups, epilogue, exit test, next pair's head) so that no taken
 *   branch closes it; the k % 4 tail is out of line.
 * - Requantization with the table entries {m, e, r'} (mcs_dsp_rq_table), as
 *   MCS_DSP_PAIRS_ASM but with SMMLAR, Rd = (Ra * 2^32 + Rn * Rm + 2^31) >> 32, which adds
 *   the rounding term inside the multiply: x + r' - (x < 0) = SMMLAR(2acc, m, r' - (acc < 0))
 *   with x = SMMULR(2acc, m). The sign of acc may stand for the sign of x: multipliers are
 *   in [2^30, 2^31) or 0 (mcs_kernels_s8.h), so x has the sign of acc or is 0, and for
 *   x = 0 both give ((r' - 1) >> e) = (r' >> e) = zp, as r' = zp * 2^e + 2^(e-1).
 *   |acc| < 2^30 (mcs_dsp_rq_small_ok) keeps 2acc and its sign exact.
 * - Order: each issue pair has a free unit for both instructions (one MAC, one store,
 *   SSAT only first, never two shifted-operand instructions, the second not reading the
 *   first's result): 9 cycles of head (with the jump), 9 per group (MCS_DSP_M7_GROUP), 1
 *   for the loop test and 1 for the tail test, 20 of requantization and stores, in
 *   mcusim's M7 model.
 * - `clamp`: empty when the bounds are -128 / 127 (SSAT #8 is that clamp), else one or
 *   both MCS_DSP_M7_CLAMP4.
 * Needs groups >= 1 (k >= 4). The frame's rq points one table entry (24 bytes) before the
 * next pair's, for the pre-indexed load.
 */
#define MCS_DSP_M7_PAIRS_ASM(clamp)                                                        \
    __asm__ volatile(                                                                      \
        "ldr    %[n], %[kk]\n\t"                                                           \
        "adr    %[q], 8f\n\t"                                                              \
        "lsr    %[n], %[n], #2\n\t"                                                        \
        "mov    %[wb], %[wa]\n\t"                                                          \
        "subs   %[n], %[n], #1\n\t"              /* groups before the last */              \
        "and    %[p], %[n], #7\n\t"                                                        \
        "it     eq\n\t"                                                                    \
        "moveq  %[p], #8\n\t"                    /* none: the last group alone */          \
        "ldr    %[q], [%[q], %[p], lsl #2]\n\t"                                            \
        "str    %[q], %[entry]\n\t"                                                        \
        "b      1f\n\t"                                                                    \
        ".p2align 2\n"                                                                     \
        "8:\n\t"                                                                           \
        ".word  10f + 1, 17f + 1, 16f + 1, 15f + 1, 14f + 1, 13f + 1\n\t"                  \
        ".word  12f + 1, 11f + 1, 19f + 1\n\t"                                             \
        MCS_DSP_M7_GROUPS_8                                                            \
        "ldr    %[n], %[kk]\n\t"                                                           \
        "smlad  %[b1], %[xb], %[q], %[b1]\n\t"                                             \
        "ldr    %[wvb], %[rq]\n\t"               /* the previous pair's table entry */     \
        "ands   %[n], %[n], #3\n\t"              /* k % 4 */                               \
        "bne    5f\n\t"                                                                    \
        "6:\n\t"                                                                           \
        "lsl    %[a0], %[a0], #1\n\t"                                                      \
        "ldr    %[xa], [%[wvb], #24]!\n\t"       /* m of channel a */                      \
        "lsl    %[a1], %[a1], #1\n\t"                                                      \
        "ldr    %[wva], [%[wvb], #8]\n\t"        /* r' of channel a */                     \
        "add    %[wa], %[wva], %[a0], asr #31\n\t"                                         \
        "ldr    %[xb], [%[wvb], #12]\n\t"        /* m of channel b */                      \
        "add    %[c], %[wva], %[a1], asr #31\n\t"                                          \
        "ldr    %[n], [%[wvb], #20]\n\t"         /* r' of channel b */                     \
        "smmlar %[a0], %[a0], %[xa], %[wa]\n\t"                                            \
        "lsl    %[b0], %[b0], #1\n\t"                                                      \
        "smmlar %[a1], %[a1], %[xa], %[c]\n\t"                                             \
        "lsl    %[b1], %[b1], #1\n\t"                                                      \
        "add    %[wa], %[n], %[b0], asr #31\n\t"                                           \
        "ldr    %[p], [%[wvb], #4]\n\t"          /* e of channel a */                      \
        "add    %[c], %[n], %[b1], asr #31\n\t"                                            \
        "ldr    %[q], [%[wvb], #16]\n\t"         /* e of channel b */                      \
        "smmlar %[b0], %[b0], %[xb], %[wa]\n\t"                                            \
        "str    %[wvb], %[rq]\n\t"                                                         \
        "smmlar %[b1], %[b1], %[xb], %[c]\n\t"                                             \
        "ldr    %[xa], %[out0]\n\t"                                                        \
        "asr    %[a0], %[a0], %[p]\n\t"                                                    \
        "ldr    %[wva], %[d1]\n\t"                                                         \
        "ssat   %[a0], #8, %[a0]\n\t"                                                      \
        "asr    %[a1], %[a1], %[p]\n\t"                                                    \
        "ssat   %[a1], #8, %[a1]\n\t"                                                      \
        "asr    %[b0], %[b0], %[q]\n\t"                                                    \
        "ssat   %[b0], #8, %[b0]\n\t"                                                      \
        "asr    %[b1], %[b1], %[q]\n\t"                                                    \
        "ssat   %[b1], #8, %[b1]\n\t"                                                      \
        "add    %[wva], %[wva], %[xa]\n\t"       /* column 1's outputs */                  \
        clamp                                                                              \
        "ldr    %[p], %[wend]\n\t"                                                         \
        "strb   %[a0], [%[xa]], #2\n\t"                                                    \
        "cmp    %[wb], %[p]\n\t"                 /* wb: the next pair's row a */           \
        "strb   %[a1], [%[wva]]\n\t"                                                       \
        "strb   %[b0], [%[xa], #-1]\n\t"                                                   \
        "strb   %[b1], [%[wva], #1]\n\t"                                                   \
        "str    %[xa], %[out0]\n\t"                                                        \
        "beq    9f\n\t"                                                                    \
        "1:\n\t"                                                                           \
        "ldr    %[n], %[bias]\n\t"                                                         \
        "ldr    %[q], %[kk]\n\t"                                                           \
        "ldr    %[a0], [%[n]], #4\n\t"                                                     \
        "ldr    %[c], %[cols]\n\t"                                                         \
        "ldr    %[b0], [%[n]], #4\n\t"                                                     \
        "mov    %[wa], %[wb]\n\t"                                                          \
        "str    %[n], %[bias]\n\t"                                                         \
        "add    %[wb], %[wb], %[q]\n\t"                                                    \
        "ldr    %[wva], [%[wa]], #4\n\t"                                                   \
        "mov    %[a1], %[a0]\n\t"                                                          \
        "ldr    %[xa], [%[c]]\n\t"                                                         \
        "mov    %[b1], %[b0]\n\t"                                                          \
        "ldr    %[xb], [%[c], #8]\n\t"                                                     \
        "ldr    %[n], %[iters]\n\t"                                                        \
        "sxtb16 %[p], %[wva]\n\t"                                                          \
        "ldr    pc, %[entry]\n\t"                /* into the group loop */                 \
        "5:\n\t"                                                                           \
        "add    %[c], %[c], #16\n\t"             /* tail values: past the last group */    \
        "55:\n\t"                                                                          \
        "ldrsh  %[xa], [%[c]], #2\n\t"                                                     \
        "ldrsh  %[xb], [%[c]], #2\n\t"                                                     \
        "ldrsb  %[p], [%[wa]], #1\n\t"                                                     \
        "ldrsb  %[q], [%[wb]], #1\n\t"                                                     \
        "mla    %[a0], %[xa], %[p], %[a0]\n\t"                                             \
        "mla    %[a1], %[xb], %[p], %[a1]\n\t"                                             \
        "mla    %[b0], %[xa], %[q], %[b0]\n\t"                                             \
        "mla    %[b1], %[xb], %[q], %[b1]\n\t"                                             \
        "subs   %[n], %[n], #1\n\t"                                                        \
        "bne    55b\n\t"                                                                   \
        "b      6b\n\t"                                                                    \
        "9:\n\t"                                                                           \
    : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [wa] "+r"(wa),       \
      [wb] "=&r"(wb), [c] "=&r"(c), [n] "=&r"(n), [wva] "=&r"(wva), [wvb] "=&r"(wvb),      \
      [xa] "=&r"(xa), [xb] "=&r"(xb), [p] "=&r"(p), [q] "=&r"(q), [bias] "+m"(st->bias),    \
      [rq] "+m"(st->rq), [out0] "+m"(st->out0), [entry] "+m"(st->entry)                       \
    : [cols] "m"(st->cols), [kk] "m"(st->k), [d1] "m"(st->d1), [bounds] "m"(st->bounds),       \
      [wend] "m"(st->wend), [iters] "m"(st->iters)                                           \
    : "cc", "memory")

/*
 * The call values of mcs_dsp_m7_pairs, in a frame struct the asm reads as memory operands.
 * A layer that runs it once per pixel pair (mcs_conv2d_s8's two-column loop) builds it once
 * (mcs_dsp_m7_pairs_init) and runs it per pair (mcs_dsp_m7_pairs_run, four stores): VWW's
 * first layer on the H723 spent about 100 cycles per pair of pixels in the general call
 * chain (arguments, mcs_dsp_mat_2col's frame, this struct), against 4 x 93 in the pairs.
 * bias, rq and out0 are walked by the asm.
 */
typedef struct {
    const int32_t *bias;
    uintptr_t rq;
    int8_t *out0;
    const int16_t *cols;
    const int8_t *wend;
    int32_t entry, k, d1, bounds, iters;
    const int8_t *weights;
    const int32_t *bias0;
    uintptr_t rq0;
    int32_t clamp; /* bit 0: act_min > -128, bit 1: act_max < 127 */
} mcs_dsp_m7_pairs_t;

/* bias != NULL, out_c >= 2, k >= 4; d1: column 1's outputs relative to column 0's. */
static inline void mcs_dsp_m7_pairs_init(mcs_dsp_m7_pairs_t *st, const int8_t *weights,
                                         const int32_t *bias, const int32_t *rq, int32_t k,
                                         int32_t out_c, int32_t d1, int32_t act_min,
                                         int32_t act_max)
{
    st->weights = weights;
    st->bias0 = bias;
    st->rq0 = (uintptr_t)rq - 24u;
    st->wend = weights + (out_c & ~1) * k;
    st->entry = 0;
    st->k = k;
    st->d1 = d1;
    st->bounds = (int32_t)(((uint32_t)act_max << 16) | ((uint32_t)act_min & 0xffffu));
    /* iterations of the 8-group loop over the groups but the last (unused for one group) */
    st->iters = ((k >> 2) + 6) >> 3;
    st->clamp = (act_min > -128) | ((act_max < 127) << 1);
}

/* Every channel pair of the weights over the q15r2 pair of columns at cols, outputs at
 * out0 (column 0) and out0 + d1 (column 1). */
static inline __attribute__((always_inline)) void
mcs_dsp_m7_pairs_run(mcs_dsp_m7_pairs_t *st, const int16_t *cols, int8_t *out0)
{
    const int8_t *wa = st->weights;
    int32_t a0, a1, b0, b1, n, wva, wvb, xa, xb, p, q;
    const int8_t *wb;
    const int16_t *c;
    st->bias = st->bias0;
    st->rq = st->rq0;
    st->out0 = out0;
    st->cols = cols;
    if (st->clamp == 3) {
        MCS_DSP_M7_PAIRS_ASM(MCS_DSP_M7_CLAMP4(MCS_DSP_M7_LO, "lt")
                                 MCS_DSP_M7_CLAMP4(MCS_DSP_M7_HI, "gt"));
    } else if (st->clamp == 1) {
        MCS_DSP_M7_PAIRS_ASM(MCS_DSP_M7_CLAMP4(MCS_DSP_M7_LO, "lt"));
    } else if (st->clamp == 2) {
        MCS_DSP_M7_PAIRS_ASM(MCS_DSP_M7_CLAMP4(MCS_DSP_M7_HI, "gt"));
    } else {
        MCS_DSP_M7_PAIRS_ASM("");
    }
    (void)a0; (void)a1; (void)b0; (void)b1; (void)n; (void)wva; (void)wvb; (void)xa;
    (void)xb; (void)p; (void)q; (void)wb; (void)c;
}

/* All channel pairs of mcs_dsp_mat_2col_q on the Cortex-M7 (bias != NULL, out_c >= 2,
 * k >= 4). */
static inline void mcs_dsp_m7_pairs(const int8_t *weights, const int32_t *bias,
                                    const int32_t *rq, const int16_t *cols, int32_t k,
                                    int32_t out_c, int8_t *out0, int32_t d1, int32_t act_min,
                                    int32_t act_max)
{
    mcs_dsp_m7_pairs_t st;
    mcs_dsp_m7_pairs_init(&st, weights, bias, rq, k, out_c, d1, act_min, act_max);
    mcs_dsp_m7_pairs_run(&st, cols, out0);
}
#endif

#if MCS_DSP_ASM_2X2
/* x = max(x, t) / min(x, t) for the four outputs (t holds the bound). */
#define MCS_DSP_CLAMP4(cond)                                                               \
    "cmp   %[a0], %[t]\n\tit    " cond "\n\tmov" cond " %[a0], %[t]\n\t"                    \
    "cmp   %[a1], %[t]\n\tit    " cond "\n\tmov" cond " %[a1], %[t]\n\t"                    \
    "cmp   %[b0], %[t]\n\tit    " cond "\n\tmov" cond " %[b0], %[t]\n\t"                    \
    "cmp   %[b1], %[t]\n\tit    " cond "\n\tmov" cond " %[b1], %[t]\n\t"

/* One asm statement for every channel pair of mcs_dsp_mat_2col_q (bias present): per pair,
 * the bias, the 2x2 SMLAD groups (MCS_DSP_2X2_STEP), the k % 4 tail (MLA), the table-driven
 * requantization, the clamp and the four stores. Everything that does not fit the 13
 * registers of the inner loop lives in the frame (memory operands) and is reloaded once per
 * pair, which costs less than the spills GCC generates around the C version of this loop.
 * Requantization of the four accumulators, interleaved so that no result is read by the next
 * instruction (the Cortex-M33 waits one cycle for a load, SMMULR or shifted-operand result,
 * cortex-m33.toml): both channels' table entries {m, e, r'} (mcs_dsp_rq_table), SRDHM and
 * the rounding term (zero point folded in) in one SMMLAR of the doubled value with
 * r' - (acc < 0) as accumulator (the argument at MCS_DSP_M7_PAIRS_ASM), ASR e, SSAT to int8.
 * `pre` runs before the shifts (it may load the clamp bound into t), `clamp` after the SSATs:
 * a layer whose bounds are -128 / 127 needs no clamp, SSAT #8 already is one.
 * (pointwise 25x5x64->64 on the M33, cycle table 2.0: 64 cycles per pair after the loops with
 * the lower clamp and 7 stalls -> see the commit measuring this version). */
#define MCS_DSP_PAIRS_ASM(pre, clamp)                                                      \
    __asm__ volatile(                                                                      \
        "1:\n\t"                                                                           \
        "ldr   %[t], %[bias]\n\t"                                                          \
        "ldr   %[xa], %[odd]\n\t"                                                          \
        "ldr   %[c], %[cols]\n\t"                                                          \
        "ldr   %[a0], [%[t]], #4\n\t"                                                      \
        "ldr   %[b0], [%[t]], #4\n\t"                                                      \
        "ldr   %[k], %[kk]\n\t"                                                            \
        "ldr   %[n], %[half]\n\t"                                                          \
        "str   %[t], %[bias]\n\t"                                                          \
        "mov   %[a1], %[a0]\n\t"                                                           \
        "mov   %[b1], %[b0]\n\t"                                                           \
        "cmp   %[xa], #0\n\t"                                                              \
        "beq   2f\n\t"                                                                     \
        MCS_DSP_2X2_STEP("0", "4", "8", "12")                                              \
        "add   %[c], %[c], #16\n\t"                                                        \
        "2:\n\t"                                                                           \
        "cmp   %[n], #0\n\t"                                                               \
        "beq   4f\n\t"                                                                     \
        "3:\n\t"                                                                           \
        MCS_DSP_2X2_STEP("0", "4", "8", "12")                                              \
        MCS_DSP_2X2_STEP("16", "20", "24", "28")                                           \
        "add   %[c], %[c], #32\n\t"                                                        \
        "subs  %[n], %[n], #1\n\t"                                                         \
        "bne   3b\n\t"                                                                     \
        "4:\n\t"                                                                           \
        "ldr   %[n], %[tail]\n\t"                                                          \
        "cmp   %[n], #0\n\t"                                                               \
        "beq   6f\n\t"                                                                     \
        "5:\n\t"                                                                           \
        "ldrsh %[xa], [%[c]], #2\n\t"                                                      \
        "ldrsh %[xb], [%[c]], #2\n\t"                                                      \
        "ldrsb %[wvb], [%[wa], %[k]]\n\t"                                                  \
        "ldrsb %[t], [%[wa]], #1\n\t"                                                      \
        "mla   %[a0], %[xa], %[t], %[a0]\n\t"                                              \
        "mla   %[a1], %[xb], %[t], %[a1]\n\t"                                              \
        "mla   %[b0], %[xa], %[wvb], %[b0]\n\t"                                            \
        "mla   %[b1], %[xb], %[wvb], %[b1]\n\t"                                            \
        "subs  %[n], %[n], #1\n\t"                                                         \
        "bne   5b\n\t"                                                                     \
        "6:\n\t"                                                                           \
        "ldr   %[t], %[rq]\n\t"                                                            \
        "add   %[wa], %[wa], %[k]\n\t"                                                     \
        "lsl   %[a0], %[a0], #1\n\t"                                                       \
        "ldr   %[xa], [%[t]]\n\t"         /* m of channel a */                             \
        "ldr   %[wva], [%[t], #8]\n\t"    /* r' */                                         \
        "ldr   %[wvb], [%[t], #12]\n\t"   /* m of channel b */                             \
        "ldr   %[k], [%[t], #20]\n\t"     /* r' */                                         \
        "ldr   %[xb], [%[t], #4]\n\t"     /* e of channel a */                             \
        "ldr   %[c], [%[t], #16]\n\t"     /* e of channel b */                             \
        "add   %[t], %[t], #24\n\t"                                                        \
        MCS_DSP_RQ_SIGN("n", "wva", "a0")                                                  \
        "str   %[t], %[rq]\n\t"                                                            \
        "lsl   %[a1], %[a1], #1\n\t"                                                       \
        MCS_DSP_RQ_SIGN("wva", "wva", "a1")                                                \
        "smmlar %[a0], %[a0], %[xa], " MCS_DSP_RQ_RA("n", "wva") "\n\t"                    \
        "lsl   %[b0], %[b0], #1\n\t"                                                       \
        "smmlar %[a1], %[a1], %[xa], " MCS_DSP_RQ_RA("wva", "wva") "\n\t"                  \
        MCS_DSP_RQ_SIGN("n", "k", "b0")                                                    \
        "lsl   %[b1], %[b1], #1\n\t"                                                       \
        MCS_DSP_RQ_SIGN("xa", "k", "b1")                                                   \
        "smmlar %[b0], %[b0], %[wvb], " MCS_DSP_RQ_RA("n", "k") "\n\t"                     \
        "asr   %[a0], %[a0], %[xb]\n\t"                                                    \
        "smmlar %[b1], %[b1], %[wvb], " MCS_DSP_RQ_RA("xa", "k") "\n\t"                    \
        pre                                                                                \
        "asr   %[a1], %[a1], %[xb]\n\t"                                                    \
        "ssat  %[a0], #8, %[a0]\n\t"                                                       \
        "asr   %[b0], %[b0], %[c]\n\t"                                                     \
        "ssat  %[a1], #8, %[a1]\n\t"                                                       \
        "asr   %[b1], %[b1], %[c]\n\t"                                                     \
        "ssat  %[b0], #8, %[b0]\n\t"                                                       \
        "ssat  %[b1], #8, %[b1]\n\t"                                                       \
        clamp                                                                              \
        "ldr   %[t], %[out0]\n\t"                                                          \
        "ldr   %[n], %[d1]\n\t"                                                            \
        "ldr   %[xa], %[wend]\n\t"                                                         \
        "strb  %[a0], [%[t]]\n\t"                                                          \
        "strb  %[b0], [%[t], #1]\n\t"                                                      \
        "add   %[n], %[n], %[t]\n\t"                                                       \
        "add   %[t], %[t], #2\n\t"                                                         \
        "strb  %[a1], [%[n]]\n\t"                                                          \
        "strb  %[b1], [%[n], #1]\n\t"                                                      \
        "str   %[t], %[out0]\n\t"                                                          \
        "cmp   %[wa], %[xa]\n\t"                                                           \
        "bne   1b\n\t"                                                                     \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [wa] "+r"(wa),  \
          [c] "=&r"(c), [k] "=&r"(kr), [n] "=&r"(n), [wva] "=&r"(wva), [wvb] "=&r"(wvb),   \
          [xa] "=&r"(xa), [xb] "=&r"(xb), [t] "=&r"(t), [bias] "+m"(st->bias),             \
          [rq] "+m"(st->rq), [out0] "+m"(st->out0)                                          \
        : [cols] "m"(st->cols), [kk] "m"(st->k), [odd] "m"(st->odd), [half] "m"(st->half),    \
          [tail] "m"(st->tail), [d1] "m"(st->d1), [amin] "m"(st->amin), [amax] "m"(st->amax), \
          [wend] "m"(st->wend)                                                             \
        : "cc", "memory")

/* The call values of mcs_dsp_pairs_asm (memory operands of the asm), built once per layer by
 * a caller that runs it per pixel pair (mcs_dsp_pairs_init / mcs_dsp_pairs_run, as
 * mcs_dsp_m7_pairs_t). bias, rq and out0 are walked by the asm. */
typedef struct {
    const int32_t *bias;
    const int32_t *rq;
    int8_t *out0;
    const int16_t *cols;
    const int8_t *wend;
    int32_t k, odd, half, tail, d1, amin, amax;
    const int8_t *weights;
    const int32_t *bias0;
    const int32_t *rq0;
    int32_t clamp; /* bit 0: act_min > -128, bit 1: act_max < 127 */
} mcs_dsp_pairs_t;

/* bias != NULL, out_c >= 2; d1: column 1's outputs relative to column 0's. */
static inline void mcs_dsp_pairs_init(mcs_dsp_pairs_t *st, const int8_t *weights,
                                      const int32_t *bias, const int32_t *rq, int32_t k,
                                      int32_t out_c, int32_t d1, int32_t act_min,
                                      int32_t act_max)
{
    st->weights = weights;
    st->bias0 = bias;
    st->rq0 = rq;
    st->wend = weights + (out_c & ~1) * k;
    st->k = k;
    st->odd = (k >> 2) & 1;
    st->half = k >> 3;
    st->tail = k & 3;
    st->d1 = d1;
    st->amin = act_min;
    st->amax = act_max;
    st->clamp = (act_min > -128) | ((act_max < 127) << 1);
}

/* Every channel pair of the weights over the q15r2 pair of columns at cols, outputs at
 * out0 (column 0) and out0 + d1 (column 1). */
static inline __attribute__((always_inline)) void
mcs_dsp_pairs_run(mcs_dsp_pairs_t *st, const int16_t *cols, int8_t *out0)
{
    const int8_t *wa = st->weights;
    int32_t a0, a1, b0, b1, kr, n, wva, wvb, xa, xb, t;
    const int16_t *c;
    st->bias = st->bias0;
    st->rq = st->rq0;
    st->out0 = out0;
    st->cols = cols;
    if (st->clamp == 3) {
        MCS_DSP_PAIRS_ASM("ldr   %[t], %[amin]\n\t",
                          MCS_DSP_CLAMP4("lt") "ldr   %[t], %[amax]\n\t" MCS_DSP_CLAMP4("gt"));
    } else if (st->clamp == 1) {
        MCS_DSP_PAIRS_ASM("ldr   %[t], %[amin]\n\t", MCS_DSP_CLAMP4("lt"));
    } else if (st->clamp == 2) {
        MCS_DSP_PAIRS_ASM("ldr   %[t], %[amax]\n\t", MCS_DSP_CLAMP4("gt"));
    } else {
        MCS_DSP_PAIRS_ASM("", "");
    }
    (void)a0; (void)a1; (void)b0; (void)b1; (void)kr; (void)n; (void)wva; (void)wvb;
    (void)xa; (void)xb; (void)t; (void)c;
}

/* All channel pairs of mcs_dsp_mat_2col_q in assembly (bias != NULL, out_c >= 2). */
static inline void mcs_dsp_pairs_asm(const int8_t *weights, const int32_t *bias,
                                     const int32_t *rq, const int16_t *cols, int32_t k,
                                     int32_t out_c, int8_t *out0, int32_t d1, int32_t act_min,
                                     int32_t act_max)
{
    mcs_dsp_pairs_t st;
    mcs_dsp_pairs_init(&st, weights, bias, rq, k, out_c, d1, act_min, act_max);
    mcs_dsp_pairs_run(&st, cols, out0);
}
#endif

/*
 * Accumulation of one channel pair (rows wa and wa + k) over a q15r2 pair of columns, used by
 * mcs_dsp_mat_2col and mcs_dsp_mat_2col_q: `groups` groups of 4 values through the core's 2x2
 * loop, then the k % 4 tail from ctail. Expects a0, a1, b0, b1 (initialised), wa, c = cols,
 * k and i in scope; leaves wa at row a's tail (wa + 4 * groups).
 */
#if MCS_DSP_ASM_2X2
#define MCS_DSP_2X2_GROUPS(groups)                                                         \
    if ((groups) > 0) {                                                                    \
        MCS_DSP_2X2_LOOP(groups);                                                          \
    }
#elif MCS_DSP_ASM_M7
#define MCS_DSP_2X2_GROUPS(groups)                                                         \
    if ((groups) > 0) {                                                                    \
        MCS_DSP_2X2_LOOP_M7(groups);                                                       \
    }
#else
#define MCS_DSP_2X2_GROUPS(groups)                                                         \
    for (i = (groups); i > 0; --i) {                                                       \
        MCS_DSP_GROUP_2X2(wa, wa + k, c, a0, a1, b0, b1);                                  \
        c += 8;                                                                            \
        wa += 4;                                                                           \
    }
#endif
#define MCS_DSP_2X2_ACCUMULATE(groups, ctail)                                              \
    do {                                                                                   \
        MCS_DSP_2X2_GROUPS(groups)                                                         \
        for (i = 0; i < (k & 3); ++i) {                                                    \
            const int32_t x0_ = (ctail)[2 * i];                                            \
            const int32_t x1_ = (ctail)[2 * i + 1];                                        \
            const int32_t va_ = wa[i];                                                     \
            const int32_t vb_ = wa[k + i];                                                 \
            a0 += x0_ * va_;                                                               \
            a1 += x1_ * va_;                                                               \
            b0 += x0_ * vb_;                                                               \
            b1 += x1_ * vb_;                                                               \
        }                                                                                  \
    } while (0)

/* One weight row (w, `groups` groups then `tail` values) dotted with both columns of a q15r2
 * pair (c, tail values at ctail): the odd last channel of mcs_dsp_mat_2col(_q). */
static inline void mcs_dsp_dot_1x2(const int8_t *w, const int16_t *c, const int16_t *ctail,
                                   int32_t groups, int32_t tail, int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0;
    int32_t a1 = *acc1;
    int32_t i;
    for (i = groups; i > 0; --i) {
        const int32_t wv = mcs_dsp_ld_s8x4(w);
        const int32_t wl = (int32_t)__sxtb16(wv);
        const int32_t wh = mcs_dsp_sxtb16_ror8(wv);
        a0 = __smlad(mcs_dsp_ld_s16x2(c), wl, a0);
        a0 = __smlad(mcs_dsp_ld_s16x2(c + 2), wh, a0);
        a1 = __smlad(mcs_dsp_ld_s16x2(c + 4), wl, a1);
        a1 = __smlad(mcs_dsp_ld_s16x2(c + 6), wh, a1);
        c += 8;
        w += 4;
    }
    for (i = 0; i < tail; ++i) {
        a0 += (int32_t)ctail[2 * i] * (int32_t)w[i];
        a1 += (int32_t)ctail[2 * i + 1] * (int32_t)w[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/*
 * mcs_dsp_mat_2col for the common case: both columns used and a requantization table rq
 * (mcs_dsp_rq_table) built for the call.
 * Separate from the general function so that the epilogue's live values (per-channel
 * multiplier, shift and rounding term, both output pointers, the clamp bounds) fit the
 * registers: the general one spills them. The pointers walk the per-channel arrays; the
 * table makes the epilogue two loads, SMMULR, three ALU ops, SSAT and the clamp per output.
 */
static inline void mcs_dsp_mat_2col_q(const int8_t *weights, const int32_t *bias,
                                      const int32_t *rq, const int16_t *cols, int32_t k,
                                      int32_t out_c, int8_t *out0, int8_t *out1,
                                      int32_t act_min, int32_t act_max)
{
    const int32_t groups = k >> 2;
    const int16_t *ctail = cols + 8 * groups;
    const int8_t *wa = weights;
    const int8_t *const wend = weights + (out_c & ~1) * k;
    const int32_t d1 = (int32_t)(out1 - out0); /* column 1's outputs, relative to column 0's */
#if MCS_DSP_ASM_2X2
    if (bias != 0 && wa != wend) {
        const int32_t pairs = out_c & ~1;
        mcs_dsp_pairs_asm(weights, bias, rq, cols, k, out_c, out0, d1, act_min, act_max);
        wa = wend;
        bias += pairs;
        rq += 3 * pairs;
        out0 += pairs;
    }
#elif MCS_DSP_ASM_M7
    if (bias != 0 && wa != wend && groups > 0) {
        const int32_t pairs = out_c & ~1;
        mcs_dsp_m7_pairs(weights, bias, rq, cols, k, out_c, out0, d1, act_min, act_max);
        wa = wend;
        bias += pairs;
        rq += 3 * pairs;
        out0 += pairs;
    }
#endif
    while (wa != wend) {
        const int16_t *c = cols;
        int32_t a0 = (bias != 0) ? bias[0] : 0;
        int32_t b0 = (bias != 0) ? bias[1] : 0;
        int32_t a1 = a0;
        int32_t b1 = b0;
        int32_t i;
        MCS_DSP_2X2_ACCUMULATE(groups, ctail);
        wa += k + (k & 3); /* past row b (the loop left wa at row a's tail) */
        {
            /* every table word is read before the first store: an int8 store may alias them */
            const int32_t ma = rq[0], ea = rq[1], ra = rq[2];
            const int32_t mb = rq[3], eb = rq[4], rb = rq[5];
            const int8_t ya0 = mcs_dsp_rq_val(a0, ma, ea, ra, act_min, act_max);
            const int8_t ya1 = mcs_dsp_rq_val(a1, ma, ea, ra, act_min, act_max);
            const int8_t yb0 = mcs_dsp_rq_val(b0, mb, eb, rb, act_min, act_max);
            const int8_t yb1 = mcs_dsp_rq_val(b1, mb, eb, rb, act_min, act_max);
            out0[0] = ya0;
            out0[1] = yb0;
            out0[d1] = ya1;
            out0[d1 + 1] = yb1;
        }
        rq += 6;
        bias = (bias != 0) ? bias + 2 : 0;
        out0 += 2;
        out1 += 2;
    }
    if (out_c & 1) {
        int32_t a0 = (bias != 0) ? bias[0] : 0;
        int32_t a1 = a0;
        mcs_dsp_dot_1x2(wa, cols, ctail, groups, k & 3, &a0, &a1);
        out0[0] = mcs_dsp_rq_tab(a0, rq, act_min, act_max);
        out0[d1] = mcs_dsp_rq_tab(a1, rq, act_min, act_max);
    }
}

/*
 * A q15r2 pair of columns (k values each) times all out_c weight rows ([out_c][k] int8):
 * out0[o] = requant(bias[o] + col0 . w[o]), out1[o] likewise (out1 may be NULL: column 1 is
 * then ignored). Two channels per pass: every loaded weight word feeds two SMLADs, every
 * loaded column word two as well (2 pixels x 2 channels).
 * `fast`: 2 when mcs_dsp_rq_small_ok(shift, bias, out_c, k), else 1 when
 * mcs_dsp_shifts_fast(shift, out_c), else 0: computed once per call by mcs_dsp_rq_level.
 * `rq`: the call's mcs_dsp_rq_table, or NULL (then `fast` chooses the requantization).
 */
static inline void mcs_dsp_mat_2col(const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    const int16_t *cols, int32_t k, int32_t out_c, int8_t *out0,
                                    int8_t *out1, int32_t output_zp, int32_t act_min,
                                    int32_t act_max, int32_t fast, const int32_t *rq)
{
    const int32_t groups = k >> 2;
    const int16_t *ctail = cols + 8 * groups;
    const int32_t lo = act_min - output_zp;
    const int32_t hi = act_max - output_zp;
    int32_t o;
    if (rq != 0 && out1 != 0) {
        mcs_dsp_mat_2col_q(weights, bias, rq, cols, k, out_c, out0, out1, act_min, act_max);
        return;
    }
    for (o = 0; o + 1 < out_c; o += 2) {
        const int8_t *wa = weights + o * k;
        const int16_t *c = cols;
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t b0 = (bias != 0) ? bias[o + 1] : 0;
        int32_t a1 = a0;
        int32_t b1 = b0;
        int32_t i;
        MCS_DSP_2X2_ACCUMULATE(groups, ctail);
        if (fast == 2) {
            const int32_t ma = multiplier[o];
            const int32_t mb = multiplier[o + 1];
            const int32_t ea = -shift[o];
            const int32_t eb = -shift[o + 1];
            const int32_t ra = 1 << (ea - 1);
            const int32_t rb = 1 << (eb - 1);
            out0[o] = mcs_dsp_rq_store(mcs_dsp_rq_small(a0, ma, ea, ra), output_zp, act_min,
                                       act_max);
            out0[o + 1] = mcs_dsp_rq_store(mcs_dsp_rq_small(b0, mb, eb, rb), output_zp, act_min,
                                           act_max);
            if (out1 != 0) {
                out1[o] = mcs_dsp_rq_store(mcs_dsp_rq_small(a1, ma, ea, ra), output_zp,
                                           act_min, act_max);
                out1[o + 1] = mcs_dsp_rq_store(mcs_dsp_rq_small(b1, mb, eb, rb), output_zp,
                                               act_min, act_max);
            }
        } else if (fast) {
            const int32_t ma = multiplier[o];
            const int32_t mb = multiplier[o + 1];
            const int32_t ea = -shift[o];
            const int32_t eb = -shift[o + 1];
            out0[o] = mcs_dsp_requant_r(a0, ma, ea, output_zp, act_min, act_max);
            out0[o + 1] = mcs_dsp_requant_r(b0, mb, eb, output_zp, act_min, act_max);
            if (out1 != 0) {
                out1[o] = mcs_dsp_requant_r(a1, ma, ea, output_zp, act_min, act_max);
                out1[o + 1] = mcs_dsp_requant_r(b1, mb, eb, output_zp, act_min, act_max);
            }
        } else {
            out0[o] = mcs_dsp_requant(a0, multiplier[o], shift[o], output_zp, lo, hi);
            out0[o + 1] = mcs_dsp_requant(b0, multiplier[o + 1], shift[o + 1], output_zp, lo,
                                          hi);
            if (out1 != 0) {
                out1[o] = mcs_dsp_requant(a1, multiplier[o], shift[o], output_zp, lo, hi);
                out1[o + 1] = mcs_dsp_requant(b1, multiplier[o + 1], shift[o + 1], output_zp,
                                              lo, hi);
            }
        }
    }
    if (o < out_c) {
        const int8_t *wa = weights + o * k;
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t a1 = a0;
        mcs_dsp_dot_1x2(wa, cols, ctail, groups, k & 3, &a0, &a1);
        out0[o] = mcs_dsp_requant(a0, multiplier[o], shift[o], output_zp, lo, hi);
        if (out1 != 0) {
            out1[o] = mcs_dsp_requant(a1, multiplier[o], shift[o], output_zp, lo, hi);
        }
    }
}

/*
 * ---- Four pixels x two channels over paired weight rows (pointwise on the M33, M7) ----
 *
 * Four-column layout ("q15r4", MCS_DSP_COLS4_INT16(K) int16): the q15r groups of four
 * columns interleaved, group g of column j at [16g + 4j .. 16g + 4j + 3], then the tails,
 * value t of column j at [16G + 4t + j].
 * The weights are in the paired-rows order of mcs_kernels_s8.h (p->weights_paired): both
 * rows of a channel pair through one pointer, which leaves the registers for eight
 * accumulators. Per group of 4 values: 2 weight loads, reloaded for the odd halves (SXTB16
 * in place), 8 column loads, 4 SXTB16, 16 SMLAD: 32 instructions for 32 MACs, against 36
 * for the 2x2 loop over plain rows (which needs a register for the row stride).
 */
#define MCS_DSP_COLS4_INT16(k) (4 * (k))

/* Four contiguous int8 vectors (k values each, + off) -> a q15r4 set of columns: the groups of
 * all four per pass (one loop instead of four: a pointwise layer of 8 input channels on the
 * M33, mcusim cycles, 897,507 -> 863,522; M7 492,845 -> 470,961), then the tails. A last
 * pass of two or three pixels passes its last one again. */
static inline void mcs_dsp_quad_to_q15r4(const int8_t *s0, const int8_t *s1, const int8_t *s2,
                                         const int8_t *s3, int16_t *cols, int32_t k,
                                         int32_t off)
{
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    const int32_t k4 = k & ~3;
    int16_t *dst = cols;
    int16_t *const end = cols + 4 * k4;
    int32_t t;
    for (; dst != end; dst += 16) {
        const int32_t w0 = mcs_dsp_ld_s8x4(s0);
        const int32_t w1 = mcs_dsp_ld_s8x4(s1);
        const int32_t w2 = mcs_dsp_ld_s8x4(s2);
        const int32_t w3 = mcs_dsp_ld_s8x4(s3);
        mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, w0));
        mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16_ror8(off2, w0));
        mcs_dsp_st_s16x2(dst + 4, mcs_dsp_sxtab16(off2, w1));
        mcs_dsp_st_s16x2(dst + 6, mcs_dsp_sxtab16_ror8(off2, w1));
        mcs_dsp_st_s16x2(dst + 8, mcs_dsp_sxtab16(off2, w2));
        mcs_dsp_st_s16x2(dst + 10, mcs_dsp_sxtab16_ror8(off2, w2));
        mcs_dsp_st_s16x2(dst + 12, mcs_dsp_sxtab16(off2, w3));
        mcs_dsp_st_s16x2(dst + 14, mcs_dsp_sxtab16_ror8(off2, w3));
        s0 += 4;
        s1 += 4;
        s2 += 4;
        s3 += 4;
    }
    for (t = 0; t < (k & 3); ++t) {
        end[4 * t] = (int16_t)((int32_t)s0[t] + off);
        end[4 * t + 1] = (int16_t)((int32_t)s1[t] + off);
        end[4 * t + 2] = (int16_t)((int32_t)s2[t] + off);
        end[4 * t + 3] = (int16_t)((int32_t)s3[t] + off);
    }
}

#if MCS_DSP_ASM_2X2
/* One group of mcs_dsp_quad_to_q15r4_g: 4 loads, 8 SXTAB16 (value + offset in each half),
 * 8 stores (the first post-indexed, the others at negative offsets), the stores in runs of
 * four (the Cortex-M4 pipelines a load or store that follows another: 5 cycles per four
 * instead of 8), and no result read before it is ready on the M33 (load 2, SXTAB16 2). */
#define MCS_DSP_QUAD_GROUP                                                                 \
    "ldr    %[w0], [%[s0]], #4\n\t"                                                        \
    "ldr    %[w1], [%[s1]], #4\n\t"                                                        \
    "ldr    %[w2], [%[s2]], #4\n\t"                                                        \
    "ldr    %[w3], [%[s3]], #4\n\t"                                                        \
    "sxtab16 %[t0], %[off2], %[w0]\n\t"                                                    \
    "sxtab16 %[w0], %[off2], %[w0], ror #8\n\t"                                            \
    "sxtab16 %[t1], %[off2], %[w1]\n\t"                                                    \
    "sxtab16 %[w1], %[off2], %[w1], ror #8\n\t"                                            \
    "str    %[t0], [%[dst]], #32\n\t"                                                      \
    "str    %[w0], [%[dst], #-28]\n\t"                                                     \
    "str    %[t1], [%[dst], #-24]\n\t"                                                     \
    "str    %[w1], [%[dst], #-20]\n\t"                                                     \
    "sxtab16 %[t0], %[off2], %[w2]\n\t"                                                    \
    "sxtab16 %[w2], %[off2], %[w2], ror #8\n\t"                                            \
    "sxtab16 %[t1], %[off2], %[w3]\n\t"                                                    \
    "sxtab16 %[w3], %[off2], %[w3], ror #8\n\t"                                            \
    "str    %[t0], [%[dst], #-16]\n\t"                                                     \
    "str    %[w2], [%[dst], #-12]\n\t"                                                     \
    "str    %[t1], [%[dst], #-8]\n\t"                                                      \
    "str    %[w3], [%[dst], #-4]\n\t"

/* mcs_dsp_quad_to_q15r4 for k % 4 == 0 (k >= 4), the offset in both halves of off2 (once
 * per layer), in assembly: two groups per loop pass (the end test and its branch once per
 * 32 values), an odd group first. GCC's loop, in a function where the four-column kernel
 * has taken every register, reloads its pointers from the frame: mcusim, M33, 23.7 cycles
 * per 16 values, here 21.5 (24x24x32 -> 32: -3,700 cycles). */
static inline void mcs_dsp_quad_to_q15r4_g(const int8_t *s0, const int8_t *s1,
                                           const int8_t *s2, const int8_t *s3, int16_t *cols,
                                           int32_t k, int32_t off2)
{
    int16_t *const end = cols + 4 * k;
    int32_t w0, w1, w2, w3, t0, t1;
    if (k & 4) {
        __asm__ volatile(MCS_DSP_QUAD_GROUP
                         : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3),
                           [dst] "+r"(cols), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                           [w3] "=&r"(w3), [t0] "=&r"(t0), [t1] "=&r"(t1)
                         : [off2] "r"(off2)
                         : "memory");
    }
    if (cols != end) {
        __asm__ volatile("1:\n\t" MCS_DSP_QUAD_GROUP MCS_DSP_QUAD_GROUP
                         "cmp    %[dst], %[end]\n\t"
                         "bne    1b\n\t"
                         : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3),
                           [dst] "+r"(cols), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
                           [w3] "=&r"(w3), [t0] "=&r"(t0), [t1] "=&r"(t1)
                         : [off2] "r"(off2), [end] "r"(end)
                         : "cc", "memory");
    }
    (void)w0; (void)w1; (void)w2; (void)w3; (void)t0; (void)t1;
}
#undef MCS_DSP_QUAD_GROUP
#endif

/* One output of the four-column kernels: table-driven when rq, else the general path. */
static inline int8_t mcs_dsp_4col_out(int32_t acc, int32_t o, const int32_t *rq,
                                      const int32_t *multiplier, const int32_t *shift,
                                      int32_t zp, int32_t act_min, int32_t act_max)
{
    if (rq != 0) {
        return mcs_dsp_rq_tab(acc, rq + 3 * o, act_min, act_max);
    }
    return mcs_dsp_requant(acc, multiplier[o], shift[o], zp, act_min - zp, act_max - zp);
}

/*
 * Channels o0 .. o0 + n - 1 (n = 2: a pair, paired rows at w; n = 1: one plain row at w)
 * of four q15r4 columns, in C: the fallback of mcs_dsp_mat_4col (-O0, Cortex-M4, odd last
 * channel, no bias, no table, k % 4 != 0). Column j's outputs go to out0 + d[j] + o.
 */
static inline void mcs_dsp_4col_c(const int8_t *w, int32_t n, int32_t o0, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  const int32_t *rq, const int16_t *cols, int32_t k,
                                  int8_t *out0, const int32_t *d, int32_t zp, int32_t act_min,
                                  int32_t act_max)
{
    const int32_t groups = k >> 2;
    const int32_t tail = k & 3;
    const int16_t *ctail = cols + 16 * groups;
    int32_t acc[2][4];
    int32_t r, j, g, t;
    for (r = 0; r < n; ++r) {
        for (j = 0; j < 4; ++j) {
            acc[r][j] = (bias != 0) ? bias[o0 + r] : 0;
        }
    }
    for (g = 0; g < groups; ++g) {
        for (r = 0; r < n; ++r) {
            const int32_t wv = mcs_dsp_ld_s8x4(w + 4 * (n * g + r));
            const int32_t lo = (int32_t)__sxtb16(wv);
            const int32_t hi = mcs_dsp_sxtb16_ror8(wv);
            for (j = 0; j < 4; ++j) {
                const int16_t *c = cols + 16 * g + 4 * j;
                acc[r][j] = __smlad(mcs_dsp_ld_s16x2(c), lo, acc[r][j]);
                acc[r][j] = __smlad(mcs_dsp_ld_s16x2(c + 2), hi, acc[r][j]);
            }
        }
    }
    for (r = 0; r < n; ++r) {
        for (t = 0; t < tail; ++t) {
            const int32_t wt = w[4 * n * groups + r * tail + t];
            for (j = 0; j < 4; ++j) {
                acc[r][j] += (int32_t)ctail[4 * t + j] * wt;
            }
        }
    }
    for (r = 0; r < n; ++r) {
        for (j = 0; j < 4; ++j) {
            out0[d[j] + o0 + r] = mcs_dsp_4col_out(acc[r][j], o0 + r, rq, multiplier, shift,
                                                   zp, act_min, act_max);
        }
    }
}

#if MCS_DSP_ASM_2X2
/* One group of 4 values of the 4x2 product (header comment above): c and wp post-increment,
 * `mid` runs between the last uses of x0 and of x1 (the loop puts its end test there). No
 * result is read by the next instruction (Cortex-M33 load / extend latencies). Over int8
 * rows (step 8, b's word at -4) the weight words are extended in place (SXTB16, then
 * reloaded for the odd halves); over the q15 cache (mcs_dsp_pairs_q15: step 16, the words
 * a_lo b_lo a_hi b_hi) they are loaded as they are: 28 instead of 32 instructions. */
#define MCS_DSP_4X2_GROUP_(mid, step, blo, ext)                                            \
    "ldr   %[ea], [%[wp]], #" step "\n\t"                                              \
    "ldr   %[eb], [%[wp], #" blo "]\n\t"                                               \
    "ldr   %[x0], [%[c]], #32\n\t"                                                     \
    ext("ea", "eb", "")                                                                \
    "ldr   %[x1], [%[c], #-24]\n\t"                                                    \
    "smlad %[a0], %[x0], %[ea], %[a0]\n\t"                                             \
    "smlad %[b0], %[x0], %[eb], %[b0]\n\t"                                             \
    "ldr   %[x0], [%[c], #-16]\n\t"                                                    \
    "smlad %[a1], %[x1], %[ea], %[a1]\n\t"                                             \
    "smlad %[b1], %[x1], %[eb], %[b1]\n\t"                                             \
    "ldr   %[x1], [%[c], #-8]\n\t"                                                     \
    "smlad %[a2], %[x0], %[ea], %[a2]\n\t"                                             \
    "smlad %[b2], %[x0], %[eb], %[b2]\n\t"                                             \
    "ldr   %[x0], [%[c], #-28]\n\t"                                                    \
    "smlad %[a3], %[x1], %[ea], %[a3]\n\t"                                             \
    "ldr   %[ea], [%[wp], #-8]\n\t"                                                    \
    "smlad %[b3], %[x1], %[eb], %[b3]\n\t"                                             \
    "ldr   %[eb], [%[wp], #-4]\n\t"                                                    \
    "ldr   %[x1], [%[c], #-20]\n\t"                                                    \
    ext("ea", "eb", ", ror #8")                                                        \
    "smlad %[a0], %[x0], %[ea], %[a0]\n\t"                                             \
    "smlad %[b0], %[x0], %[eb], %[b0]\n\t"                                             \
    "ldr   %[x0], [%[c], #-12]\n\t"                                                    \
    "smlad %[a1], %[x1], %[ea], %[a1]\n\t"                                             \
    "smlad %[b1], %[x1], %[eb], %[b1]\n\t"                                             \
    "ldr   %[x1], [%[c], #-4]\n\t"                                                     \
    "smlad %[a2], %[x0], %[ea], %[a2]\n\t"                                             \
    "smlad %[b2], %[x0], %[eb], %[b2]\n\t"                                             \
    mid                                                                                \
    "smlad %[a3], %[x1], %[ea], %[a3]\n\t"                                             \
    "smlad %[b3], %[x1], %[eb], %[b3]\n\t"
#define MCS_DSP_EXT(a, b, ror)                                                             \
    "sxtb16 %[" a "], %[" a "]" ror "\n\t"                                                   \
    "sxtb16 %[" b "], %[" b "]" ror "\n\t"
#define MCS_DSP_NOEXT(a, b, ror) ""
#define MCS_DSP_4X2_GROUP(mid) MCS_DSP_4X2_GROUP_(mid, "8", "-4", MCS_DSP_EXT)
#define MCS_DSP_4X2_GROUP_Q(mid) MCS_DSP_4X2_GROUP_(mid, "16", "-12", MCS_DSP_NOEXT)

/* x = max(x, x0) or min(x, x0) for the eight outputs (x0 holds the bound). */
#define MCS_DSP_CLAMP8(cond)                                                               \
    "cmp   %[a0], %[x0]\n\tit    " cond "\n\tmov" cond " %[a0], %[x0]\n\t"                  \
    "cmp   %[a1], %[x0]\n\tit    " cond "\n\tmov" cond " %[a1], %[x0]\n\t"                  \
    "cmp   %[a2], %[x0]\n\tit    " cond "\n\tmov" cond " %[a2], %[x0]\n\t"                  \
    "cmp   %[a3], %[x0]\n\tit    " cond "\n\tmov" cond " %[a3], %[x0]\n\t"                  \
    "cmp   %[b0], %[x0]\n\tit    " cond "\n\tmov" cond " %[b0], %[x0]\n\t"                  \
    "cmp   %[b1], %[x0]\n\tit    " cond "\n\tmov" cond " %[b1], %[x0]\n\t"                  \
    "cmp   %[b2], %[x0]\n\tit    " cond "\n\tmov" cond " %[b2], %[x0]\n\t"                  \
    "cmp   %[b3], %[x0]\n\tit    " cond "\n\tmov" cond " %[b3], %[x0]\n\t"

/* Every channel pair of mcs_dsp_mat_4col in one asm statement (14 registers: the 8
 * accumulators, 2 weight and 2 column registers, the weight and column pointers; the rest
 * lives in the frame): `init` (the biases and the groups: MCS_DSP_4COL_INIT8 over int8 rows,
 * MCS_DSP_4COL_INITQ over the q15 cache), the table requantization of channel a then b (as
 * MCS_DSP_M7_PAIRS_ASM: SMMLAR of the doubled value - `dbl`, or weights already doubled -
 * with r' - (acc < 0) added inside the multiply, ASR e, SSAT: 6 cycles per output on the M33
 * against 7 with SMMULR then the add; 4 x 2 outputs 79 -> 72 cycles, no stall; the entries
 * through st.rq (`rqsrc`, `rqnext`, then `wback` restores wp) or, in the cache, at wp), the
 * clamp, the eight outputs as four halfwords (BFI of channel b's byte into channel a's,
 * then STRH at register offsets from out0: one instruction fewer than eight STRBs from out0
 * and out0 + 1, 3 fewer than adding each column's offset; a pair at an odd address, odd
 * out_c, is an unaligned STRH, which ARMv7-M/v8-M allow). */
#define MCS_DSP_4COL_ASM_(pro, init, dbl, rqsrc, rqnext, wback, clamp, ops, iops)          \
    __asm__ volatile(                                                                      \
        "ldr   %[wp], %[wpos]\n\t"                                                          \
        pro                                                                                \
        init                                                                               \
        "4:\n\t"                                                                           \
        rqsrc                                                                              \
        dbl(a0)                                                                            \
        dbl(a1)                                                                            \
        MCS_DSP_RQ_SWAP("ldr   %[x0], [%[wp], #8]\n\t",   /* r' of channel a */              \
                        "ldr   %[ea], [%[wp]]\n\t")       /* m of channel a */               \
        dbl(a2)                                                                            \
        MCS_DSP_RQ_SIGN("x1", "x0", "a0")                                                  \
        MCS_DSP_RQ_SIGN("c", "x0", "a1")                                                   \
        dbl(a3)                                                                            \
        "smmlar %[a0], %[a0], %[ea], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        MCS_DSP_RQ_SIGN("x1", "x0", "a2")                                                  \
        "smmlar %[a1], %[a1], %[ea], " MCS_DSP_RQ_RA("c", "x0") "\n\t"                     \
        MCS_DSP_RQ_SIGN("c", "x0", "a3")                                                   \
        "ldr   %[eb], [%[wp], #4]\n\t" /* e of channel a */                                \
        "smmlar %[a2], %[a2], %[ea], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        "smmlar %[a3], %[a3], %[ea], " MCS_DSP_RQ_RA("c", "x0") "\n\t"                     \
        "ldr   %[x0], [%[wp], #20]\n\t" /* r' of channel b */                              \
        "ldr   %[ea], [%[wp], #12]\n\t" /* m of channel b */                               \
        dbl(b0)                                                                            \
        dbl(b1)                                                                            \
        "asr   %[a0], %[a0], %[eb]\n\t"                                                    \
        MCS_DSP_RQ_SIGN("x1", "x0", "b0")                                                  \
        MCS_DSP_RQ_SIGN("c", "x0", "b1")                                                   \
        "asr   %[a1], %[a1], %[eb]\n\t"                                                    \
        dbl(b2)                                                                            \
        "smmlar %[b0], %[b0], %[ea], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        MCS_DSP_RQ_SIGN("x1", "x0", "b2")                                                  \
        "smmlar %[b1], %[b1], %[ea], " MCS_DSP_RQ_RA("c", "x0") "\n\t"                     \
        dbl(b3)                                                                            \
        "asr   %[a2], %[a2], %[eb]\n\t"                                                    \
        MCS_DSP_RQ_SIGN("c", "x0", "b3")                                                   \
        "smmlar %[b2], %[b2], %[ea], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        "asr   %[a3], %[a3], %[eb]\n\t"                                                    \
        "ldr   %[eb], [%[wp], #16]\n\t" /* e of channel b */                               \
        "smmlar %[b3], %[b3], %[ea], " MCS_DSP_RQ_RA("c", "x0") "\n\t"                     \
        "add   %[wp], %[wp], #24\n\t"      /* the next pair's entries */                  \
        "ssat  %[a0], #8, %[a0]\n\t"                                                       \
        "ssat  %[a1], #8, %[a1]\n\t"                                                       \
        rqnext                                                                             \
        "asr   %[b0], %[b0], %[eb]\n\t"                                                    \
        "asr   %[b1], %[b1], %[eb]\n\t"                                                    \
        "ssat  %[a2], #8, %[a2]\n\t"                                                       \
        "asr   %[b2], %[b2], %[eb]\n\t"                                                    \
        "ssat  %[a3], #8, %[a3]\n\t"                                                       \
        "asr   %[b3], %[b3], %[eb]\n\t"                                                    \
        "ssat  %[b0], #8, %[b0]\n\t"                                                       \
        "ssat  %[b1], #8, %[b1]\n\t"                                                       \
        "ssat  %[b2], #8, %[b2]\n\t"                                                       \
        "ssat  %[b3], #8, %[b3]\n\t"                                                       \
        clamp                                                                              \
        /* column j's pair at out0 + d_j (x1): register offsets; b_j goes into byte 1 of a_j\
         * (BFI: its low byte, the SSAT result), one STRH per pair */                      \
        "ldr   %[x1], %[out0]\n\t"                                                         \
        "bfi   %[a0], %[b0], #8, #8\n\t"                                                   \
        "ldr   %[c], %[d1]\n\t"                                                            \
        "bfi   %[a1], %[b1], #8, #8\n\t"                                                   \
        "ldr   %[ea], %[d2]\n\t"                                                           \
        "bfi   %[a2], %[b2], #8, #8\n\t"                                                   \
        "ldr   %[eb], %[d3]\n\t"                                                           \
        "bfi   %[a3], %[b3], #8, #8\n\t"                                                   \
        wback                                                                              \
        "strh  %[a0], [%[x1]]\n\t"                                                         \
        "strh  %[a1], [%[x1], %[c]]\n\t"                                                   \
        "strh  %[a2], [%[x1], %[ea]]\n\t"                                                  \
        "strh  %[a3], [%[x1], %[eb]]\n\t"                                                  \
        "add   %[x1], %[x1], #2\n\t"                                                       \
        "ldr   %[x0], %[wend]\n\t"                                                         \
        "str   %[x1], %[out0]\n\t"                                                         \
        "cmp   %[wp], %[x0]\n\t"                                                           \
        "bne   1b\n\t"                                                                     \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), \
          [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3), [ea] "=&r"(ea), [eb] "=&r"(eb),  \
          [x0] "=&r"(x0), [x1] "=&r"(x1), [wp] "=&r"(wp), [c] "=&r"(c),                  \
          [out0] "+m"(st->out0), ops                                                       \
        : [cols] "m"(st->cols), [cend] "m"(st->cend), [d1] "m"(st->d1), [d2] "m"(st->d2), \
          [d3] "m"(st->d3), [wend] "m"(st->wend), [bounds] "m"(st->bounds) iops           \
        : "cc", "memory")

/* The groups from c on: a jump (BX to the address in register `entry`) into a block of
 * MCS_DSP_4COL_UNROLL groups, so that the first pass does groups % 16 of them (all 16 when
 * that is 0), then whole blocks while c has not reached cend; with no group at all, to the
 * stub before the block (label 8, MCS_DSP_4COL_STUB bytes before it), which loads cend and
 * goes to the end test. Every instruction of a group has a 32-bit encoding, so the entry is
 * the block's start plus a multiple of the group's size (mcs_dsp_4col_entry). Against the
 * dispatch it replaces (an odd group, two, then four per iteration, each iteration with the
 * end test and its taken branch: about 8 cycles per pair plus 4 per four groups), 3 to 5
 * per pair and 3 per 16 groups. mcusim, M33: pointwise 6x6x128 -> 128 (q15 cache) 621,066 ->
 * 607,456 cycles; 24x24x32 -> 32 (cache) 743,877 -> 736,753; 3x3x256 -> 256 (int8 rows)
 * 678,228 -> 665,278. The last group loads cend between its last column's use of x0 and
 * its last two SMLADs, so that the end test's compare does not wait for the load (M33: one
 * cycle per 16 groups, 15.5 K in VWW). */
#define MCS_DSP_4COL_UNROLL 16
#define MCS_DSP_4COL_STUB 8
#define MCS_DSP_4COL_JUMP(group, entry, check)                                             \
    "bx    %[" entry "]\n\t"                                                               \
    "8:\n\t"                                                                               \
    "ldr.w %[x0], %[cend]\n\t"                                                             \
    "b.w   7f\n\t"                                                                         \
    "3:\n\t"                                                                               \
    group("")                                                                              \
    "6:\n\t"                                                                               \
    group("") group("") group("") group("") group("") group("") group("")                  \
    group("") group("") group("") group("") group("") group("") group("")                  \
    group("ldr.w %[x0], %[cend]\n\t")                                                      \
    "7:\n\t"                                                                               \
    check                                                                                  \
    ".if (3b - 8b) - " MCS_DSP_STR(MCS_DSP_4COL_STUB) "\n\t"                               \
    ".error \"mcs_dsp_s8.h: MCS_DSP_4COL_STUB is wrong\"\n\t"                               \
    ".endif\n\t"                                                                           \
    "cmp   %[c], %[x0]\n\t"                                                                \
    "bne   3b\n\t"

/* int8 rows: the entry is not measured per call (one operand too many, see
 * MCS_DSP_4COL_ASM) but computed in C from the group's size, 32 instructions of 4 bytes,
 * which the assembler checks (the .if after the block). */
#define MCS_DSP_4COL_GROUP8_BYTES 128
#define MCS_DSP_STR_(x) #x
#define MCS_DSP_STR(x) MCS_DSP_STR_(x)

/* The q15 cache's group: 28 instructions of 4 bytes (checked after the block, as
 * MCS_DSP_4COL_GROUP8_BYTES). */
#define MCS_DSP_4COL_GROUPQ_BYTES 112

/* Once per call, before the pairs: st->entry becomes the address to jump to, the block's
 * start plus st->eoff (the byte offset of the first group to run, plus the Thumb bit),
 * so that st->eoff stays valid for the next pass over the same state. */
#define MCS_DSP_4COL_ENTRY                                                                 \
    "ldr   %[x1], %[eoff]\n\t"                                                             \
    "adr.w %[x0], 3f\n\t"                                                                  \
    "add   %[x0], %[x0], %[x1]\n\t"                                                        \
    "str   %[x0], %[entry]\n\t"

/* The groups the first pass of MCS_DSP_4COL_JUMP skips for g groups after the set-up. */
static inline int32_t mcs_dsp_4col_skip(int32_t g)
{
    const int32_t r = g % MCS_DSP_4COL_UNROLL;
    return (r != 0) ? MCS_DSP_4COL_UNROLL - r : ((g == 0) ? MCS_DSP_4COL_UNROLL : 0);
}

/* MCS_DSP_4COL_JUMP's entry for g groups after the set-up, groups of `bytes`: the byte
 * offset from the block's start of the first group to run, or of the stub before the block
 * when there is none, plus the Thumb bit. */
static inline int32_t mcs_dsp_4col_entry(int32_t g, int32_t bytes)
{
    return (g == 0) ? 1 - MCS_DSP_4COL_STUB : mcs_dsp_4col_skip(g) * bytes + 1;
}

/* int8 rows: the bias from its array into the eight accumulators, the jump into the groups
 * (st.entry: the byte offset of the first group to run, plus the Thumb bit); the table's
 * entries through st.rq. */
#define MCS_DSP_4COL_INIT8                                                                 \
    "1:\n\t"                                                                           \
    "ldr   %[x1], %[bias]\n\t"                                                         \
    "ldr   %[c], %[cols]\n\t"                                                          \
    "ldr   %[a0], [%[x1]], #4\n\t"                                                     \
    "ldr   %[b0], [%[x1]], #4\n\t"                                                     \
    "ldr   %[x0], %[entry]\n\t"                                                        \
    "str   %[x1], %[bias]\n\t"                                                         \
    "adr.w %[x1], 3f\n\t"                                                              \
    "mov   %[a1], %[a0]\n\t"                                                           \
    "mov   %[a2], %[a0]\n\t"                                                           \
    "mov   %[a3], %[a0]\n\t"                                                           \
    "mov   %[b1], %[b0]\n\t"                                                           \
    "mov   %[b2], %[b0]\n\t"                                                           \
    "mov   %[b3], %[b0]\n\t"                                                           \
    "add   %[x0], %[x0], %[x1]\n\t"                                                    \
    MCS_DSP_4COL_JUMP(MCS_DSP_4X2_GROUP, "x0",                                             \
                      ".if (6b - 3b) - " MCS_DSP_STR(MCS_DSP_4COL_GROUP8_BYTES) "\n\t"     \
                      ".error \"mcs_dsp_s8.h: MCS_DSP_4COL_GROUP8_BYTES is wrong\"\n\t"     \
                      ".endif\n\t")

/* The q15 cache (mcs_dsp_pairs_q15: per pair its two biases, the groups, its six table words):
 * the biases come with the pair, the first group takes them as its accumulator inputs (the
 * accumulators of columns 1 to 3 first, from a0 / b0 still holding the bias; no MOVs), the
 * table entries follow the groups at wp (measurements: pointwise_wq_bytes in
 * mcs_pointwise_s8.c). */
#define MCS_DSP_4COL_INITQ                                                                 \
    "1:\n\t"                                                                               \
    "ldr   %[a0], [%[wp]], #24\n\t"                                                        \
    "ldr   %[b0], [%[wp], #-20]\n\t"                                                       \
    "ldr   %[c], %[cols]\n\t"                                                              \
    "ldr   %[ea], [%[wp], #-16]\n\t"                                                       \
    "ldr   %[eb], [%[wp], #-12]\n\t"                                                       \
    "ldr   %[x1], [%[c], #8]\n\t"                                                          \
    "ldr   %[x0], [%[c], #16]\n\t"                                                         \
    "smlad %[a1], %[x1], %[ea], %[a0]\n\t"                                                 \
    "smlad %[b1], %[x1], %[eb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #24]\n\t"                                                         \
    "smlad %[a2], %[x0], %[ea], %[a0]\n\t"                                                 \
    "smlad %[b2], %[x0], %[eb], %[b0]\n\t"                                                 \
    "ldr   %[x0], [%[c]], #32\n\t"                                                         \
    "smlad %[a3], %[x1], %[ea], %[a0]\n\t"                                                 \
    "smlad %[b3], %[x1], %[eb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-28]\n\t"                                                        \
    "smlad %[a0], %[x0], %[ea], %[a0]\n\t"                                                 \
    "ldr   %[ea], [%[wp], #-8]\n\t"                                                        \
    "smlad %[b0], %[x0], %[eb], %[b0]\n\t"                                                 \
    "ldr   %[eb], [%[wp], #-4]\n\t"                                                        \
    "ldr   %[x0], [%[c], #-20]\n\t"                                                        \
    "smlad %[a0], %[x1], %[ea], %[a0]\n\t"                                                 \
    "smlad %[b0], %[x1], %[eb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-12]\n\t"                                                        \
    "smlad %[a1], %[x0], %[ea], %[a1]\n\t"                                                 \
    "smlad %[b1], %[x0], %[eb], %[b1]\n\t"                                                 \
    "ldr   %[x0], [%[c], #-4]\n\t"                                                         \
    "smlad %[a2], %[x1], %[ea], %[a2]\n\t"                                                 \
    "smlad %[b2], %[x1], %[eb], %[b2]\n\t"                                                 \
    "ldr   %[x1], %[entry]\n\t"                                                            \
    "smlad %[a3], %[x0], %[ea], %[a3]\n\t"                                                 \
    "smlad %[b3], %[x0], %[eb], %[b3]\n\t"                                                 \
    MCS_DSP_4COL_JUMP(MCS_DSP_4X2_GROUP_Q, "x1",                                           \
                      ".if (6b - 3b) - " MCS_DSP_STR(MCS_DSP_4COL_GROUPQ_BYTES) "\n\t"     \
                      ".error \"mcs_dsp_s8.h: MCS_DSP_4COL_GROUPQ_BYTES is wrong\"\n\t"     \
                      ".endif\n\t")

/* The requantization doubles each accumulator (SMMLAR takes 2 * acc), unless the weights
 * and biases already are (a doubled cache). */
#define MCS_DSP_DBL(r) "lsl   %[" #r "], %[" #r "], #1\n\t"
#define MCS_DSP_NODBL(r) ""

#define MCS_DSP_COMMA ,
/* (GCC takes at most 30 operands, a "+m" counting twice: with the int8 rows' three walking
 * pointers the entry can only be an input, hence its two computations.) */
#define MCS_DSP_4COL_ASM(clamp)                                                            \
    MCS_DSP_4COL_ASM_("", MCS_DSP_4COL_INIT8, MCS_DSP_DBL,                                 \
                      "str   %[wp], %[wpos]\n\tldr   %[wp], %[rq]\n\t",                     \
                      "str   %[wp], %[rq]\n\t", "ldr   %[wp], %[wpos]\n\t", clamp,          \
                      [bias] "+m"(st->bias) MCS_DSP_COMMA [rq] "+m"(st->rq) MCS_DSP_COMMA  \
                      [wpos] "+m"(st->wpos), MCS_DSP_COMMA [entry] "m"(st->entry))
#define MCS_DSP_4COL_ASM_Q(clamp)                                                          \
    MCS_DSP_4COL_ASM_(MCS_DSP_4COL_ENTRY, MCS_DSP_4COL_INITQ, MCS_DSP_DBL, "", "", "",     \
                      clamp, [entry] "=m"(st->entry),                                      \
                      MCS_DSP_COMMA [wpos] "m"(st->wpos) MCS_DSP_COMMA [eoff] "m"(st->eoff))
#define MCS_DSP_4COL_ASM_Q2(clamp)                                                         \
    MCS_DSP_4COL_ASM_(MCS_DSP_4COL_ENTRY, MCS_DSP_4COL_INITQ, MCS_DSP_NODBL, "", "", "",   \
                      clamp, [entry] "=m"(st->entry),                                      \
                      MCS_DSP_COMMA [wpos] "m"(st->wpos) MCS_DSP_COMMA [eoff] "m"(st->eoff))

/*
 * The state of the four-column assembly for one layer (mcs_dsp_4col_init), so that a loop
 * over passes only sets the pass's outputs (mcs_dsp_4col_run) instead of building it per
 * pass (11 stores, the entry, the variant, the call: with the leaner pass loop this allows,
 * mcusim, M33, VWW's 24x24x16 -> 32 pointwise layer 180 cycles fewer per pass). The asm
 * reads its fields as memory operands: it must be a local of the function that runs the
 * passes (sp-relative; no register is left for another base).
 */
typedef struct {
    const int32_t *bias;  /* int8 rows: walks over the pairs (reset per pass from bias0) */
    const int32_t *rq;    /* int8 rows: walks (reset from rq0) */
    int8_t *out0;         /* the pass's first output, walks over the pairs */
    const int8_t *wpos;   /* the weights (int8 rows: walks, reset from w0) */
    const int16_t *cols;
    const int16_t *cend;
    const int8_t *wend;
    int32_t d1, d2, d3, bounds;
    int32_t entry;        /* int8 rows: the first group's byte offset + 1; cache: its address */
    int32_t eoff;         /* cache: the first group's byte offset + 1 */
    const int32_t *bias0;
    const int32_t *rq0;
    const int8_t *w0;
    int32_t kind;         /* MCS_DSP_4COL_KIND: cache (doubled), clamp */
} mcs_dsp_4col_t;

#define MCS_DSP_4COL_CLAMP 1
#define MCS_DSP_4COL_CACHE 2
#define MCS_DSP_4COL_CACHE2 4

/* The fields of the four-column state that every variant reads, for mcs_dsp_4col_init and
 * mcs_dsp_4col_asm; returns the first weight word's address (the cache's, or the rows'). */
static inline const int8_t *mcs_dsp_4col_fields(mcs_dsp_4col_t *st, const int8_t *weights,
                                                const int32_t *wq, const int32_t *bias,
                                                const int32_t *rq, const int16_t *cols,
                                                int32_t k, int32_t out_c, int8_t *out0,
                                                const int32_t *d, int32_t act_min,
                                                int32_t act_max)
{
    const int8_t *wp = (wq != 0) ? (const int8_t *)(const void *)wq : weights;
    st->bias = bias;
    st->rq = rq;
    st->out0 = out0;
    st->wpos = wp;
    st->cols = cols;
    st->cend = cols + 16 * (k >> 2);
    st->wend = (wq != 0) ? (const int8_t *)(const void *)(wq + (out_c >> 1) * (k + 8))
                         : wp + (out_c & ~1) * k;
    st->d1 = d[1];
    st->d2 = d[2];
    st->d3 = d[3];
    /* the bounds as one word: act_min in the low halfword, act_max in the high one */
    st->bounds = (int32_t)(((uint32_t)act_min & 0xFFFFu) | ((uint32_t)act_max << 16));
    return wp;
}

/* The layer's state for mcs_dsp_4col_run (the conditions of mcs_dsp_4col_asm: bias, table,
 * k % 4 == 0, k >= 4, out_c >= 2): weights in paired int8 rows, or (wq != NULL) their q15
 * cache, doubled when wq_dbl (mcs_dsp_pairs_q15); q15r4 columns at cols; column j's outputs
 * at out0 + d[j] (d[0] = 0). */
static inline void mcs_dsp_4col_init(mcs_dsp_4col_t *st, const int8_t *weights,
                                     const int32_t *wq, int32_t wq_dbl, const int32_t *bias,
                                     const int32_t *rq, const int16_t *cols, int32_t k,
                                     int32_t out_c, const int32_t *d, int32_t act_min,
                                     int32_t act_max)
{
    const int8_t *wp = mcs_dsp_4col_fields(st, weights, wq, bias, rq, cols, k, out_c, 0, d,
                                           act_min, act_max);
    /* the q15 cache's set-up does the first group (MCS_DSP_4COL_INITQ) */
    st->entry = mcs_dsp_4col_entry(k >> 2, MCS_DSP_4COL_GROUP8_BYTES);
    st->eoff = mcs_dsp_4col_entry((k >> 2) - 1, MCS_DSP_4COL_GROUPQ_BYTES);
    st->bias0 = bias;
    st->rq0 = rq;
    st->w0 = wp;
    st->kind = ((act_min > -128 || act_max < 127) ? MCS_DSP_4COL_CLAMP : 0) |
               ((wq != 0) ? (wq_dbl ? MCS_DSP_4COL_CACHE2 : MCS_DSP_4COL_CACHE) : 0);
}

/* The clamp of MCS_DSP_4COL_ASM_: the bounds as one word (act_min in the low halfword,
 * act_max in the high one). */
#define MCS_DSP_4COL_BOUNDS                                                                \
    "ldr   %[x1], %[bounds]\n\t"                                                           \
    "sxth  %[x0], %[x1]\n\t" MCS_DSP_CLAMP8("lt") "asr   %[x0], %[x1], #16\n\t"             \
    MCS_DSP_CLAMP8("gt")

/* One pass of four columns over every channel pair: the state of mcs_dsp_4col_init, the
 * pass's outputs at out0. Inlined where the passes run (st: a local there). */
static inline __attribute__((always_inline)) void mcs_dsp_4col_run(mcs_dsp_4col_t *st,
                                                                   int8_t *out0)
{
    int32_t a0, a1, a2, a3, b0, b1, b2, b3, ea, eb, x0, x1;
    const int8_t *wp;
    const int16_t *c;
    st->out0 = out0;
    switch (st->kind) {
    case MCS_DSP_4COL_CACHE2 | MCS_DSP_4COL_CLAMP:
        MCS_DSP_4COL_ASM_Q2(MCS_DSP_4COL_BOUNDS);
        break;
    case MCS_DSP_4COL_CACHE2:
        MCS_DSP_4COL_ASM_Q2("");
        break;
    case MCS_DSP_4COL_CACHE | MCS_DSP_4COL_CLAMP:
        MCS_DSP_4COL_ASM_Q(MCS_DSP_4COL_BOUNDS);
        break;
    case MCS_DSP_4COL_CACHE:
        MCS_DSP_4COL_ASM_Q("");
        break;
    case MCS_DSP_4COL_CLAMP:
        st->bias = st->bias0;
        st->rq = st->rq0;
        st->wpos = st->w0;
        MCS_DSP_4COL_ASM(MCS_DSP_4COL_BOUNDS);
        break;
    default:
        st->bias = st->bias0;
        st->rq = st->rq0;
        st->wpos = st->w0;
        MCS_DSP_4COL_ASM("");
        break;
    }
    (void)a0; (void)a1; (void)a2; (void)a3; (void)b0; (void)b1; (void)b2; (void)b3;
    (void)ea; (void)eb; (void)x0; (void)x1; (void)c; (void)wp;
}

/* The odd last channel o of a pass of mcs_dsp_4col_run or mcs_dsp_mat_3col (their
 * conditions: bias, table, k % 4 == 0): its plain int8 row at w, ncols (3 or 4, a constant
 * at each call) q15r columns at cols, the outputs at
 * out0 + d[j] + o. As mcs_dsp_4col_c's sums and table requantization, without its general
 * cases (mcs_dsp_4col_c there: 573 cycles per pass for k = 20; mcusim, M33, 15 pixels,
 * 20 -> 13 channels, q15 cache, the layer 10,109 -> 8,993 cycles). */
static inline void mcs_dsp_ncol_odd(const int8_t *w, int32_t o, const int32_t *bias,
                                    const int32_t *rq, const int16_t *cols, int32_t k,
                                    int32_t ncols, int8_t *out0, const int32_t *d,
                                    int32_t act_min, int32_t act_max)
{
    const int16_t *c = cols;
    int32_t a0 = bias[o], a1 = a0, a2 = a0, a3 = a0;
    int32_t g;
    for (g = k >> 2; g > 0; --g) {
        const int32_t wv = mcs_dsp_ld_s8x4(w);
        const int32_t lo = (int32_t)__sxtb16(wv);
        const int32_t hi = mcs_dsp_sxtb16_ror8(wv);
        a0 = __smlad(mcs_dsp_ld_s16x2(c), lo, a0);
        a0 = __smlad(mcs_dsp_ld_s16x2(c + 2), hi, a0);
        a1 = __smlad(mcs_dsp_ld_s16x2(c + 4), lo, a1);
        a1 = __smlad(mcs_dsp_ld_s16x2(c + 6), hi, a1);
        a2 = __smlad(mcs_dsp_ld_s16x2(c + 8), lo, a2);
        a2 = __smlad(mcs_dsp_ld_s16x2(c + 10), hi, a2);
        if (ncols == 4) {
            a3 = __smlad(mcs_dsp_ld_s16x2(c + 12), lo, a3);
            a3 = __smlad(mcs_dsp_ld_s16x2(c + 14), hi, a3);
        }
        c += 4 * ncols;
        w += 4;
    }
    out0[o] = mcs_dsp_rq_tab(a0, rq + 3 * o, act_min, act_max);
    out0[d[1] + o] = mcs_dsp_rq_tab(a1, rq + 3 * o, act_min, act_max);
    out0[d[2] + o] = mcs_dsp_rq_tab(a2, rq + 3 * o, act_min, act_max);
    if (ncols == 4) {
        out0[d[3] + o] = mcs_dsp_rq_tab(a3, rq + 3 * o, act_min, act_max);
    }
}

/* All channel pairs of mcs_dsp_mat_4col in assembly (bias, table, k % 4 == 0, k >= 4,
 * out_c >= 2): weights in paired int8 rows, or (wq != NULL) their q15 cache, doubled when
 * wq_dbl (mcs_dsp_pairs_q15). One pass, its state built here (only the fields its variant
 * reads): a loop of passes builds it once (mcs_dsp_4col_init, then mcs_dsp_4col_run per
 * pass). */
static inline void mcs_dsp_4col_asm(const int8_t *weights, const int32_t *wq, int32_t wq_dbl,
                                    const int32_t *bias, const int32_t *rq, const int16_t *cols,
                                    int32_t k, int32_t out_c, int8_t *out0, const int32_t *d,
                                    int32_t act_min, int32_t act_max)
{
    mcs_dsp_4col_t state;
    mcs_dsp_4col_t *const st = &state;
    const int8_t *wp = mcs_dsp_4col_fields(st, weights, wq, bias, rq, cols, k, out_c, out0, d,
                                           act_min, act_max);
    int32_t a0, a1, a2, a3, b0, b1, b2, b3, ea, eb, x0, x1;
    const int16_t *c;
    if (wq != 0) { /* the q15 cache's set-up does the first group (MCS_DSP_4COL_INITQ) */
        st->eoff = mcs_dsp_4col_entry((k >> 2) - 1, MCS_DSP_4COL_GROUPQ_BYTES);
        if (wq_dbl) {
            if (act_min > -128 || act_max < 127) {
                MCS_DSP_4COL_ASM_Q2(MCS_DSP_4COL_BOUNDS);
            } else {
                MCS_DSP_4COL_ASM_Q2("");
            }
        } else if (act_min > -128 || act_max < 127) {
            MCS_DSP_4COL_ASM_Q(MCS_DSP_4COL_BOUNDS);
        } else {
            MCS_DSP_4COL_ASM_Q("");
        }
    } else {
        st->entry = mcs_dsp_4col_entry(k >> 2, MCS_DSP_4COL_GROUP8_BYTES);
        if (act_min > -128 || act_max < 127) {
            MCS_DSP_4COL_ASM(MCS_DSP_4COL_BOUNDS);
        } else {
            MCS_DSP_4COL_ASM("");
        }
    }
    (void)a0; (void)a1; (void)a2; (void)a3; (void)b0; (void)b1; (void)b2; (void)b3;
    (void)ea; (void)eb; (void)x0; (void)x1; (void)c; (void)wp;
}
#undef MCS_DSP_4COL_BOUNDS

/*
 * ---- Three pixels x two channels over paired int8 rows (M4/M33) ----
 *
 * Three-column layout ("q15r3", 3k int16, k % 4 == 0): the q15r groups of three columns
 * interleaved, group g of column j at [12g + 4j .. 12g + 4j + 3]. For the pixel counts the
 * four-pixel passes leave a remainder of (mcs_pointwise_s8.c pointwise_tri): 9 pixels as
 * three passes of 3 instead of two of 4 and a lone one (mcs_dsp_1col_quad extends every
 * weight word for one use: 22 cycles per 16 MACs), a last pass of 3 (or 2, one column
 * repeated) instead of 4 with repeats. Per group of 4 values: 2 weight loads, 4 SXTB16 (both
 * halves of each word kept: with 6 accumulators the registers allow it, where the 4x2 group
 * reloads), 6 column loads, 12 SMLAD: 24 instructions for 24 MACs, as the 4x2 group's 32
 * for 32; no result is read by the next instruction (SXTB16 ROR 8 has a 2-cycle result on
 * the M33, as a load). Per channel pair and pass about 64 cycles around the groups (M33:
 * the first group's set-up 9, the requantization and stores 55, the end test 4 per 16
 * groups). mcusim, M33, VWW's 3x3 pixels 256 -> 256: 665,280 -> 630,489 cycles.
 */
#define MCS_DSP_3X2_GROUP(mid)                                                             \
    "ldr   %[wa], [%[wp]], #8\n\t"                                                         \
    "ldr   %[wb], [%[wp], #-4]\n\t"                                                        \
    "ldr   %[x0], [%[c]], #24\n\t"                                                         \
    "sxtb16 %[ha], %[wa], ror #8\n\t"                                                      \
    "sxtb16 %[wa], %[wa]\n\t"                                                              \
    "ldr   %[x1], [%[c], #-16]\n\t"                                                        \
    "sxtb16 %[hb], %[wb], ror #8\n\t"                                                      \
    "sxtb16 %[wb], %[wb]\n\t"                                                              \
    "smlad %[a0], %[x0], %[wa], %[a0]\n\t"                                                 \
    "smlad %[b0], %[x0], %[wb], %[b0]\n\t"                                                 \
    "ldr   %[x0], [%[c], #-8]\n\t"                                                         \
    "smlad %[a1], %[x1], %[wa], %[a1]\n\t"                                                 \
    "smlad %[b1], %[x1], %[wb], %[b1]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-20]\n\t"                                                        \
    "smlad %[a2], %[x0], %[wa], %[a2]\n\t"                                                 \
    "smlad %[b2], %[x0], %[wb], %[b2]\n\t"                                                 \
    "ldr   %[x0], [%[c], #-12]\n\t"                                                        \
    "smlad %[a0], %[x1], %[ha], %[a0]\n\t"                                                 \
    "smlad %[b0], %[x1], %[hb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-4]\n\t"                                                         \
    "smlad %[a1], %[x0], %[ha], %[a1]\n\t"                                                 \
    "smlad %[b1], %[x0], %[hb], %[b1]\n\t"                                                 \
    mid                                                                                \
    "smlad %[a2], %[x1], %[ha], %[a2]\n\t"                                                 \
    "smlad %[b2], %[x1], %[hb], %[b2]\n\t"

/* The group's size in bytes (24 instructions of 4 bytes: post-indexed and negative-offset
 * loads have no 16-bit encoding), checked by the assembler after the block. */
#define MCS_DSP_3COL_GROUP_BYTES 96

/* x = max(x, x0) or min(x, x0) for the six outputs (x0 holds the bound). */
#define MCS_DSP_CLAMP6(cond)                                                               \
    "cmp   %[a0], %[x0]\n\tit    " cond "\n\tmov" cond " %[a0], %[x0]\n\t"                  \
    "cmp   %[a1], %[x0]\n\tit    " cond "\n\tmov" cond " %[a1], %[x0]\n\t"                  \
    "cmp   %[a2], %[x0]\n\tit    " cond "\n\tmov" cond " %[a2], %[x0]\n\t"                  \
    "cmp   %[b0], %[x0]\n\tit    " cond "\n\tmov" cond " %[b0], %[x0]\n\t"                  \
    "cmp   %[b1], %[x0]\n\tit    " cond "\n\tmov" cond " %[b1], %[x0]\n\t"                  \
    "cmp   %[b2], %[x0]\n\tit    " cond "\n\tmov" cond " %[b2], %[x0]\n\t"

/* The 16-group block's end: its last group loads cend for the end test (one cycle less than
 * a load just before the compare), 4 bytes longer; the assembler checks both. */
#define MCS_DSP_3COL_END (16 * MCS_DSP_3COL_GROUP_BYTES + 4)

/* A channel pair's first group, with its biases as the accumulator inputs (the columns 1
 * and 2 first, from a0 / b0 still holding the bias: no MOVs), then the jump (st.entry, an
 * address since the set-up) into the block for the other groups, with x0 = cend for a jump
 * straight to the end test (k = 4). */
#define MCS_DSP_3COL_FIRST                                                                 \
    "ldr   %[x1], %[bias]\n\t"                                                             \
    "ldr   %[c], %[cols]\n\t"                                                              \
    "ldr   %[a0], [%[x1]], #4\n\t"                                                         \
    "ldr   %[b0], [%[x1]], #4\n\t"                                                         \
    "ldr   %[wa], [%[wp]], #8\n\t"                                                         \
    "ldr   %[wb], [%[wp], #-4]\n\t"                                                        \
    "str   %[x1], %[bias]\n\t"                                                             \
    "ldr   %[x0], [%[c], #8]\n\t"                                                          \
    "ldr   %[x1], [%[c], #16]\n\t"                                                         \
    "sxtb16 %[ha], %[wa], ror #8\n\t"                                                      \
    "sxtb16 %[wa], %[wa]\n\t"                                                              \
    "sxtb16 %[hb], %[wb], ror #8\n\t"                                                      \
    "sxtb16 %[wb], %[wb]\n\t"                                                              \
    "smlad %[a1], %[x0], %[wa], %[a0]\n\t"                                                 \
    "smlad %[b1], %[x0], %[wb], %[b0]\n\t"                                                 \
    "ldr   %[x0], [%[c]], #24\n\t"                                                         \
    "smlad %[a2], %[x1], %[wa], %[a0]\n\t"                                                 \
    "smlad %[b2], %[x1], %[wb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-20]\n\t"                                                        \
    "smlad %[a0], %[x0], %[wa], %[a0]\n\t"                                                 \
    "smlad %[b0], %[x0], %[wb], %[b0]\n\t"                                                 \
    "ldr   %[x0], [%[c], #-12]\n\t"                                                        \
    "smlad %[a0], %[x1], %[ha], %[a0]\n\t"                                                 \
    "smlad %[b0], %[x1], %[hb], %[b0]\n\t"                                                 \
    "ldr   %[x1], [%[c], #-4]\n\t"                                                         \
    "ldr   %[wa], %[entry]\n\t"                                                            \
    "smlad %[a1], %[x0], %[ha], %[a1]\n\t"                                                 \
    "smlad %[b1], %[x0], %[hb], %[b1]\n\t"                                                 \
    "ldr   %[x0], %[cend]\n\t"                                                             \
    "smlad %[a2], %[x1], %[ha], %[a2]\n\t"                                                 \
    "smlad %[b2], %[x1], %[hb], %[b2]\n\t"                                                 \
    "bx    %[wa]\n\t"

/* Every channel pair of mcs_dsp_mat_3col in one asm statement (14 registers: 6 accumulators,
 * 4 weight halves, 2 column registers, the weight and column pointers; the rest in the
 * frame). Once: st.entry (an offset) becomes the jump's address. Per pair: the first group
 * (MCS_DSP_3COL_FIRST), the jump into the block of 16 for the others (as MCS_DSP_4COL_JUMP:
 * groups % 16 of them in the first pass), then the table requantization of
 * MCS_DSP_4COL_ASM_ (SMMLAR of the doubled accumulator with r' - (acc < 0) added inside the
 * multiply, ASR e, SSAT 8) with the table pointer in c (the weight pointer stays in its
 * register: seven are free after the groups), the clamp, the six outputs as three
 * halfwords (BFI and STRH at register offsets from out0, as MCS_DSP_4COL_ASM_). */
#define MCS_DSP_3COL_ASM(clamp)                                                            \
    __asm__ volatile(                                                                      \
        "adr.w %[x1], 3f\n\t"                                                              \
        "ldr   %[x0], %[entry]\n\t"                                                        \
        "ldr   %[wp], %[wpos]\n\t"                                                          \
        "add   %[x0], %[x0], %[x1]\n\t"                                                    \
        "str   %[x0], %[entry]\n\t"                                                        \
        "1:\n\t"                                                                           \
        MCS_DSP_3COL_FIRST                                                                 \
        "3:\n\t"                                                                           \
        MCS_DSP_3X2_GROUP("")                                                              \
        "6:\n\t"                                                                           \
        MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("")                  \
        MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("")                  \
        MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("")                  \
        MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("")                  \
        MCS_DSP_3X2_GROUP("") MCS_DSP_3X2_GROUP("")                                        \
        MCS_DSP_3X2_GROUP("ldr.w %[x0], %[cend]\n\t")                                      \
        "7:\n\t"                                                                           \
        ".if (6b - 3b) - " MCS_DSP_STR(MCS_DSP_3COL_GROUP_BYTES) "\n\t"                    \
        ".error \"mcs_dsp_s8.h: MCS_DSP_3COL_GROUP_BYTES is wrong\"\n\t"                    \
        ".endif\n\t"                                                                       \
        ".if (7b - 3b) - " MCS_DSP_STR(MCS_DSP_3COL_END) "\n\t"                            \
        ".error \"mcs_dsp_s8.h: MCS_DSP_3COL_END is wrong\"\n\t"                            \
        ".endif\n\t"                                                                       \
        "cmp   %[c], %[x0]\n\t"                                                            \
        "bne   3b\n\t"                                                                     \
        "ldr   %[c], %[rq]\n\t"                                                            \
        "lsl   %[a0], %[a0], #1\n\t"                                                       \
        "lsl   %[a1], %[a1], #1\n\t"                                                       \
        MCS_DSP_RQ_SWAP("ldr   %[x0], [%[c], #8]\n\t",   /* r' of channel a */             \
                        "ldr   %[wa], [%[c]]\n\t")       /* m of channel a */              \
        "lsl   %[a2], %[a2], #1\n\t"                                                       \
        MCS_DSP_RQ_SIGN("x1", "x0", "a0")                                                  \
        MCS_DSP_RQ_SIGN("ha", "x0", "a1")                                                  \
        MCS_DSP_RQ_SIGN("hb", "x0", "a2")                                                  \
        "smmlar %[a0], %[a0], %[wa], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        "ldr   %[wb], [%[c], #4]\n\t"      /* e of channel a */                            \
        "smmlar %[a1], %[a1], %[wa], " MCS_DSP_RQ_RA("ha", "x0") "\n\t"                    \
        "smmlar %[a2], %[a2], %[wa], " MCS_DSP_RQ_RA("hb", "x0") "\n\t"                    \
        "ldr   %[x0], [%[c], #20]\n\t"     /* r' of channel b */                           \
        "ldr   %[wa], [%[c], #12]\n\t"     /* m of channel b */                            \
        "lsl   %[b0], %[b0], #1\n\t"                                                       \
        "lsl   %[b1], %[b1], #1\n\t"                                                       \
        "asr   %[a0], %[a0], %[wb]\n\t"                                                    \
        MCS_DSP_RQ_SIGN("x1", "x0", "b0")                                                  \
        MCS_DSP_RQ_SIGN("ha", "x0", "b1")                                                  \
        "lsl   %[b2], %[b2], #1\n\t"                                                       \
        "asr   %[a1], %[a1], %[wb]\n\t"                                                    \
        "smmlar %[b0], %[b0], %[wa], " MCS_DSP_RQ_RA("x1", "x0") "\n\t"                    \
        MCS_DSP_RQ_SIGN("hb", "x0", "b2")                                                  \
        "smmlar %[b1], %[b1], %[wa], " MCS_DSP_RQ_RA("ha", "x0") "\n\t"                    \
        "asr   %[a2], %[a2], %[wb]\n\t"                                                    \
        "ldr   %[wb], [%[c], #16]\n\t"     /* e of channel b */                            \
        "smmlar %[b2], %[b2], %[wa], " MCS_DSP_RQ_RA("hb", "x0") "\n\t"                    \
        "add   %[c], %[c], #24\n\t"        /* the next pair's entries */                  \
        "ssat  %[a0], #8, %[a0]\n\t"                                                       \
        "str   %[c], %[rq]\n\t"                                                            \
        "ssat  %[a1], #8, %[a1]\n\t"                                                       \
        "asr   %[b0], %[b0], %[wb]\n\t"                                                    \
        "ssat  %[a2], #8, %[a2]\n\t"                                                       \
        "asr   %[b1], %[b1], %[wb]\n\t"                                                    \
        "asr   %[b2], %[b2], %[wb]\n\t"                                                    \
        "ssat  %[b0], #8, %[b0]\n\t"                                                       \
        "ssat  %[b1], #8, %[b1]\n\t"                                                       \
        "ssat  %[b2], #8, %[b2]\n\t"                                                       \
        clamp                                                                              \
        /* column j's pair at out0 + d_j (x1): as MCS_DSP_4COL_ASM_, BFI then STRH */       \
        "ldr   %[x1], %[out0]\n\t"                                                         \
        "bfi   %[a0], %[b0], #8, #8\n\t"                                                   \
        "ldr   %[c], %[d1]\n\t"                                                            \
        "bfi   %[a1], %[b1], #8, #8\n\t"                                                   \
        "ldr   %[ha], %[d2]\n\t"                                                           \
        "bfi   %[a2], %[b2], #8, #8\n\t"                                                   \
        "strh  %[a0], [%[x1]]\n\t"                                                         \
        "strh  %[a1], [%[x1], %[c]]\n\t"                                                   \
        "strh  %[a2], [%[x1], %[ha]]\n\t"                                                  \
        "add   %[x1], %[x1], #2\n\t"                                                       \
        "ldr   %[x0], %[wend]\n\t"                                                         \
        "str   %[x1], %[out0]\n\t"                                                         \
        "cmp   %[wp], %[x0]\n\t"                                                           \
        "bne   1b\n\t"                                                                     \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [b0] "=&r"(b0), [b1] "=&r"(b1), \
          [b2] "=&r"(b2), [wa] "=&r"(wa), [wb] "=&r"(wb), [ha] "=&r"(ha), [hb] "=&r"(hb),  \
          [x0] "=&r"(x0), [x1] "=&r"(x1), [wp] "=&r"(wp), [c] "=&r"(c),                  \
          [out0] "+m"(st.out0), [bias] "+m"(st.bias), [rq] "+m"(st.rq),                  \
          [entry] "+m"(st.entry)                                                           \
        : [wpos] "m"(st.wpos), [cols] "m"(st.cols), [cend] "m"(st.cend), [d1] "m"(st.d1), \
          [d2] "m"(st.d2), [wend] "m"(st.wend), [bounds] "m"(st.bounds)                   \
        : "cc", "memory")

/* All channel pairs of mcs_dsp_mat_3col in assembly (bias, table, k % 4 == 0, k >= 4,
 * out_c >= 2; paired int8 rows). */
static inline void mcs_dsp_3col_asm(const int8_t *weights, const int32_t *bias,
                                    const int32_t *rq, const int16_t *cols, int32_t k,
                                    int32_t out_c, int8_t *out0, const int32_t *d,
                                    int32_t act_min, int32_t act_max)
{
    struct {
        const int32_t *bias;
        const int32_t *rq;
        int8_t *out0;
        const int8_t *wpos;
        const int16_t *cols;
        const int16_t *cend;
        const int8_t *wend;
        int32_t d1, d2, bounds;
        int32_t entry; /* the jump's offset from the block (+ Thumb bit), then its address */
    } st;
    int32_t a0, a1, a2, b0, b1, b2, wa, wb, ha, hb, x0, x1;
    const int8_t *wp;
    const int16_t *c;
    st.bias = bias;
    st.rq = rq;
    st.out0 = out0;
    st.wpos = weights;
    st.cols = cols;
    st.cend = cols + 12 * (k >> 2);
    st.wend = weights + (out_c & ~1) * k;
    st.d1 = d[1];
    st.d2 = d[2];
    st.bounds = (int32_t)(((uint32_t)act_min & 0xFFFFu) | ((uint32_t)act_max << 16));
    /* the first group runs before the jump; none left: straight to the end test */
    st.entry = (k == 4) ? MCS_DSP_3COL_END + 1
                        : mcs_dsp_4col_skip((k >> 2) - 1) * MCS_DSP_3COL_GROUP_BYTES + 1;
#define MCS_DSP_3COL_BOUNDS                                                                \
    "ldr   %[x1], %[bounds]\n\t"                                                           \
    "sxth  %[x0], %[x1]\n\t" MCS_DSP_CLAMP6("lt") "asr   %[x0], %[x1], #16\n\t"             \
    MCS_DSP_CLAMP6("gt")
    if (act_min > -128 || act_max < 127) {
        MCS_DSP_3COL_ASM(MCS_DSP_3COL_BOUNDS);
    } else {
        MCS_DSP_3COL_ASM("");
    }
#undef MCS_DSP_3COL_BOUNDS
    (void)a0; (void)a1; (void)a2; (void)b0; (void)b1; (void)b2; (void)wa; (void)wb;
    (void)ha; (void)hb; (void)x0; (void)x1; (void)wp; (void)c;
}
#endif

#if MCS_DSP_ASM_M7
/*
 * mcs_dsp_mat_4col on the dual-issue Cortex-M7: the 4x2 group over paired rows with four
 * registers for the weights and columns (u0..u3; the other ten hold the eight accumulators
 * and the weight and column pointers). Each of the 16 SMLADs issues with one of the 16 other
 * instructions of a group (4 weight loads, as the sign-extended halves are made in place and
 * the words reloaded; 4 SXTB16, always first of their pair and never feeding their partner;
 * 8 column loads), so a group is 16 cycles for 32 MACs in mcusim's M7 model (the plain-rows
 * 2x2 group: 9.25 for 16). The schedule comes from an exhaustive search over the contents of
 * the four registers (entered with ea, eb and two column words loaded, no 16-pair group
 * exists; entered with ea = SXTB16(row a word) in u0 and the low column words of pixels 0
 * and 1 in u2, u3, u1 free, this one does, prefetching the same for the next group).
 * tools/bench_kernels.py, pointwise 25x5x64->64 on nucleo-h723zg: 0.75 cycles/MAC with
 * plain rows (mcs_dsp_m7_pairs) -> 0.66 with paired rows and this loop (0.68 in a first
 * version with four groups per iteration and a plain last group). Per group
 * ([first | second]):
 *   [smlad a0 += X0lo.ea | ldr u1 = wb]      [sxtb16 u1 = eb | smlad a1 += X1lo.ea]
 *   [smlad b0 += X0lo.eb | ldr u2 = X2lo]    [smlad b1 += X1lo.eb | ldr u3 = wa]
 *   [sxtb16 u3 = wa ror 8 | smlad a2]        [smlad b2 | ldr u2 = X3lo]
 *   [smlad a3 | ldr u0 = X3hi]               [smlad b3 | ldr u1 = X0hi]
 *   [smlad a0 += X0hi.u3 | ldr u2 = wb]      [sxtb16 u2 = wb ror 8 | smlad a3 += X3hi.u3]
 *   [smlad b0 | ldr u1 = X1hi]               [smlad b3 | ldr u0 = next wa (wp += 8)]
 *   [sxtb16 u0 = next ea | smlad a1]         [smlad b1 | ldr u1 = X2hi]
 *   [smlad a2 | ldr u3 = next X1lo]          [smlad b2 | ldr u2 = next X0lo (c += 32)]
 * q15r4 group layout (bytes): pixel j's low word at 8j, high word at 8j + 4.
 */
#define MCS_DSP_M7_4X2_A                                                                   \
    "smlad  %[a0], %[u2], %[u0], %[a0]\n\t"                                                \
    "ldr    %[u1], [%[wp], #4]\n\t"                                                        \
    "sxtb16 %[u1], %[u1]\n\t"                                                              \
    "smlad  %[a1], %[u3], %[u0], %[a1]\n\t"                                                \
    "smlad  %[b0], %[u2], %[u1], %[b0]\n\t"                                                \
    "ldr    %[u2], [%[c], #16]\n\t"                                                        \
    "smlad  %[b1], %[u3], %[u1], %[b1]\n\t"                                                \
    "ldr    %[u3], [%[wp]]\n\t"                                                            \
    "sxtb16 %[u3], %[u3], ror #8\n\t"                                                      \
    "smlad  %[a2], %[u2], %[u0], %[a2]\n\t"                                                \
    "smlad  %[b2], %[u2], %[u1], %[b2]\n\t"                                                \
    "ldr    %[u2], [%[c], #24]\n\t"                                                        \
    "smlad  %[a3], %[u2], %[u0], %[a3]\n\t"                                                \
    "ldr    %[u0], [%[c], #28]\n\t"                                                        \
    "smlad  %[b3], %[u2], %[u1], %[b3]\n\t"                                                \
    "ldr    %[u1], [%[c], #4]\n\t"                                                         \
    "smlad  %[a0], %[u1], %[u3], %[a0]\n\t"                                                \
    "ldr    %[u2], [%[wp], #4]\n\t"                                                        \
    "sxtb16 %[u2], %[u2], ror #8\n\t"                                                      \
    "smlad  %[a3], %[u0], %[u3], %[a3]\n\t"                                                \
    "smlad  %[b0], %[u1], %[u2], %[b0]\n\t"                                                \
    "ldr    %[u1], [%[c], #12]\n\t"                                                        \
    "smlad  %[b3], %[u0], %[u2], %[b3]\n\t"

/* A group followed by another (prefetches the next group's ea, X0lo, X1lo). */
#define MCS_DSP_M7_4X2_GROUP                                                               \
    MCS_DSP_M7_4X2_A                                                                       \
    "ldr    %[u0], [%[wp], #8]!\n\t"                                                       \
    "sxtb16 %[u0], %[u0]\n\t"                                                              \
    "smlad  %[a1], %[u1], %[u3], %[a1]\n\t"                                                \
    "smlad  %[b1], %[u1], %[u2], %[b1]\n\t"                                                \
    "ldr    %[u1], [%[c], #20]\n\t"                                                        \
    "smlad  %[a2], %[u1], %[u3], %[a2]\n\t"                                                \
    "ldr    %[u3], [%[c], #40]\n\t"                                                        \
    "smlad  %[b2], %[u1], %[u2], %[b2]\n\t"                                                \
    "ldr    %[u2], [%[c], #32]!\n\t"

/* The last group of a channel pair: loads nothing ahead (nothing read past the columns or
 * the pair's rows); its free issue slots save the next pair's weight position and load
 * the table entry pointer (wp) and channel a's multiplier (u0) for the requantization. */
#define MCS_DSP_M7_4X2_LAST                                                                \
    MCS_DSP_M7_4X2_A                                                                       \
    "add    %[wp], %[wp], #8\n\t"                                                          \
    "smlad  %[a1], %[u1], %[u3], %[a1]\n\t"                                                \
    "str    %[wp], %[wpos]\n\t"                                                            \
    "smlad  %[b1], %[u1], %[u2], %[b1]\n\t"                                                \
    "ldr    %[u1], [%[c], #20]\n\t"                                                        \
    "smlad  %[a2], %[u1], %[u3], %[a2]\n\t"                                                \
    "ldr    %[wp], %[rq]\n\t"                                                              \
    "smlad  %[b2], %[u1], %[u2], %[b2]\n\t"                                                \
    "ldr    %[u0], [%[wp]]\n\t"           /* m of channel a */

/* x = max(x, u0) (cond "lt") or min(x, u0) ("gt") for the eight outputs. */
#define MCS_DSP_M7_CLAMP8(cond)                                                            \
    "cmp    %[a0], %[u0]\n\tit     " cond "\n\tmov" cond "  %[a0], %[u0]\n\t"               \
    "cmp    %[a1], %[u0]\n\tit     " cond "\n\tmov" cond "  %[a1], %[u0]\n\t"               \
    "cmp    %[a2], %[u0]\n\tit     " cond "\n\tmov" cond "  %[a2], %[u0]\n\t"               \
    "cmp    %[a3], %[u0]\n\tit     " cond "\n\tmov" cond "  %[a3], %[u0]\n\t"               \
    "cmp    %[b0], %[u0]\n\tit     " cond "\n\tmov" cond "  %[b0], %[u0]\n\t"               \
    "cmp    %[b1], %[u0]\n\tit     " cond "\n\tmov" cond "  %[b1], %[u0]\n\t"               \
    "cmp    %[b2], %[u0]\n\tit     " cond "\n\tmov" cond "  %[b2], %[u0]\n\t"               \
    "cmp    %[b3], %[u0]\n\tit     " cond "\n\tmov" cond "  %[b3], %[u0]\n\t"

/* Requantization of the four accumulators x0..x3 of one channel with its table entry
 * {m, e, r'} (m in m, r' in r): x = SMMLAR(2x, m, r' - (x < 0)) as in MCS_DSP_M7_PAIRS_ASM
 * (SMMLAR adds the rounding term inside the multiply; |acc| < 2^30, mcs_dsp_rq_small_ok,
 * keeps 2x and its sign exact). The shift by e and SSAT follow later. */
#define MCS_DSP_M7_RQ4(x0, x1, x2, x3, m, r)                                               \
    "lsl    %[" x0 "], %[" x0 "], #1\n\t"                                                  \
    "lsl    %[" x1 "], %[" x1 "], #1\n\t"                                                  \
    "add    %[u2], %[" r "], %[" x0 "], asr #31\n\t"                                       \
    "lsl    %[" x2 "], %[" x2 "], #1\n\t"                                                  \
    "add    %[u3], %[" r "], %[" x1 "], asr #31\n\t"                                       \
    "lsl    %[" x3 "], %[" x3 "], #1\n\t"                                                  \
    "smmlar %[" x0 "], %[" x0 "], %[" m "], %[u2]\n\t"                                     \
    "add    %[c], %[" r "], %[" x2 "], asr #31\n\t"                                        \
    "smmlar %[" x1 "], %[" x1 "], %[" m "], %[u3]\n\t"                                     \
    "add    %[u2], %[" r "], %[" x3 "], asr #31\n\t"                                       \
    "smmlar %[" x2 "], %[" x2 "], %[" m "], %[c]\n\t"                                      \
    "smmlar %[" x3 "], %[" x3 "], %[" m "], %[u2]\n\t"

/*
 * Every channel pair of mcs_dsp_mat_4col on the Cortex-M7 in one asm statement: per pair
 * the bias, the groups but the last eight per iteration (entered at group 8 - (groups - 1)
 * % 8 through an address looked up once per call and kept in the frame, as in
 * MCS_DSP_M7_PAIRS_ASM; 128 cycles + the end test per iteration), the last group, the table
 * requantization of the eight accumulators, the clamp and the eight stores. The per-call
 * values live in the frame (memory operands). Needs k % 4 == 0, k >= 4, bias, table.
 */
#define MCS_DSP_M7_4COL_ASM(clamp)                                                         \
    __asm__ volatile(                                                                      \
        "ldr    %[u0], %[cstop]\n\t"                                                       \
        "ldr    %[u1], %[cols]\n\t"                                                        \
        "sub    %[u0], %[u0], %[u1]\n\t"                                                   \
        "adr    %[u1], 8f\n\t"                                                             \
        "lsrs   %[u0], %[u0], #5\n\t"            /* groups before the last */              \
        "and    %[u2], %[u0], #7\n\t"                                                      \
        "it     eq\n\t"                                                                    \
        "moveq  %[u2], #8\n\t"                   /* none: the last group alone */          \
        "ldr    %[u1], [%[u1], %[u2], lsl #2]\n\t"                                         \
        "str    %[u1], %[entry]\n\t"                                                       \
        "b      1f\n\t"                                                                    \
        ".p2align 2\n"                                                                     \
        "8:\n\t"                                                                           \
        ".word  10f + 1, 17f + 1, 16f + 1, 15f + 1, 14f + 1, 13f + 1\n\t"                  \
        ".word  12f + 1, 11f + 1, 19f + 1\n\t"                                             \
        "10:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "11:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "12:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "13:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "14:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "15:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "16:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "17:\n\t" MCS_DSP_M7_4X2_GROUP                                                     \
        "ldr    %[u1], %[cstop]\n\t"                                                       \
        "cmp    %[c], %[u1]\n\t"                                                           \
        "bne    10b\n\t"                                                                   \
        "19:\n\t" MCS_DSP_M7_4X2_LAST                                                      \
        "ldr    %[u1], [%[wp], #8]\n\t"          /* r' of channel a */                     \
        MCS_DSP_M7_RQ4("a0", "a1", "a2", "a3", "u0", "u1")                                 \
        "ldr    %[u0], [%[wp], #12]\n\t"         /* m of channel b */                      \
        "ldr    %[u1], [%[wp], #20]\n\t"         /* r' of channel b */                     \
        MCS_DSP_M7_RQ4("b0", "b1", "b2", "b3", "u0", "u1")                                 \
        "ldr    %[u0], [%[wp], #4]\n\t"          /* e of channel a */                      \
        "ldr    %[u1], [%[wp], #16]\n\t"         /* e of channel b */                      \
        "asr    %[a0], %[a0], %[u0]\n\t"                                                   \
        "add    %[wp], %[wp], #24\n\t"                                                     \
        "ssat   %[a0], #8, %[a0]\n\t"                                                      \
        "asr    %[a1], %[a1], %[u0]\n\t"                                                   \
        "ssat   %[a1], #8, %[a1]\n\t"                                                      \
        "asr    %[a2], %[a2], %[u0]\n\t"                                                   \
        "ssat   %[a2], #8, %[a2]\n\t"                                                      \
        "asr    %[a3], %[a3], %[u0]\n\t"                                                   \
        "ssat   %[a3], #8, %[a3]\n\t"                                                      \
        "asr    %[b0], %[b0], %[u1]\n\t"                                                   \
        "ssat   %[b0], #8, %[b0]\n\t"                                                      \
        "asr    %[b1], %[b1], %[u1]\n\t"                                                   \
        "ssat   %[b1], #8, %[b1]\n\t"                                                      \
        "asr    %[b2], %[b2], %[u1]\n\t"                                                   \
        "ssat   %[b2], #8, %[b2]\n\t"                                                      \
        "asr    %[b3], %[b3], %[u1]\n\t"                                                   \
        "ssat   %[b3], #8, %[b3]\n\t"                                                      \
        "str    %[wp], %[rq]\n\t"                                                          \
        clamp                                                                              \
        "ldr    %[u0], %[out0]\n\t"                                                        \
        "ldr    %[u3], %[d]\n\t"                 /* d[1..3] */                             \
        "ldr    %[u1], [%[u3], #4]\n\t"                                                    \
        "ldr    %[u2], [%[u3], #8]\n\t"                                                    \
        "ldr    %[u3], [%[u3], #12]\n\t"                                                   \
        "add    %[u1], %[u1], %[u0]\n\t"                                                   \
        "strb   %[a0], [%[u0]], #2\n\t"                                                    \
        "add    %[u2], %[u2], %[u0]\n\t"         /* u0 already + 2: d2 - 2 + 2 */          \
        "strb   %[b0], [%[u0], #-1]\n\t"                                                   \
        "add    %[u3], %[u3], %[u0]\n\t"                                                   \
        "strb   %[a1], [%[u1]]\n\t"                                                        \
        "ldr    %[wp], %[wpos]\n\t"                                                        \
        "strb   %[b1], [%[u1], #1]\n\t"                                                    \
        "ldr    %[c], %[wend]\n\t"                                                         \
        "strb   %[a2], [%[u2], #-2]\n\t"                                                   \
        "strb   %[b2], [%[u2], #-1]\n\t"                                                   \
        "strb   %[a3], [%[u3], #-2]\n\t"                                                   \
        "strb   %[b3], [%[u3], #-1]\n\t"                                                   \
        "str    %[u0], %[out0]\n\t"                                                        \
        "cmp    %[wp], %[c]\n\t"                                                           \
        "beq    9f\n\t"                                                                    \
        "1:\n\t"                                                                           \
        "ldr    %[u1], %[bias]\n\t"                                                        \
        "ldr    %[c], %[cols]\n\t"                                                         \
        "ldr    %[a0], [%[u1]], #4\n\t"                                                    \
        "ldr    %[b0], [%[u1]], #4\n\t"                                                    \
        "ldr    %[u0], [%[wp]]\n\t"                                                        \
        "str    %[u1], %[bias]\n\t"                                                        \
        "mov    %[a1], %[a0]\n\t"                                                          \
        "ldr    %[u2], [%[c]]\n\t"                                                         \
        "mov    %[a2], %[a0]\n\t"                                                          \
        "ldr    %[u3], [%[c], #8]\n\t"                                                     \
        "sxtb16 %[u0], %[u0]\n\t"                                                          \
        "mov    %[a3], %[a0]\n\t"                                                          \
        "mov    %[b1], %[b0]\n\t"                                                          \
        "mov    %[b2], %[b0]\n\t"                                                          \
        "mov    %[b3], %[b0]\n\t"                                                          \
        "ldr    pc, %[entry]\n\t"                /* into the group loop */                 \
        "9:\n\t"                                                                           \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [b0] "=&r"(b0), \
          [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3), [u0] "=&r"(u0), [u1] "=&r"(u1),  \
          [u2] "=&r"(u2), [u3] "=&r"(u3), [wp] "+r"(wp), [c] "=&r"(c),                     \
          [bias] "+m"(st.bias), [rq] "+m"(st.rq), [out0] "+m"(st.out0),                   \
          [wpos] "+m"(st.wpos), [entry] "+m"(st.entry)                                    \
        : [cols] "m"(st.cols), [cstop] "m"(st.cstop), [d] "m"(st.d), [wend] "m"(st.wend), \
          [bounds] "m"(st.bounds)                                                          \
        : "cc", "memory")

/* All channel pairs of mcs_dsp_mat_4col on the Cortex-M7 (bias, table, k % 4 == 0, k >= 4,
 * out_c >= 2). */
static inline void mcs_dsp_m7_4col(const int8_t *weights, const int32_t *bias,
                                   const int32_t *rq, const int16_t *cols, int32_t k,
                                   int32_t out_c, int8_t *out0, const int32_t *d,
                                   int32_t act_min, int32_t act_max)
{
    struct {
        const int32_t *bias;
        const int32_t *rq;
        int8_t *out0;
        const int8_t *wpos;
        const int16_t *cols;
        const int16_t *cstop;
        const int8_t *wend;
        const int32_t *d;
        int32_t entry, bounds;
    } st;
    const int8_t *wp = weights;
    int32_t a0, a1, a2, a3, b0, b1, b2, b3, u0, u1, u2, u3;
    const int16_t *c;
    st.bias = bias;
    st.rq = rq;
    st.out0 = out0;
    st.wpos = weights;
    st.cols = cols;
    st.cstop = cols + 16 * ((k >> 2) - 1); /* c after the groups but the last */
    st.wend = weights + (out_c & ~1) * k;
    st.entry = 0;
    st.d = d;
    st.bounds = (int32_t)(((uint32_t)act_min & 0xFFFFu) | ((uint32_t)act_max << 16));
    if (act_min > -128 || act_max < 127) {
        /* the bounds as one word: act_min in the low halfword, act_max in the high one */
        MCS_DSP_M7_4COL_ASM("ldr    %[u1], %[bounds]\n\t"
                            "sxth   %[u0], %[u1]\n\t" MCS_DSP_M7_CLAMP8("lt")
                            "asr    %[u0], %[u1], #16\n\t" MCS_DSP_M7_CLAMP8("gt"));
    } else {
        MCS_DSP_M7_4COL_ASM("");
    }
    (void)a0; (void)a1; (void)a2; (void)a3; (void)b0; (void)b1; (void)b2; (void)b3;
    (void)u0; (void)u1; (void)u2; (void)u3; (void)c; (void)wp;
}
#endif

/*
 * Paired int8 weight rows (k % 4 == 0, `pairs` channel pairs), their biases and requantization
 * table (mcs_dsp_rq_table) -> the q15 cache the M4/M33 four-column assembly reads, per pair
 * one block of k + 8 words: the two biases; per group of 4 values SXTB16(a), SXTB16(b),
 * SXTB16(a ROR 8), SXTB16(b ROR 8); the pair's six table words. With `dbl` the weights
 * and biases are doubled (SADD16 per halfword, |2w| <= 256; the bias shifted, wrapping as
 * the accumulator's LSL would): the accumulator is then 2 * acc, what SMMLAR takes, and the
 * requantization needs no LSL per output (8 cycles per channel pair and four-pixel pass,
 * against 4 per group and pair once: worth it when passes > groups / 2). The group loop loads
 * weights instead of extending int8 words (28 instead of 32 cycles per 32 MACs) and the pair
 * finds its bias and table entries under the same pointer. Built once per call (about 5
 * cycles per 4 weights): for layers of several four-pixel passes, which the compiler gives
 * the room (p->weights_paired == 2, mcusim.quant.layouts.weight_cache_gain).
 */
#if MCS_DSP_ASM_2X2
/* One group of mcs_dsp_pairs_q15_groups: two words of int8 rows (a, b) -> four q15 words
 * (`dbl`: each halfword doubled by SADD16). */
#define MCS_DSP_Q15_GROUP(dbl)                                                             \
    "ldr    %[a], [%[w]], #8\n\t"                                                          \
    "ldr    %[b], [%[w], #-4]\n\t"                                                         \
    "sxtb16 %[ha], %[a], ror #8\n\t"                                                       \
    "sxtb16 %[a], %[a]\n\t"                                                                \
    "sxtb16 %[hb], %[b], ror #8\n\t"                                                       \
    "sxtb16 %[b], %[b]\n\t"                                                                \
    dbl                                                                                    \
    "str    %[a], [%[d]], #16\n\t"                                                         \
    "str    %[b], [%[d], #-12]\n\t"                                                        \
    "str    %[ha], [%[d], #-8]\n\t"                                                        \
    "str    %[hb], [%[d], #-4]\n\t"
#define MCS_DSP_Q15_DBL                                                                    \
    "sadd16 %[a], %[a], %[a]\n\t"                                                          \
    "sadd16 %[b], %[b], %[b]\n\t"                                                          \
    "sadd16 %[ha], %[ha], %[ha]\n\t"                                                       \
    "sadd16 %[hb], %[hb], %[hb]\n\t"

/* The groups of one channel pair into the q15 cache: `groups` >= 1 groups of paired int8
 * rows at w -> dst (layout of mcs_dsp_pairs_q15), four per iteration after an odd one and
 * an odd pair. GCC's loop for the same took 15 cycles per group on the M33 (pointer updates,
 * the test and its branch per group); two per iteration 11.5 (13.5 doubled), four 10.75:
 * VWW's 6x6x128 -> 128 pointwise layer builds 2048 groups per call (the whole layer on the
 * M33, ReLU: 594,314 -> 591,945 cycles). Returns w past the groups. */
static inline const int8_t *mcs_dsp_pairs_q15_groups(const int8_t *w, int32_t *dst,
                                                     int32_t groups, int32_t dbl)
{
    int32_t a, b, ha, hb;
    int32_t *const end = dst + 4 * groups;
    /* an odd group first, an odd pair, then four per iteration */
#define MCS_DSP_Q15_LOOP(dbl)                                                              \
    __asm__ volatile("tst    %[n], #1\n\t"                                                  \
                     "beq    1f\n\t" MCS_DSP_Q15_GROUP(dbl)                                 \
                     "1:\n\t"                                                               \
                     "tst    %[n], #2\n\t"                                                  \
                     "beq    3f\n\t" MCS_DSP_Q15_GROUP(dbl) MCS_DSP_Q15_GROUP(dbl)          \
                     "3:\n\t"                                                               \
                     "cmp    %[d], %[end]\n\t"                                              \
                     "beq    2f\n"                                                          \
                     "4:\n\t" MCS_DSP_Q15_GROUP(dbl) MCS_DSP_Q15_GROUP(dbl)                  \
                     MCS_DSP_Q15_GROUP(dbl) MCS_DSP_Q15_GROUP(dbl)                           \
                     "cmp    %[d], %[end]\n\t"                                              \
                     "bne    4b\n"                                                          \
                     "2:"                                                                   \
                     : [w] "+r"(w), [d] "+r"(dst), [a] "=&r"(a), [b] "=&r"(b),              \
                       [ha] "=&r"(ha), [hb] "=&r"(hb)                                       \
                     : [end] "r"(end), [n] "r"(groups)                                      \
                     : "cc", "memory")
    if (dbl) {
        MCS_DSP_Q15_LOOP(MCS_DSP_Q15_DBL);
    } else {
        MCS_DSP_Q15_LOOP("");
    }
#undef MCS_DSP_Q15_LOOP
    (void)a; (void)b; (void)ha; (void)hb;
    return w;
}
#endif

static inline void mcs_dsp_pairs_q15(const int8_t *w, const int32_t *bias, const int32_t *rq,
                                     int32_t *dst, int32_t k, int32_t pairs, int32_t dbl)
{
    int32_t p;
    for (p = 0; p < pairs; ++p) {
        int32_t *const end = dst + 2 + k;
        dst[0] = (int32_t)((uint32_t)bias[2 * p] << dbl);
        dst[1] = (int32_t)((uint32_t)bias[2 * p + 1] << dbl);
        dst += 2;
#if MCS_DSP_ASM_2X2
        if (k >= 4) {
            w = mcs_dsp_pairs_q15_groups(w, dst, k >> 2, dbl);
            dst = end;
        }
#endif
        if (dbl) {
            for (; dst != end; dst += 4) {
                const int32_t wa = mcs_dsp_ld_s8x4(w);
                const int32_t wb = mcs_dsp_ld_s8x4(w + 4);
                const int32_t la = (int32_t)__sxtb16(wa), lb = (int32_t)__sxtb16(wb);
                const int32_t ha = mcs_dsp_sxtb16_ror8(wa), hb = mcs_dsp_sxtb16_ror8(wb);
                dst[0] = (int32_t)__sadd16((int16x2_t)la, (int16x2_t)la);
                dst[1] = (int32_t)__sadd16((int16x2_t)lb, (int16x2_t)lb);
                dst[2] = (int32_t)__sadd16((int16x2_t)ha, (int16x2_t)ha);
                dst[3] = (int32_t)__sadd16((int16x2_t)hb, (int16x2_t)hb);
                w += 8;
            }
        }
        for (; dst != end; dst += 4) {
            const int32_t wa = mcs_dsp_ld_s8x4(w);
            const int32_t wb = mcs_dsp_ld_s8x4(w + 4);
            dst[0] = (int32_t)__sxtb16(wa);
            dst[1] = (int32_t)__sxtb16(wb);
            dst[2] = mcs_dsp_sxtb16_ror8(wa);
            dst[3] = mcs_dsp_sxtb16_ror8(wb);
            w += 8;
        }
        memcpy(dst, rq + 6 * p, 6 * sizeof(int32_t));
        dst += 6;
    }
}

/* Whether a cache for `pixels` output pixels (all batch items: it is built once per call) of
 * k values should be doubled (mcs_dsp_pairs_q15: its LSLs per four-pixel pass against its
 * SADD16s per group, once). */
static inline int32_t mcs_dsp_wq_dbl(int32_t pixels, int32_t k)
{
    return 2 * (pixels >> 2) > (k >> 2);
}

/* Whether the four-column kernel of this core reads a q15 weight cache (the M4/M33
 * assembly: mcusim.quant.layouts.weight_cache), and the cache's bytes for out_c channels of
 * k values (k % 4 == 0; mcusim.quant.scratch mirrors it). */
#if MCS_DSP_ASM_2X2
#define MCS_DSP_WQ 1
#else
#define MCS_DSP_WQ 0
#endif
#define MCS_DSP_WQ_BYTES(out_c, k) (MCS_DSP_WQ ? ((out_c) >> 1) * ((k) + 8) * 4 : 0)

/*
 * Four q15r4 columns (k values each) times all out_c channels, weights in paired rows:
 * out0[d[j] + o] = requant(bias[o] + column j . w[o]) for j = 0..3 (d[0] = 0; a column that
 * repeats another has the same d). rq: the call's mcs_dsp_rq_table, or NULL. wq: the
 * weights' q15 cache (mcs_dsp_pairs_q15, doubled when wq_dbl; only where MCS_DSP_WQ), or
 * NULL.
 */
static inline void mcs_dsp_mat_4col(const int8_t *weights, const int32_t *wq, int32_t wq_dbl,
                                    const int32_t *bias, const int32_t *multiplier,
                                    const int32_t *shift, const int32_t *rq,
                                    const int16_t *cols, int32_t k, int32_t out_c, int8_t *out0,
                                    const int32_t *d, int32_t zp, int32_t act_min,
                                    int32_t act_max)
{
    int32_t o = 0;
#if MCS_DSP_ASM_2X2
    if (bias != 0 && rq != 0 && (k & 3) == 0 && k >= 4 && out_c >= 2) {
        mcs_dsp_4col_asm(weights, wq, wq_dbl, bias, rq, cols, k, out_c, out0, d, act_min,
                         act_max);
        o = out_c & ~1;
    }
#elif MCS_DSP_ASM_M7
    (void)wq;
    (void)wq_dbl;
    if (bias != 0 && rq != 0 && (k & 3) == 0 && k >= 4 && out_c >= 2) {
        mcs_dsp_m7_4col(weights, bias, rq, cols, k, out_c, out0, d, act_min, act_max);
        o = out_c & ~1;
    }
#else
    (void)wq;
    (void)wq_dbl;
#endif
    for (; o < out_c; o += 2) {
        const int32_t n = (o + 1 < out_c) ? 2 : 1;
        mcs_dsp_4col_c(weights + o * k, n, o, bias, multiplier, shift, rq, cols, k, out0, d, zp,
                       act_min, act_max);
    }
}

#if MCS_DSP_ASM_2X2
/* Three contiguous int8 vectors (k values each, k % 4 == 0, + off) -> a q15r3 set of
 * columns (see MCS_DSP_3X2_GROUP). A last pass of two pixels passes its last one again. */
static inline void mcs_dsp_tri_to_q15r3(const int8_t *s0, const int8_t *s1, const int8_t *s2,
                                        int16_t *cols, int32_t k, int32_t off)
{
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    int16_t *dst = cols;
    int16_t *const end = cols + 3 * k;
    for (; dst != end; dst += 12) {
        const int32_t w0 = mcs_dsp_ld_s8x4(s0);
        const int32_t w1 = mcs_dsp_ld_s8x4(s1);
        const int32_t w2 = mcs_dsp_ld_s8x4(s2);
        mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, w0));
        mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16_ror8(off2, w0));
        mcs_dsp_st_s16x2(dst + 4, mcs_dsp_sxtab16(off2, w1));
        mcs_dsp_st_s16x2(dst + 6, mcs_dsp_sxtab16_ror8(off2, w1));
        mcs_dsp_st_s16x2(dst + 8, mcs_dsp_sxtab16(off2, w2));
        mcs_dsp_st_s16x2(dst + 10, mcs_dsp_sxtab16_ror8(off2, w2));
        s0 += 4;
        s1 += 4;
        s2 += 4;
    }
}

/* Whether mcs_dsp_mat_3col can run: its assembly's conditions (bias, table, k % 4 == 0,
 * k >= 4, out_c >= 2). */
static inline int32_t mcs_dsp_3col_ok(const int32_t *bias, const int32_t *rq, int32_t k,
                                      int32_t out_c)
{
    return bias != 0 && rq != 0 && (k & 3) == 0 && k >= 4 && out_c >= 2;
}

/*
 * Three q15r3 columns (k values each) times all out_c channels, weights in paired int8 rows
 * (when mcs_dsp_3col_ok): out0[d[j] + o] = requant(bias[o] + column j . w[o]) for j = 0..2
 * (d[0] = 0; a repeated column has the same d). The channel pairs in assembly
 * (mcs_dsp_3col_asm), the odd last channel's plain row in C.
 */
static inline void mcs_dsp_mat_3col(const int8_t *weights, const int32_t *bias,
                                    const int32_t *rq, const int16_t *cols, int32_t k,
                                    int32_t out_c, int8_t *out0, const int32_t *d,
                                    int32_t act_min, int32_t act_max)
{
    mcs_dsp_3col_asm(weights, bias, rq, cols, k, out_c, out0, d, act_min, act_max);
    if (out_c & 1) {
        mcs_dsp_ncol_odd(weights + (out_c - 1) * k, out_c - 1, bias, rq, cols, k, 3, out0, d,
                         act_min, act_max);
    }
}
#endif

/* One group of 4 values of a q15r column (x0 x2, x1 x3 at c) times a channel pair's paired
 * rows at w (4 values of row a, then 4 of row b), into *a and *b. */
static inline __attribute__((always_inline)) void
mcs_dsp_1col_pair(const int16_t *c, const int8_t *w, int32_t *a, int32_t *b)
{
    const int32_t xl = mcs_dsp_ld_s16x2(c);
    const int32_t xh = mcs_dsp_ld_s16x2(c + 2);
    const int32_t wa = mcs_dsp_ld_s8x4(w);
    const int32_t wb = mcs_dsp_ld_s8x4(w + 4);
    *a = __smlad(xl, (int32_t)__sxtb16(wa), *a);
    *b = __smlad(xl, (int32_t)__sxtb16(wb), *b);
    *a = __smlad(xh, mcs_dsp_sxtb16_ror8(wa), *a);
    *b = __smlad(xh, mcs_dsp_sxtb16_ror8(wb), *b);
}

#if MCS_DSP_ASM_2X2
/* One group of mcs_dsp_1col_quad: the column's two words, then each pair's two weight words
 * (row a's 4 values, row b's), SXTB16 ROR 8 first (its result is read two instructions
 * later: a rotated operand has a 2-cycle result on the M33), no load read before it is
 * ready: 22 cycles per 16 MACs. */
#define MCS_DSP_1COL_QUAD_GROUP                                                            \
    "ldr    %[xl], [%[c]], #8\n\t"                                                         \
    "ldr    %[wa], [%[w]], #8\n\t"                                                         \
    "ldr    %[xh], [%[c], #-4]\n\t"                                                        \
    "ldr    %[wb], [%[w], #-4]\n\t"                                                        \
    "sxtb16 %[t], %[wa], ror #8\n\t"                                                       \
    "sxtb16 %[wa], %[wa]\n\t"                                                              \
    "smlad  %[a], %[xh], %[t], %[a]\n\t"                                                   \
    "sxtb16 %[t], %[wb], ror #8\n\t"                                                       \
    "smlad  %[a], %[xl], %[wa], %[a]\n\t"                                                  \
    "sxtb16 %[wb], %[wb]\n\t"                                                              \
    "ldr    %[wa], [%[w2]], #8\n\t"                                                        \
    "smlad  %[b], %[xh], %[t], %[b]\n\t"                                                   \
    "smlad  %[b], %[xl], %[wb], %[b]\n\t"                                                  \
    "ldr    %[wb], [%[w2], #-4]\n\t"                                                       \
    "sxtb16 %[t], %[wa], ror #8\n\t"                                                       \
    "sxtb16 %[wa], %[wa]\n\t"                                                              \
    "smlad  %[e], %[xh], %[t], %[e]\n\t"                                                   \
    "sxtb16 %[t], %[wb], ror #8\n\t"                                                       \
    "smlad  %[e], %[xl], %[wa], %[e]\n\t"                                                  \
    "sxtb16 %[wb], %[wb]\n\t"                                                              \
    "smlad  %[f], %[xh], %[t], %[f]\n\t"                                                   \
    "smlad  %[f], %[xl], %[wb], %[f]\n\t"

/* Two channel pairs (paired rows at w and w + 2k) times one q15r column of `groups` >= 1
 * groups, accumulated into acc[0..3] (a, b of the first pair, then of the second): two groups
 * per iteration, an odd one first. GCC's code for the same C (mcs_dsp_1col_pair twice) took
 * 1.93 cycles per MAC on the M33 (loads read at once, SXTB16 results too); this loop 1.47.
 * VWW's 3x3x256 pointwise layer (its ninth pixel alone): 699,712 -> 678,228 cycles. */
static inline void mcs_dsp_1col_quad(const int16_t *col, const int8_t *weights, int32_t k,
                                     int32_t groups, int32_t *acc)
{
    int32_t a = acc[0], b = acc[1], e = acc[2], f = acc[3];
    int32_t xl, xh, wa, wb, t;
    const int16_t *c = col;
    const int16_t *const cend = col + 4 * groups;
    const int8_t *w = weights;
    const int8_t *w2 = weights + 2 * k;
    __asm__ volatile(
        "ldr    %[t], %[n]\n\t"
        "tst    %[t], #1\n\t"
        "beq    1f\n\t"
        MCS_DSP_1COL_QUAD_GROUP
        "cmp    %[c], %[cend]\n\t"
        "beq    2f\n"
        "1:\n\t"
        MCS_DSP_1COL_QUAD_GROUP
        MCS_DSP_1COL_QUAD_GROUP
        "cmp    %[c], %[cend]\n\t"
        "bne    1b\n"
        "2:"
        : [a] "+r"(a), [b] "+r"(b), [e] "+r"(e), [f] "+r"(f), [c] "+r"(c), [w] "+r"(w),
          [w2] "+r"(w2), [xl] "=&r"(xl), [xh] "=&r"(xh), [wa] "=&r"(wa), [wb] "=&r"(wb),
          [t] "=&r"(t)
        : [cend] "r"(cend), [n] "m"(groups)
        : "cc", "memory");
    (void)xl; (void)xh; (void)wa; (void)wb; (void)t;
    acc[0] = a;
    acc[1] = b;
    acc[2] = e;
    acc[3] = f;
}
#endif

/*
 * One q15r column (k values: groups of 4 as x0 x2 x1 x3, then the k % 4 tail in order) times
 * all out_c channels, weights in paired rows: the last pixel of a four-pixel kernel's layer
 * when it is alone (pixels % 4 == 1), where a four-column pass would compute it four times.
 * Each weight word feeds one SMLAD pair; in C on every core (VWW's 3x3x256 pointwise layer:
 * see mcs_pointwise_s8.c).
 */
static inline void mcs_dsp_mat_1col_paired(const int8_t *weights, const int32_t *bias,
                                           const int32_t *multiplier, const int32_t *shift,
                                           const int32_t *rq, const int16_t *col, int32_t k,
                                           int32_t out_c, int8_t *out, int32_t zp,
                                           int32_t act_min, int32_t act_max)
{
    const int32_t groups = k >> 2;
    const int32_t tail = k & 3;
    const int16_t *ctail = col + 4 * groups;
    int32_t o = 0, g, t;
    if (tail == 0) {
        /* two channel pairs per pass (the second pair's rows 2k bytes on): each column word
         * feeds four SMLADs. VWW's 3x3x256 pointwise layer (its ninth pixel) on the M33:
         * 722,980 -> 699,712 cycles */
        for (; o + 3 < out_c; o += 4) {
            const int8_t *w = weights + o * k;
            const int16_t *c = col;
            int32_t a = (bias != 0) ? bias[o] : 0;
            int32_t b = (bias != 0) ? bias[o + 1] : 0;
            int32_t e = (bias != 0) ? bias[o + 2] : 0;
            int32_t f = (bias != 0) ? bias[o + 3] : 0;
#if MCS_DSP_ASM_2X2
            int32_t acc[4] = {a, b, e, f};
            (void)c;
            if (groups > 0) {
                mcs_dsp_1col_quad(col, w, k, groups, acc);
            }
            a = acc[0];
            b = acc[1];
            e = acc[2];
            f = acc[3];
#else
            for (g = groups; g > 0; --g) {
                mcs_dsp_1col_pair(c, w, &a, &b);
                mcs_dsp_1col_pair(c, w + 2 * k, &e, &f);
                c += 4;
                w += 8;
            }
#endif
            out[o] = mcs_dsp_4col_out(a, o, rq, multiplier, shift, zp, act_min, act_max);
            out[o + 1] = mcs_dsp_4col_out(b, o + 1, rq, multiplier, shift, zp, act_min, act_max);
            out[o + 2] = mcs_dsp_4col_out(e, o + 2, rq, multiplier, shift, zp, act_min, act_max);
            out[o + 3] = mcs_dsp_4col_out(f, o + 3, rq, multiplier, shift, zp, act_min, act_max);
        }
    }
    for (; o + 1 < out_c; o += 2) {
        const int8_t *w = weights + o * k;
        const int16_t *c = col;
        int32_t a = (bias != 0) ? bias[o] : 0;
        int32_t b = (bias != 0) ? bias[o + 1] : 0;
        for (g = groups; g > 0; --g) {
            mcs_dsp_1col_pair(c, w, &a, &b);
            c += 4;
            w += 8;
        }
        for (t = 0; t < tail; ++t) {
            a += (int32_t)ctail[t] * (int32_t)w[t];
            b += (int32_t)ctail[t] * (int32_t)w[tail + t];
        }
        out[o] = mcs_dsp_4col_out(a, o, rq, multiplier, shift, zp, act_min, act_max);
        out[o + 1] = mcs_dsp_4col_out(b, o + 1, rq, multiplier, shift, zp, act_min, act_max);
    }
    if (o < out_c) { /* the odd last row is stored plain */
        const int32_t a = mcs_dsp_dot_1x1(col, weights + o * k, k, (bias != 0) ? bias[o] : 0);
        out[o] = mcs_dsp_4col_out(a, o, rq, multiplier, shift, zp, act_min, act_max);
    }
}

#endif /* MCS_DSP_S8_H */
