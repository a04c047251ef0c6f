/* mcs_leaky_relu_f32.c - LeakyReLU: x >= 0 ? x : alpha * x. Element-wise, in place OK. See
 * mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_leaky_relu_f32(const float *input, float *output, int32_t size, float alpha)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        output[i] = (v >= 0.0f) ? v : alpha * v;
    }
}
