/* mcs_layer_norm_s8.c - int8 LayerNormalization over the last axis, integer only (int32 row
 * statistics, int64 normalisation, integer square root). See mcs_kernels_s8.h and
 * docs/int8-sequence.md. */
#include "mcs_kernels_s8.h"

/* floor(sqrt(v)) of a 64-bit value, bit by bit. */
static uint64_t mcs_isqrt_u64(uint64_t v)
{
    uint64_t res = 0;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > v) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (v >= res + bit) {
            v -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    return res;
}

/* a / b rounded half away from zero, b > 0. */
static int64_t mcs_round_div_s64(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

void mcs_layer_norm_s8(const int8_t *input, const int32_t *gamma_q, const int32_t *beta_q,
                       int8_t *output, int32_t outer, int32_t n, int32_t input_zp,
                       int32_t output_zp, int32_t eps_term, int32_t shift)
{
    int32_t o, j;
    const int64_t half = (int64_t)1 << (shift - 1);
    for (o = 0; o < outer; ++o) {
        const int8_t *x = input + o * n;
        int8_t *y = output + o * n;
        int32_t sum = 0;
        int64_t sumsq = 0;
        int64_t den;
        for (j = 0; j < n; ++j) {
            const int32_t d = (int32_t)x[j] - input_zp;
            sum += d;
            sumsq += (int64_t)(d * d);
        }
        den = (int64_t)mcs_isqrt_u64((uint64_t)((int64_t)n * sumsq - (int64_t)sum * sum + (int64_t)eps_term));
        if (den == 0) {
            den = 1;
        }
        for (j = 0; j < n; ++j) {
            const int64_t centred = (int64_t)n * ((int32_t)x[j] - input_zp) - sum;
            int64_t t = mcs_round_div_s64(centred * gamma_q[j], den) + beta_q[j];
            int64_t q = ((t + half) >> shift) + output_zp;
            y[j] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
        }
    }
}
