/* mcs_conv2d_s8.c - int8 Conv2D for Cortex-M DSP: im2col of two output pixels into one
 * interleaved int16 buffer (offset added, q15r2 layout), then the 2-pixel x 2-channel SMLAD
 * kernel. Bit-exact with kernels_c/reference/mcs_conv2d_s8.c; see mcs_kernels_s8.h and
 * mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

int32_t mcs_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    /* a q15r2 pair of columns, plus one natural-order column when in_c % 4 != 0 */
    const int32_t nat = ((p->in_c & 3) != 0) ? MCS_DSP_COL_STRIDE(k) : 0;
    return (MCS_DSP_COLS2_INT16(k) + nat) * (int32_t)sizeof(int16_t);
}

/* im2col of output pixel (oy, ox) into column j of the q15r2 pair at cols. */
static void conv_column(const int8_t *in_n, const mcs_conv2d_s8_params_t *p, int32_t oy,
                        int32_t ox, int16_t *cols, int32_t j, int16_t *nat)
{
    const int32_t off = -p->input_zp;
    const int32_t c = p->in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    int32_t ky, kx;

    if ((c & 3) == 0) {
        int16_t *grp = cols; /* group base of the current tap */
        for (ky = 0; ky < p->kernel_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dilation_h;
            for (kx = 0; kx < p->kernel_w; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                    int16_t *dst = grp + 4 * j;
                    int32_t g;
                    for (g = c >> 2; g > 0; --g) {
                        mcs_dsp_st_s16x2(dst, 0);
                        mcs_dsp_st_s16x2(dst + 2, 0);
                        dst += 8;
                    }
                } else {
                    mcs_dsp_s8_to_q15r2(in_n + (iy * p->in_w + ix) * c, grp, j, c, off);
                }
                grp += 2 * c;
            }
        }
        return;
    }
    if (((p->kernel_w * c) & 3) == 0 && p->dilation_w == 1) {
        /* in_c % 4 != 0 but every kernel row is whole groups (KWS: 4 x 1 channel): the
         * rows are contiguous input bytes, converted straight into the q15r2 layout */
        static const uint8_t q15r_pos[4] = {0, 2, 1, 3};
        const int32_t row = p->kernel_w * c;
        int16_t *grp = cols;
        (void)nat;
        for (ky = 0; ky < p->kernel_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dilation_h;
            if (iy < 0 || iy >= p->in_h) {
                int16_t *dst = grp + 4 * j;
                int32_t g;
                for (g = row >> 2; g > 0; --g) {
                    mcs_dsp_st_s16x2(dst, 0);
                    mcs_dsp_st_s16x2(dst + 2, 0);
                    dst += 8;
                }
            } else if (ix0 >= 0 && ix0 + p->kernel_w <= p->in_w) {
                mcs_dsp_s8_to_q15r2(in_n + (iy * p->in_w + ix0) * c, grp, j, row, off);
            } else {
                const int8_t *src = in_n + iy * p->in_w * c;
                int32_t t;
                for (t = 0; t < row; ++t) {
                    const int32_t ix = ix0 + t / c;
                    const int32_t v = (ix < 0 || ix >= p->in_w) ? 0
                                                                : (int32_t)src[ix * c + t % c] + off;
                    grp[8 * (t >> 2) + 4 * j + q15r_pos[t & 3]] = (int16_t)v;
                }
            }
            grp += 2 * row;
        }
        return;
    }
    {
        int16_t *dst = nat;
        for (ky = 0; ky < p->kernel_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dilation_h;
            for (kx = 0; kx < p->kernel_w; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                int32_t i;
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                    for (i = 0; i < c; ++i) {
                        dst[i] = 0;
                    }
                } else {
                    const int8_t *src = in_n + (iy * p->in_w + ix) * c;
                    for (i = 0; i < c; ++i) {
                        dst[i] = (int16_t)((int32_t)src[i] + off);
                    }
                }
                dst += c;
            }
        }
        mcs_dsp_pack_q15r2(nat, cols, j, p->kernel_h * p->kernel_w * c);
    }
}

void mcs_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                   const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                   int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    int16_t *cols = scratch;
    int16_t *nat = scratch + MCS_DSP_COLS2_INT16(k);
    const int32_t fast = mcs_dsp_shifts_fast(shift, p->out_c);
    int32_t n, px;

    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * p->in_c;
        int8_t *out_n = output + n * pixels * p->out_c;
        int32_t oy = 0;
        int32_t ox = 0;
        for (px = 0; px + 1 < pixels; px += 2) {
            conv_column(in_n, p, oy, ox, cols, 0, nat);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
            conv_column(in_n, p, oy, ox, cols, 1, nat);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
            mcs_dsp_mat_2col(weights, bias, multiplier, shift, cols, k, p->out_c,
                             out_n + px * p->out_c, out_n + (px + 1) * p->out_c, p->output_zp,
                             p->act_min, p->act_max, fast);
        }
        if (px < pixels) {
            memset(cols, 0, (size_t)MCS_DSP_COLS2_INT16(k) * sizeof(int16_t));
            conv_column(in_n, p, oy, ox, cols, 0, nat);
            mcs_dsp_mat_2col(weights, bias, multiplier, shift, cols, k, p->out_c,
                             out_n + px * p->out_c, 0, p->output_zp, p->act_min, p->act_max,
                             fast);
        }
    }
}
