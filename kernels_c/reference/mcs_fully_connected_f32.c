/* mcs_fully_connected_f32.c - output = clamp(bias + input . weights^T). See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_fully_connected_f32(const float *input, const float *weights, const float *bias,
                             float *output, int32_t batch, int32_t in_features,
                             int32_t out_features, float act_min, float act_max)
{
    int32_t b, o, i;
    for (b = 0; b < batch; ++b) {
        const float *x = input + b * in_features;
        float *y = output + b * out_features;
        for (o = 0; o < out_features; ++o) {
            const float *w = weights + o * in_features;
            float acc = (bias != 0) ? bias[o] : 0.0f;
            for (i = 0; i < in_features; ++i) {
                acc += x[i] * w[i];
            }
            if (acc < act_min) {
                acc = act_min;
            } else if (acc > act_max) {
                acc = act_max;
            }
            y[o] = acc;
        }
    }
}
