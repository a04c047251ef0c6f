/* mcs_quantize_s8.c - QuantizeLinear float32 -> int8 (optionally moving the channel axis last)
 * for Cortex-M cores with a single-precision FPU, with one division per call instead of one
 * per value, bit-exact with kernels_c/reference/mcs_quantize_s8.c (see mcs_kernels_s8.h).
 *
 * The reference computes L = saturate(rint(y) + zp) with y = fl(x / s), the float32 quotient.
 * Here, per value (m16 = fl(1 / s) * 2^16, computed once; fl = float32 rounding):
 *   v = VCVT(fl(x * m16))          truncation toward zero, saturating to int32
 *   V = QADD(v, B)                 B = zp * 2^16 + 2^15 + 8 (zero point, the 1/2 of the
 *                                  rounding, and 8 units of margin), saturating
 *   out = SSAT(V >> 16, 8)         = floor(V / 2^16) saturated to int8
 * unless V mod 2^16 < 16 (TST V, #0xFFF0 gives Z), where the value is recomputed exactly.
 * Why that is exact: let q = x / s (real). fl(1/s) and the product each round by at most
 * 2^-24 relative, and y = fl(q) too, so |fl(x * m16) - y * 2^16| <= |q| * 3 * 2^-8 + tiny;
 * truncation adds less than 1 unit. For |q| <= 512 that is V = z * 2^16 + 8 + err with
 * z = y + zp + 1/2 and |err| < 7.01. If V mod 2^16 >= 16, then z * 2^16 lies strictly
 * between floor(V / 2^16) * 2^16 and the next multiple, so floor(V / 2^16) = floor(z), and z
 * is no integer: y is no tie, and floor(y + 1/2) = rint(y), i.e. out = L. A tie or a value
 * within 7 units of a rounding boundary always lands in the flagged window [0, 16). For
 * |q| > 512 both the reference and V saturate, to the same side (|zp| <= 128). m16 and B
 * follow from the parameters alone; the window catches about 1 value in 4096 of random data.
 * tests/unit/test_quantize_fast.py checks the argument (a numpy model of these integers,
 * hypothesis over floats incl. ties and saturation); the emulator tests check this file.
 *
 * Cost (emulator, typical data, outputs 1 or 3 bytes apart): 8.95 cycles per value on the
 * Cortex-M33 (the loop: 140 cycles per 16 values by the cycle table, VLDM of 16 then per
 * value VMUL, VCVT, VMOV, QADD, SSAT, STRB and 1.25 for the checks; the rest is the blocks
 * recomputed exactly and the call), 7.4 on the M7 (4.6 with
 * its own loop below, strides 1 and 3), 9.0 on the M4, against 40, 34 and
 * 83 for the reference (VDIV alone is 14 cycles; FPv4 has no VRINT, rintf is a call). GCC's
 * code for the same steps in C took 16.5 on the M33 (VLDR per value, spills, taken branches):
 * hence the assembly.
 */
#include <math.h>

#include "mcs_dsp_s8.h"

/* The definition (kernels_c/reference/mcs_quantize_s8.c), for flagged values and tails. */
static int8_t quantize_exact(float x, float scale, int32_t zero_point)
{
    const float r = rintf(x / scale);
    int32_t v;
    if (r >= 255.0f) {
        v = 255;
    } else if (r <= -256.0f) {
        v = -256;
    } else {
        v = (int32_t)r;
    }
    v += zero_point;
    v = (v < -128) ? -128 : ((v > 127) ? 127 : v);
    return (int8_t)v;
}

static void quantize_run_exact(const float *in, int8_t *out, int32_t n, int32_t stride,
                               float scale, int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        out[i * stride] = quantize_exact(in[i], scale, zero_point);
    }
}

/* The assembly needs a single-precision FPU and an optimized build (at -O0 GCC keeps r7 as the
 * frame pointer and the 13 registers of these loops do not exist): else the exact path. */
#if defined(__ARM_FP) && (__ARM_FP & 4) && defined(__OPTIMIZE__)

