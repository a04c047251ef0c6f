/* mcs_global_maxpool_f32.c - max over all spatial positions, NHWC. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_global_maxpool_f32(const float *input, float *output, int32_t batch,
                            int32_t spatial, int32_t channels)
{
    int32_t b, s, c;
    for (b = 0; b < batch; ++b) {
        const float *in_b = input + b * spatial * channels;
        float *out_b = output + b * channels;
        for (c = 0; c < channels; ++c) {
            out_b[c] = in_b[c];
        }
        for (s = 1; s < spatial; ++s) {
            const float *px = in_b + s * channels;
            for (c = 0; c < channels; ++c) {
                if (px[c] > out_b[c]) {
                    out_b[c] = px[c];
                }
            }
        }
    }
}
