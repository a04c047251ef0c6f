/* mcs_fully_connected_s8.c - int8 fully connected, weights [N][K], per-channel requant.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

int32_t mcs_fully_connected_s8_get_buffer_size(const mcs_fully_connected_s8_params_t *p)
{
    (void)p;
    return 0;
}

void mcs_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int16_t *scratch, int8_t *output,
                            const mcs_fully_connected_s8_params_t *p)
{
    int32_t b, o, k;
    (void)scratch;

    for (b = 0; b < p->batch; ++b) {
        const int8_t *in_b = input + b * p->in_features;
        for (o = 0; o < p->out_features; ++o) {
            const int8_t *w_o = weights + o * p->in_features;
            int32_t acc = (bias != 0) ? bias[o] : 0;
            for (k = 0; k < p->in_features; ++k) {
                acc += ((int32_t)in_b[k] - p->input_zp) * (int32_t)w_o[k];
            }
            output[b * p->out_features + o] = mcs_s8_requant(
                acc, multiplier[o], shift[o], p->output_zp, p->act_min, p->act_max);
        }
    }
}
