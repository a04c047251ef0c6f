/* mcs_reduce_mean_f32.c - ReduceMean (sum, then times 1/n) over the middle axis of
 * [outer][n][inner]. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_reduce_mean_f32(const float *input, float *output, int32_t outer, int32_t n,
                         int32_t inner)
{
    int32_t o, j, i;
    const float scale = 1.0f / (float)n;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * n * inner;
        float *y = output + o * inner;
        for (i = 0; i < inner; ++i) {
            y[i] = x[i];
        }
        for (j = 1; j < n; ++j) {
            const float *row = x + j * inner;
            for (i = 0; i < inner; ++i) {
                y[i] += row[i];
            }
        }
        for (i = 0; i < inner; ++i) {
            y[i] *= scale;
        }
    }
}
