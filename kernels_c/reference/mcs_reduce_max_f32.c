/* mcs_reduce_max_f32.c - ReduceMax over the middle axis of [outer][n][inner]. See
 * mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_reduce_max_f32(const float *input, float *output, int32_t outer, int32_t n,
                        int32_t inner)
{
    int32_t o, j, i;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * n * inner;
        float *y = output + o * inner;
        for (i = 0; i < inner; ++i) {
            y[i] = x[i];
        }
        for (j = 1; j < n; ++j) {
            const float *row = x + j * inner;
            for (i = 0; i < inner; ++i) {
                if (row[i] > y[i]) {
                    y[i] = row[i];
                }
            }
        }
    }
}
