/* mcs_copy_f32.c - Copy (Flatten / Reshape / Identity when not removed);
 * output == input is a no-op, no other overlap. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_copy_f32(const float *input, float *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        output[i] = v;
    }
}
