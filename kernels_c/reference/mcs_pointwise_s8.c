/* mcs_pointwise_s8.c - int8 1x1 convolution (no padding), weights [out_c][in_c].
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

int32_t mcs_pointwise_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    (void)p;
    return 0;
}

void mcs_pointwise_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                      int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    int32_t n, oy, ox, o, ci;
    (void)scratch;

    for (n = 0; n < p->batch; ++n) {
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ++ox) {
                const int8_t *in_px = input + ((n * p->in_h + oy * p->stride_h) * p->in_w +
                                               ox * p->stride_w) * p->in_c;
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->out_c;
                for (o = 0; o < p->out_c; ++o) {
                    const int32_t g4 = p->in_c & ~3;
                    const int8_t *groups, *tail;
                    int32_t step;
                    int32_t acc = (bias != 0) ? bias[o] : 0;
                    mcs_s8_weight_row(weights, p->weights_paired, p->in_c, p->out_c, o, &groups,
                                      &step, &tail);
                    for (ci = 0; ci < g4; ++ci) {
                        acc += ((int32_t)in_px[ci] - p->input_zp) *
                               (int32_t)groups[step * (ci >> 2) + (ci & 3)];
                    }
                    for (; ci < p->in_c; ++ci) {
                        acc += ((int32_t)in_px[ci] - p->input_zp) * (int32_t)tail[ci - g4];
                    }
                    out_px[o] = mcs_s8_requant(acc, multiplier[o], shift[o], p->output_zp,
                                               p->act_min, p->act_max);
                }
            }
        }
    }
}
