/* mcs_layer_norm_f32.c - LayerNormalization over the last axis of [outer][n].
 * See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

void mcs_layer_norm_f32(const float *input, const float *gamma, const float *beta,
                        float *output, int32_t outer, int32_t n, float epsilon)
{
    const float inv_n = 1.0f / (float)n;
    int32_t o, j;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * n;
        float *y = output + o * n;
        float mean = 0.0f;
        float var = 0.0f;
        float inv_std;
        for (j = 0; j < n; ++j) {
            mean += x[j];
        }
        mean *= inv_n;
        for (j = 0; j < n; ++j) {
            const float d = x[j] - mean;
            var += d * d;
        }
        inv_std = 1.0f / sqrtf(var * inv_n + epsilon);
        for (j = 0; j < n; ++j) {
            const float v = (x[j] - mean) * inv_std * gamma[j];
            y[j] = (beta != 0) ? v + beta[j] : v;
        }
    }
}
