/* mcs_fully_connected_s8.c - int8 fully connected for Cortex-M DSP: pairs of input rows go to
 * the interleaved int16 buffer (q15r2) and the 2x2 SMLAD kernel; a single row to a q15r column
 * and the 1-row x 4-channel kernel. Bit-exact with kernels_c/reference/mcs_fully_connected_s8.c;
 * see mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

#if defined(__ARM_ARCH_8M_MAIN__) && defined(__OPTIMIZE__)
/* The four rows of one step of mcs_dsp_mat_1col's Cortex-M33 loop (t0 = row 0's word, loaded
 * at least two instructions earlier). t0 and t1 take turns: the next row's word is loaded
 * into the register the current row has just freed, two instructions before its SXTB16, so
 * the M33 never waits for a load (load-to-use 2 cycles, cycle table cortex-m33.toml 2.0). */
#define MCS_DSP_1COL_ROWS                                                                   \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a0], %[xl], %[t1], %[a0]\n\t"                                                 \
    "ldr %[t1], [%[w1]], #4\n\t"                                                           \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a0], %[xh], %[t0], %[a0]\n\t"                                                 \
    "sxtb16 %[t0], %[t1]\n\t"                                                              \
    "smlad %[a1], %[xl], %[t0], %[a1]\n\t"                                                 \
    "ldr %[t0], [%[w2]], #4\n\t"                                                           \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                      \
    "smlad %[a1], %[xh], %[t1], %[a1]\n\t"                                                 \
    "sxtb16 %[t1], %[t0]\n\t"                                                              \
    "smlad %[a2], %[xl], %[t1], %[a2]\n\t"                                                 \
    "ldr %[t1], [%[w3]], #4\n\t"                                                           \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                                                      \
    "smlad %[a2], %[xh], %[t0], %[a2]\n\t"                                                 \
    "sxtb16 %[t0], %[t1]\n\t"                                                              \
    "smlad %[a3], %[xl], %[t0], %[a3]\n\t"                                                 \
    "sxtb16 %[t1], %[t1], ror #8\n\t"                                                      \
    "smlad %[a3], %[xh], %[t1], %[a3]\n\t"
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
 * loaded once for four rows): fully connected with batch 1 (and the odd last row of a batch).
 * `fast` as in mcs_dsp_mat_2col. Every channel is used once, so with fast == 2 the small
 * requantization's per-channel terms are computed in place from multiplier and shift rather
 * than from a table (mcs_dsp_rq_table): building one costs as much as it saves here, and its
 * 12 bytes per channel of scratch are most of a batch-1 network's RAM (ad_autoencoder's
 * 128 -> 640 layer: 7,680 of 7,936 bytes).
 */
