/* mcs_quantize_s8.c - QuantizeLinear float32 -> int8 (round half to even), optionally moving
 * the channel axis last in the same pass. Portable; see mcs_kernels_s8.h. */
#include <math.h>

#include "mcs_kernels_s8.h"

/* The definition: saturate(rintf(x / scale) + zero_point), float32 division. Saturating the
 * rounded quotient to [-256, 255] first keeps the int32 conversion in range (inf included). */
static int8_t quantize_one(float x, float scale, int32_t zero_point)
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

void mcs_quantize_s8(const float *input, int8_t *output, const mcs_quantize_s8_params_t *p)
{
    const int32_t channels = p->channels;
    const int32_t inner = p->inner;
    const int32_t plane = channels * inner;
    int32_t o, c, i;
    for (o = 0; o < p->outer; ++o) {
        const float *in = input + o * plane;
        int8_t *out = output + o * plane;
        for (c = 0; c < channels; ++c) {
            for (i = 0; i < inner; ++i) {
                out[i * channels + c] = quantize_one(in[c * inner + i], p->scale, p->zero_point);
            }
        }
    }
}
