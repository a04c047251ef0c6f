/*
 * selftest.c - the self-test "model": three layers with results known exactly on the host
 * (mcusim/selftest.py computes the same values independently in Python/numpy).
 *
 *   layer 0 "integer": xorshift32, table-driven CRC-32, 32-bit multiply-accumulate and
 *                      unsigned division (UDIV)                  -> int_result  int32[8]
 *   layer 1 "dsp":     SMLAD on int16 pairs and on SXTB16-extended int8 pairs (the CMSIS-NN
 *                      int8 MAC pattern), SSAT                    -> dsp_result  int32[4]
 *   layer 2 "float":   single-precision fused multiply-add, division, square root,
 *                      multiply-subtract                          -> float_result float32[8]
 *
 * Input "seed" int32[4] (zeros unless test inputs are embedded) perturbs every workload.
 * Floating point: every operation is an IEEE single-precision operation in program order;
 * contraction of a*b+c into FMA is turned off so only the explicit __builtin_fmaf is fused.
 */
#pragma GCC optimize("fp-contract=off")

#include <arm_acle.h>
#include <stdint.h>

#include "mcs_model.h"

#if !defined(__ARM_FEATURE_DSP)
#error "the self-test needs a core with the DSP extension (Cortex-M4, M7, M33 with DSP)"
#endif

#define N_INT 2000u
#define N_DSP 2000u
#define N_FLOAT 500u

static uint32_t crc_table[256] __attribute__((section(".mcs_arena")));

static const mcs_tensor_info_t inputs[] = {
    {"seed", MCS_DTYPE_S32, 1, {4}, 16, 0.0f, 0},
};
static const mcs_tensor_info_t outputs[] = {
    {"int_result", MCS_DTYPE_S32, 1, {8}, 32, 0.0f, 0},
    {"dsp_result", MCS_DTYPE_S32, 1, {4}, 16, 0.0f, 0},
    {"float_result", MCS_DTYPE_F32, 1, {8}, 32, 0.0f, 0},
};
static const char *const layer_names[] = {"integer", "dsp", "float"};

static const mcs_model_info_t info = {
    .name = "selftest",
    .hash = "selftest-v1",
    .n_inputs = 1,
    .n_outputs = 3,
    .n_layers = 3,
    .inputs = inputs,
    .outputs = outputs,
    .layer_names = layer_names,
    .arena_bytes = sizeof(crc_table),
};

const mcs_model_info_t *mcs_model_info(void) { return &info; }

int mcs_model_init(void)
{
    for (uint32_t i = 0; i < 256u; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ ((c & 1u) ? 0xEDB88320u : 0u);
        }
        crc_table[i] = c;
    }
    return crc_table[255] == 0x2D02EF8Du ? MCS_OK : MCS_ERR_INIT;
}

static inline uint32_t xorshift32(uint32_t s)
{
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

static void integer_layer(const int32_t *seed, int32_t *out)
{
    uint32_t s = 0x12345678u ^ (uint32_t)seed[0];
    if (s == 0u) {
        s = 1u;
    }
    uint32_t crc = 0xFFFFFFFFu, mac = 0u, qsum = 0u, hi = 0u;
    for (uint32_t i = 0; i < N_INT; i++) {
        s = xorshift32(s);
        for (int b = 0; b < 4; b++) {
            crc = (crc >> 8) ^ crc_table[(crc ^ (s >> (8 * b))) & 0xFFu];
        }
        mac += (s & 0xFFFFu) * ((s >> 16) | 1u);
        qsum += s / ((i & 0xFFu) + 1u);
        hi += (uint32_t)(((uint64_t)s * 0x9E3779B9u) >> 32);   /* UMULL */
    }
    out[0] = (int32_t)s;
    out[1] = (int32_t)(crc ^ 0xFFFFFFFFu);
    out[2] = (int32_t)mac;
    out[3] = (int32_t)qsum;
    out[4] = (int32_t)hi;
    out[5] = (int32_t)(mac ^ qsum) >> 3;            /* arithmetic shift */
    out[6] = (int32_t)(s % 1000003u);
    out[7] = (int32_t)(N_INT + (uint32_t)seed[2]);
}

static void dsp_layer(const int32_t *seed, int32_t *out)
{
    uint32_t s = 0xCAFEBABEu ^ (uint32_t)seed[1];
    if (s == 0u) {
        s = 1u;
    }
    int32_t acc16 = 0, acc8 = 0;
    for (uint32_t i = 0; i < N_DSP; i++) {
        s = xorshift32(s);
        uint32_t a = s;
        s = xorshift32(s);
        uint32_t b = s;
        acc16 = __smlad(a, b, acc16);                        /* int16 x int16 pairs */
        uint32_t a_even = __sxtb16(a), a_odd = __sxtb16(a >> 8);
        uint32_t b_even = __sxtb16(b), b_odd = __sxtb16(b >> 8);
        acc8 = __smlad(a_even, b_even, acc8);                /* int8 pairs, CMSIS-NN style */
        acc8 = __smlad(a_odd, b_odd, acc8);
    }
    out[0] = acc16;
    out[1] = acc8;
    out[2] = __ssat(acc8 >> 4, 16);
    out[3] = (int32_t)s;
}

static void float_layer(const int32_t *seed, float *out)
{
    float a = 1.0f + (float)(seed[3] & 0xFF) * 0.5f;
    float b = 2.0f;
    float c = 3.0f;
    float d = 0.0f;
    float e = 0.0f;
    for (uint32_t i = 0; i < N_FLOAT; i++) {
        a = __builtin_fmaf(a, 0.999f, 0.25f);
        b = b / 1.0001f + 0.5f;
        c = __builtin_sqrtf(c + 2.0f);
        d = a * b - c;
        e = __builtin_fmaf(d, 0.001f, e);
    }
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
    out[4] = e;
    out[5] = a / c;
    out[6] = __builtin_sqrtf(b * b + d * d);
    out[7] = (float)(int32_t)(e * 1000.0f);
}

int mcs_model_run(const void *const in[], void *const out[])
{
    const int32_t *seed = (const int32_t *)in[0];
    mcs_layer_begin(0);
    integer_layer(seed, (int32_t *)out[0]);
    mcs_layer_end(0);
    mcs_layer_begin(1);
    dsp_layer(seed, (int32_t *)out[1]);
    mcs_layer_end(1);
    mcs_layer_begin(2);
    float_layer(seed, (float *)out[2]);
    mcs_layer_end(2);
    return MCS_OK;
}
