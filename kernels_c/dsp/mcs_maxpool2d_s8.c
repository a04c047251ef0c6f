/* mcs_maxpool2d_s8.c - int8 MaxPool for Cortex-M DSP: four channels per word, SSUB8 sets the
 * per-byte GE flags and SEL keeps the larger bytes. Bit-exact with
 * kernels_c/reference/mcs_maxpool2d_s8.c; see mcs_kernels_s8.h and mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

/* Bytewise signed max of two words of four int8. */
static inline int32_t max_s8x4(int32_t a, int32_t b)
{
    (void)__ssub8((int8x4_t)a, (int8x4_t)b); /* GE[i] = a[i] >= b[i] */
    return (int32_t)__sel((uint8x4_t)a, (uint8x4_t)b);
}

void mcs_maxpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p)
{
    const int32_t ch = p->channels;
    const int32_t c4 = ch & ~3;
    const int32_t fill = (int32_t)(((uint32_t)p->act_min & 0xFFu) * 0x01010101u);
    const int32_t ceil = (int32_t)(((uint32_t)p->act_max & 0xFFu) * 0x01010101u);
    int32_t n, oy, ox, c;

    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * ch;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t y_lo = (iy0 < 0) ? 0 : iy0;
            const int32_t y_hi = (iy0 + p->kernel_h > p->in_h) ? p->in_h : iy0 + p->kernel_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t x_lo = (ix0 < 0) ? 0 : ix0;
                const int32_t x_hi = (ix0 + p->kernel_w > p->in_w) ? p->in_w : ix0 + p->kernel_w;
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * ch;
                for (c = 0; c < c4; c += 4) {
                    int32_t m = fill;
                    int32_t y, x;
                    for (y = y_lo; y < y_hi; ++y) {
                        const int8_t *row = in_n + (y * p->in_w) * ch + c;
                        for (x = x_lo; x < x_hi; ++x) {
                            m = max_s8x4(m, mcs_dsp_ld_s8x4(row + x * ch));
                        }
                    }
                    /* min(m, act_max) = the bytes of m where ceil >= m, else ceil */
                    (void)__ssub8((int8x4_t)ceil, (int8x4_t)m);
                    m = (int32_t)__sel((uint8x4_t)m, (uint8x4_t)ceil);
                    memcpy(out_px + c, &m, 4);
                }
                for (; c < ch; ++c) {
                    int32_t m = p->act_min;
                    int32_t y, x;
                    for (y = y_lo; y < y_hi; ++y) {
                        for (x = x_lo; x < x_hi; ++x) {
                            const int32_t v = in_n[(y * p->in_w + x) * ch + c];
                            m = (v > m) ? v : m;
                        }
                    }
                    out_px[c] = (int8_t)((m > p->act_max) ? p->act_max : m);
                }
            }
        }
    }
}