static inline void mcs_dsp_mat_1col(const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    const int16_t *col, int32_t k, int32_t out_c, int8_t *out,
                                    int32_t output_zp, int32_t act_min, int32_t act_max,
                                    int32_t fast)
{
    const int32_t lo = act_min - output_zp;
    const int32_t hi = act_max - output_zp;
    const int32_t zr = 2 * output_zp + 1; /* r' = zr << (e - 1), see mcs_dsp_rq_table */
    int32_t o;
    for (o = 0; o + 3 < out_c; o += 4) {
#if defined(__ARM_ARCH_8M_MAIN__) && defined(__OPTIMIZE__)
        /* Cortex-M33 (single issue): the hand-scheduled loop below (at -O0 the C loop: the
         * frame pointer takes one of the 13 registers it needs). One pointer per weight row,
         * post-incremented by the loop. ad_autoencoder int8 on nucleo-u545re-q, emulator:
         * 2.46 -> 2.26 cycles/MAC (first version), 2.10 -> 1.86 with cycle table 2.0 (no
         * load-use stalls, 16 inputs per iteration, table-driven requantization). */
        const int8_t *w0 = weights + o * k;
        const int8_t *w1 = w0 + k;
        const int8_t *w2 = w1 + k;
        const int8_t *w3 = w2 + k;
        const int16_t *c = col;
        int32_t a0 = (bias != 0) ? bias[o] : 0;
        int32_t a1 = (bias != 0) ? bias[o + 1] : 0;
        int32_t a2 = (bias != 0) ? bias[o + 2] : 0;
        int32_t a3 = (bias != 0) ? bias[o + 3] : 0;
        int32_t i;
        /* Hand-scheduled: GCC 12 spills accumulators or row offsets of this loop to the
         * stack (14 live values); here 13 stay in registers and the end pointer is reloaded
         * inside a load group (SXTB16/SMLAD leave the flags of CMP alone). Sixteen inputs per
         * iteration (four steps: the loop's load, compare and branch once per 64 MACs), then
         * at most one step of eight and one of four. */
        const int16_t *end16 = col + (k & ~15);
        int32_t xl, xh, t0, t1;
#define MCS_DSP_1COL_STEP                                                                   \
        "ldr %[t0], [%[w0]], #4\n\t"                                                       \
        "ldr %[xl], [%[c]], #4\n\t"                                                        \
        "ldr %[xh], [%[c]], #4\n\t"                                                        \
        MCS_DSP_1COL_ROWS
#define MCS_DSP_1COL_OPERANDS                                                               \
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),                      \
          [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [c] "+r"(c),         \
          [xl] "=&r"(xl), [xh] "=&r"(xh), [t0] "=&r"(t0), [t1] "=&r"(t1)
        if (c != end16) {
            __asm__ volatile(
                "1:\n\t"
                MCS_DSP_1COL_STEP
                MCS_DSP_1COL_STEP
                MCS_DSP_1COL_STEP
                "ldr %[t1], %[end]\n\t"
                "ldr %[t0], [%[w0]], #4\n\t"
                "ldr %[xl], [%[c]], #4\n\t"
                "ldr %[xh], [%[c]], #4\n\t"
                "cmp %[c], %[t1]\n\t"
                MCS_DSP_1COL_ROWS
                "bne 1b"
                MCS_DSP_1COL_OPERANDS
                : [end] "m"(end16)
                : "cc", "memory");
        }
        if (k & 8) {
            __asm__ volatile(MCS_DSP_1COL_STEP MCS_DSP_1COL_STEP MCS_DSP_1COL_OPERANDS
                             : : "memory");
        }
        if (k & 4) {
            __asm__ volatile(MCS_DSP_1COL_STEP MCS_DSP_1COL_OPERANDS : : "memory");
        }
#undef MCS_DSP_1COL_STEP
#undef MCS_DSP_1COL_OPERANDS
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
#if MCS_DSP_ASM_2X2
        if (fast == 2) {
            /* Cortex-M33/M4: the four requantizations interleaved (mcs_dsp_rq_val's
             * arithmetic), no result read by the next instruction (M33 load / SMMULR /
             * shifted-operand latency 2), then the clamp and the stores in C. Per channel
             * from shift s in [-23, -1] (fast == 2): e = -s (RSB), e - 1 = ~s (MVN), the
             * rounding term with the zero point r' = zr << (e - 1) (LSL by register; at
             * most 255 << 22, and |x + r'| < 2^31 as |x| < 2^30). */
            const int32_t *mp = multiplier + o;
            const int32_t *sp = shift + o;
            int32_t m0, m1, s0, s1;
            __asm__("ldr   %[m0], [%[mp]]\n\t"
                    "ldr   %[m1], [%[mp], #4]\n\t"
                    "lsl   %[a0], %[a0], #1\n\t"
                    "lsl   %[a1], %[a1], #1\n\t"
                    "smmulr %[a0], %[a0], %[m0]\n\t"
                    "smmulr %[a1], %[a1], %[m1]\n\t"
                    "ldr   %[m0], [%[mp], #8]\n\t"
                    "ldr   %[m1], [%[mp], #12]\n\t"
                    "lsl   %[a2], %[a2], #1\n\t"
                    "lsl   %[a3], %[a3], #1\n\t"
                    "smmulr %[a2], %[a2], %[m0]\n\t"
                    "smmulr %[a3], %[a3], %[m1]\n\t"
                    "ldr   %[s0], [%[sp]]\n\t"
                    "ldr   %[s1], [%[sp], #4]\n\t"
                    "mvn   %[m0], %[s0]\n\t"
                    "mvn   %[m1], %[s1]\n\t"
                    "lsl   %[m0], %[zr], %[m0]\n\t"
                    "lsl   %[m1], %[zr], %[m1]\n\t"
                    "add   %[m0], %[m0], %[a0], asr #31\n\t"
                    "add   %[m1], %[m1], %[a1], asr #31\n\t"
                    "rsb   %[s0], %[s0], #0\n\t"
                    "rsb   %[s1], %[s1], #0\n\t"
                    "add   %[a0], %[a0], %[m0]\n\t"
                    "add   %[a1], %[a1], %[m1]\n\t"
                    "asr   %[a0], %[a0], %[s0]\n\t"
                    "asr   %[a1], %[a1], %[s1]\n\t"
                    "ldr   %[s0], [%[sp], #8]\n\t"
                    "ldr   %[s1], [%[sp], #12]\n\t"
                    "ssat  %[a0], #8, %[a0]\n\t"
                    "ssat  %[a1], #8, %[a1]\n\t"
                    "mvn   %[m0], %[s0]\n\t"
                    "mvn   %[m1], %[s1]\n\t"
                    "lsl   %[m0], %[zr], %[m0]\n\t"
                    "lsl   %[m1], %[zr], %[m1]\n\t"
                    "add   %[m0], %[m0], %[a2], asr #31\n\t"
                    "add   %[m1], %[m1], %[a3], asr #31\n\t"
                    "rsb   %[s0], %[s0], #0\n\t"
                    "rsb   %[s1], %[s1], #0\n\t"
                    "add   %[a2], %[a2], %[m0]\n\t"
                    "add   %[a3], %[a3], %[m1]\n\t"
                    "asr   %[a2], %[a2], %[s0]\n\t"
                    "asr   %[a3], %[a3], %[s1]\n\t"
                    "ssat  %[a2], #8, %[a2]\n\t"
                    "ssat  %[a3], #8, %[a3]\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                      [m0] "=&r"(m0), [m1] "=&r"(m1), [s0] "=&r"(s0), [s1] "=&r"(s1)
                    : [mp] "r"(mp), [sp] "r"(sp), [zr] "r"(zr),
                      "m"(*(const int32_t(*)[4])mp), "m"(*(const int32_t(*)[4])sp));
            if (act_min > -128) {
                a0 = (a0 < act_min) ? act_min : a0;
                a1 = (a1 < act_min) ? act_min : a1;
                a2 = (a2 < act_min) ? act_min : a2;
                a3 = (a3 < act_min) ? act_min : a3;
            }
            if (act_max < 127) {
                a0 = (a0 > act_max) ? act_max : a0;
                a1 = (a1 > act_max) ? act_max : a1;
                a2 = (a2 > act_max) ? act_max : a2;
                a3 = (a3 > act_max) ? act_max : a3;
            }
            out[o] = (int8_t)a0;
            out[o + 1] = (int8_t)a1;
            out[o + 2] = (int8_t)a2;
            out[o + 3] = (int8_t)a3;
        } else
#endif
        if (fast == 2) {
            /* every parameter is read before the first store: an int8 store may alias them */
            const int32_t m0 = multiplier[o], m1 = multiplier[o + 1];
            const int32_t m2 = multiplier[o + 2], m3 = multiplier[o + 3];
            const int32_t e0 = -shift[o], e1 = -shift[o + 1];
            const int32_t e2 = -shift[o + 2], e3 = -shift[o + 3];
            out[o] = mcs_dsp_rq_val(a0, m0, e0, (int32_t)((uint32_t)zr << (e0 - 1)), act_min,
                                    act_max);
            out[o + 1] = mcs_dsp_rq_val(a1, m1, e1, (int32_t)((uint32_t)zr << (e1 - 1)),
                                        act_min, act_max);
            out[o + 2] = mcs_dsp_rq_val(a2, m2, e2, (int32_t)((uint32_t)zr << (e2 - 1)),
                                        act_min, act_max);
            out[o + 3] = mcs_dsp_rq_val(a3, m3, e3, (int32_t)((uint32_t)zr << (e3 - 1)),
                                        act_min, act_max);
        } else if (fast) {
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

static inline int32_t mcs_fc_rows_bytes(const mcs_fully_connected_s8_params_t *p)
{
    return (p->batch >= 2 ? MCS_DSP_COLS2_INT16(p->in_features)
                          : MCS_DSP_COL_STRIDE(p->in_features)) * (int32_t)sizeof(int16_t);
}

/* The requantization table, for pairs of rows only (mcs_dsp_mat_1col needs none). */
static inline int32_t mcs_fc_table_bytes(const mcs_fully_connected_s8_params_t *p)
{
    return (p->batch >= 2) ? MCS_DSP_RQ_TABLE_BYTES(p->out_features) : 0;
}

int32_t mcs_fully_connected_s8_get_buffer_size(const mcs_fully_connected_s8_params_t *p)
{
    /* two interleaved int16 rows for batch >= 2, one q15r row for batch 1 (both a multiple
     * of 4 bytes), then for batch >= 2 the requantization table */
    return mcs_fc_rows_bytes(p) + mcs_fc_table_bytes(p);
}

void mcs_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int16_t *scratch, int8_t *output,
                            const mcs_fully_connected_s8_params_t *p)
{
    const int32_t k = p->in_features;
    const int32_t off = -p->input_zp;
    int32_t *rq = (int32_t *)(void *)((int8_t *)scratch + mcs_fc_rows_bytes(p));
    const int32_t fast = mcs_dsp_rq_level(shift, bias, p->out_features, k);
    int32_t b;

    if (mcs_fc_table_bytes(p) == 0 ||
        !mcs_dsp_rq_table(rq, multiplier, shift, bias, p->out_features, k, p->output_zp)) {
        rq = 0;
    }
    for (b = 0; b + 1 < p->batch; b += 2) {
        mcs_dsp_vec_to_q15r2(input + b * k, scratch, 0, k, off);
        mcs_dsp_vec_to_q15r2(input + (b + 1) * k, scratch, 1, k, off);
        mcs_dsp_mat_2col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, output + (b + 1) * p->out_features,
                         p->output_zp, p->act_min, p->act_max, fast, rq);
    }
    if (b < p->batch) {
        mcs_dsp_pixel_to_q15r(input + b * k, scratch, k, off);
        mcs_dsp_mat_1col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, p->output_zp, p->act_min, p->act_max,
                         fast);
    }
}
