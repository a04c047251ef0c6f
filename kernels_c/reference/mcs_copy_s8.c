/* mcs_copy_s8.c - int8 copy (Reshape / Flatten / Identity when not a view). Portable;
 * see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_copy_s8(const int8_t *input, int8_t *output, int32_t size)
{
    int32_t i;
    if (input == output) {
        return;
    }
    for (i = 0; i < size; ++i) {
        output[i] = input[i];
    }
}
