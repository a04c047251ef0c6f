/* mcs_global_avgpool_s8.c - int8 GlobalAveragePool, rounding half away from zero.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_global_avgpool_s8(const int8_t *input, int8_t *output, int32_t batch,
                           int32_t spatial, int32_t channels, int32_t zero_point,
                           int32_t act_min, int32_t act_max)
{
    int32_t b, s, c;

    for (b = 0; b < batch; ++b) {
        const int8_t *in_b = input + b * spatial * channels;
        for (c = 0; c < channels; ++c) {
            int32_t acc = 0;
            int32_t v;
            for (s = 0; s < spatial; ++s) {
                acc += (int32_t)in_b[s * channels + c] - zero_point;
            }
            v = (acc >= 0) ? (acc + spatial / 2) / spatial : (acc - spatial / 2) / spatial;
            v += zero_point;
            v = (v < act_min) ? act_min : ((v > act_max) ? act_max : v);
            output[b * channels + c] = (int8_t)v;
        }
    }
}
