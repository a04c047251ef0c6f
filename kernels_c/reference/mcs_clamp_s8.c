/* mcs_clamp_s8.c - int8 clamp (ReLU / ReLU6 / Clip). Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_clamp_s8(const int8_t *input, int8_t *output, int32_t size, int32_t act_min,
                  int32_t act_max)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        int32_t v = input[i];
        v = (v < act_min) ? act_min : ((v > act_max) ? act_max : v);
        output[i] = (int8_t)v;
    }
}
