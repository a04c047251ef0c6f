/* mcs_depthwise_conv2d_s8.c - int8 depthwise Conv2D for Cortex-M DSP, channel multiplier 1:
 * four channels per pass straight from NHWC memory (SXTB16, SMLABB/SMLATT per channel).
 * Interior pixels (the whole window inside the input) start from a per-channel constant
 * bias + input_offset * sum(weights) computed once per call into the scratch, so their inner
 * loop needs no offset add; border pixels add the offset with SADD16 and skip padding.
 * Other multipliers use the portable loop. Bit-exact with
 * kernels_c/reference/mcs_depthwise_conv2d_s8.c; see mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

int32_t mcs_depthwise_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    /* per channel: one int32 correction, plus one zero-point byte (the padding row) */
    return (p->out_c == p->in_c) ? p->out_c * (int32_t)sizeof(int32_t) + ((p->out_c + 3) & ~3)
                                 : 0;
}

/* Channels [c_lo, c_hi) of output pixel (oy, ox), any multiplier, one at a time. */
static void dw_scalar(const int8_t *in_n, const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, int8_t *out_px,
                      const mcs_conv2d_s8_params_t *p, int32_t oy, int32_t ox, int32_t c_lo,
                      int32_t c_hi)
{
    const int32_t mult = p->out_c / p->in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    int32_t o;
    for (o = c_lo; o < c_hi; ++o) {
        const int32_t c = o / mult;
        int32_t acc = (bias != 0) ? bias[o] : 0;
        int32_t ky, kx;
        for (ky = 0; ky < p->kernel_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dilation_h;
            if (iy < 0 || iy >= p->in_h) {
                continue;
            }
            for (kx = 0; kx < p->kernel_w; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                if (ix < 0 || ix >= p->in_w) {
                    continue;
                }
                acc += ((int32_t)in_n[(iy * p->in_w + ix) * p->in_c + c] - p->input_zp) *
                       (int32_t)weights[(ky * p->kernel_w + kx) * p->out_c + o];
            }
        }
        out_px[o] = mcs_s8_requant(acc, multiplier[o], shift[o], p->output_zp, p->act_min,
                                   p->act_max);
    }
}

/* Largest window handled by the tap-pointer path (larger ones use the bounds-checked loop). */
#define MAX_TAPS 49

static inline int32_t ld_i32(const int16_t *base, int32_t i)
{
    int32_t v;
    memcpy(&v, (const char *)base + 4 * i, 4);
    return v;
}

static inline __attribute__((always_inline)) void requant4(int8_t *out, const int32_t *multiplier, const int32_t *shift,
                            const int32_t *acc, int32_t zp, int32_t lo, int32_t hi, int32_t fast)
{
    if (fast) {
        const int32_t amin = lo + zp;
        const int32_t amax = hi + zp;
        out[0] = mcs_dsp_requant_r(acc[0], multiplier[0], -shift[0], zp, amin, amax);
        out[1] = mcs_dsp_requant_r(acc[1], multiplier[1], -shift[1], zp, amin, amax);
        out[2] = mcs_dsp_requant_r(acc[2], multiplier[2], -shift[2], zp, amin, amax);
        out[3] = mcs_dsp_requant_r(acc[3], multiplier[3], -shift[3], zp, amin, amax);
        return;
    }
    out[0] = mcs_dsp_requant(acc[0], multiplier[0], shift[0], zp, lo, hi);
    out[1] = mcs_dsp_requant(acc[1], multiplier[1], shift[1], zp, lo, hi);
    out[2] = mcs_dsp_requant(acc[2], multiplier[2], shift[2], zp, lo, hi);
    out[3] = mcs_dsp_requant(acc[3], multiplier[3], shift[3], zp, lo, hi);
}

/* acc[0..3] += x[0..3] * w[0..3] (four channels of one tap, no input offset). */
static inline void dw_tap(const int8_t *x, const int8_t *w, int32_t *acc)
{
    const int32_t xv = mcs_dsp_ld_s8x4(x);
    const int32_t wv = mcs_dsp_ld_s8x4(w);
    const int32_t xl = (int32_t)__sxtb16(xv);
    const int32_t wl = (int32_t)__sxtb16(wv);
    const int32_t xh = mcs_dsp_sxtb16_ror8(xv);
    const int32_t wh = mcs_dsp_sxtb16_ror8(wv);
    acc[0] = __smlabb(xl, wl, acc[0]);
    acc[2] = __smlatt(xl, wl, acc[2]);
    acc[1] = __smlabb(xh, wh, acc[1]);
    acc[3] = __smlatt(xh, wh, acc[3]);
}

