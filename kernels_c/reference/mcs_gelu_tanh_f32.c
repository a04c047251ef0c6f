/* mcs_gelu_tanh_f32.c - GELU, tanh form: 0.5*x*(1 + tanhf(sqrt(2/pi)*(x + 0.044715*x^3))).
 * Element-wise, in place OK. See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

void mcs_gelu_tanh_f32(const float *input, float *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        const float inner = 0.79788456080286536f * (v + 0.044715f * v * v * v);
        output[i] = 0.5f * v * (1.0f + tanhf(inner));
    }
}
