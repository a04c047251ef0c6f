/* mcs_avgpool2d_f32.c - AveragePool over NHWC, count_include_pad 0 or 1. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_avgpool2d_f32(const float *input, float *output, const mcs_pool2d_f32_params_t *p)
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
                int32_t valid = 0;  /* positions inside the input */
                int32_t padded = 0; /* positions inside the padded input */
                for (c = 0; c < c_n; ++c) {
                    out_px[c] = 0.0f;
                }
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    const int32_t row_in = (iy >= 0 && iy < p->in_h);
                    const int32_t row_pad = (iy >= -p->pad_top && iy < p->in_h + p->pad_bottom);
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        const float *in_px;
                        if (row_pad && ix >= -p->pad_left && ix < p->in_w + p->pad_right) {
                            ++padded;
                        }
                        if (!row_in || ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        ++valid;
                        in_px = in_n + (iy * p->in_w + ix) * c_n;
                        for (c = 0; c < c_n; ++c) {
                            out_px[c] += in_px[c];
                        }
                    }
                }
                {
                    const int32_t count = p->count_include_pad ? padded : valid;
                    if (count > 0) {
                        const float scale = 1.0f / (float)count;
                        for (c = 0; c < c_n; ++c) {
                            out_px[c] *= scale;
                        }
                    }
                }
            }
        }
    }
}
