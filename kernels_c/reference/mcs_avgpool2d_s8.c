/* mcs_avgpool2d_s8.c - int8 AveragePool, NHWC, rounding half away from zero.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_avgpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p)
{
    int32_t n, oy, ox, c;

    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * p->channels;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            /* rows of the window inside the input, and inside the padded input */
            const int32_t y_lo = (iy0 < 0) ? 0 : iy0;
            const int32_t y_hi = (iy0 + p->kernel_h > p->in_h) ? p->in_h : iy0 + p->kernel_h;
            const int32_t py_lo = (iy0 < -p->pad_top) ? -p->pad_top : iy0;
            const int32_t py_hi = (iy0 + p->kernel_h > p->in_h + p->pad_bottom)
                                      ? p->in_h + p->pad_bottom : iy0 + p->kernel_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t x_lo = (ix0 < 0) ? 0 : ix0;
                const int32_t x_hi = (ix0 + p->kernel_w > p->in_w) ? p->in_w : ix0 + p->kernel_w;
                const int32_t px_lo = (ix0 < -p->pad_left) ? -p->pad_left : ix0;
                const int32_t px_hi = (ix0 + p->kernel_w > p->in_w + p->pad_right)
                                          ? p->in_w + p->pad_right : ix0 + p->kernel_w;
                int32_t count = p->count_include_pad ? (py_hi - py_lo) * (px_hi - px_lo)
                                                     : (y_hi - y_lo) * (x_hi - x_lo);
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->channels;
                for (c = 0; c < p->channels; ++c) {
                    int32_t acc = 0;
                    int32_t y, x, v;
                    for (y = y_lo; y < y_hi; ++y) {
                        for (x = x_lo; x < x_hi; ++x) {
                            acc += (int32_t)in_n[(y * p->in_w + x) * p->channels + c] -
                                   p->zero_point;
                        }
                    }
                    if (count <= 0) {
                        v = 0;
                    } else if (acc >= 0) {
                        v = (acc + count / 2) / count;
                    } else {
                        v = (acc - count / 2) / count;
                    }
                    v += p->zero_point;
                    v = (v < p->act_min) ? p->act_min : ((v > p->act_max) ? p->act_max : v);
                    out_px[c] = (int8_t)v;
                }
            }
        }
    }
}
