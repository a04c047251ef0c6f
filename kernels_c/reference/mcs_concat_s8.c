/* mcs_concat_s8.c - int8 Concat along one axis ([outer][axis][inner] views).
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_concat_s8(const int8_t *const *inputs, int8_t *output, int32_t n_inputs,
                   const int32_t *axis_sizes, int32_t outer, int32_t inner)
{
    int32_t o, i, j;
    for (o = 0; o < outer; ++o) {
        for (i = 0; i < n_inputs; ++i) {
            const int32_t chunk = axis_sizes[i] * inner;
            const int8_t *src = inputs[i] + o * chunk;
            for (j = 0; j < chunk; ++j) {
                *output++ = src[j];
            }
        }
    }
}
