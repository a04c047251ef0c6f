/* mcs_quantize_s8.c - QuantizeLinear float32 -> int8 (round half to even).
 * Portable; see mcs_kernels_s8.h. */
#include <math.h>

#include "mcs_kernels_s8.h"

void mcs_quantize_s8(const float *input, int8_t *output, int32_t size, float scale,
                         int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float r = rintf(input[i] / scale);
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
        output[i] = (int8_t)v;
    }
}
