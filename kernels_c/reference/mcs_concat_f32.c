/* mcs_concat_f32.c - Concat of [outer][axis_sizes[i]][inner] views along the middle axis.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_concat_f32(const float *const *inputs, float *output, int32_t n_inputs,
                    const int32_t *axis_sizes, int32_t outer, int32_t inner)
{
    int32_t o, t, j;
    for (o = 0; o < outer; ++o) {
        for (t = 0; t < n_inputs; ++t) {
            const int32_t chunk = axis_sizes[t] * inner;
            const float *src = inputs[t] + o * chunk;
            for (j = 0; j < chunk; ++j) {
                output[j] = src[j];
            }
            output += chunk;
        }
    }
}
