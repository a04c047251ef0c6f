/* mcs_fully_connected_s8.c - int8 fully connected for Cortex-M DSP: pairs of input rows go to
 * the interleaved int16 buffer (q15r2) and the 2x2 SMLAD kernel; a single row to a q15r column
 * and the 1-row x 4-channel kernel. Bit-exact with kernels_c/reference/mcs_fully_connected_s8.c;
 * see mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

#if defined(__ARM_ARCH_8M_MAIN__)
/* The four rows of one step of mcs_dsp_mat_1col's Cortex-M33 loop (t0 = row 0's word). */
#define MCS_DSP_1COL_ROWS                                                                   \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a0], %[xl], %[t1], %[a0]\n\t"                                                 \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a0], %[xh], %[t0], %[a0]\n\t"                                                 \
    "ldr %[t0], [%[w1]], #4\n\t"                                                           \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a1], %[xl], %[t1], %[a1]\n\t"                                                 \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a1], %[xh], %[t0], %[a1]\n\t"                                                 \
    "ldr %[t0], [%[w2]], #4\n\t"                                                           \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a2], %[xl], %[t1], %[a2]\n\t"                                                 \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a2], %[xh], %[t0], %[a2]\n\t"                                                 \
    "ldr %[t0], [%[w3]], #4\n\t"                                                           \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a3], %[xl], %[t1], %[a3]\n\t"                                                 \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a3], %[xh], %[t0], %[a3]\n\t"
#endif

#if MCS_DSP_ASM_M7
/*
 * mcs_dsp_mat_1col's loop on the dual-issue Cortex-M7 (MCS_DSP_ASM_M7, mcs_dsp_s8.h; GCC's
 * schedule of the C loop takes 17 cycles per group there). A group (4 values x 4 rows)
 * is 8 SMLAD + 8 SXTB16 + 6 LDR: 22 instructions, 11 cycles at two per cycle. The M7 pairs
 * a SXTB16 only as the first of two and never two SMLADs (one MAC pipe; Arm's LLVM model
 * ARMScheduleM7.td), so every SXTB16 issues with the SMLAD of the previous SXTB16's result
 * (ping-pong t/u) and the loads issue two by two. Rows 0 and 1 are read one group ahead
 * (w0, w1 post-incremented; the last group's read-ahead stays inside rows 0 and 1, row 2
 * follows), rows 2 and 3 at w0/w1 + 2k - 4. Issue pairs per group [first | second]:
 *   [sxtb16 t, row0 | smlad a3 += xh.u (row 3 of the previous group)]  [ldr xh | ldr xl]
 *   [sxtb16 u, row0 ror 8 | smlad a0 += xl.t] [sxtb16 t, row1 | smlad a0 += xh.u]
 *   [sxtb16 u, row1 ror 8 | smlad a1 += xl.t] [ldr row2 | ldr row3]
 *   ... rows 2 and 3 likewise ... [ldr next row0 | ldr next row1]
 * Eight groups per iteration; the loop ends when c reaches `end`, reloaded from the frame
 * into t (14 registers are taken): 8 x 11 + 2 + the taken branch = 91 cycles per 8 groups
 * in mcusim's M7 model. The first iteration enters at group 8 - groups % 8 through a TBH
 * table (Duff's device: every group is the same code). fully_connected 640->128 (batch 1)
 * on nucleo-h723zg, tools/bench_kernels.py: 1.12 -> 0.78 cycles/MAC (0.80 with four groups
 * per iteration). Uses a0..a3, w0, w1, c, k, end of mcs_dsp_mat_1col.
 */
