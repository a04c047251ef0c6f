/* mcs_batch_norm_f32.c - inference BatchNormalization not folded into a conv, as a
 * per-channel affine map on [outer][channels]. In place OK. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_batch_norm_f32(const float *input, const float *scale, const float *shift,
                        float *output, int32_t outer, int32_t channels)
{
    int32_t o, c;
    for (o = 0; o < outer; ++o) {
        const float *x = input + o * channels;
        float *y = output + o * channels;
        for (c = 0; c < channels; ++c) {
            y[c] = x[c] * scale[c] + shift[c];
        }
    }
}