/*
 * Four values in FPU registers A..D -> V in v0..v3 (VMUL, VCVT, VMOV, QADD), the window test,
 * SSAT. In Thumb-2 an instruction inside an IT block sees the flags of the one before it, so
 * "TST; ITTT NE; TSTNE x3" leaves Z set when any of the four is flagged: one BEQ (to EXIT, out
 * of the loop) per four values; the IT folds into the 16-bit TST (0 cycles in the M4/M33
 * tables).
 */
#define QUANT_GROUP(A, B, C, D, EXIT)                                                       \
    "vmul.f32 " A ", " A ", %[m]\n\t"                                                       \
    "vmul.f32 " B ", " B ", %[m]\n\t"                                                       \
    "vmul.f32 " C ", " C ", %[m]\n\t"                                                       \
    "vmul.f32 " D ", " D ", %[m]\n\t"                                                       \
    "vcvt.s32.f32 " A ", " A "\n\t"                                                         \
    "vcvt.s32.f32 " B ", " B "\n\t"                                                         \
    "vcvt.s32.f32 " C ", " C "\n\t"                                                         \
    "vcvt.s32.f32 " D ", " D "\n\t"                                                         \
    "vmov %[v0], %[v1], " A ", " B "\n\t"                                                   \
    "vmov %[v2], %[v3], " C ", " D "\n\t"                                                   \
    "qadd %[v0], %[v0], %[b]\n\t"                                                           \
    "qadd %[v1], %[v1], %[b]\n\t"                                                           \
    "qadd %[v2], %[v2], %[b]\n\t"                                                           \
    "qadd %[v3], %[v3], %[b]\n\t"                                                           \
    "tst %[v0], %[k]\n\t"                                                                   \
    "ittt ne\n\t"                                                                           \
    "tstne %[v1], %[k]\n\t"                                                                 \
    "tstne %[v2], %[k]\n\t"                                                                 \
    "tstne %[v3], %[k]\n\t"                                                                 \
    "beq " EXIT "\n\t"                                                                      \
    "ssat %[v0], #8, %[v0], asr #16\n\t"                                                    \
    "ssat %[v1], #8, %[v1], asr #16\n\t"                                                    \
    "ssat %[v2], #8, %[v2], asr #16\n\t"                                                    \
    "ssat %[v3], #8, %[v3], asr #16\n\t"

/* Stores of a group at out, out + s, out + 2s, out + 3s, then out += 4s: a register stride,
 * or an immediate one (post-indexed first store, negative offsets: no ADD). */
#define QUANT_STORE_REG                                                                     \
    "strb %[v0], [%[out]]\n\t"                                                              \
    "strb %[v1], [%[out], %[s1]]\n\t"                                                       \
    "strb %[v2], [%[out], %[s2]]\n\t"                                                       \
    "strb %[v3], [%[out], %[s3]]\n\t"                                                       \
    "add %[out], %[out], %[s1], lsl #2\n\t"
#define QUANT_STORE_IMM(S)                                                                  \
    "strb %[v0], [%[out]], #(4*" #S ")\n\t"                                                 \
    "strb %[v1], [%[out], #-(3*" #S ")]\n\t"                                                \
    "strb %[v2], [%[out], #-(2*" #S ")]\n\t"                                                \
    "strb %[v3], [%[out], #-" #S "]\n\t"

/* Output stride S (1: plain, 3: an RGB input) as immediates: sixteen values per iteration.
 * A flagged group leaves the loop with in and out at the start of its block of sixteen
 * (the exit chain undoes the groups already stored), which C redoes exactly. Returns the
 * number of values done (a multiple of 16). */
