/* mcs_gather_f32.c - Gather along the middle axis of [outer][axis_size][inner].
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_gather_f32(const float *data, const int32_t *indices, float *output,
                    int32_t n_indices, int32_t outer, int32_t axis_size, int32_t inner)
{
    int32_t o, t, j;
    for (o = 0; o < outer; ++o) {
        const float *slab = data + o * axis_size * inner;
        for (t = 0; t < n_indices; ++t) {
            int32_t idx = indices[t];
            const float *src;
            if (idx < 0) {
                idx += axis_size;
            }
            src = slab + idx * inner;
            for (j = 0; j < inner; ++j) {
                output[j] = src[j];
            }
            output += inner;
        }
    }
}
