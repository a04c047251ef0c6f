/* mcs_erf_f32.c - Erf: erff(x). Element-wise, in place OK.
 * See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

void mcs_erf_f32(const float *input, float *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        const float v = input[i];
        output[i] = erff(v);
    }
}
