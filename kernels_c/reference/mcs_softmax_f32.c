/* mcs_softmax_f32.c - Softmax over the last axis of [outer][n], stable form.
 * See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

void mcs_softmax_f32(const float *input, float *output, int32_t outer, int32_t n)
{
    int32_t o, j;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * n;
        float *y = output + o * n;
        float max_v = x[0];
        float sum = 0.0f;
        float scale;
        for (j = 1; j < n; ++j) {
            if (x[j] > max_v) {
                max_v = x[j];
            }
        }
        for (j = 0; j < n; ++j) {
            const float e = expf(x[j] - max_v);
            y[j] = e;
            sum += e;
        }
        scale = 1.0f / sum;
        for (j = 0; j < n; ++j) {
            y[j] *= scale;
        }
    }
}