/* The same with the input offset added (SADD16), for windows that touch the padding. */
static inline void dw_tap_off(const int8_t *x, const int8_t *w, int32_t off2, int32_t *acc)
{
    const int32_t xv = mcs_dsp_ld_s8x4(x);
    const int32_t wv = mcs_dsp_ld_s8x4(w);
    const int32_t xl = (int32_t)__sadd16(__sxtb16(xv), off2);
    const int32_t xh = (int32_t)__sadd16(mcs_dsp_sxtb16_ror8(xv), off2);
    const int32_t wl = (int32_t)__sxtb16(wv);
    const int32_t wh = mcs_dsp_sxtb16_ror8(wv);
    acc[0] = __smlabb(xl, wl, acc[0]);
    acc[2] = __smlatt(xl, wl, acc[2]);
    acc[1] = __smlabb(xh, wh, acc[1]);
    acc[3] = __smlatt(xh, wh, acc[3]);
}

/*
 * Interior 3x3 window of one output pixel, all channel groups: the window starts at `win`,
 * taps of a kernel row are `cs` bytes apart (stride 1, dilation 1: cs = ch), weights [9][ch].
 * Always inlined with a constant `cs` by the dispatcher below, so the tap offsets become
 * load immediates and only two pointers and four accumulators stay live (no spills).
 */
static inline __attribute__((always_inline)) void
dw3x3_interior(const int8_t *win, const int8_t *weights, const int16_t *corr,
               const int32_t *multiplier, const int32_t *shift, int8_t *out_px, int32_t c4,
               const int32_t cs, const int32_t ch, int32_t row_step, int32_t zp, int32_t lo,
               int32_t hi, int32_t fast)
{
    int32_t c;
    for (c = 0; c < c4; c += 4) {
        const int8_t *x = win + c;
        const int8_t *w = weights + c;
        int32_t acc[4];
        acc[0] = ld_i32(corr, c);
        acc[1] = ld_i32(corr, c + 1);
        acc[2] = ld_i32(corr, c + 2);
        acc[3] = ld_i32(corr, c + 3);
        dw_tap(x, w, acc);
        dw_tap(x + cs, w + ch, acc);
        dw_tap(x + 2 * cs, w + 2 * ch, acc);
        x += row_step;
        dw_tap(x, w + 3 * ch, acc);
        dw_tap(x + cs, w + 4 * ch, acc);
        dw_tap(x + 2 * cs, w + 5 * ch, acc);
        x += row_step;
        dw_tap(x, w + 6 * ch, acc);
        dw_tap(x + cs, w + 7 * ch, acc);
        dw_tap(x + 2 * cs, w + 8 * ch, acc);
        requant4(out_px + c, multiplier + c, shift + c, acc, zp, lo, hi, fast);
    }
}

#ifndef MCS_DW_SPECIALISE
#define MCS_DW_SPECIALISE 1
#endif
/* dw3x3_interior specialised for the usual channel counts (tap offsets as immediates). */
static void dw3x3_interior_any(const int8_t *win, const int8_t *weights, const int16_t *corr,
                               const int32_t *multiplier, const int32_t *shift, int8_t *out_px,
                               int32_t c4, int32_t cs, int32_t ch, int32_t row_step, int32_t zp,
                               int32_t lo, int32_t hi, int32_t fast)
{
#define MCS_DW3X3_CASE(n)                                                                  \
    case n:                                                                                \
        dw3x3_interior(win, weights, corr, multiplier, shift, out_px, c4, n, n, row_step,  \
                       zp, lo, hi, fast);                                                  \
        return;
    if (MCS_DW_SPECIALISE && cs == ch) {
        switch (ch) {
            MCS_DW3X3_CASE(8)
            MCS_DW3X3_CASE(16)
            MCS_DW3X3_CASE(24)
            MCS_DW3X3_CASE(32)
            MCS_DW3X3_CASE(48)
            MCS_DW3X3_CASE(64)
            MCS_DW3X3_CASE(96)
            MCS_DW3X3_CASE(128)
            MCS_DW3X3_CASE(256)
        default:
            break;
        }
    }
#undef MCS_DW3X3_CASE
    dw3x3_interior(win, weights, corr, multiplier, shift, out_px, c4, cs, ch, row_step, zp, lo,
                   hi, fast);
}