#define MCS_DSP_1COL_GROUP_M7(loads)                                                        \
    "sxtb16 %[t], %[rw]\n\t"                                                               \
    "smlad  %[a3], %[xh], %[u], %[a3]\n\t"                                                 \
    "ldr    %[xh], [%[c], #4]\n\t"                                                         \
    "ldr    %[xl], [%[c]], #8\n\t"                                                         \
    "sxtb16 %[u], %[rw], ror #8\n\t"                                                       \
    "smlad  %[a0], %[xl], %[t], %[a0]\n\t"                                                 \
    "sxtb16 %[t], %[rv]\n\t"                                                               \
    "smlad  %[a0], %[xh], %[u], %[a0]\n\t"                                                 \
    "sxtb16 %[u], %[rv], ror #8\n\t"                                                       \
    "smlad  %[a1], %[xl], %[t], %[a1]\n\t"                                                 \
    "ldr    %[rw], [%[w0], %[k2]]\n\t"                                                     \
    "ldr    %[rv], [%[w1], %[k2]]\n\t"                                                     \
    "sxtb16 %[t], %[rw]\n\t"                                                               \
    "smlad  %[a1], %[xh], %[u], %[a1]\n\t"                                                 \
    "sxtb16 %[u], %[rw], ror #8\n\t"                                                       \
    "smlad  %[a2], %[xl], %[t], %[a2]\n\t"                                                 \
    "sxtb16 %[t], %[rv]\n\t"                                                               \
    "smlad  %[a2], %[xh], %[u], %[a2]\n\t"                                                 \
    "sxtb16 %[u], %[rv], ror #8\n\t"                                                       \
    "smlad  %[a3], %[xl], %[t], %[a3]\n\t"                                                 \
    loads

#define MCS_DSP_1COL_NEXT_M7                                                               \
    "ldr    %[rw], [%[w0]], #4\n\t"                                                        \
    "ldr    %[rv], [%[w1]], #4\n\t"

#define MCS_DSP_1COL_LOOP_M7()                                                             \
    do {                                                                                   \
        int32_t t_, u_, rw_, rv_, xl_, xh_;                                                \
        __asm__ volatile(                                                                  \
            MCS_DSP_1COL_NEXT_M7                                                           \
            "ldr    %[t], %[end]\n\t"                                                      \
            "movs   %[u], #0\n\t"                                                          \
            "sub    %[t], %[t], %[c]\n\t"                                                  \
            "ubfx   %[t], %[t], #3, #3\n\t"                                                \
            "tbh    [pc, %[t], lsl #1]\n\t"                                                \
            "0:\n\t"                                                                       \
            ".short (10f - 0b) / 2, (17f - 0b) / 2, (16f - 0b) / 2, (15f - 0b) / 2\n\t"    \
            ".short (14f - 0b) / 2, (13f - 0b) / 2, (12f - 0b) / 2, (11f - 0b) / 2\n\t"    \
            "10:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "11:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "12:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "13:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "14:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "15:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "16:\n\t" MCS_DSP_1COL_GROUP_M7(MCS_DSP_1COL_NEXT_M7)                          \
            "17:\n\t" MCS_DSP_1COL_GROUP_M7("ldr    %[t], %[end]\n\t"                      \
                                            "ldr    %[rw], [%[w0]], #4\n\t"                \
                                            "cmp    %[c], %[t]\n\t"                        \
                                            "ldr    %[rv], [%[w1]], #4\n\t"                \
                                            "bne    10b\n\t")                              \
            "smlad  %[a3], %[xh], %[u], %[a3]\n\t"                                         \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w0] "+r"(w0),   \
              [w1] "+r"(w1), [c] "+r"(c), [t] "=&r"(t_), [u] "=&r"(u_), [rw] "=&r"(rw_),   \
              [rv] "=&r"(rv_), [xl] "=&r"(xl_), [xh] "=&r"(xh_)                            \
            : [k2] "r"(2 * k - 4), [end] "m"(end)                                          \
            : "cc", "memory");                                                             \
    } while (0)
#endif

/*
 * One q15r column times all out_c weight rows, four channels per pass (the column words are
 * loaded once for four rows): fully connected with batch 1, the odd last pixel of a conv.
 */
