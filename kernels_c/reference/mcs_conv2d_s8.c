/* mcs_conv2d_s8.c - int8 Conv2D, NHWC input, OHWI weights, per-channel requantization.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

int32_t mcs_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    (void)p;
    return 0;
}

/* Value i of a weight row (mcs_s8_weight_row): plain or paired order. */
static inline int8_t weight_at(const int8_t *groups, int32_t step, const int8_t *tail,
                               int32_t g4, int32_t i)
{
    return (i < g4) ? groups[step * (i >> 2) + (i & 3)] : tail[i - g4];
}

void mcs_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                   const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                   int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t k_size = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t g4 = k_size & ~3;
    int32_t n, oy, ox, o;
    (void)scratch;

    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->out_c;
                for (o = 0; o < p->out_c; ++o) {
                    const int8_t *groups, *tail;
                    int32_t step;
                    int32_t acc = (bias != 0) ? bias[o] : 0;
                    int32_t ky, kx, ci;
                    mcs_s8_weight_row(weights, p->weights_paired, k_size, p->out_c, o, &groups,
                                      &step, &tail);
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int8_t *in_px;
                            int32_t i0;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            in_px = in_n + (iy * p->in_w + ix) * p->in_c;
                            i0 = (ky * p->kernel_w + kx) * p->in_c; /* the tap's weight index */
                            if (step == 4) { /* a plain row: contiguous */
                                for (ci = 0; ci < p->in_c; ++ci) {
                                    acc += ((int32_t)in_px[ci] - p->input_zp) *
                                           (int32_t)groups[i0 + ci];
                                }
                                continue;
                            }
                            for (ci = 0; ci < p->in_c; ++ci) {
                                acc += ((int32_t)in_px[ci] - p->input_zp) *
                                       (int32_t)weight_at(groups, step, tail, g4, i0 + ci);
                            }
                        }
                    }
                    out_px[o] = mcs_s8_requant(acc, multiplier[o], shift[o], p->output_zp,
                                               p->act_min, p->act_max);
                }
            }
        }
    }
}
