/* mcs_split_f32.c - Split an [outer][sum(axis_sizes)][inner] view along the middle axis.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_split_f32(const float *input, float *const *outputs, int32_t n_outputs,
                   const int32_t *axis_sizes, int32_t outer, int32_t inner)
{
    int32_t o, t, j;
    for (o = 0; o < outer; ++o) {
        for (t = 0; t < n_outputs; ++t) {
            const int32_t chunk = axis_sizes[t] * inner;
            float *dst = outputs[t] + o * chunk;
            for (j = 0; j < chunk; ++j) {
                dst[j] = input[j];
            }
            input += chunk;
        }
    }
}