#define QUANT_RUN_IMM(S)                                                                    \
    static int32_t quantize_run_s##S(const float *in, int8_t *out, int32_t n, float scale,  \
                                     int32_t zero_point, float m16)                         \
    {                                                                                       \
        const float *const start = in;                                                      \
        const float *const end = in + (n & ~15);                                            \
        const int32_t bias = zero_point * 65536 + 32768 + 8;                                \
        const int32_t mask = 0xFFF0;                                                        \
        while (in != end) {                                                                 \
            int32_t v0, v1, v2, v3;                                                         \
            __asm__ volatile(                                                               \
                "1:\n\t"                                                                    \
                "vldmia %[in]!, {s0-s15}\n\t"                                               \
                QUANT_GROUP("s0", "s1", "s2", "s3", "5f")                                   \
                QUANT_STORE_IMM(S)                                                          \
                QUANT_GROUP("s4", "s5", "s6", "s7", "4f")                                   \
                QUANT_STORE_IMM(S)                                                          \
                QUANT_GROUP("s8", "s9", "s10", "s11", "3f")                                 \
                QUANT_STORE_IMM(S)                                                          \
                QUANT_GROUP("s12", "s13", "s14", "s15", "2f")                               \
                QUANT_STORE_IMM(S)                                                          \
                "cmp %[in], %[end]\n\t"                                                     \
                "bne 1b\n\t"                                                                \
                "b 6f\n"                                                                    \
                "2:\n\t"                                                                    \
                "sub %[out], %[out], #(4*" #S ")\n"                                         \
                "3:\n\t"                                                                    \
                "sub %[out], %[out], #(4*" #S ")\n"                                         \
                "4:\n\t"                                                                    \
                "sub %[out], %[out], #(4*" #S ")\n"                                         \
                "5:\n\t"                                                                    \
                "sub %[in], %[in], #64\n"                                                   \
                "6:"                                                                        \
                : [in] "+r"(in), [out] "+r"(out), [v0] "=&r"(v0), [v1] "=&r"(v1),           \
                  [v2] "=&r"(v2), [v3] "=&r"(v3)                                            \
                : [end] "r"(end), [m] "t"(m16), [b] "r"(bias), [k] "r"(mask)                \
                : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", \
                  "s12", "s13", "s14", "s15", "cc", "memory");                              \
            if (in != end) {                                                                \
                quantize_run_exact(in, out, 16, S, scale, zero_point);                           \
                in += 16;                                                                   \
                out += 16 * (S);                                                            \
            }                                                                               \
        }                                                                                   \
        return (int32_t)(end - start);                                                      \
    }

QUANT_RUN_IMM(1)
QUANT_RUN_IMM(3)

/* Any output stride (in a register): eight values per iteration, as above. */
static int32_t quantize_run_sn(const float *in, int8_t *out, int32_t n, int32_t stride,
                               float scale, int32_t zero_point, float m16)
{
    const float *const start = in;
    const float *const end = in + (n & ~7);
    const int32_t bias = zero_point * 65536 + 32768 + 8;
    const int32_t mask = 0xFFF0;
    const int32_t s2 = 2 * stride;
    const int32_t s3 = 3 * stride;
    while (in != end) {
        int32_t v0, v1, v2, v3;
        __asm__ volatile(
            "1:\n\t"
            "vldmia %[in]!, {s0-s7}\n\t"
            QUANT_GROUP("s0", "s1", "s2", "s3", "3f")
            QUANT_STORE_REG
            QUANT_GROUP("s4", "s5", "s6", "s7", "2f")
            QUANT_STORE_REG
            "cmp %[in], %[end]\n\t"
            "bne 1b\n\t"
            "b 4f\n"
            "2:\n\t"
            "sub %[out], %[out], %[s1], lsl #2\n"
            "3:\n\t"
            "sub %[in], %[in], #32\n"
            "4:"
            : [in] "+r"(in), [out] "+r"(out), [v0] "=&r"(v0), [v1] "=&r"(v1),
              [v2] "=&r"(v2), [v3] "=&r"(v3)
            : [end] "r"(end), [m] "t"(m16), [b] "r"(bias), [k] "r"(mask), [s1] "r"(stride),
              [s2] "r"(s2), [s3] "r"(s3)
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "cc", "memory");
        if (in != end) {
            quantize_run_exact(in, out, 8, stride, scale, zero_point);
            in += 8;
            out += 8 * stride;
        }
    }
    return (int32_t)(end - start);
}

#if MCS_DSP_ASM_M7
/*
 * The dual-issue Cortex-M7 (mcusim's M7 model: two instructions per cycle when they use
 * different units, one FPU instruction per cycle, QADD/SSAT only first of a pair). The loop
 * above is FPU-bound there (VLDM of 16 single-issue, VMUL, VCVT, VMOV r, r, s, s) with the
 * integer work after it: 7.4 cycles per value. Here the same arithmetic is software-pipelined
 * over groups of four: each block of a group (one basic block, ending in its BEQ) holds the
 * previous group's SSAT and STRB, its own VMOV (one register each: 1 cycle, pairable), QADD
 * and window test, and the next group's VLDR, VMUL and VCVT (the FPU has no side effects, so
 * a flagged group leaves with nothing of it stored). Two register sets (P, Q) alternate
 * between the groups, sixteen values per iteration; the next iteration's first group is
 * loaded by the last block, so the loop stops one block of sixteen before the end and the
 * loop above does that one (no load past the input). The exit of a flagged group leaves in
 * and out at that group (everything before it stored); C then does the rest of its block
 * exactly. Cost by mcusim's M7 table: 17 cycles per block of four (the 12 FPU instructions,
 * the integer ones paired with them), 71 per sixteen with the loop's branch; VWW's input
 * (96x96x3, stride 3) 206,924 -> 127,225 cycles, 4.6 per value with the calls and each plane's
 * last sixteen. The other cores keep the loop above (scheduled for single issue).
 */
#define QM7_BLOCK(P0, P1, P2, P3, V0, V1, V2, V3, X0, X1, X2, X3, Y0, Y1, Y2, Y3, YOFS, S,       \
                  STORE, EXIT)                                                              \
    STORE("ssat %[" P0 "], #8, %[" P0 "], asr #16\n\t")                                     \
    "vmov %[" V0 "], " X0 "\n\t"                                                            \
    STORE("ssat %[" P1 "], #8, %[" P1 "], asr #16\n\t")                                     \
    "vmov %[" V1 "], " X1 "\n\t"                                                            \
    "qadd %[" V0 "], %[" V0 "], %[b]\n\t"                                                   \
    "vmov %[" V2 "], " X2 "\n\t"                                                            \
    "qadd %[" V1 "], %[" V1 "], %[b]\n\t"                                                   \
    "vmov %[" V3 "], " X3 "\n\t"                                                            \
    "qadd %[" V2 "], %[" V2 "], %[b]\n\t"                                                   \
    "vldr " Y0 ", [%[in], #(" YOFS ")]\n\t"                                                 \
    "qadd %[" V3 "], %[" V3 "], %[b]\n\t"                                                   \
    "vldr " Y1 ", [%[in], #(" YOFS " + 4)]\n\t"                                             \
    STORE("ssat %[" P2 "], #8, %[" P2 "], asr #16\n\t")                                     \
    "vldr " Y2 ", [%[in], #(" YOFS " + 8)]\n\t"                                             \
    STORE("ssat %[" P3 "], #8, %[" P3 "], asr #16\n\t")                                     \
    "vldr " Y3 ", [%[in], #(" YOFS " + 12)]\n\t"                                            \
    "vmul.f32 " Y0 ", " Y0 ", %[m]\n\t"                                                     \
    STORE("strb %[" P0 "], [%[out]], #(4*" #S ")\n\t")                                      \
    "vmul.f32 " Y1 ", " Y1 ", %[m]\n\t"                                                     \
    STORE("strb %[" P1 "], [%[out], #-(3*" #S ")]\n\t")                                     \
    "vcvt.s32.f32 " Y0 ", " Y0 "\n\t"                                                       \
    STORE("strb %[" P2 "], [%[out], #-(2*" #S ")]\n\t")                                     \
    "vmul.f32 " Y2 ", " Y2 ", %[m]\n\t"                                                     \
    STORE("strb %[" P3 "], [%[out], #-" #S "]\n\t")                                         \
    "vcvt.s32.f32 " Y1 ", " Y1 "\n\t"                                                       \
    "tst %[" V0 "], %[k]\n\t"                                                               \
    "ittt ne\n\t"                                                                           \
    "tstne %[" V1 "], %[k]\n\t"                                                             \
    "tstne %[" V2 "], %[k]\n\t"                                                             \
    "tstne %[" V3 "], %[k]\n\t"                                                             \
    "vmul.f32 " Y3 ", " Y3 ", %[m]\n\t"                                                     \
    "vcvt.s32.f32 " Y2 ", " Y2 "\n\t"                                                       \
    "vcvt.s32.f32 " Y3 ", " Y3 "\n\t"                                                       \
    "beq " EXIT "\n\t"
#define QM7_ON(x) x
#define QM7_OFF(x)

/* Output stride S (1, 3) as immediates. Needs at least 32 values (the last block of sixteen
 * is the caller's). Returns the values done: a multiple of 4, the start of a flagged group,
 * or the end of the loop (n rounded down to 16, minus 16). */
#define QUANT_RUN_M7(S)                                                                     \
    static int32_t quantize_m7_s##S(const float *in, int8_t *out, int32_t n, float m16,     \
                                    int32_t zero_point)                                     \
    {                                                                                       \
        const float *const start = in;                                                      \
        const float *const endm = in + (n & ~15) - 16;                                      \
        const int32_t bias = zero_point * 65536 + 32768 + 8;                                \
        const int32_t mask = 0xFFF0;                                                        \
        int32_t p0, p1, p2, p3, q0, q1, q2, q3;                                             \
        __asm__ volatile(                                                                   \
            "vldr s0, [%[in]]\n\t"                                                          \
            "vldr s1, [%[in], #4]\n\t"                                                      \
            "vmul.f32 s0, s0, %[m]\n\t"                                                     \
            "vldr s2, [%[in], #8]\n\t"                                                      \
            "vmul.f32 s1, s1, %[m]\n\t"                                                     \
            "vldr s3, [%[in], #12]\n\t"                                                     \
            "vmul.f32 s2, s2, %[m]\n\t"                                                     \
            "vcvt.s32.f32 s0, s0\n\t"                                                       \
            "vmul.f32 s3, s3, %[m]\n\t"                                                     \
            "vcvt.s32.f32 s1, s1\n\t"                                                       \
            "vcvt.s32.f32 s2, s2\n\t"                                                       \
            "vcvt.s32.f32 s3, s3\n\t"                                                       \
            QM7_BLOCK("q0", "q1", "q2", "q3", "p0", "p1", "p2", "p3", "s0", "s1", "s2",     \
                      "s3", "s4", "s5", "s6", "s7", "16", S, QM7_OFF, "9f")                 \
            "b 2f\n"                                                                        \
            "1:\n\t"                                                                        \
            QM7_BLOCK("q0", "q1", "q2", "q3", "p0", "p1", "p2", "p3", "s0", "s1", "s2",     \
                      "s3", "s4", "s5", "s6", "s7", "16", S, QM7_ON, "9f")                  \
            "2:\n\t"                                                                        \
            QM7_BLOCK("p0", "p1", "p2", "p3", "q0", "q1", "q2", "q3", "s4", "s5", "s6",     \
                      "s7", "s8", "s9", "s10", "s11", "32", S, QM7_ON, "8f")                \
            QM7_BLOCK("q0", "q1", "q2", "q3", "p0", "p1", "p2", "p3", "s8", "s9", "s10",    \
                      "s11", "s12", "s13", "s14", "s15", "48", S, QM7_ON, "7f")             \
            QM7_BLOCK("p0", "p1", "p2", "p3", "q0", "q1", "q2", "q3", "s12", "s13", "s14",  \
                      "s15", "s0", "s1", "s2", "s3", "64", S, QM7_ON, "6f")                 \
            "add %[in], %[in], #64\n\t"                                                     \
            "cmp %[in], %[end]\n\t"                                                         \
            "bne 1b\n\t"                                                                    \
            "ssat %[q0], #8, %[q0], asr #16\n\t"                                            \
            "ssat %[q1], #8, %[q1], asr #16\n\t"                                            \
            "ssat %[q2], #8, %[q2], asr #16\n\t"                                            \
            "ssat %[q3], #8, %[q3], asr #16\n\t"                                            \
            "strb %[q0], [%[out]], #(4*" #S ")\n\t"                                         \
            "strb %[q1], [%[out], #-(3*" #S ")]\n\t"                                        \
            "strb %[q2], [%[out], #-(2*" #S ")]\n\t"                                        \
            "strb %[q3], [%[out], #-" #S "]\n\t"                                            \
            "b 9f\n"                                                                        \
            "6:\n\t"                                                                        \
            "add %[in], %[in], #16\n"                                                       \
            "7:\n\t"                                                                        \
            "add %[in], %[in], #16\n"                                                       \
            "8:\n\t"                                                                        \
            "add %[in], %[in], #16\n"                                                       \
            "9:"                                                                            \
            : [in] "+r"(in), [out] "+r"(out), [p0] "=&r"(p0), [p1] "=&r"(p1),               \
              [p2] "=&r"(p2), [p3] "=&r"(p3), [q0] "=&r"(q0), [q1] "=&r"(q1),               \
              [q2] "=&r"(q2), [q3] "=&r"(q3)                                                \
            : [end] "r"(endm), [m] "t"(m16), [b] "r"(bias), [k] "r"(mask)                   \
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",     \
              "s12", "s13", "s14", "s15", "cc", "memory");                                  \
        (void)p0; (void)p1; (void)p2; (void)p3; (void)q0; (void)q1; (void)q2; (void)q3;     \
        return (int32_t)(in - start);                                                       \
    }

QUANT_RUN_M7(1)
QUANT_RUN_M7(3)

/* The M7 loop over the first blocks of sixteen (each flagged group's block finished
 * exactly), leaving the last block of sixteen and the tail to the caller. */
static int32_t quantize_run_m7(const float *in, int8_t *out, int32_t n, int32_t stride,
                               float scale, int32_t zero_point, float m16)
{
    int32_t done = 0;
    while (n - done >= 32) {
        const int32_t got = (stride == 1)
                                ? quantize_m7_s1(in + done, out + done, n - done, m16, zero_point)
                                : quantize_m7_s3(in + done, out + 3 * done, n - done, m16,
                                                 zero_point);
        const int32_t rest = 16 - (got & 15); /* of the flagged group's block */
        done += got;
        if (n - done < 32 && (got & 15) == 0) {
            break; /* the loop's end */
        }
        quantize_run_exact(in + done, out + done * stride, rest, stride, scale, zero_point);
        done += rest;
    }
    return done;
}
#endif

/* n values from in, outputs at out[i * stride]: the assembly loops, then the tail exactly. */
static void quantize_run(const float *in, int8_t *out, int32_t n, int32_t stride, float scale,
                         int32_t zero_point, float m16)
{
    int32_t done;
#if MCS_DSP_ASM_M7
    if (stride == 1 || stride == 3) {
        const int32_t head = quantize_run_m7(in, out, n, stride, scale, zero_point, m16);
        in += head;
        out += head * stride;
        n -= head;
    }
#endif
    if (stride == 1) {
        done = quantize_run_s1(in, out, n, scale, zero_point, m16);
    } else if (stride == 3) {
        done = quantize_run_s3(in, out, n, scale, zero_point, m16);
    } else {
        done = quantize_run_sn(in, out, n, stride, scale, zero_point, m16);
    }
    quantize_run_exact(in + done, out + done * stride, n - done, stride, scale, zero_point);
}

/* m16 = fl(1 / scale) * 2^16 when the argument above holds (normal, finite 1 / scale and
 * m16), else 0: every value then takes the exact path. */
static float quantize_m16(float scale)
{
    const float m = 1.0f / scale;
    return (m >= 0x1p-100f && m <= 0x1p100f) ? m * 65536.0f : 0.0f;
}

#else /* no single-precision FPU, or -O0: only the exact path */

static void quantize_run(const float *in, int8_t *out, int32_t n, int32_t stride, float scale,
                         int32_t zero_point, float m16)
{
    (void)m16;
    quantize_run_exact(in, out, n, stride, scale, zero_point);
}

static float quantize_m16(float scale)
{
    (void)scale;
    return 0.0f;
}

#endif

void mcs_quantize_s8(const float *input, int8_t *output, const mcs_quantize_s8_params_t *p)
{
    const int32_t channels = p->channels;
    const int32_t inner = p->inner;
    const int32_t plane = channels * inner;
    const float scale = p->scale;
    const int32_t zp = p->zero_point;
    const float m16 = quantize_m16(scale);
    int32_t o, c;
    for (o = 0; o < p->outer; ++o) {
        const float *in = input + o * plane;
        int8_t *out = output + o * plane;
        /* one channel plane at a time: contiguous loads, stores every `channels` bytes */
        for (c = 0; c < channels; ++c) {
            const float *src = in + c * inner;
            int8_t *dst = out + c;
            if (m16 != 0.0f) {
                quantize_run(src, dst, inner, channels, scale, zp, m16);
            } else {
                quantize_run_exact(src, dst, inner, channels, scale, zp);
            }
        }
    }
}
