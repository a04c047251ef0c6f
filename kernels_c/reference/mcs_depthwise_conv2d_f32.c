/* mcs_depthwise_conv2d_f32.c - depthwise Conv2D (groups == in_c), NHWC, weights [kh][kw][out_c].
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_depthwise_conv2d_f32(const float *input, const float *weights, const float *bias,
                              float *output, const mcs_conv2d_f32_params_t *p)
{
    const int32_t mult = p->out_c / p->in_c; /* depth multiplier */
    int32_t n, oy, ox, o;

    for (n = 0; n < p->batch; ++n) {
        const float *in_n = input + n * p->in_h * p->in_w * p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                float *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->out_c;
                int32_t ky, kx;
                for (o = 0; o < p->out_c; ++o) {
                    out_px[o] = (bias != 0) ? bias[o] : 0.0f;
                }
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        const float *in_px;
                        const float *w_k;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        in_px = in_n + (iy * p->in_w + ix) * p->in_c;
                        w_k = weights + (ky * p->kernel_w + kx) * p->out_c;
                        for (o = 0; o < p->out_c; ++o) {
                            out_px[o] += in_px[o / mult] * w_k[o];
                        }
                    }
                }
                for (o = 0; o < p->out_c; ++o) {
                    float v = out_px[o];
                    if (v < p->act_min) {
                        v = p->act_min;
                    } else if (v > p->act_max) {
                        v = p->act_max;
                    }
                    out_px[o] = v;
                }
            }
        }
    }
}
