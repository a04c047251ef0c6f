/* mcs_softmax_s8.c - int8 Softmax over the last axis with a host-built exp table.
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_softmax_s8(const int8_t *input, const uint32_t *exp_table, int8_t *output,
                    int32_t outer, int32_t n)
{
    int32_t r, j;
    for (r = 0; r < outer; ++r) {
        const int8_t *x = input + r * n;
        int8_t *y = output + r * n;
        int32_t max = -128;
        uint32_t sum = 0;
        for (j = 0; j < n; ++j) {
            max = (x[j] > max) ? x[j] : max;
        }
        for (j = 0; j < n; ++j) {
            sum += exp_table[(int32_t)x[j] - max + 255];
        }
        for (j = 0; j < n; ++j) {
            uint32_t q = (exp_table[(int32_t)x[j] - max + 255] * 256u + sum / 2u) / sum;
            y[j] = (int8_t)((int32_t)((q > 255u) ? 255u : q) - 128);
        }
    }
}
