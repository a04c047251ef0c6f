/* mcs_maxpool2d_f32.c - MaxPool over NHWC; padded positions never win. See mcs_kernels_f32.h. */
#include <float.h>

#include "mcs_kernels_f32.h"

void mcs_maxpool2d_f32(const float *input, float *output, const mcs_pool2d_f32_params_t *p)
{
    const int32_t c_n = p->channels;
    int32_t n, oy, ox, c, ky, kx;

    for (n = 0; n < p->batch; ++n) {
        const float *in_n = input + n * p->in_h * p->in_w * c_n;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                float *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * c_n;
                for (c = 0; c < c_n; ++c) {
                    out_px[c] = -FLT_MAX;
                }
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        const float *in_px;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        in_px = in_n + (iy * p->in_w + ix) * c_n;
                        for (c = 0; c < c_n; ++c) {
                            if (in_px[c] > out_px[c]) {
                                out_px[c] = in_px[c];
                            }
                        }
                    }
                }
            }
        }
    }
}
