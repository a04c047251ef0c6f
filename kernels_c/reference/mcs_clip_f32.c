/* mcs_clip_f32.c - Clip / ReLU6: min(max(x, min_value), max_value). Element-wise, in place OK.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_clip_f32(const float *input, float *output, int32_t size, float min_value, float max_value)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        output[i] = (v < min_value) ? min_value : ((v > max_value) ? max_value : v);
    }
}