void mcs_depthwise_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                             int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t ch = p->in_c;
    const int32_t off = -p->input_zp;
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    const int32_t c4 = (p->out_c == ch) ? (ch & ~3) : 0;
    const int32_t taps = p->kernel_h * p->kernel_w;
    const int32_t row_step = p->dilation_h * p->in_w * ch; /* input bytes between kernel rows */
    const int32_t col_step = p->dilation_w * ch;           /* ... between kernel columns */
    int8_t *zp_row = (int8_t *)((char *)scratch + 4 * ch);
    const int32_t lo = p->act_min - p->output_zp;
    const int32_t hi = p->act_max - p->output_zp;
    const int32_t fast = mcs_dsp_shifts_fast(shift, c4);
    int32_t n, oy, ox, c;

    if (c4 > 0) {
        /* corrections: bias + off * sum over all taps of w, per channel */
        for (c = 0; c < c4; ++c) {
            int32_t s = 0;
            int32_t t;
            int32_t v;
            for (t = 0; t < taps; ++t) {
                s += weights[t * ch + c];
            }
            v = ((bias != 0) ? bias[c] : 0) + off * s;
            memcpy((char *)scratch + 4 * c, &v, 4);
        }
        /* a row of ch zero points: padded taps read it, and (zp + off) * w = 0 */
        memset(zp_row, p->input_zp & 0xFF, (size_t)ch);
    }
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * ch;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t rows_in = iy0 >= 0 && iy0 + (p->kernel_h - 1) * p->dilation_h < p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * p->out_c;
                if (rows_in && ix0 >= 0 && ix0 + (p->kernel_w - 1) * p->dilation_w < p->in_w) {
                    const int8_t *win = in_n + (iy0 * p->in_w + ix0) * ch;
                    if (p->kernel_h == 3 && p->kernel_w == 3) {
                        dw3x3_interior_any(win, weights, scratch, multiplier, shift, out_px,
                                           c4, col_step, ch, row_step, p->output_zp, lo, hi,
                                           fast);
                    } else {
                        for (c = 0; c < c4; c += 4) {
                            const int8_t *w = weights + c;
                            const int8_t *row = win + c;
                            int32_t acc[4];
                            int32_t ky, kx;
                            acc[0] = ld_i32(scratch, c);
                            acc[1] = ld_i32(scratch, c + 1);
                            acc[2] = ld_i32(scratch, c + 2);
                            acc[3] = ld_i32(scratch, c + 3);
                            for (ky = p->kernel_h; ky > 0; --ky) {
                                const int8_t *x = row;
                                for (kx = p->kernel_w; kx > 0; --kx) {
                                    dw_tap(x, w, acc);
                                    x += col_step;
                                    w += ch;
                                }
                                row += row_step;
                            }
                            requant4(out_px + c, multiplier + c, shift + c, acc, p->output_zp,
                                     lo, hi, fast);
                        }
                    }
                } else if (taps <= MAX_TAPS) {
                    /* window touches the padding: padded taps read the zero-point row */
                    const int8_t *tp[MAX_TAPS];
                    int32_t ky, kx, t = 0;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            tp[t++] = (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
                                          ? zp_row
                                          : in_n + (iy * p->in_w + ix) * ch;
                        }
                    }
                    for (c = 0; c < c4; c += 4) {
                        const int8_t *w = weights + c;
                        int32_t acc[4];
                        acc[0] = ld_i32(scratch, c);
                        acc[1] = ld_i32(scratch, c + 1);
                        acc[2] = ld_i32(scratch, c + 2);
                        acc[3] = ld_i32(scratch, c + 3);
                        for (t = 0; t < taps; ++t) {
                            dw_tap(tp[t] + c, w, acc);
                            w += ch;
                        }
                        requant4(out_px + c, multiplier + c, shift + c, acc, p->output_zp, lo,
                                 hi, fast);
                    }
                } else {
                    int32_t ky_lo = 0;
                    int32_t ky_hi = p->kernel_h;
                    int32_t kx_lo = 0;
                    int32_t kx_hi = p->kernel_w;
                    while (ky_lo < ky_hi && iy0 + ky_lo * p->dilation_h < 0) {
                        ++ky_lo;
                    }
                    while (ky_hi > ky_lo && iy0 + (ky_hi - 1) * p->dilation_h >= p->in_h) {
                        --ky_hi;
                    }
                    while (kx_lo < kx_hi && ix0 + kx_lo * p->dilation_w < 0) {
                        ++kx_lo;
                    }
                    while (kx_hi > kx_lo && ix0 + (kx_hi - 1) * p->dilation_w >= p->in_w) {
                        --kx_hi;
                    }
                    for (c = 0; c < c4; c += 4) {
                        int32_t acc[4];
                        int32_t ky, kx;
                        acc[0] = (bias != 0) ? bias[c] : 0;
                        acc[1] = (bias != 0) ? bias[c + 1] : 0;
                        acc[2] = (bias != 0) ? bias[c + 2] : 0;
                        acc[3] = (bias != 0) ? bias[c + 3] : 0;
                        for (ky = ky_lo; ky < ky_hi; ++ky) {
                            const int8_t *in_row =
                                in_n + (iy0 + ky * p->dilation_h) * p->in_w * ch + c;
                            const int8_t *w_row = weights + ky * p->kernel_w * ch + c;
                            for (kx = kx_lo; kx < kx_hi; ++kx) {
                                dw_tap_off(in_row + (ix0 + kx * p->dilation_w) * ch,
                                           w_row + kx * ch, off2, acc);
                            }
                        }
                        requant4(out_px + c, multiplier + c, shift + c, acc, p->output_zp, lo,
                                 hi, fast);
                    }
                }
                if (c4 < p->out_c) {
                    dw_scalar(in_n, weights, bias, multiplier, shift, out_px, p, oy, ox, c4,
                              p->out_c);
                }
            }
        }
    }
}
