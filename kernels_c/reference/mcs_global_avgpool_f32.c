/* mcs_global_avgpool_f32.c - mean over all spatial positions, NHWC. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_global_avgpool_f32(const float *input, float *output, int32_t batch,
                            int32_t spatial, int32_t channels)
{
    const float scale = 1.0f / (float)spatial;
    int32_t b, s, c;
    for (b = 0; b < batch; ++b) {
        const float *in_b = input + b * spatial * channels;
        float *out_b = output + b * channels;
        for (c = 0; c < channels; ++c) {
            out_b[c] = 0.0f;
        }
        for (s = 0; s < spatial; ++s) {
            const float *px = in_b + s * channels;
            for (c = 0; c < channels; ++c) {
                out_b[c] += px[c];
            }
        }
        for (c = 0; c < channels; ++c) {
            out_b[c] *= scale;
        }
    }
}