static inline void mcs_dsp_mat_1col(const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    const int16_t *col, int32_t k, int32_t out_c, int8_t *out,
                                    int32_t output_zp, int32_t act_min, int32_t act_max,
                                    int32_t fast)
{
    const int32_t lo = act_min - output_zp;
    const int32_t hi = act_max - output_zp;
    int32_t o;
    for (o = 0; o + 3 < out_c; o += 4) {
#if defined(__ARM_ARCH_8M_MAIN__)
        /* Cortex-M33 (single issue): the hand-scheduled loop below takes ad_autoencoder int8
         * on nucleo-u545re-q from 2.46 to 2.26 cycles/MAC in the emulator; on Cortex-M7 (dual
         * issue) the compiler-scheduled C loop of the #else branch is faster, so it stays.
         * One pointer per weight row, post-incremented by the loop. */
        const int8_t *w0 = weights + o * k;
        const int8_t *w1 = w0 + k;
        const int8_t *w2 = w1 + k;
        const int8_t *w3 = w2 + k;
        const int16_t *c = col;
        const int16_t *end = col + (k & ~3);
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t a1 = (bias != 0) ? bias[o + 1] : 0;
        int32_t a2 = (bias != 0) ? bias[o + 2] : 0;
        int32_t a3 = (bias != 0) ? bias[o + 3] : 0;
        int32_t i;
        /* Hand-scheduled: GCC 12 spills accumulators or row offsets of this loop to the
         * stack (14 live values); here 13 stay in registers and the end pointer is reloaded
         * inside a load group (SXTB16/SMLAD leave the flags of CMP alone). Eight inputs per
         * iteration, then at most one step of four (the same loop with its end 4 ahead). */
        const int16_t *end8 = col + (k & ~7);
        int32_t xl, xh, t0, t1;
        if (c != end8) {
            __asm__ volatile(
                "1:\n\t"
                "ldr %[xl], [%[c]], #4\n\t"
                "ldr %[xh], [%[c]], #4\n\t"
                "ldr %[t0], [%[w0]], #4\n\t"
                MCS_DSP_1COL_ROWS
                "ldr %[xl], [%[c]], #4\n\t"
                "ldr %[xh], [%[c]], #4\n\t"
                "ldr %[t0], [%[w0]], #4\n\t"
                "ldr %[t1], %[end]\n\t"
                "cmp %[c], %[t1]\n\t"
                MCS_DSP_1COL_ROWS
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                  [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [c] "+r"(c),
                  [xl] "=&r"(xl), [xh] "=&r"(xh), [t0] "=&r"(t0), [t1] "=&r"(t1)
                : [end] "m"(end8)
                : "cc", "memory");
        }
        if (c != end) {
            __asm__ volatile(
                "ldr %[xl], [%[c]], #4\n\t"
                "ldr %[xh], [%[c]], #4\n\t"
                "ldr %[t0], [%[w0]], #4\n\t"
                MCS_DSP_1COL_ROWS
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                  [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [c] "+r"(c),
                  [xl] "=&r"(xl), [xh] "=&r"(xh), [t0] "=&r"(t0), [t1] "=&r"(t1)
                :
                : "memory");
        }
#elif MCS_DSP_ASM_M7
        /* Cortex-M7: the dual-issue schedule MCS_DSP_1COL_LOOP_M7 (above). */
        const int8_t *w0 = weights + o * k;
        const int8_t *w1 = w0 + k;
        const int16_t *c = col;
        const int16_t *end = col + (k & ~3);
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t a1 = (bias != 0) ? bias[o + 1] : 0;
        int32_t a2 = (bias != 0) ? bias[o + 2] : 0;
        int32_t a3 = (bias != 0) ? bias[o + 3] : 0;
        int32_t i;
        const int8_t *w2, *w3;
        if (c != end) {
            MCS_DSP_1COL_LOOP_M7();
        }
        w0 = weights + o * k + (k & ~3);
        w1 = w0 + k;
        w2 = w1 + k;
        w3 = w2 + k;
#else
        const int8_t *w = weights + o * k;
        const int16_t *c = col;
        const int16_t *end = col + (k & ~3);
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t a1 = (bias != 0) ? bias[o + 1] : 0;
        int32_t a2 = (bias != 0) ? bias[o + 2] : 0;
        int32_t a3 = (bias != 0) ? bias[o + 3] : 0;
        int32_t i;
        const int8_t *w0, *w1, *w2, *w3;
        while (c < end) {
            const int32_t xl = mcs_dsp_ld_s16x2(c);
            const int32_t xh = mcs_dsp_ld_s16x2(c + 2);
            int32_t wv = mcs_dsp_ld_s8x4(w);
            a0 = __smlad(xl, __sxtb16(wv), a0);
            a0 = __smlad(xh, mcs_dsp_sxtb16_ror8(wv), a0);
            wv = mcs_dsp_ld_s8x4(w + k);
            a1 = __smlad(xl, __sxtb16(wv), a1);
            a1 = __smlad(xh, mcs_dsp_sxtb16_ror8(wv), a1);
            wv = mcs_dsp_ld_s8x4(w + 2 * k);
            a2 = __smlad(xl, __sxtb16(wv), a2);
            a2 = __smlad(xh, mcs_dsp_sxtb16_ror8(wv), a2);
            wv = mcs_dsp_ld_s8x4(w + 3 * k);
            a3 = __smlad(xl, __sxtb16(wv), a3);
            a3 = __smlad(xh, mcs_dsp_sxtb16_ror8(wv), a3);
            c += 4;
            w += 4;
        }
        w0 = w;
        w1 = w + k;
        w2 = w + 2 * k;
        w3 = w + 3 * k;
#endif
        for (i = k & 3; i > 0; --i) {
            const int32_t x = *c++;
            a0 += x * (int32_t)(*w0++);
            a1 += x * (int32_t)(*w1++);
            a2 += x * (int32_t)(*w2++);
            a3 += x * (int32_t)(*w3++);
        }
        if (fast) {
            out[o] = mcs_dsp_requant_r(a0, multiplier[o], -shift[o], output_zp, act_min,
                                       act_max);
            out[o + 1] = mcs_dsp_requant_r(a1, multiplier[o + 1], -shift[o + 1], output_zp,
                                           act_min, act_max);
            out[o + 2] = mcs_dsp_requant_r(a2, multiplier[o + 2], -shift[o + 2], output_zp,
                                           act_min, act_max);
            out[o + 3] = mcs_dsp_requant_r(a3, multiplier[o + 3], -shift[o + 3], output_zp,
                                           act_min, act_max);
        } else {
            out[o] = mcs_dsp_requant(a0, multiplier[o], shift[o], output_zp, lo, hi);
            out[o + 1] = mcs_dsp_requant(a1, multiplier[o + 1], shift[o + 1], output_zp, lo,
                                         hi);
            out[o + 2] = mcs_dsp_requant(a2, multiplier[o + 2], shift[o + 2], output_zp, lo,
                                         hi);
            out[o + 3] = mcs_dsp_requant(a3, multiplier[o + 3], shift[o + 3], output_zp, lo,
                                         hi);
        }
    }
    for (; o < out_c; ++o) {
        const int32_t b = (bias != 0) ? bias[o] : 0;
        out[o] = mcs_dsp_requant(mcs_dsp_dot_1x1(col, weights + o * k, k, b), multiplier[o],
                                shift[o], output_zp, lo, hi);
    }
}

/* One input pixel row (n int8 values, contiguous) -> q15r column with offset. */
static inline void mcs_dsp_pixel_to_q15r(const int8_t *src, int16_t *dst, int32_t n,
                                         int32_t off)
{
    int32_t i;
    const int32_t n4 = n & ~3;
    mcs_dsp_s8_to_q15r(src, dst, n4, off);
    for (i = n4; i < n; ++i) {
        dst[i] = (int16_t)((int32_t)src[i] + off);
    }
}

int32_t mcs_fully_connected_s8_get_buffer_size(const mcs_fully_connected_s8_params_t *p)
{
    /* two interleaved int16 rows for batch >= 2, one q15r row for batch 1 */
    return (p->batch >= 2 ? MCS_DSP_COLS2_INT16(p->in_features)
                          : MCS_DSP_COL_STRIDE(p->in_features)) * (int32_t)sizeof(int16_t);
}

void mcs_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int16_t *scratch, int8_t *output,
                            const mcs_fully_connected_s8_params_t *p)
{
    const int32_t k = p->in_features;
    const int32_t off = -p->input_zp;
    const int32_t fast = mcs_dsp_shifts_fast(shift, p->out_features);
    int32_t b;

    for (b = 0; b + 1 < p->batch; b += 2) {
        mcs_dsp_vec_to_q15r2(input + b * k, scratch, 0, k, off);
        mcs_dsp_vec_to_q15r2(input + (b + 1) * k, scratch, 1, k, off);
        mcs_dsp_mat_2col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, output + (b + 1) * p->out_features,
                         p->output_zp, p->act_min, p->act_max, fast, 0);
    }
    if (b < p->batch) {
        mcs_dsp_pixel_to_q15r(input + b * k, scratch, k, off);
        mcs_dsp_mat_1col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, p->output_zp, p->act_min, p->act_max,
                         fast);
    }
}
