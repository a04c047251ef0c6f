/* mcs_maxpool2d_s8.c - int8 MaxPool, NHWC. Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_maxpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p)
{
    int32_t n, oy, ox, c;

    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * p->channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->channels;
                for (c = 0; c < p->channels; ++c) {
                    int32_t m = p->act_min;
                    int32_t ky, kx;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t iy = iy0 + ky;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t ix = ix0 + kx;
                            int32_t v;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            v = in_n[(iy * p->in_w + ix) * p->channels + c];
                            m = (v > m) ? v : m;
                        }
                    }
                    out_px[c] = (int8_t)((m > p->act_max) ? p->act_max : m);
                }
            }
        }
    }
}
