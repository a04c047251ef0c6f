/* mcs_hard_sigmoid_f32.c - HardSigmoid: max(0, min(1, alpha * x + beta)). Element-wise, in place
 * OK. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_hard_sigmoid_f32(const float *input, float *output, int32_t size, float alpha, float beta)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        const float t = alpha * v + beta;
        output[i] = (t < 0.0f) ? 0.0f : ((t > 1.0f) ? 1.0f : t);
    }
}
