/* mcs_depthwise_conv2d_s8.c - int8 depthwise Conv2D for Cortex-M DSP, channel multiplier 1.
 *
 * 3x3 windows, dilation 1, vertical stride 1 or 2 (any horizontal stride): the planar path.
 * Four channels at a time, the input goes column by column through a ring of three int16
 * columns in the scratch, each word holding one channel at two vertically adjacent rows (a
 * "row pair"); rows and columns outside the input hold the input zero point, so windows that
 * touch the padding (56 of the 125 pixels of a 25x5 map) take the same path as the others.
 * An SMLAD then multiplies two taps of one channel (two kernel rows), each channel's six
 * weight words stay in registers for a whole column of outputs, four rows per iteration, and
 * the requantization uses a per-channel table (mcs_dsp_rq_table). 25x5x64, ReLU, cycles/MAC
 * (tools/bench_kernels.py): Cortex-M33 7.98 -> 3.24, M7 4.81 -> 1.87, M4 8.35 -> 3.31; with
 * the zoo's zero point -128 (no clamp) M33 2.99.
 * On the Cortex-M33 the plane's columns of six rows (vertical stride 1) and of three, and
 * the ring's of six rows, go in one piece, the weights loaded next to the row pairs
 * (dw3_pcol_group, DW3_RCOL_ASM: VWW's 6x6x128 M33 149,000 -> 117,069 cycles, 3x3x256
 * 133,256 -> 101,904, 12x12x64 -> 6x6 113,047 -> 94,909, with the changes around them);
 * the ring's taller columns of vertical stride 1 take groups of eight rows the same way
 * (DW3_COLUMN8_ASM: 24x24x32 409,981 -> 396,182 cycles), its columns of twelve rows two
 * six-row pieces (12x12x64 246,456 -> 217,064), and vertical stride 2's of 6 k rows six-row
 * pieces in a loop (48x48x16 -> 24x24 276,251 -> 267,956).
 * Other shapes, and calls whose accumulators may not fit that requantization: the general
 * path, four channels per pass straight from NHWC memory (SXTB16, SMLABB/SMLATT per
 * channel), interior pixels from a per-channel constant bias + input_offset * sum(weights),
 * border pixels with SADD16 and skipped padding. Other multipliers use the portable loop.
 * Bit-exact with kernels_c/reference/mcs_depthwise_conv2d_s8.c; see mcs_dsp_s8.h.
 */
#include <stddef.h>

#include "mcs_dsp_s8.h"

/* Planar path geometry: ring slot s of row pair j at 48 j + 16 s, channel c at + 4 c. */
#define DW3_SLOT 16 /* bytes of one row pair of one column, 4 channels */
#define DW3_PAIR 48 /* bytes of one row pair of the three ring columns */
/* The plane (small maps, see dw3_plane_ok): every padded column of four channels, column x
 * of row pair j at DW3_PPAIR j + 16 x, so at most DW3_PCOLS columns. */
#define DW3_PPAIR 128
#define DW3_PCOLS (DW3_PPAIR / DW3_SLOT)
/* The wide plane (Cortex-M33, see dw3_wide_ok): the same with DW3_WPAIR bytes between row
 * pairs, so 9 .. DW3_WCOLS padded columns (VWW's 12x12 maps: 14, or 13 for stride 2), or
 * two stripes of output columns of at most DW3_WCOLS each (VWW's 24x24 maps, dw3_wide). */
#define DW3_WPAIR 240
#define DW3_WCOLS (DW3_WPAIR / DW3_SLOT)

/* Its loops are assembly with 14 registers: not at -O0, where GCC keeps r7 as the frame
 * pointer. A debug build runs every shape through the general path (which then builds no
 * requantization table for the planar shapes: the scratch it has is the same). The wide
 * plane's one-piece columns (DW3_PCOL_ASM) are the Cortex-M33's (ARMv8-M Mainline) only. */
#if defined(__OPTIMIZE__)
#define DW3_ASM 1
#else
#define DW3_ASM 0
#endif
#if DW3_ASM && defined(__ARM_ARCH_8M_MAIN__)
#define DW3_WIDE 1
#else
#define DW3_WIDE 0
#endif

/* The planar path's shapes. Vertical stride 2 with fewer than four output rows stays on
 * the general path: with no whole group of rows, converting twice as many input rows as
 * output rows costs more than it saves (Cortex-M33, VWW's 6x6x128 -> 3x3: general 97,587
 * cycles, planar 111,163). */
static int32_t dw3_shape_ok(const mcs_conv2d_s8_params_t *p)
{
    return p->out_c == p->in_c && p->kernel_h == 3 && p->kernel_w == 3 &&
           p->dilation_h == 1 && p->dilation_w == 1 &&
           (p->stride_h == 1 || (p->stride_h == 2 && p->out_h >= 4));
}

/* Row pairs in the ring: whole groups of four output rows, the next group's first pair
 * included (a last partial group reads rows past the input, which hold the zero point). */
static int32_t dw3_pairs(const mcs_conv2d_s8_params_t *p)
{
    const int32_t groups = (p->out_h + 3) >> 2;
    return (p->stride_h == 1) ? 2 * groups + 1 : 4 * groups + 1;
}

#if DW3_ASM
/* Row pairs of the plane: those the row groups read, up to padded input row
 * (out_h - 1) stride_h + 2. */
static int32_t dw3_plane_pairs(const mcs_conv2d_s8_params_t *p)
{
    return (((p->out_h - 1) * p->stride_h + 2) >> 1) + 1;
}

#endif

#if DW3_WIDE
/* The wide plane's shapes: 9 .. DW3_WCOLS padded columns, and the rows of the one-piece
 * columns dw3_pcol_group has for them, six of vertical stride 1 or 2, twelve of stride 1
 * (VWW's 12x12x64 and 12x12x64 -> 6x6, which the ring took before: its C loop per column
 * and its three-slot rotation cost more than the plane's one conversion call per group of
 * channels). */
static inline int32_t dw3_wide_ok(const mcs_conv2d_s8_params_t *p)
{
    const int32_t cols = (p->out_w - 1) * p->stride_w + 3; /* padded columns read */
    if (p->out_c != p->in_c || p->kernel_h != 3 || p->kernel_w != 3 || p->dilation_h != 1 ||
        p->dilation_w != 1 || cols <= DW3_PCOLS) {
        return 0;
    }
    if (cols <= DW3_WCOLS) {
        return (p->stride_h == 1 && (p->out_h == 6 || p->out_h == 12)) ||
               (p->stride_h == 2 && p->out_h == 6);
    }
    /* two stripes (dw3_wide) whose first, the wider, fits: 6 k rows of vertical stride 1,
     * 18 to 30 (the plane's 13 to 16 row pairs: at most 3,840 bytes), twelve of stride 2 */
    return ((p->out_w + 1) / 2 - 1) * p->stride_w + 3 <= DW3_WCOLS &&
           ((p->stride_h == 1 && p->out_h % 6 == 0 && p->out_h >= 18 && p->out_h <= 30) ||
            (p->stride_h == 2 && p->out_h == 12));
}
#endif

/* The scratch of the ring and the general path (dw3_plane_ok: whether the plane fits in
 * it); on the Cortex-M33 not inlined, so that dw3_plane_ok's call stays as it was before
 * the wide plane (mcusim's model, VWW's 6x6x128 and 3x3 layers: 62 cycles per call more
 * with the wide plane's test in it), elsewhere the public function itself. */
#if DW3_WIDE
static __attribute__((noinline)) int32_t dw3_bytes(const mcs_conv2d_s8_params_t *p)
#else
#define dw3_bytes mcs_depthwise_conv2d_s8_get_buffer_size
int32_t mcs_depthwise_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
#endif
{
    /* planar path: the ring; general path: per channel one int32 correction and one
     * zero-point byte (the padding row), then, for the shapes the planar path does not
     * take, the requantization table */
    const int32_t c4 = p->out_c & ~3;
    const int32_t planar = dw3_shape_ok(p) ? DW3_PAIR * dw3_pairs(p) : 0;
    const int32_t general =
        (p->out_c == p->in_c) ? p->out_c * (int32_t)sizeof(int32_t) + ((p->out_c + 3) & ~3) +
                                    ((planar == 0) ? MCS_DSP_RQ_TABLE_BYTES(c4) : 0)
                              : 0;
    return (planar > general) ? planar : general;
}

#if DW3_WIDE
/* and the wide plane's (mcusim/quant/scratch.py: wide_plane) */
int32_t mcs_depthwise_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    const int32_t bytes = dw3_bytes(p);
    if (dw3_wide_ok(p) && DW3_WPAIR * dw3_plane_pairs(p) > bytes) {
        return DW3_WPAIR * dw3_plane_pairs(p);
    }
    return bytes;
}
#endif

/* ====================================================================================== */
/* The general path                                                                        */
/* ====================================================================================== */

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

/* Four channels' outputs: from the requantization table rq (mcs_dsp_rq_table entries of the
 * four channels, every word read before the first int8 store, which may alias them) when
 * there is one, else mcs_dsp_requant_r when every shift is a right shift (`fast`), else
 * mcs_dsp_requant. */
static inline __attribute__((always_inline)) void
requant4(int8_t *out, const int32_t *multiplier, const int32_t *shift, const int32_t *rq,
         const int32_t *acc, int32_t zp, int32_t lo, int32_t hi, int32_t fast)
{
    if (rq != 0) {
        const int32_t amin = lo + zp;
        const int32_t amax = hi + zp;
        const int32_t m0 = rq[0], e0 = rq[1], r0 = rq[2], m1 = rq[3], e1 = rq[4], r1 = rq[5];
        const int32_t m2 = rq[6], e2 = rq[7], r2 = rq[8], m3 = rq[9], e3 = rq[10], r3 = rq[11];
        const int8_t y0 = mcs_dsp_rq_val(acc[0], m0, e0, r0, amin, amax);
        const int8_t y1 = mcs_dsp_rq_val(acc[1], m1, e1, r1, amin, amax);
        const int8_t y2 = mcs_dsp_rq_val(acc[2], m2, e2, r2, amin, amax);
        const int8_t y3 = mcs_dsp_rq_val(acc[3], m3, e3, r3, amin, amax);
        out[0] = y0;
        out[1] = y1;
        out[2] = y2;
        out[3] = y3;
        return;
    }
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
 * (The 3x3 windows the planar path below does not take: dilation, vertical stride > 2,
 * accumulators too large for its requantization.)
 */
static inline __attribute__((always_inline)) void
dw3x3_interior(const int8_t *win, const int8_t *weights, const int16_t *corr,
               const int32_t *multiplier, const int32_t *shift, const int32_t *rq,
               int8_t *out_px, int32_t c4,
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
        requant4(out_px + c, multiplier + c, shift + c, (rq != 0) ? rq + 3 * c : 0, acc, zp,
                 lo, hi, fast);
    }
}

/* The general path (see the top of the file). */
static void dw_general(const int8_t *input, const int8_t *weights, const int32_t *bias,
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
    /* the table-driven requantization for the shapes the planar path does not take (for
     * those it does, the general path runs only when the table does not apply, and the
     * scratch has no room for it: see mcs_depthwise_conv2d_s8_get_buffer_size) */
    int32_t *rq = (int32_t *)(void *)(zp_row + ((ch + 3) & ~3));
    int32_t n, oy, ox, c;

    if (c4 == 0 || dw3_shape_ok(p) ||
        !mcs_dsp_rq_table_act(rq, multiplier, shift, bias, c4, taps, p->output_zp,
                              p->act_min)) {
        rq = 0;
    }
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
                        dw3x3_interior(win, weights, scratch, multiplier, shift, rq, out_px,
                                       c4, col_step, ch, row_step, p->output_zp, lo, hi, fast);
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
                            requant4(out_px + c, multiplier + c, shift + c,
                                     (rq != 0) ? rq + 3 * c : 0, acc, p->output_zp, lo, hi,
                                     fast);
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
                        requant4(out_px + c, multiplier + c, shift + c,
                                 (rq != 0) ? rq + 3 * c : 0, acc, p->output_zp, lo, hi, fast);
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
                        requant4(out_px + c, multiplier + c, shift + c,
                                 (rq != 0) ? rq + 3 * c : 0, acc, p->output_zp, lo, hi, fast);
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

/* ====================================================================================== */
/* The planar 3x3 path                                                                      */
/* ====================================================================================== */

#if DW3_ASM

/* 1 when the last group of four rows takes the single row left (out_h % 4 == 1). */
static inline int32_t dw3_rows5(const mcs_conv2d_s8_params_t *p)
{
    return (p->out_h & 3) == 1 && p->out_h > 4;
}

/*
 * One channel of a group of four. w: its weights as int16 pairs, doubled (the accumulators
 * hold 2 * acc, the form the requantization's SMMLAR takes), listed for kernel columns
 * 0, 1, 2, 0, 1 as {a, b}: vertical stride 1 a = (w[0][k], w[1][k]), b = (w[1][k], w[2][k]);
 * stride 2 a = (w[0][k], w[1][k]), b = (w[2][k], 0). Ring slot s of an output column whose
 * kernel column 0 sits in slot r holds kernel column (s - r) mod 3, so the column's weights
 * in slot order start at w[2 * ((3 - r) % 3)]. The other fields: the start of its
 * accumulators, its requantization table entry, where it reads the ring. The assembly reads
 * the fields at fixed offsets (checked below).
 */
typedef struct {
    int32_t w[10];
    int32_t corr;        /* 2 * (bias + input_offset * sum of the nine weights) */
    int32_t m, e, r;     /* mcs_dsp_rq_table entry: multiplier, right shift, rounding + zp */
    const uint8_t *b;    /* its word of row pair 0 in ring slot 0 */
    const uint8_t *pend; /* b past the groups of four rows the loop runs (dw3_rows5) */
} dw3_chan_t;

typedef char dw3_check_chan[(offsetof(dw3_chan_t, corr) == 40 && offsetof(dw3_chan_t, m) == 44 &&
                             offsetof(dw3_chan_t, e) == 48 && offsetof(dw3_chan_t, r) == 52 &&
                             offsetof(dw3_chan_t, b) == 56 && offsetof(dw3_chan_t, pend) == 60 &&
                             sizeof(dw3_chan_t) == 64)
                                ? 1
                                : -1];

static inline int32_t dw3_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

static inline int32_t dw3_ld(const uint8_t *s)
{
    int32_t v;
    memcpy(&v, s, 4);
    return v;
}

static inline void dw3_st(uint8_t *d, int32_t v)
{
    memcpy(d, &v, 4);
}

/* PKHBT: bottom half of lo, bottom half of hi as the top half. */
static inline int32_t dw3_pkhbt(int32_t lo, int32_t hi)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

/* PKHTB: top half of hi, top half of lo as the bottom half. */
static inline int32_t dw3_pkhtb(int32_t hi, int32_t lo)
{
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* Four channels at two rows (x0 row 2j, x1 row 2j + 1, int8 each) -> four row-pair words
 * (channel c: x0[c] in the bottom half, x1[c] in the top half, sign-extended): PKHBT/PKHTB
 * gather bytes 0, 1 / 2, 3 of both rows, SXTB16 (ROR #8) splits them. */
static inline void dw3_pair4(uint8_t *d, int32_t x0, int32_t x1)
{
    const int32_t lo = dw3_pkhbt(x0, x1); /* x0[0], x0[1], x1[0], x1[1] */
    const int32_t hi = dw3_pkhtb(x1, x0); /* x0[2], x0[3], x1[2], x1[3] */
    dw3_st(d, (int32_t)__sxtb16(lo));
    dw3_st(d + 4, mcs_dsp_sxtb16_ror8(lo));
    dw3_st(d + 8, (int32_t)__sxtb16(hi));
    dw3_st(d + 12, mcs_dsp_sxtb16_ror8(hi));
}

/* n row pairs of four channels: input rows from src (rs bytes apart) -> d, ps bytes apart
 * (dw3_pair4 in a loop; in assembly, GCC's version of it took 22 cycles per pair on the
 * Cortex-M33, this one 18). One function per pair stride: STR's post-index immediate. */
#if MCS_DSP_ASM_M7
/* The dual-issue Cortex-M7's schedule of the same loop (MCS_DSP_ASM_M7, mcs_dsp_s8.h): PKH
 * and SXTB16 issue only as the first of a pair, a store never with a store, and the second
 * of a pair must not read what the first writes; so each SXTB16 pairs with the store of the
 * previous one's result, the PKHs with the pointer and count updates (an unshifted ADD of
 * 2 rs: PKH's shifted operand and a shifted ADD do not pair), the loads together and the
 * last store with the branch. mcusim's M7 model: 12 cycles + the taken branch per pair for
 * the loop below, 8 + 1 for this one (pairs [ldr|ldr] [pkhbt|add] [pkhtb|subs] [sxtb16]
 * [sxtb16|str] [sxtb16|str] [sxtb16|str] [str|bne]). */
#define DW3_ROWS4_FN(name, ps)                                                             \
    static inline __attribute__((always_inline)) void name(const int8_t **sp, int32_t rs,  \
                                                           uint8_t **dp, int32_t n)        \
    {                                                                                      \
        const int8_t *src = *sp;                                                           \
        uint8_t *d = *dp;                                                                  \
        int32_t x0, x1, lo, hi;                                                            \
        const int32_t rs2 = 2 * rs;                                                        \
        if (n <= 0) {                                                                      \
            return;                                                                        \
        }                                                                                  \
        __asm__ volatile("1:\n\t"                                                          \
                         "ldr    %[x0], [%[s]]\n\t"                                        \
                         "ldr    %[x1], [%[s], %[rs]]\n\t"                                 \
                         "pkhbt  %[lo], %[x0], %[x1], lsl #16\n\t"                         \
                         "add    %[s], %[s], %[rs2]\n\t"                                   \
                         "pkhtb  %[hi], %[x1], %[x0], asr #16\n\t"                         \
                         "subs   %[n], %[n], #1\n\t"                                       \
                         "sxtb16 %[x0], %[lo]\n\t"                                         \
                         "sxtb16 %[x1], %[lo], ror #8\n\t"                                 \
                         "str    %[x0], [%[d]], #" #ps "\n\t"                              \
                         "sxtb16 %[lo], %[hi]\n\t"                                         \
                         "str    %[x1], [%[d], #(4-" #ps ")]\n\t"                          \
                         "sxtb16 %[hi], %[hi], ror #8\n\t"                                 \
                         "str    %[lo], [%[d], #(8-" #ps ")]\n\t"                          \
                         "str    %[hi], [%[d], #(12-" #ps ")]\n\t"                         \
                         "bne    1b\n\t"                                                   \
                         : [s] "+r"(src), [d] "+r"(d), [n] "+r"(n), [x0] "=&r"(x0),        \
                           [x1] "=&r"(x1), [lo] "=&r"(lo), [hi] "=&r"(hi)                  \
                         : [rs] "r"(rs), [rs2] "r"(rs2)                                    \
                         : "cc", "memory");                                                \
        *sp = src;                                                                         \
        *dp = d;                                                                           \
    }
#else
/* The Cortex-M4 and M33, in the ring: several row pairs per iteration (dw3_rows4 below; a
 * first version with two pairs per iteration, 28 instructions and the taken branch instead
 * of 2 x (15 + 1): Cortex-M33 (mcusim's model), VWW's 48x48x16 s2 280,741 -> 275,941 cycles,
 * 48x48x8 376,053 -> 373,557); the plane keeps the loop of one pair (DW3_ROWS4_FN: its
 * columns have a few pairs; with the loop of two, VWW's 3x3x256 98,191 -> 100,495). */
#define DW3_PAIR_ASM(lo, hi, d0, d1)                                                       \
    "pkhbt  %[" lo "], %[" d0 "], %[" d1 "], lsl #16\n\t"                                   \
    "pkhtb  %[" hi "], %[" d1 "], %[" d0 "], asr #16\n\t"                                   \
    "sxtb16 %[" d0 "], %[" lo "]\n\t"                                                       \
    "sxtb16 %[" d1 "], %[" lo "], ror #8\n\t"                                               \
    "sxtb16 %[" lo "], %[" hi "]\n\t"                                                       \
    "sxtb16 %[" hi "], %[" hi "], ror #8\n\t"
#define DW3_PAIR_ST(ps, lo, hi, d0, d1)                                                    \
    "str    %[" d0 "], [%[d]], #" #ps "\n\t"                                                \
    "str    %[" d1 "], [%[d], #(4-" #ps ")]\n\t"                                            \
    "str    %[" lo "], [%[d], #(8-" #ps ")]\n\t"                                            \
    "str    %[" hi "], [%[d], #(12-" #ps ")]\n\t"
/* Four row pairs per iteration: rows 2j and 2j + 1 through two pointers, s (even rows)
 * and t = s + rs (odd rows), the eight rows at offsets 0, 2 rs, 4 rs, 6 rs of both (a
 * register offset shifted left by 1 or 2: rs, lsl #1 / #2; 3 rs, lsl #1), so two ADDs per
 * four pairs instead of one per pair; each pair's loads at least two instructions before
 * their use. Then two pairs and one as bits 1 and 0 of the count say (n - 4 after the loop
 * has them; LSLS #31 puts bit 1 in C and bit 0 in Z, tested after the two pairs, which set
 * no flags). *sp and *dp move past the n row pairs, where the caller's bottom pair is (its
 * addresses not computed again). Against the loop of two, Cortex-M33 (mcusim's model), VWW's
 * 48x48x16 s2 268,007 -> 262,439 cycles, 48x48x8 359,401 -> 356,137, 24x24x32 394,787 ->
 * 391,139, 12x12x64 215,902 -> 213,983 (the loop of four alone: 216,670; the bottom pair's
 * addresses pay for its longer set-up); Cortex-M4 48x48x16 s2 326,038 -> 316,050. */
/* (one function per pair stride ps: the ring's DW3_PAIR, the wide plane's DW3_WPAIR) */
#define DW3_ROWS4N_FN(name, ps)                                                               \
static inline __attribute__((always_inline)) void name(const int8_t **sp, int32_t rs,         \
                                                            uint8_t **dp, int32_t n)          \
{                                                                                             \
    const int8_t *src = *sp;                                                                  \
    const int8_t *s1 = src + rs;                                                              \
    uint8_t *d = *dp;                                                                         \
    const int32_t rs3 = 3 * rs;                                                               \
    int32_t a0, a1, b0, b1, lo, hi;                                                           \
    if (n <= 0) {                                                                             \
        return;                                                                               \
    }                                                                                         \
    __asm__ volatile("subs   %[n], %[n], #4\n\t"                                              \
                     "blt    2f\n\t"                                                          \
                     "1:\n\t"                                                                 \
                     "ldr    %[a0], [%[s]]\n\t"                                               \
                     "ldr    %[a1], [%[t]]\n\t"                                               \
                     "ldr    %[b0], [%[s], %[rs], lsl #1]\n\t"                                \
                     "ldr    %[b1], [%[t], %[rs], lsl #1]\n\t"                                \
                     DW3_PAIR_ASM("lo", "hi", "a0", "a1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "a0", "a1")                                  \
                     DW3_PAIR_ASM("lo", "hi", "b0", "b1")                                     \
                     "ldr    %[a0], [%[s], %[rs], lsl #2]\n\t"                                \
                     "ldr    %[a1], [%[t], %[rs], lsl #2]\n\t"                                \
                     DW3_PAIR_ST(ps, "lo", "hi", "b0", "b1")                                  \
                     "ldr    %[b0], [%[s], %[rs3], lsl #1]\n\t"                               \
                     "ldr    %[b1], [%[t], %[rs3], lsl #1]\n\t"                               \
                     "add    %[s], %[s], %[rs], lsl #3\n\t"                                   \
                     "add    %[t], %[t], %[rs], lsl #3\n\t"                                   \
                     DW3_PAIR_ASM("lo", "hi", "a0", "a1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "a0", "a1")                                  \
                     DW3_PAIR_ASM("lo", "hi", "b0", "b1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "b0", "b1")                                  \
                     "subs   %[n], %[n], #4\n\t"                                              \
                     "bge    1b\n\t"                                                          \
                     "2:\n\t"                                                                 \
                     "lsls   %[n], %[n], #31\n\t"                                             \
                     "bcc    4f\n\t"                                                          \
                     "ldr    %[a0], [%[s]]\n\t"                                               \
                     "ldr    %[a1], [%[t]]\n\t"                                               \
                     "ldr    %[b0], [%[s], %[rs], lsl #1]\n\t"                                \
                     "ldr    %[b1], [%[t], %[rs], lsl #1]\n\t"                                \
                     "add    %[s], %[s], %[rs], lsl #2\n\t"                                   \
                     "add    %[t], %[t], %[rs], lsl #2\n\t"                                   \
                     DW3_PAIR_ASM("lo", "hi", "a0", "a1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "a0", "a1")                                  \
                     DW3_PAIR_ASM("lo", "hi", "b0", "b1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "b0", "b1")                                  \
                     "4:\n\t"                                                                 \
                     "beq    3f\n\t"                                                          \
                     "ldr    %[a0], [%[s]]\n\t"                                               \
                     "ldr    %[a1], [%[t]]\n\t"                                               \
                     "add    %[s], %[s], %[rs], lsl #1\n\t"                                   \
                     DW3_PAIR_ASM("lo", "hi", "a0", "a1")                                     \
                     DW3_PAIR_ST(ps, "lo", "hi", "a0", "a1")                                  \
                     "3:\n\t"                                                                 \
                     : [s] "+r"(src), [t] "+r"(s1), [d] "+r"(d), [n] "+r"(n), [a0] "=&r"(a0), \
                       [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [lo] "=&r"(lo),        \
                       [hi] "=&r"(hi)                                                         \
                     : [rs] "r"(rs), [rs3] "r"(rs3)                                           \
                     : "cc", "memory");                                                       \
    *sp = src;                                                                                \
    *dp = d;                                                                                  \
}
DW3_ROWS4N_FN(dw3_rows4, 48)
#define DW3_ROWS4_FN(name, ps)                                                             \
    static inline __attribute__((always_inline)) void name(const int8_t **sp, int32_t rs,  \
                                                           uint8_t **dp, int32_t n)        \
    {                                                                                      \
        const int8_t *src = *sp;                                                           \
        uint8_t *d = *dp;                                                                  \
        int32_t x0, x1, lo, hi;                                                            \
        if (n <= 0) {                                                                      \
            return;                                                                        \
        }                                                                                  \
        __asm__ volatile("1:\n\t"                                                          \
                         "ldr    %[x0], [%[s]]\n\t"                                        \
                         "ldr    %[x1], [%[s], %[rs]]\n\t"                                 \
                         "add    %[s], %[s], %[rs], lsl #1\n\t"                            \
                         "pkhbt  %[lo], %[x0], %[x1], lsl #16\n\t"                         \
                         "pkhtb  %[hi], %[x1], %[x0], asr #16\n\t"                         \
                         "sxtb16 %[x0], %[lo]\n\t"                                         \
                         "sxtb16 %[x1], %[lo], ror #8\n\t"                                 \
                         "sxtb16 %[lo], %[hi]\n\t"                                         \
                         "sxtb16 %[hi], %[hi], ror #8\n\t"                                 \
                         "str    %[x0], [%[d]], #" #ps "\n\t"                              \
                         "str    %[x1], [%[d], #(4-" #ps ")]\n\t"                          \
                         "str    %[lo], [%[d], #(8-" #ps ")]\n\t"                          \
                         "str    %[hi], [%[d], #(12-" #ps ")]\n\t"                         \
                         "subs   %[n], %[n], #1\n\t"                                       \
                         "bne    1b\n\t"                                                   \
                         : [s] "+r"(src), [d] "+r"(d), [n] "+r"(n), [x0] "=&r"(x0),        \
                           [x1] "=&r"(x1), [lo] "=&r"(lo), [hi] "=&r"(hi)                  \
                         : [rs] "r"(rs)                                                    \
                         : "cc", "memory");                                                \
        *sp = src;                                                                         \
        *dp = d;                                                                           \
    }
#endif
#if MCS_DSP_ASM_M7
DW3_ROWS4_FN(dw3_rows4_pp, 48)
static inline void dw3_rows4_p(const int8_t *src, int32_t rs, uint8_t *d, int32_t n)
{
    dw3_rows4_pp(&src, rs, &d, n);
}
#endif
/* the plane's (dw3_plane_cols): *sp and *dp move past the n row pairs */
DW3_ROWS4_FN(dw3_rows4_plane, 128)
#if DW3_WIDE
/* the wide plane's (DW3_WPAIR; STR's post-index: < 256), four pairs per iteration as the ring's
 * (its columns have 6 to 15 row pairs; against the loop of one pair, Cortex-M33, mcusim's
 * model, VWW's 24x24x32 376,324 -> 373,188 cycles, 24x24x32 -> 12x12 134,424 -> 131,152,
 * 12x12x64 -> 6x6 71,677 -> 71,420; 12x12x64 183,789 -> 184,365) */
DW3_ROWS4N_FN(dw3_rows4_wide, 240)
#endif

/* The per-call constants of the planar path. Where the input rows land in the ring (the
 * same for every column): row pairs [j0, j1) hold input rows (padded row 2j is input row
 * 2j - pad_top); of them, the first has only its second row (top halfwords) inside when
 * `top` (pad_top odd), then `full` pairs with both rows inside from input row `row`, then
 * one with only its first row inside when `bottom`. zslot[s]: ring slot s holds zero points
 * only (all four channels), as after dw3_fill. */
typedef struct {
    const mcs_conv2d_s8_params_t *p;
    uint8_t *ring;
    int32_t j0, j1, top, full, row, bottom;
    int32_t ps;  /* bytes between row pairs: DW3_PAIR (ring) or DW3_PPAIR (plane) */
    int32_t rs;  /* input bytes between rows */
    int32_t zw4; /* the input zero point in each byte */
    int32_t sw3; /* stride_w % 3 */
    int32_t zslot[3];
} dw3_call_t;

static void dw3_call_init(dw3_call_t *k, const mcs_conv2d_s8_params_t *p, uint8_t *ring,
                          int32_t pairs, int32_t ps)
{
    const int32_t j1 = (p->pad_top + p->in_h + 1) >> 1;
    k->p = p;
    k->ring = ring;
    k->ps = ps;
    k->j0 = p->pad_top >> 1;
    k->j1 = (j1 < pairs) ? j1 : pairs;
    k->top = (p->pad_top & 1) && k->j0 < k->j1;
    k->row = 2 * (k->j0 + k->top) - p->pad_top;
    k->full = (p->in_h - k->row) >> 1;
    if (k->full > k->j1 - k->j0 - k->top) {
        k->full = k->j1 - k->j0 - k->top;
    }
    k->bottom = k->j0 + k->top + k->full < k->j1;
    k->rs = p->in_w * p->in_c;
    k->zw4 = (int32_t)(0x01010101u * ((uint32_t)p->input_zp & 0xFFu));
    k->sw3 = p->stride_w % 3;
    k->zslot[0] = k->zslot[1] = k->zslot[2] = 1;
}

/* A column of four channels inside the input (col: its row 0) -> the ring slot at dst (row
 * pair j0), row pairs [j0, j1): the common case of dw3_convert. The Cortex-M4 and M33 take
 * the bottom pair where dw3_rows4 leaves its pointers; the Cortex-M7 computes it (the
 * pointers through memory cost it more: VWW's 48x48x16 s2 160,776 -> 162,120 cycles). */
static __attribute__((noinline)) void dw3_convert4(const dw3_call_t *k, const int8_t *col,
                                                   uint8_t *dst)
{
    if (k->top) {
        dw3_pair4(dst, k->zw4, mcs_dsp_ld_s8x4(col));
        dst += DW3_PAIR;
    }
    col += k->row * k->rs;
#if MCS_DSP_ASM_M7
    dw3_rows4_p(col, k->rs, dst, k->full);
    if (k->bottom) {
        dw3_pair4(dst + k->full * DW3_PAIR, mcs_dsp_ld_s8x4(col + 2 * k->full * k->rs),
                  k->zw4);
    }
#else
    dw3_rows4(&col, k->rs, &dst, k->full);
    if (k->bottom) {
        dw3_pair4(dst, mcs_dsp_ld_s8x4(col), k->zw4);
    }
#endif
}

/* n columns of four channels inside the input (s: the first one's row `row` of dw3_call_t,
 * the next ch bytes on) -> the plane's slots from dst on, row pairs [j0, j1): dw3_convert4 of
 * the plane in one call for all columns of a group, k's fields read once; `top` and
 * `bottom` constants (one loop for each case). The top pair's row is input row 0, s - rs
 * (pad_top odd: row = 1); the bottom one's is where dw3_rows4_plane leaves s. */
static inline __attribute__((always_inline)) void
dw3_plane_cols(const int8_t *s, int32_t rs, uint8_t *dst, int32_t n, int32_t ch, int32_t full,
               int32_t zw4, const int32_t top, const int32_t bottom, const int32_t ps)
{
    for (; n > 0; --n, s += ch, dst += DW3_SLOT) {
        const int8_t *r = s;
        uint8_t *d = dst;
        if (top) {
            dw3_pair4(d, zw4, mcs_dsp_ld_s8x4(r - rs));
            d += ps;
        }
#if DW3_WIDE
        if (ps == DW3_WPAIR) {
            dw3_rows4_wide(&r, rs, &d, full);
        } else
#endif
        {
            dw3_rows4_plane(&r, rs, &d, full);
        }
        if (bottom) {
            dw3_pair4(d, mcs_dsp_ld_s8x4(r), zw4);
        }
    }
}

/* The plane's columns of a group of four channels: dw3_plane_cols for the pads' case. One
 * call per group instead of one per column (dw3_convert4 as the ring's: 91 cycles per column
 * on the Cortex-M33, a fifth of the plane's cost per group besides the columns' loop):
 * mcusim's models, VWW's 6x6x128 Cortex-M33 114,951 -> 107,807 cycles, 6x6x128 -> 3x3
 * 61,607 -> 55,615, 3x3x256 97,673 -> 92,481; Cortex-M7 85,299 -> 80,015, 44,626 -> 39,470,
 * 71,762 -> 67,662. */
static inline __attribute__((always_inline)) void
dw3_convert4_ps(const dw3_call_t *k, const int8_t *col, uint8_t *dst, int32_t n, int32_t ch,
                const int32_t ps)
{
    const int8_t *s = col + k->row * k->rs;
    if (k->top) {
        if (k->bottom) {
            dw3_plane_cols(s, k->rs, dst, n, ch, k->full, k->zw4, 1, 1, ps);
        } else {
            dw3_plane_cols(s, k->rs, dst, n, ch, k->full, k->zw4, 1, 0, ps);
        }
    } else if (k->bottom) {
        dw3_plane_cols(s, k->rs, dst, n, ch, k->full, k->zw4, 0, 1, ps);
    } else {
        dw3_plane_cols(s, k->rs, dst, n, ch, k->full, k->zw4, 0, 0, ps);
    }
}
#if DW3_WIDE
/*
 * Cortex-M33, the plane's columns of at most six input rows (VWW's 6x6 and 3x3 maps: top
 * pair, two full pairs, bottom pair / three full pairs / top pair and one full), each column
 * in one straight piece instead of dw3_plane_cols' C pairs and loop of one pair: rows i of
 * the column at s + i rs (even rows [s, rs, LSL #i/2 .. ], odd ones the same from t = s + rs),
 * pair p from rows 2p - CT and 2p + 1 - CT (the zero points zw in place of the row above the
 * input (CT) and below it (CB)), each pair's four words as dw3_pair4's (PKHBT / PKHTB, SXTB16)
 * with the next pair's rows loaded between its PKH and its SXTB16 (the loads' results two
 * cycles later on this core, the PKHs' too: shifted operand). Pairs alternate between the
 * registers a0, a1 and a2, a3. mcusim's model, VWW's kernel cases, this function per call:
 * 6x6x128 13,568 -> 11,200 cycles (70.7 -> 51.8 per column), 6x6x128 -> 3x3 12,032 ->
 * 9,312, 3x3x256 9,344 -> 8,064; the layers 101,913 -> 99,513, 49,655 -> 46,967,
 * 81,081 -> 79,865. Other triples (more rows, no full pair) take dw3_convert4_ps.
 */
#define DW3_CROW(reg, i)                                                                   \
    ".if (" i ") == 0\n\tldr    %[" reg "], [%[s]]\n\t"                                    \
    ".elseif (" i ") == 1\n\tldr    %[" reg "], [%[s], %[rs]]\n\t"                         \
    ".elseif (" i ") == 2\n\tldr    %[" reg "], [%[s], %[rs], lsl #1]\n\t"                 \
    ".elseif (" i ") == 3\n\tldr    %[" reg "], [%[t], %[rs], lsl #1]\n\t"                 \
    ".elseif (" i ") == 4\n\tldr    %[" reg "], [%[s], %[rs], lsl #2]\n\t"                 \
    ".else\n\tldr    %[" reg "], [%[t], %[rs], lsl #2]\n\t.endif\n\t"
/* The rows of pair p (x0, x1: its registers) when it exists. */
#define DW3_CLOADS(p, x0, x1)                                                              \
    ".if (" p ") < DW3_NP\n\t"                                                            \
    ".if !((" p ") == 0 && DW3_CT)\n\t" DW3_CROW(x0, "2 * (" p ") - DW3_CT") ".endif\n\t"    \
    ".if !((" p ") == DW3_NP - 1 && DW3_CB)\n\t" DW3_CROW(x1, "2 * (" p ") + 1 - DW3_CT")      \
    ".endif\n\t.endif\n\t"
/* Pair p from x0, x1 (or zw), loading pair p + 1's rows into y0, y1. */
#define DW3_CPAIR(p, x0, x1, y0, y1)                                                       \
    ".if (" p ") < DW3_NP\n\t"                                                            \
    ".if (" p ") == 0 && DW3_CT\n\t"                                                      \
    "pkhbt  %[lo], %[zw], %[" x1 "], lsl #16\n\t"                                          \
    "pkhtb  %[hi], %[" x1 "], %[zw], asr #16\n\t"                                          \
    ".elseif (" p ") == DW3_NP - 1 && DW3_CB\n\t"                                         \
    "pkhbt  %[lo], %[" x0 "], %[zw], lsl #16\n\t"                                          \
    "pkhtb  %[hi], %[zw], %[" x0 "], asr #16\n\t"                                          \
    ".else\n\t"                                                                            \
    "pkhbt  %[lo], %[" x0 "], %[" x1 "], lsl #16\n\t"                                      \
    "pkhtb  %[hi], %[" x1 "], %[" x0 "], asr #16\n\t"                                      \
    ".endif\n\t"                                                                           \
    DW3_CLOADS(p " + 1", y0, y1)                                                           \
    "sxtb16 %[" x1 "], %[lo]\n\t"                                                          \
    "sxtb16 %[lo], %[lo], ror #8\n\t"                                                      \
    "str    %[" x1 "], [%[d], #((" p ") * 128)]\n\t"                                       \
    "sxtb16 %[" x1 "], %[hi]\n\t"                                                          \
    "str    %[lo], [%[d], #((" p ") * 128 + 4)]\n\t"                                       \
    "sxtb16 %[hi], %[hi], ror #8\n\t"                                                      \
    "str    %[" x1 "], [%[d], #((" p ") * 128 + 8)]\n\t"                                   \
    "str    %[hi], [%[d], #((" p ") * 128 + 12)]\n\t"                                      \
    ".endif\n\t"
#define DW3_CCOL_ASM(ct, nf, cb)                                                           \
    __asm__ volatile(".set   DW3_CT, " ct "\n\t"                                          \
                     ".set   DW3_CB, " cb "\n\t"                                          \
                     ".set   DW3_NP, " ct " + " nf " + " cb "\n\t"                        \
                     "1:\n\t"                                                             \
                     DW3_CLOADS("0", "a0", "a1")                                           \
                     "add    %[t], %[s], %[rs]\n\t"                                        \
                     DW3_CPAIR("0", "a0", "a1", "a2", "a3")                                \
                     DW3_CPAIR("1", "a2", "a3", "a0", "a1")                                \
                     DW3_CPAIR("2", "a0", "a1", "a2", "a3")                                \
                     DW3_CPAIR("3", "a2", "a3", "a0", "a1")                                \
                     "add    %[s], %[s], %[ch]\n\t"                                        \
                     "add    %[d], %[d], #16\n\t"                                          \
                     "subs   %[n], %[n], #1\n\t"                                           \
                     "bne    1b\n\t"                                                       \
                     : [s] "+r"(s), [d] "+r"(d), [n] "+r"(n), [t] "=&r"(t), [a0] "=&r"(a0), \
                       [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [lo] "=&r"(lo),     \
                       [hi] "=&r"(hi)                                                      \
                     : [rs] "r"(rs), [ch] "r"(ch), [zw] "r"(zw)                            \
                     : "cc", "memory")

static __attribute__((noinline)) void dw3_convert4_plane(const dw3_call_t *k, const int8_t *col,
                                                         uint8_t *dst, int32_t n, int32_t ch)
{
    const int32_t rs = k->rs;
    const int32_t zw = k->zw4;
    const int8_t *s = col + (k->row - k->top) * rs; /* the column's first row read */
    uint8_t *d = dst;
    int32_t t, a0, a1, a2, a3, lo, hi;
    if (n <= 0) {
        return;
    }
    /* (top, full, bottom): six rows at most */
    switch (k->full * 4 + k->bottom * 2 + k->top) { /* one case per triple */
    case 2 * 4 + 2 + 1:
        DW3_CCOL_ASM("1", "2", "1");
        break;
    case 3 * 4:
        DW3_CCOL_ASM("0", "3", "0");
        break;
    case 1 * 4 + 1:
        DW3_CCOL_ASM("1", "1", "0");
        break;
    case 2 * 4 + 1:
        DW3_CCOL_ASM("1", "2", "0");
        break;
    case 2 * 4 + 2:
        DW3_CCOL_ASM("0", "2", "1");
        break;
    case 2 * 4:
        DW3_CCOL_ASM("0", "2", "0");
        break;
    case 1 * 4 + 2:
        DW3_CCOL_ASM("0", "1", "1");
        break;
    case 1 * 4:
        DW3_CCOL_ASM("0", "1", "0");
        break;
    case 1 * 4 + 2 + 1:
        DW3_CCOL_ASM("1", "1", "1");
        break;
    default:
        dw3_convert4_ps(k, col, dst, n, ch, DW3_PPAIR);
        break;
    }
    (void)t; (void)a0; (void)a1; (void)a2; (void)a3; (void)lo; (void)hi;
}
#else
static __attribute__((noinline)) void dw3_convert4_plane(const dw3_call_t *k, const int8_t *col,
                                                         uint8_t *dst, int32_t n, int32_t ch)
{
    dw3_convert4_ps(k, col, dst, n, ch, DW3_PPAIR);
}
#endif
#if DW3_WIDE
/* the wide plane's (DW3_WPAIR) */
static __attribute__((noinline)) void dw3_convert4_wide(const dw3_call_t *k, const int8_t *col,
                                                        uint8_t *dst, int32_t n, int32_t ch)
{
    dw3_convert4_ps(k, col, dst, n, ch, DW3_WPAIR);
}
#endif

/* A column of a partial group (g < 4 channels) inside the input -> dst (row pair j0), byte by
 * byte (a word load could run past the input); the other channels' words get zero points. */
static void dw3_convert_part(const dw3_call_t *k, const int8_t *col, int32_t g, uint8_t *dst)
{
    const mcs_conv2d_s8_params_t *p = k->p;
    int32_t j;
    for (j = k->j0; j < k->j1; ++j) {
        uint32_t x[2];
        int32_t r, c;
        for (r = 0; r < 2; ++r) {
            const int32_t row = 2 * j + r - p->pad_top;
            uint32_t v = (uint32_t)k->zw4;
            for (c = g - 1; c >= 0; --c) {
                const int32_t bv = (row >= 0 && row < p->in_h) ? col[row * k->rs + c]
                                                               : p->input_zp;
                v = (v << 8) | ((uint32_t)bv & 0xFFu);
            }
            x[r] = v;
        }
        dw3_pair4(dst, (int32_t)x[0], (int32_t)x[1]);
        dst += k->ps;
    }
}

/*
 * Input column ix of channels [c0, c0 + g) (col: its row 0) -> ring slot s, row pairs
 * [j0, j1) (dw3_convert4, or here the rare cases: a column of padding, a partial group); the
 * others hold the zero point since dw3_fill. A column outside the input is all
 * zero points too: with the accumulators starting from bias + input_offset * sum(w), a zero
 * point contributes (zp + input_offset) * w = 0, so the padding needs no other care.
 */
static __attribute__((noinline)) void dw3_convert(dw3_call_t *k, const int8_t *col, int32_t g,
                                                  int32_t ix, int32_t s)
{
    const mcs_conv2d_s8_params_t *p = k->p;
    uint8_t *dst = k->ring + DW3_SLOT * s + k->j0 * DW3_PAIR;
    int32_t j;
    if (ix < 0 || ix >= p->in_w) {
        const int32_t zw = dw3_pack(p->input_zp, p->input_zp);
        if (!k->zslot[s]) {
            for (j = k->j0; j < k->j1; ++j) {
                dw3_st(dst, zw);
                dw3_st(dst + 4, zw);
                dw3_st(dst + 8, zw);
                dw3_st(dst + 12, zw);
                dst += DW3_PAIR;
            }
            k->zslot[s] = 1;
        }
        return;
    }
    k->zslot[s] = 0;
    if (g == 4) {
        dw3_convert4(k, col, dst);
        return;
    }
    dw3_convert_part(k, col, g, dst);
}

/* Column stepping of dw3_group: the next padded input column to convert (xp, in ring slot
 * sx = xp % 3) and the padded column of the current output column's kernel column 0 (xl, in
 * slot s0). */
typedef struct {
    int32_t xp, sx, xl, s0;
} dw3_cols_t;

/* The input columns the current output column needs that are not in the ring yet ->
 * their slots (in_c0: input column 0, row 0 of the group's channels). */
static inline void dw3_columns_in(dw3_call_t *k, dw3_cols_t *t, const int8_t *in_c0,
                                  int32_t g)
{
    const int32_t ch = k->p->in_c;
    while (t->xp < t->xl) { /* horizontal stride > 3: columns no window reads */
        ++t->xp;
        t->sx = (t->sx == 2) ? 0 : t->sx + 1;
    }
    for (; t->xp < t->xl + 3; ++t->xp) {
        const int32_t ix = t->xp - k->p->pad_left;
        const int32_t inside = ix >= 0 && ix < k->p->in_w;
        if (g == 4 && inside) {
            k->zslot[t->sx] = 0;
            dw3_convert4(k, in_c0 + ix * ch, k->ring + DW3_SLOT * t->sx + k->j0 * DW3_PAIR);
        } else {
            dw3_convert(k, inside ? in_c0 + ix * ch : in_c0, g, ix, t->sx);
        }
        t->sx = (t->sx == 2) ? 0 : t->sx + 1;
    }
}

/* The next output column. */
static inline void dw3_columns_next(const dw3_call_t *k, dw3_cols_t *t)
{
    t->xl += k->p->stride_w;
    t->s0 += k->sw3;
    t->s0 = (t->s0 >= 3) ? t->s0 - 3 : t->s0;
}

/* The ring or the plane (`bytes`, a multiple of 4) -> zero points. */
static void dw3_fill(uint8_t *ring, int32_t zp, int32_t bytes)
{
    const int32_t zw = dw3_pack(zp, zp);
    int32_t i;
    for (i = 0; i < bytes / 4; ++i) {
        dw3_st(ring + 4 * i, zw);
    }
}

/*
 * The column loop, in assembly: for each channel of the group, all rows of one output column
 * (b = the channel's ring word at row pair 0, slot 0; a, b = the slot's weight words of
 * dw3_chan_t). Vertical stride 1, four rows per iteration: the row pairs P0 = (v0, v1),
 * P1 = (v2, v3), P2 = (v4, v5) of each slot give
 *   out0 += SMLAD(P0, a) + P1.bottom * b.top     out1 += P0.top * a.bottom + SMLAD(P1, b)
 *   out2 += SMLAD(P1, a) + P2.bottom * b.top     out3 += P1.top * a.bottom + SMLAD(P2, b)
 * (SMLABT, SMLATB for the single products); vertical stride 2: out_i += SMLAD(P_i, a) +
 * P_(i+1).bottom * b.bottom, five row pairs. Then the out_h % 4 last rows the same way.
 *
 * Requantization of an accumulator a2 = 2 * acc (|acc| < 2^30: mcs_dsp_rq_small_ok) with the
 * table entry (m, e, r) of mcs_dsp_rq_table: the table's (x + r + (x < 0 ? -1 : 0)) >> e,
 * x = SMMULR(a2, m), with the sign taken from a2 instead: m >= 0, so x < 0 implies a2 < 0,
 * and a2 < 0 with x = 0 gives (r - 1) >> e = r >> e (r = (2 zp + 1) 2^(e-1), e >= 1). So
 * r + sign is the addend of SMMLAR (a + ((n * m + 2^31) >> 32), exact here): ADD, SMMLAR,
 * ASR, SSAT per output, then the activation clamps where they differ from int8's.
 *
 * Why assembly: GCC's C version of the four-row iteration took about 145 cycles on the
 * Cortex-M33 (25x5x64), half its state spilled and reloaded badly, and 6.0 cycles/MAC on the
 * Cortex-M7 for the whole layer; this loop takes 84 cycles (M7: 1.87 cycles/MAC). The 14
 * registers hold the six weight words, four accumulators, b and three temps; everything else
 * lives in this frame: the fields the loops read are memory operands, the others are reached
 * through a pointer to it (offsets fixed, checked below). Loads sit in pairs: a load right
 * behind a load or store costs one cycle instead of two.
 */
typedef struct {
    const dw3_chan_t *blk; /*  0: the next channel's block */
    int32_t wofs;          /*  4: byte offset of slot 0's weights in dw3_chan_t.w, 8 k0 */
    int8_t *o0;            /*  8: the next channel's output row 0 */
    int32_t nch;           /* 12: channels left */
    int32_t corr, m, e, r; /* 16..28: the current channel's, copied from its block */
    /* the plane's column loop: */
    const uint8_t *bcol;   /* 32: the current channel's b at the current column */
    int8_t *ocol;          /* 36: its output at the current column, row 0 */
    int32_t ncol;          /* 40: columns left */
    int32_t cstep;         /* 44: plane bytes between output columns (16 stride_w) */
    int32_t ncols;         /* 48: out_w */
    int32_t ostep;         /* 52: output bytes between columns (in_c) */
    int32_t amin, amax, os;
    int32_t rem; /* out_h % 4 (3: one group of three rows), or 5: the last group has five
                  * rows (out_h % 4 == 1) */
    int32_t a4; /* a five-row group's fifth accumulator; in DW3_COLUMN8_ASM first the
                 * channel's weights' address (read before any five-row group writes it) */
    int8_t *o;           /* the current channel's next output */
    const uint8_t *pend; /* the current channel's end of whole groups */
} dw3_asm_t;

typedef char dw3_check_asm[(offsetof(dw3_asm_t, blk) == 0 && offsetof(dw3_asm_t, wofs) == 4 &&
                            offsetof(dw3_asm_t, o0) == 8 && offsetof(dw3_asm_t, nch) == 12 &&
                            offsetof(dw3_asm_t, corr) == 16 && offsetof(dw3_asm_t, m) == 20 &&
                            offsetof(dw3_asm_t, e) == 24 && offsetof(dw3_asm_t, r) == 28 &&
                            offsetof(dw3_asm_t, bcol) == 32 && offsetof(dw3_asm_t, ocol) == 36 &&
                            offsetof(dw3_asm_t, ncol) == 40 && offsetof(dw3_asm_t, cstep) == 44 &&
                            offsetof(dw3_asm_t, ncols) == 48 && offsetof(dw3_asm_t, ostep) == 52)
                               ? 1
                               : -1];

/* A channel's start (x = stp: DW3_STP_CHANNEL): constants to the frame, weights to
 * registers, b, o, pend. */
#define DW3_CHANNEL                                                                        \
    DW3_STP_CHANNEL                                                                        \
    "ldr    %[z], [%[x]]\n\t"                                                              \
    "ldr    %[y], [%[x], #4]\n\t"                                                          \
    "ldr    %[a0], [%[z], #40]\n\t"                                                        \
    "ldr    %[a1], [%[z], #44]\n\t"                                                        \
    "ldr    %[a2], [%[z], #48]\n\t"                                                        \
    "ldr    %[a3], [%[z], #52]\n\t"                                                        \
    "str    %[a0], [%[x], #16]\n\t"                                                        \
    "str    %[a1], [%[x], #20]\n\t"                                                        \
    "str    %[a2], [%[x], #24]\n\t"                                                        \
    "str    %[a3], [%[x], #28]\n\t"                                                        \
    "ldr    %[b], [%[z], #56]\n\t"                                                         \
    "ldr    %[a0], [%[z], #60]\n\t"                                                        \
    "ldr    %[a1], [%[x], #8]\n\t"                                                         \
    "add    %[y], %[z], %[y]\n\t"                                                          \
    "ldr    %[wa0], [%[y]]\n\t"                                                            \
    "ldr    %[wb0], [%[y], #4]\n\t"                                                        \
    "ldr    %[wa1], [%[y], #8]\n\t"                                                        \
    "ldr    %[wb1], [%[y], #12]\n\t"                                                       \
    "ldr    %[wa2], [%[y], #16]\n\t"                                                       \
    "ldr    %[wb2], [%[y], #20]\n\t"                                                       \
    "add    %[z], %[z], #64\n\t"                                                           \
    "str    %[z], [%[x]]\n\t"                                                              \
    "str    %[a0], %[pend]\n\t"                                                            \
    "str    %[a1], %[o]\n\t"                                                               \
    "add    %[a1], %[a1], #1\n\t"                                                          \
    "str    %[a1], [%[x], #8]\n\t"

/* The requantization of a_i (above), m in y, r in z: x = r + sign, a_i = SMMLAR(a_i, m, x);
 * in a _relu kernel (MCS_DSP_RQ_RELU, mcs_dsp_s8.h: act_min >= output_zp, where the sign
 * term changes no output) a_i = SMMLAR(a_i, m, z) alone, one instruction per output, and x
 * is free: it takes e (DW3_LD_E, before the first SMMLAR, which fills the gap between the
 * groups' last load of m and its first use: Cortex-M33, one stall otherwise) and DW3_RE
 * names the register that holds e for the shifts (z, or x). Cortex-M33, mcusim's model,
 * VWW's nine depthwise shapes through the _relu kernel: 1,600,245 -> 1,530,020 cycles. */
#define DW3_MUL(a)                                                                         \
    MCS_DSP_RQ_SIGN("x", "z", a)                                                           \
    "smmlar %[" a "], %[" a "], %[y], " MCS_DSP_RQ_RA("x", "z") "\n\t"
/* The last one, with e (the memory operand `e_at`) loaded into z between its ADD and SMMLAR
 * (Cortex-M33: a load's result is ready two cycles after it issues, an SMMLAR's too, and the
 * shifted ADD's result feeds SMMLAR's accumulator operand without a stall); in a _relu
 * kernel e is already in x (DW3_LD_E) and z still holds r. */
#if MCS_DSP_RQ_RELU
#define DW3_MUL_AT(a, e_at) DW3_MUL(a)
#define DW3_LD_E(e_at) "ldr    %[x], " e_at "\n\t"
#define DW3_RE "x"
#else
#define DW3_MUL_AT(a, e_at)                                                                \
    "add    %[x], %[z], %[" a "], asr #31\n\t"                                             \
    "ldr    %[z], " e_at "\n\t"                                                            \
    "smmlar %[" a "], %[" a "], %[y], %[x]\n\t"
#define DW3_LD_E(e_at) ""
#define DW3_RE "z"
#endif
#define DW3_MUL_E(a) DW3_MUL_AT(a, "%[e]")
/* ... >> e (in DW3_RE), SSAT to int8. */
#define DW3_SHIFT(a)                                                                       \
    "asr    %[" a "], %[" a "], %[" DW3_RE "]\n\t"                                         \
    "ssat   %[" a "], #8, %[" a "]\n\t"
#define DW3_CLAMP(a, cond)                                                                 \
    "cmp    %[" a "], %[y]\n\tit     " cond "\n\tmov" cond "  %[" a "], %[y]\n\t"
/* RQ4 and RQ2 end with act_min (ld_lo) and the stores' o and os (z, x) loaded together: on
 * the Cortex-M4 a load right behind a load costs one cycle instead of two. */
#define DW3_LD_ST "ldr    %[z], %[o]\n\tldr    %[x], %[os]\n\t"
#define DW3_RQ4(ld_lo)                                                                     \
    DW3_LD_E("%[e]")                                                                       \
    DW3_MUL("a0") DW3_MUL("a1") DW3_MUL("a2") DW3_MUL_E("a3")                              \
    DW3_SHIFT("a0") DW3_SHIFT("a1") DW3_SHIFT("a2") DW3_SHIFT("a3") ld_lo DW3_LD_ST
#define DW3_RQ2(ld_lo)                                                                     \
    DW3_LD_E("%[e]")                                                                       \
    DW3_MUL("a0") DW3_MUL_E("a1") DW3_SHIFT("a0") DW3_SHIFT("a1") ld_lo DW3_LD_ST
#define DW3_RQ3(ld_lo)                                                                     \
    DW3_LD_E("%[e]")                                                                       \
    DW3_MUL("a0") DW3_MUL("a1") DW3_MUL_E("a2")                                            \
    DW3_SHIFT("a0") DW3_SHIFT("a1") DW3_SHIFT("a2") ld_lo DW3_LD_ST
/* (one output: o loaded into DW3_RO here, for DW3_ST1, fills the SMMLAR's latency; x, or
 * in a _relu kernel z, where x holds e) */
#if MCS_DSP_RQ_RELU
#define DW3_RO "z"
#else
#define DW3_RO "x"
#endif
#define DW3_RQ1(ld_lo)                                                                     \
    DW3_LD_E("%[e]") DW3_MUL_E("a0") "ldr    %[" DW3_RO "], %[o]\n\t" ld_lo DW3_SHIFT("a0")
/* The activation clamps, after SSAT: max(act_min) with act_min loaded into y next to e
 * (DW3_LD_LO), min(act_max); none when they are SSAT's bounds (a ReLU whose output zero
 * point is -128: the zoo's layers). */
#define DW3_LD_LO "ldr    %[y], %[amin]\n\t"
#define DW3_CLAMP4(cond)                                                                   \
    DW3_CLAMP("a0", cond) DW3_CLAMP("a1", cond) DW3_CLAMP("a2", cond) DW3_CLAMP("a3", cond)
#define DW3_CLAMP2(cond) DW3_CLAMP("a0", cond) DW3_CLAMP("a1", cond)
#define DW3_CLAMP3(cond) DW3_CLAMP("a0", cond) DW3_CLAMP("a1", cond) DW3_CLAMP("a2", cond)
#define DW3_CLAMP1(cond) DW3_CLAMP("a0", cond)
#define DW3_HI(n) "ldr    %[y], %[amax]\n\t" DW3_CLAMP##n("gt")

/* Stores of 4 / 2 / 1 outputs, os bytes apart, from o (kept in the frame; z = o, x = os
 * loaded by DW3_RQ4 / DW3_RQ2); ST4 also loads
 * pend into y for the loop test (between the shifted ADD and the store that uses its
 * result: two cycles on the Cortex-M33); ST2 ends the column (o is not needed after it);
 * ST1 stores through DW3_RO, which DW3_RQ1 loads with o. */
#define DW3_ST4                                                                            \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "strb   %[a1], [%[z], %[x]]\n\t"                                                       \
    "add    %[z], %[z], %[x], lsl #1\n\t"                                                  \
    "ldr    %[y], %[pend]\n\t"                                                             \
    "strb   %[a2], [%[z]]\n\t"                                                             \
    "strb   %[a3], [%[z], %[x]]\n\t"                                                       \
    "add    %[z], %[z], %[x], lsl #1\n\t"                                                  \
    "str    %[z], %[o]\n\t"
#define DW3_ST2                                                                            \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "strb   %[a1], [%[z], %[x]]\n\t"
#define DW3_ST1 "strb   %[a0], [%[" DW3_RO "]]\n\t" /* DW3_RO = o: DW3_RQ1 */
/* The last three rows of a column (z = o, x = os; o is not needed after them): the third
 * through STRB's register offset shifted left by one (o + 2 os), not an ADD with a shifted
 * operand, whose result the Cortex-M33 has two cycles later. */
#define DW3_ST3                                                                            \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "strb   %[a1], [%[z], %[x]]\n\t"                                                       \
    "strb   %[a2], [%[z], %[x], lsl #1]\n\t"

/*
 * The row-pair offsets below are assembler expressions of symbols each asm statement sets
 * (DW3_GEOMETRY): DW3_PS, the bytes between row pairs (48 in the ring, 128 in the plane);
 * DW3_PL, 1 in the plane; DW3_B1 / DW3_B2, where b points during a group of four rows of
 * vertical stride 1 / 2, relative to its first row pair. The ring advances b with the first
 * load (post-indexed: B = -2 PS / -4 PS); the plane's steps do not fit a post-index immediate
 * (at most 255), so there b stays (B = 0) and an ADD moves it at the end of the group.
 */
#define DW3_GEOMETRY(ps, pl)                                                               \
    ".set   DW3_PS, " ps "\n\t"                                                            \
    ".set   DW3_PL, " pl "\n\t"                                                            \
    ".set   DW3_B1, (DW3_PL - 1) * 2 * DW3_PS\n\t"                                         \
    ".set   DW3_B2, (DW3_PL - 1) * 4 * DW3_PS\n\t"
/* x = the word at b, b advanced by n row pairs in the ring (post-index). */
#define DW3_LD_ADVANCE(n)                                                                  \
    ".if DW3_PL\n\t"                                                                       \
    "ldr    %[x], [%[b]]\n\t"                                                              \
    ".else\n\t"                                                                            \
    "ldr    %[x], [%[b]], #(" n " * DW3_PS)\n\t"                                           \
    ".endif\n\t"
/* The plane's advance of b by n row pairs. */
#define DW3_PLANE_ADVANCE(n)                                                               \
    ".if DW3_PL\n\t"                                                                       \
    "add    %[b], %[b], #(" n " * DW3_PS)\n\t"                                             \
    ".endif\n\t"
/* The memory operand at row pair `pair` (relative to the group's first), slot byte `s`. */
#define DW3_AT1(pair, s) "[%[b], #(DW3_B1 + " pair " * DW3_PS + " s ")]"
#define DW3_AT2(pair, s) "[%[b], #(DW3_B2 + " pair " * DW3_PS + " s ")]"
#define DW3_AT(pair, s) "[%[b], #(" pair " * DW3_PS + " s ")]"

/*
 * Vertical stride 1. Four rows: per slot the three row
 * pairs, loaded two at a time; the accumulators start from corr as the addend of
 * their first MAC (a0 last: it holds corr until then); m and r loaded next to the last row
 * pair. Two rows and one row (the tails): pairs P0, P1 of each slot.
 */
#define DW3_S1_GROUP4                                                                      \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    DW3_LD_ADVANCE("2")                                                                    \
    "ldr    %[y], " DW3_AT1("1", "0") "\n\t"                                               \
    "smlatb %[a1], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa0], %[a0]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("2", "0") "\n\t"                                               \
    "ldr    %[y], " DW3_AT1("0", "16") "\n\t"                                              \
    "smlabt %[a2], %[x], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wb0], %[a3]\n\t"                                                \
    "smlad  %[a0], %[y], %[wa1], %[a0]\n\t"                                                \
    "smlatb %[a1], %[y], %[wa1], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("1", "16") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("2", "16") "\n\t"                                              \
    "smlabt %[a0], %[x], %[wb1], %[a0]\n\t"                                                \
    "smlad  %[a1], %[x], %[wb1], %[a1]\n\t"                                                \
    "smlad  %[a2], %[x], %[wa1], %[a2]\n\t"                                                \
    "smlatb %[a3], %[x], %[wa1], %[a3]\n\t"                                                \
    "smlabt %[a2], %[y], %[wb1], %[a2]\n\t"                                                \
    "smlad  %[a3], %[y], %[wb1], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("0", "32") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("1", "32") "\n\t"                                              \
    "smlad  %[a0], %[x], %[wa2], %[a0]\n\t"                                                \
    "smlatb %[a1], %[x], %[wa2], %[a1]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb2], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa2], %[a2]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa2], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("2", "32") "\n\t"                                              \
    "ldr    %[y], %[m]\n\t"                                                                \
    "ldr    %[z], %[r]\n\t"                                                                \
    DW3_PLANE_ADVANCE("2")                                                                 \
    "smlabt %[a2], %[x], %[wb2], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wb2], %[a3]\n\t"

/* Five rows (the last group when out_h % 4 == 1): four rows as DW3_S1_GROUP4 and the fifth
 * in z, out4 += SMLAD(P2, a) + P3.bottom * b.top; z goes to the frame for the four rows'
 * requantization (DW3_ROW5 then requantizes it). */
#define DW3_S1_GROUP5                                                                      \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    DW3_LD_ADVANCE("2")                                                                    \
    "ldr    %[y], " DW3_AT1("1", "0") "\n\t"                                               \
    "mov    %[z], %[a0]\n\t"                                                               \
    "smlatb %[a1], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa0], %[a0]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("2", "0") "\n\t"                                               \
    "ldr    %[y], " DW3_AT1("0", "16") "\n\t"                                              \
    "smlabt %[a2], %[x], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wb0], %[a3]\n\t"                                                \
    "smlad  %[z], %[x], %[wa0], %[z]\n\t"                                                  \
    "smlad  %[a0], %[y], %[wa1], %[a0]\n\t"                                                \
    "smlatb %[a1], %[y], %[wa1], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("1", "16") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("2", "16") "\n\t"                                              \
    "smlabt %[a0], %[x], %[wb1], %[a0]\n\t"                                                \
    "smlad  %[a1], %[x], %[wb1], %[a1]\n\t"                                                \
    "smlad  %[a2], %[x], %[wa1], %[a2]\n\t"                                                \
    "smlatb %[a3], %[x], %[wa1], %[a3]\n\t"                                                \
    "smlabt %[a2], %[y], %[wb1], %[a2]\n\t"                                                \
    "smlad  %[a3], %[y], %[wb1], %[a3]\n\t"                                                \
    "smlad  %[z], %[y], %[wa1], %[z]\n\t"                                                  \
    "ldr    %[x], " DW3_AT1("0", "32") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("1", "32") "\n\t"                                              \
    "smlad  %[a0], %[x], %[wa2], %[a0]\n\t"                                                \
    "smlatb %[a1], %[x], %[wa2], %[a1]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb2], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa2], %[a2]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa2], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("2", "32") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("3", "0") "\n\t"                                               \
    "smlabt %[a2], %[x], %[wb2], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wb2], %[a3]\n\t"                                                \
    "smlad  %[z], %[x], %[wa2], %[z]\n\t"                                                  \
    "smlabt %[z], %[y], %[wb0], %[z]\n\t"                                                  \
    "ldr    %[x], " DW3_AT1("3", "16") "\n\t"                                              \
    "ldr    %[y], " DW3_AT1("3", "32") "\n\t"                                              \
    "smlabt %[z], %[x], %[wb1], %[z]\n\t"                                                  \
    "smlabt %[z], %[y], %[wb2], %[z]\n\t"                                                  \
    "str    %[z], %[a4]\n\t"                                                               \
    "ldr    %[y], %[m]\n\t"                                                                \
    "ldr    %[z], %[r]\n\t"

#define DW3_S1_SLOT2(wa, wb, s)                                                            \
    "ldr    %[x], [%[b], #(" s " - DW3_PS)]\n\t"                                           \
    "ldr    %[y], [%[b], #" s "]\n\t"                                                      \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    "smlatb %[a1], %[x], %[" wa "], %[a1]\n\t"                                             \
    "smlabt %[a0], %[y], %[" wb "], %[a0]\n\t"                                             \
    "smlad  %[a1], %[y], %[" wb "], %[a1]\n\t"
#define DW3_S1_GROUP2                                                                      \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    "ldr    %[z], %[r]\n\t"                                                                \
    "ldr    %[x], [%[b]], #DW3_PS\n\t"                                                     \
    "ldr    %[y], [%[b]]\n\t"                                                              \
    "smlatb %[a1], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    DW3_S1_SLOT2("wa1", "wb1", "16")                                                       \
    DW3_S1_SLOT2("wa2", "wb2", "32")                                                       \
    "ldr    %[y], %[m]\n\t"

/* One output row (stride 1 or 2): per slot the row pair (SMLAD) and the third row, the top
 * half of the next pair for stride 1 (SMLABT) or its bottom half for stride 2 (SMLABB). */
#define DW3_SLOT1(mac, wa, wb, s)                                                          \
    "ldr    %[x], " DW3_AT("0", s) "\n\t"                                                  \
    "ldr    %[y], " DW3_AT("1", s) "\n\t"                                                  \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    mac "   %[a0], %[y], %[" wb "], %[a0]\n\t"
#define DW3_GROUP1(mac)                                                                    \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    "ldr    %[z], %[r]\n\t"                                                                \
    DW3_SLOT1(mac, "wa0", "wb0", "0")                                                      \
    DW3_SLOT1(mac, "wa1", "wb1", "16")                                                     \
    DW3_SLOT1(mac, "wa2", "wb2", "32")                                                     \
    "ldr    %[y], %[m]\n\t"
#define DW3_S1_GROUP1 DW3_GROUP1("smlabt")

/* Three rows, the last of a column (out_h % 4 == 3; before, a group of two rows and one of
 * one row: Cortex-M33, VWW's 3x3x256, 39 + 28 cycles and the tests between them per column,
 * now 54; the layer 133,255 -> 123,271 cycles, the M7's 84,823 -> 80,983, mcusim's models),
 * vertical stride 1: pairs P0, P1, P2 of each slot (b stays),
 *   out0 += SMLAD(P0, a) + P1.bottom * b.top     out1 += P0.top * a.bottom + SMLAD(P1, b)
 *   out2 += SMLAD(P1, a) + P2.bottom * b.top
 * (a2 holds corr until its first MAC; each load two instructions before its first use). */
#define DW3_S1_GROUP3                                                                      \
    "ldr    %[a2], %[corr]\n\t"                                                            \
    "ldr    %[x], " DW3_AT("0", "0") "\n\t"                                                \
    "ldr    %[y], " DW3_AT("1", "0") "\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a2]\n\t"                                                \
    "smlatb %[a1], %[x], %[wa0], %[a2]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa0], %[a2]\n\t"                                                \
    "ldr    %[x], " DW3_AT("2", "0") "\n\t"                                                \
    "ldr    %[y], " DW3_AT("0", "16") "\n\t"                                               \
    "smlabt %[a2], %[x], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a0], %[y], %[wa1], %[a0]\n\t"                                                \
    "smlatb %[a1], %[y], %[wa1], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT("1", "16") "\n\t"                                               \
    "ldr    %[y], " DW3_AT("2", "16") "\n\t"                                               \
    "smlabt %[a0], %[x], %[wb1], %[a0]\n\t"                                                \
    "smlad  %[a1], %[x], %[wb1], %[a1]\n\t"                                                \
    "smlad  %[a2], %[x], %[wa1], %[a2]\n\t"                                                \
    "smlabt %[a2], %[y], %[wb1], %[a2]\n\t"                                                \
    "ldr    %[x], " DW3_AT("0", "32") "\n\t"                                               \
    "ldr    %[y], " DW3_AT("1", "32") "\n\t"                                               \
    "smlad  %[a0], %[x], %[wa2], %[a0]\n\t"                                                \
    "smlatb %[a1], %[x], %[wa2], %[a1]\n\t"                                                \
    "smlabt %[a0], %[y], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb2], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa2], %[a2]\n\t"                                                \
    "ldr    %[x], " DW3_AT("2", "32") "\n\t"                                               \
    "ldr    %[y], %[m]\n\t"                                                                \
    "ldr    %[z], %[r]\n\t"                                                                \
    "smlabt %[a2], %[x], %[wb2], %[a2]\n\t"

/* Vertical stride 2: five row pairs per slot for four rows (a3 holds corr until its first
 * MAC); `early` / `late`: instructions placed before / after the third row's SMLABB and the
 * fourth row's SMLAD (the fifth pair's load, DW3_S2_P4, and in the last slot m's and r's). */
#define DW3_S2_SLOT4(wa, wb, s, early, late)                                               \
    "ldr    %[x], " DW3_AT2("0", s) "\n\t"                                                 \
    "ldr    %[y], " DW3_AT2("1", s) "\n\t"                                                 \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    "smlabb %[a0], %[y], %[" wb "], %[a0]\n\t"                                             \
    "smlad  %[a1], %[y], %[" wa "], %[a1]\n\t"                                             \
    "ldr    %[x], " DW3_AT2("2", s) "\n\t"                                                 \
    "ldr    %[y], " DW3_AT2("3", s) "\n\t"                                                 \
    "smlabb %[a1], %[x], %[" wb "], %[a1]\n\t"                                             \
    "smlad  %[a2], %[x], %[" wa "], %[a2]\n\t"                                             \
    early                                                                                  \
    "smlabb %[a2], %[y], %[" wb "], %[a2]\n\t"                                             \
    "smlad  %[a3], %[y], %[" wa "], %[a3]\n\t"                                             \
    late                                                                                   \
    "smlabb %[a3], %[x], %[" wb "], %[a3]\n\t"
/* The fifth pair P4 of slot byte s, into x: `early` (two MACs before its use, no Cortex-M33
 * load-use stall: VWW's 24x24x16 layer 73 -> 71 cycles per four rows), but `late` in the
 * last slot, next to the loads of m and r (on the Cortex-M4 a load right behind a load costs
 * one cycle instead of two). */
#define DW3_S2_P4(s) "ldr    %[x], " DW3_AT2("4", s) "\n\t"
#define DW3_S2_GROUP4                                                                      \
    "ldr    %[a3], %[corr]\n\t"                                                            \
    DW3_LD_ADVANCE("4")                                                                    \
    "ldr    %[y], " DW3_AT2("1", "0") "\n\t"                                               \
    "smlad  %[a0], %[x], %[wa0], %[a3]\n\t"                                                \
    "smlabb %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wa0], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT2("2", "0") "\n\t"                                               \
    "ldr    %[y], " DW3_AT2("3", "0") "\n\t"                                               \
    "smlabb %[a1], %[x], %[wb0], %[a1]\n\t"                                                \
    "smlad  %[a2], %[x], %[wa0], %[a3]\n\t"                                                \
    DW3_S2_P4("0")                                                                         \
    "smlabb %[a2], %[y], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a3], %[y], %[wa0], %[a3]\n\t"                                                \
    "smlabb %[a3], %[x], %[wb0], %[a3]\n\t"                                                \
    DW3_S2_SLOT4("wa1", "wb1", "16", DW3_S2_P4("16"), "")                                  \
    DW3_S2_SLOT4("wa2", "wb2", "32", "",                                                   \
                 DW3_S2_P4("32") "ldr    %[y], %[m]\n\tldr    %[z], %[r]\n\t"              \
                 DW3_PLANE_ADVANCE("4"))

/* Five rows: DW3_S2_GROUP4 and the fifth in z, out4 += SMLAD(P4, a) + P5.bottom * b.bottom
 * (b: the ring's moves it first, by four row pairs). */
#define DW3_S2_SLOT5(wa, wb, s, more)                                                      \
    "ldr    %[x], " DW3_AT2("0", s) "\n\t"                                                 \
    "ldr    %[y], " DW3_AT2("1", s) "\n\t"                                                 \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    "smlabb %[a0], %[y], %[" wb "], %[a0]\n\t"                                             \
    "smlad  %[a1], %[y], %[" wa "], %[a1]\n\t"                                             \
    "ldr    %[x], " DW3_AT2("2", s) "\n\t"                                                 \
    "ldr    %[y], " DW3_AT2("3", s) "\n\t"                                                 \
    "smlabb %[a1], %[x], %[" wb "], %[a1]\n\t"                                             \
    "smlad  %[a2], %[x], %[" wa "], %[a2]\n\t"                                             \
    "smlabb %[a2], %[y], %[" wb "], %[a2]\n\t"                                             \
    "smlad  %[a3], %[y], %[" wa "], %[a3]\n\t"                                             \
    "ldr    %[x], " DW3_AT2("4", s) "\n\t"                                                 \
    "ldr    %[y], " DW3_AT2("5", s) "\n\t"                                                 \
    "smlabb %[a3], %[x], %[" wb "], %[a3]\n\t"                                             \
    "smlad  %[z], %[x], %[" wa "], %[z]\n\t"                                               \
    "smlabb %[z], %[y], %[" wb "], %[z]\n\t"                                               \
    more
#define DW3_S2_GROUP5                                                                      \
    "ldr    %[a3], %[corr]\n\t"                                                            \
    "mov    %[a0], %[a3]\n\t"                                                              \
    "mov    %[a1], %[a3]\n\t"                                                              \
    "mov    %[a2], %[a3]\n\t"                                                              \
    "mov    %[z], %[a3]\n\t"                                                               \
    ".if DW3_PL == 0\n\t"                                                                  \
    "add    %[b], %[b], #(4 * DW3_PS)\n\t"                                                 \
    ".endif\n\t"                                                                           \
    DW3_S2_SLOT5("wa0", "wb0", "0", "")                                                    \
    DW3_S2_SLOT5("wa1", "wb1", "16", "")                                                   \
    DW3_S2_SLOT5("wa2", "wb2", "32",                                                       \
                 "str    %[z], %[a4]\n\tldr    %[y], %[m]\n\tldr    %[z], %[r]\n\t")

/* After a five-row group's first four rows: the fifth row's requantization and store (o
 * already past the four). */
#define DW3_ROW5(ld_lo, clamp1)                                                            \
    "ldr    %[z], %[r]\n\t"                                                                \
    "ldr    %[a0], %[a4]\n\t"                                                              \
    "ldr    %[y], %[m]\n\t"                                                                \
    DW3_RQ1(ld_lo) clamp1 DW3_ST1

#define DW3_S2_SLOT2(wa, wb, s)                                                            \
    "ldr    %[x], " DW3_AT("0", s) "\n\t"                                                  \
    "ldr    %[y], " DW3_AT("1", s) "\n\t"                                                  \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    "smlabb %[a0], %[y], %[" wb "], %[a0]\n\t"                                             \
    "smlad  %[a1], %[y], %[" wa "], %[a1]\n\t"                                             \
    "ldr    %[x], " DW3_AT("2", s) "\n\t"                                                  \
    "smlabb %[a1], %[x], %[" wb "], %[a1]\n\t"
#define DW3_S2_GROUP2                                                                      \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    "ldr    %[z], %[r]\n\t"                                                                \
    "mov    %[a1], %[a0]\n\t"                                                              \
    DW3_S2_SLOT2("wa0", "wb0", "0")                                                        \
    DW3_S2_SLOT2("wa1", "wb1", "16")                                                       \
    DW3_S2_SLOT2("wa2", "wb2", "32")                                                       \
    "ldr    %[y], %[m]\n\t"                                                                \
    "add    %[b], %[b], #(2 * DW3_PS)\n\t"

#define DW3_S2_GROUP1 DW3_GROUP1("smlabb")

/* Three rows of vertical stride 2 (the last of a column, as DW3_S1_GROUP3): pairs P0 .. P3
 * of each slot, out_i += SMLAD(P_i, a) + P_(i+1).bottom * b.bottom; b stays. */
#define DW3_S2_SLOT3(wa, wb, s)                                                            \
    "ldr    %[x], " DW3_AT("0", s) "\n\t"                                                  \
    "ldr    %[y], " DW3_AT("1", s) "\n\t"                                                  \
    "smlad  %[a0], %[x], %[" wa "], %[a0]\n\t"                                             \
    "smlabb %[a0], %[y], %[" wb "], %[a0]\n\t"                                             \
    "smlad  %[a1], %[y], %[" wa "], %[a1]\n\t"                                             \
    "ldr    %[x], " DW3_AT("2", s) "\n\t"                                                  \
    "ldr    %[y], " DW3_AT("3", s) "\n\t"                                                  \
    "smlabb %[a1], %[x], %[" wb "], %[a1]\n\t"                                             \
    "smlad  %[a2], %[x], %[" wa "], %[a2]\n\t"                                             \
    "smlabb %[a2], %[y], %[" wb "], %[a2]\n\t"
#define DW3_S2_GROUP3                                                                      \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    "ldr    %[z], %[r]\n\t"                                                                \
    "mov    %[a1], %[a0]\n\t"                                                              \
    "mov    %[a2], %[a0]\n\t"                                                              \
    DW3_S2_SLOT3("wa0", "wb0", "0")                                                        \
    DW3_S2_SLOT3("wa1", "wb1", "16")                                                       \
    DW3_S2_SLOT3("wa2", "wb2", "32")                                                       \
    "ldr    %[y], %[m]\n\t"

/* A group of four rows: the MACs, the requantization, the clamps, the stores (pend loaded
 * into y for DW3_ROWS' loop test). */
#define DW3_BODY4(group4, ld_lo, clamp4) group4 DW3_RQ4(ld_lo) clamp4 DW3_ST4
/* Two rows, the last of the column. */
#define DW3_BODY2(group2, ld_lo, clamp2) group2 DW3_RQ2(ld_lo) clamp2 DW3_ST2
/* Three rows, the last of the column. */
#define DW3_BODY3(group3, ld_lo, clamp3) group3 DW3_RQ3(ld_lo) clamp3 DW3_ST3

#if MCS_DSP_ASM_M7
/*
 * The dual-issue Cortex-M7's four rows of vertical stride 1 without clamps (the zoo's
 * layers): the same MACs, loads and requantization as DW3_BODY4(DW3_S1_GROUP4, "", ""), each
 * row-pair load next to a MAC that does not read it (x, y, z in turn: each pair is loaded
 * right after its last use), r and m loaded into x and y in the last slot so that the first
 * shifted ADD pairs with the last MAC; then ASR with the stores' loads, SSAT (first of a pair
 * only) with the next ASR or a store, the third output stored through [o, os, LSL #1] (STRB's
 * register offset, LSL 0..3) and the fourth through o + os, so the stores pair too. mcusim's
 * M7 model: 39 cycles + the taken branch per group of four rows, 41 + 1 for the common
 * schedule (on the Cortex-M4 this order costs 82 instead of 74, hence M7 only).
 */
#define DW3_S1_BODY4_NC                                                                    \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    DW3_LD_ADVANCE("2")                                                                    \
    "ldr    %[y], " DW3_AT1("1", "0") "\n\t"                                               \
    "smlatb %[a1], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa0], %[a0]\n\t"                                                \
    "ldr    %[z], " DW3_AT1("2", "0") "\n\t"                                               \
    "smlatb %[a3], %[y], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a0]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("0", "16") "\n\t"                                              \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    "ldr    %[y], " DW3_AT1("1", "16") "\n\t"                                              \
    "smlabt %[a2], %[z], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a3], %[z], %[wb0], %[a3]\n\t"                                                \
    "ldr    %[z], " DW3_AT1("2", "16") "\n\t"                                              \
    "smlad  %[a0], %[x], %[wa1], %[a0]\n\t"                                                \
    "smlatb %[a1], %[x], %[wa1], %[a1]\n\t"                                                \
    "ldr    %[x], " DW3_AT1("0", "32") "\n\t"                                              \
    "smlabt %[a0], %[y], %[wb1], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb1], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa1], %[a2]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa1], %[a3]\n\t"                                                \
    "ldr    %[y], " DW3_AT1("1", "32") "\n\t"                                              \
    "smlabt %[a2], %[z], %[wb1], %[a2]\n\t"                                                \
    "smlad  %[a3], %[z], %[wb1], %[a3]\n\t"                                                \
    "ldr    %[z], " DW3_AT1("2", "32") "\n\t"                                              \
    "smlad  %[a0], %[x], %[wa2], %[a0]\n\t"                                                \
    DW3_PLANE_ADVANCE("2")                                                                 \
    "smlatb %[a1], %[x], %[wa2], %[a1]\n\t"                                                \
    "ldr    %[x], %[r]\n\t"                                                                \
    "smlabt %[a0], %[y], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb2], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa2], %[a2]\n\t"                                                \
    "smlatb %[a3], %[y], %[wa2], %[a3]\n\t"                                                \
    "ldr    %[y], %[m]\n\t"                                                                \
    "smlabt %[a2], %[z], %[wb2], %[a2]\n\t"                                                \
    "smlad  %[a3], %[z], %[wb2], %[a3]\n\t"                                                \
    DW3_RQ4_NC
/* The same for vertical stride 2 (DW3_BODY4(DW3_S2_GROUP4, "", ""): five row pairs per slot,
 * x, y, z in turn; mcusim's M7 model: 39 cycles + the branch, 41 + 1 before). */
#define DW3_S2_BODY4_NC                                                                    \
    "ldr    %[a3], %[corr]\n\t"                                                            \
    DW3_LD_ADVANCE("4")                                                                    \
    "ldr    %[y], " DW3_AT2("1", "0") "\n\t"                                               \
    "smlad  %[a0], %[x], %[wa0], %[a3]\n\t"                                                \
    "smlabb %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "ldr    %[z], " DW3_AT2("2", "0") "\n\t"                                               \
    "smlad  %[a1], %[y], %[wa0], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT2("3", "0") "\n\t"                                               \
    "smlabb %[a1], %[z], %[wb0], %[a1]\n\t"                                                \
    "smlad  %[a2], %[z], %[wa0], %[a3]\n\t"                                                \
    "ldr    %[y], " DW3_AT2("4", "0") "\n\t"                                               \
    "smlabb %[a2], %[x], %[wb0], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wa0], %[a3]\n\t"                                                \
    "ldr    %[z], " DW3_AT2("0", "16") "\n\t"                                              \
    "smlabb %[a3], %[y], %[wb0], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT2("1", "16") "\n\t"                                              \
    "smlad  %[a0], %[z], %[wa1], %[a0]\n\t"                                                \
    "ldr    %[y], " DW3_AT2("2", "16") "\n\t"                                              \
    "smlabb %[a0], %[x], %[wb1], %[a0]\n\t"                                                \
    "ldr    %[z], " DW3_AT2("3", "16") "\n\t"                                              \
    "smlad  %[a1], %[x], %[wa1], %[a1]\n\t"                                                \
    "smlabb %[a1], %[y], %[wb1], %[a1]\n\t"                                                \
    "smlad  %[a2], %[y], %[wa1], %[a2]\n\t"                                                \
    "ldr    %[x], " DW3_AT2("4", "16") "\n\t"                                              \
    "smlabb %[a2], %[z], %[wb1], %[a2]\n\t"                                                \
    "smlad  %[a3], %[z], %[wa1], %[a3]\n\t"                                                \
    "ldr    %[y], " DW3_AT2("0", "32") "\n\t"                                              \
    "smlabb %[a3], %[x], %[wb1], %[a3]\n\t"                                                \
    "ldr    %[z], " DW3_AT2("1", "32") "\n\t"                                              \
    "smlad  %[a0], %[y], %[wa2], %[a0]\n\t"                                                \
    "ldr    %[x], " DW3_AT2("2", "32") "\n\t"                                              \
    "smlabb %[a0], %[z], %[wb2], %[a0]\n\t"                                                \
    "ldr    %[y], " DW3_AT2("3", "32") "\n\t"                                              \
    "smlad  %[a1], %[z], %[wa2], %[a1]\n\t"                                                \
    "smlabb %[a1], %[x], %[wb2], %[a1]\n\t"                                                \
    "smlad  %[a2], %[x], %[wa2], %[a2]\n\t"                                                \
    "ldr    %[z], " DW3_AT2("4", "32") "\n\t"                                              \
    "smlabb %[a2], %[y], %[wb2], %[a2]\n\t"                                                \
    "ldr    %[x], %[r]\n\t"                                                                \
    "smlad  %[a3], %[y], %[wa2], %[a3]\n\t"                                                \
    "ldr    %[y], %[m]\n\t"                                                                \
    DW3_PLANE_ADVANCE("4")                                                                 \
    "smlabb %[a3], %[z], %[wb2], %[a3]\n\t"                                                \
    DW3_RQ4_NC
/* The requantization and stores of DW3_S1_BODY4_NC / DW3_S2_BODY4_NC: r in x, m in y; the
 * first shifted ADD pairs with the last MAC. */
#define DW3_RQ4_NC                                                                         \
    "add    %[z], %[x], %[a0], asr #31\n\t"                                                \
    "smmlar %[a0], %[a0], %[y], %[z]\n\t"                                                  \
    "add    %[z], %[x], %[a1], asr #31\n\t"                                                \
    "smmlar %[a1], %[a1], %[y], %[z]\n\t"                                                  \
    "add    %[z], %[x], %[a2], asr #31\n\t"                                                \
    "smmlar %[a2], %[a2], %[y], %[z]\n\t"                                                  \
    "add    %[z], %[x], %[a3], asr #31\n\t"                                                \
    "smmlar %[a3], %[a3], %[y], %[z]\n\t"                                                  \
    "ldr    %[x], %[e]\n\t"                                                                \
    "asr    %[a0], %[a0], %[x]\n\t"                                                        \
    "ldr    %[z], %[o]\n\t"                                                                \
    "asr    %[a1], %[a1], %[x]\n\t"                                                        \
    "ldr    %[y], %[os]\n\t"                                                               \
    "ssat   %[a0], #8, %[a0]\n\t"                                                          \
    "asr    %[a2], %[a2], %[x]\n\t"                                                        \
    "ssat   %[a1], #8, %[a1]\n\t"                                                          \
    "asr    %[a3], %[a3], %[x]\n\t"                                                        \
    "ssat   %[a2], #8, %[a2]\n\t"                                                          \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "ssat   %[a3], #8, %[a3]\n\t"                                                          \
    "strb   %[a1], [%[z], %[y]]\n\t"                                                       \
    "add    %[x], %[z], %[y]\n\t"                                                          \
    "strb   %[a2], [%[z], %[y], lsl #1]\n\t"                                               \
    "strb   %[a3], [%[x], %[y], lsl #1]\n\t"                                               \
    "add    %[z], %[z], %[y], lsl #2\n\t"                                                  \
    "str    %[z], %[o]\n\t"                                                                \
    "ldr    %[y], %[pend]\n\t"
/* Two rows of vertical stride 1 without clamps (DW3_BODY2(DW3_S1_GROUP2, "", "")), in
 * the same manner: the six row-pair loads next to MACs, r and m into x and y, the stores'
 * loads next to the SMMLARs, SSAT with a store; mcusim's M7 model: 22 cycles, 25 before
 * (VWW's 6x6 maps: six rows, four and two, per column); the last rows of a column, so o is
 * not written back. */
#define DW3_S1_BODY2_NC                                                                    \
    "ldr    %[a0], %[corr]\n\t"                                                            \
    "ldr    %[x], [%[b]], #DW3_PS\n\t"                                                     \
    "ldr    %[y], [%[b]]\n\t"                                                              \
    "smlatb %[a1], %[x], %[wa0], %[a0]\n\t"                                                \
    "smlad  %[a0], %[x], %[wa0], %[a0]\n\t"                                                \
    "ldr    %[z], [%[b], #(16 - DW3_PS)]\n\t"                                              \
    "smlabt %[a0], %[y], %[wb0], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb0], %[a1]\n\t"                                                \
    "ldr    %[x], [%[b], #16]\n\t"                                                         \
    "smlad  %[a0], %[z], %[wa1], %[a0]\n\t"                                                \
    "smlatb %[a1], %[z], %[wa1], %[a1]\n\t"                                                \
    "ldr    %[y], [%[b], #(32 - DW3_PS)]\n\t"                                              \
    "smlabt %[a0], %[x], %[wb1], %[a0]\n\t"                                                \
    "smlad  %[a1], %[x], %[wb1], %[a1]\n\t"                                                \
    "ldr    %[z], [%[b], #32]\n\t"                                                         \
    "smlad  %[a0], %[y], %[wa2], %[a0]\n\t"                                                \
    "ldr    %[x], %[r]\n\t"                                                                \
    "smlatb %[a1], %[y], %[wa2], %[a1]\n\t"                                                \
    "ldr    %[y], %[m]\n\t"                                                                \
    "smlabt %[a0], %[z], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[z], %[wb2], %[a1]\n\t"                                                \
    "add    %[z], %[x], %[a0], asr #31\n\t"                                                \
    "smmlar %[a0], %[a0], %[y], %[z]\n\t"                                                  \
    "add    %[z], %[x], %[a1], asr #31\n\t"                                                \
    "smmlar %[a1], %[a1], %[y], %[z]\n\t"                                                  \
    "ldr    %[z], %[o]\n\t"                                                                \
    "ldr    %[x], %[e]\n\t"                                                                \
    "ldr    %[y], %[os]\n\t"                                                               \
    "asr    %[a0], %[a0], %[x]\n\t"                                                        \
    "asr    %[a1], %[a1], %[x]\n\t"                                                        \
    "ssat   %[a0], #8, %[a0]\n\t"                                                          \
    "add    %[x], %[z], %[y]\n\t"                                                          \
    "ssat   %[a1], #8, %[a1]\n\t"                                                          \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "strb   %[a1], [%[x]]\n\t"
#else
#define DW3_S1_BODY4_NC DW3_BODY4(DW3_S1_GROUP4, "", "")
#define DW3_S1_BODY2_NC DW3_BODY2(DW3_S1_GROUP2, "", "")
#define DW3_S2_BODY4_NC DW3_BODY4(DW3_S2_GROUP4, "", "")
#endif

/* The rows of one channel in DW3_COLUMN_ASM and DW3_PLANE_ASM: the groups of four rows
 * (body4: DW3_BODY4 or DW3_S1_BODY4_NC / DW3_S2_BODY4_NC, each leaving pend in y; b up to
 * y), then the last rows, by rem (dw3_group's st.rem): two (body2: DW3_BODY2 or
 * DW3_S1_BODY2_NC), none or one (bit 0 after LSLS #31, Z clear), three (body3), five (rem
 * 5: a group of four and one row). Rem 2 first: VWW's 6x6 maps but on the Cortex-M33's
 * plane; body2 no longer followed by a test for one more row (rem 3 has its own body) nor
 * leaving o in the frame. Ends at label 4. */
#define DW3_ROWS(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)               \
        "cmp    %[b], %[a0]\n\t"                                                           \
        "beq    2f\n\t"                                                                    \
        "1:\n\t"                                                                           \
        body4                                                                              \
        "cmp    %[b], %[y]\n\t"                                                            \
        "bne    1b\n\t"                                                                    \
        "2:\n\t"                                                                           \
        "ldr    %[y], %[rem]\n\t"                                                          \
        "cmp    %[y], #2\n\t"                                                              \
        "beq    3f\n\t"                                                                    \
        "bgt    5f\n\t"                                                                    \
        "lsls   %[y], %[y], #31\n\t"                                                       \
        "beq    4f\n\t"                                                                    \
        group1 DW3_RQ1(ld_lo) clamp1 DW3_ST1                                               \
        "b      4f\n\t"                                                                    \
        "3:\n\t"                                                                           \
        body2                                                                              \
        "b      4f\n\t"                                                                    \
        "8:\n\t"                                                                           \
        group5 DW3_RQ4(ld_lo) clamp4 DW3_ST4 DW3_ROW5(ld_lo, clamp1)                       \
        "b      4f\n\t"                                                                    \
        "5:\n\t"                                                                           \
        "cmp    %[y], #5\n\t"                                                              \
        "beq    8b\n\t"                                                                    \
        body3                                                                              \
        "4:\n\t"

/* The end of a channel in DW3_COLUMN_ASM (DW3_NEXT_CHANNEL) and DW3_PLANE_ASM
 * (DW3_PNEXT_CHANNEL, z = stp there): the next one while nch > 0, and x = stp for
 * DW3_CHANNEL / DW3_PCHANNEL. On the Cortex-M33 (ARMv8-M Mainline) nch and stp are read
 * straight from the frame, stp before label 0 and at the end of a channel, away from their
 * uses: its load-use stalls, 3 per channel in the ring, 2 in the plane, go (mcusim's model:
 * VWW 13,135,657 -> 13,124,083 cycles). The Cortex-M4 and M7 keep stp's load at the
 * channel's start: on the M4 (LDR 2 cycles, 1 right behind a load or store) the M33's
 * order is no faster. */
#if defined(__ARM_ARCH_8M_MAIN__)
#define DW3_STP_ENTRY "ldr    %[x], %[stp]\n\t"
#define DW3_STP_CHANNEL ""
#define DW3_NEXT_CHANNEL                                                                   \
    "ldr    %[a1], %[nch]\n\t"                                                             \
    "ldr    %[x], %[stp]\n\t"                                                              \
    "subs   %[a1], %[a1], #1\n\t"                                                          \
    "str    %[a1], %[nch]\n\t"                                                             \
    "bne    0b\n\t"
#define DW3_PNEXT_CHANNEL DW3_NEXT_CHANNEL
#else
#define DW3_STP_ENTRY ""
#define DW3_STP_CHANNEL "ldr    %[x], %[stp]\n\t"
#define DW3_NEXT_CHANNEL                                                                   \
    "ldr    %[z], %[stp]\n\t"                                                              \
    "ldr    %[x], [%[z], #12]\n\t"                                                         \
    "subs   %[x], %[x], #1\n\t"                                                            \
    "str    %[x], [%[z], #12]\n\t"                                                         \
    "bne    0b\n\t"
#define DW3_PNEXT_CHANNEL                                                                  \
    "ldr    %[x], [%[z], #12]\n\t"                                                         \
    "subs   %[x], %[x], #1\n\t"                                                            \
    "str    %[x], [%[z], #12]\n\t"                                                         \
    "bne    0b\n\t"
#endif

/* The operands shared by DW3_COLUMN_ASM and DW3_PLANE_ASM. */
#define DW3_OPERANDS                                                                       \
        : [b] "=&r"(b), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),    \
          [x] "=&r"(x), [y] "=&r"(y), [z] "=&r"(z), [wa0] "=&r"(wa0), [wb0] "=&r"(wb0),    \
          [wa1] "=&r"(wa1), [wb1] "=&r"(wb1), [wa2] "=&r"(wa2), [wb2] "=&r"(wb2),          \
          [o] "+m"(st.o), [pend] "+m"(st.pend), [a4] "=m"(st.a4), [nch] "+m"(st.nch)       \
        : [stp] "m"(stp), [corr] "m"(st.corr), [m] "m"(st.m), [e] "m"(st.e), [r] "m"(st.r),\
          [amin] "m"(st.amin), [amax] "m"(st.amax), [os] "m"(st.os), [rem] "m"(st.rem)

/* All channels of the column: per channel DW3_CHANNEL, the groups of four rows, then the
 * last rows (DW3_ROWS). */
#define DW3_COLUMN_ASM(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)         \
    __asm__ volatile(                                                                      \
        DW3_GEOMETRY("48", "0")                                                            \
        DW3_STP_ENTRY                                                                      \
        "0:\n\t"                                                                           \
        DW3_CHANNEL                                                                        \
        DW3_ROWS(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)               \
        DW3_NEXT_CHANNEL                                                                   \
        DW3_OPERANDS                                                                       \
        : "cc", "memory")

/* The six variants of a row-group asm statement ASM (DW3_COLUMN_ASM, DW3_PLANE_ASM):
 * stride 1 (0..2) or 2 (3..5) x no clamp, lower clamp, both clamps. */
/* Three cases of a column switch, from `base` on: without clamp, with act_min, with both
 * bounds (DW3_CLAMP<n>: n outputs per piece); `run` runs column `col` of slot `slot`, with
 * `post` after it and the column's further arguments in __VA_ARGS__ (each after a comma). */
#define DW3_CLAMP_CASES(base, run, col, slot, n, post, ...)                                \
    case base:                                                                             \
        run(col(slot, "", "" __VA_ARGS__) post);                                           \
        break;                                                                             \
    case base + 1:                                                                         \
        run(col(slot, DW3_LD_LO, DW3_CLAMP##n("lt") __VA_ARGS__) post);                    \
        break;                                                                             \
    case base + 2:                                                                         \
        run(col(slot, DW3_LD_LO, DW3_CLAMP##n("lt") DW3_HI(n) __VA_ARGS__) post);          \
        break;

#define DW3_VARIANTS(ASM, variant)                                                         \
    switch (variant) {                                                                     \
    case 0:                                                                                \
        ASM(DW3_S1_BODY4_NC, DW3_S1_GROUP5, DW3_BODY3(DW3_S1_GROUP3, "", ""),              \
            DW3_S1_BODY2_NC, DW3_S1_GROUP1, "", "", "");                                   \
        break;                                                                             \
    case 1:                                                                                \
        ASM(DW3_BODY4(DW3_S1_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt")), DW3_S1_GROUP5,          \
            DW3_BODY3(DW3_S1_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt")),                         \
            DW3_BODY2(DW3_S1_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt")), DW3_S1_GROUP1,          \
            DW3_LD_LO, DW3_CLAMP4("lt"), DW3_CLAMP1("lt"));                                \
        break;                                                                             \
    case 2:                                                                                \
        ASM(DW3_BODY4(DW3_S1_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4)),               \
            DW3_S1_GROUP5,                                                                 \
            DW3_BODY3(DW3_S1_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt") DW3_HI(3)),               \
            DW3_BODY2(DW3_S1_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt") DW3_HI(2)),               \
            DW3_S1_GROUP1, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4),                          \
            DW3_CLAMP1("lt") DW3_HI(1));                                                   \
        break;                                                                             \
    case 3:                                                                                \
        ASM(DW3_S2_BODY4_NC, DW3_S2_GROUP5, DW3_BODY3(DW3_S2_GROUP3, "", ""),              \
            DW3_BODY2(DW3_S2_GROUP2, "", ""), DW3_S2_GROUP1, "", "", "");                  \
        break;                                                                             \
    case 4:                                                                                \
        ASM(DW3_BODY4(DW3_S2_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt")), DW3_S2_GROUP5,          \
            DW3_BODY3(DW3_S2_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt")),                         \
            DW3_BODY2(DW3_S2_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt")), DW3_S2_GROUP1,          \
            DW3_LD_LO, DW3_CLAMP4("lt"), DW3_CLAMP1("lt"));                                \
        break;                                                                             \
    default:                                                                               \
        ASM(DW3_BODY4(DW3_S2_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4)),               \
            DW3_S2_GROUP5,                                                                 \
            DW3_BODY3(DW3_S2_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt") DW3_HI(3)),               \
            DW3_BODY2(DW3_S2_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt") DW3_HI(2)),               \
            DW3_S2_GROUP1, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4),                          \
            DW3_CLAMP1("lt") DW3_HI(1));                                                   \
        break;                                                                             \
    }

#if defined(__ARM_ARCH_8M_MAIN__)
/*
 * Cortex-M33, the plane with vertical stride 1 and six output rows (VWW's five 6x6x128
 * layers): each column in one piece, six accumulators, the channel's weight words loaded
 * from its block (w) next to the row pairs instead of held in registers. On this core a
 * load issues in one cycle, so six more loads per column cost less than what they free:
 * the group of four rows and the group of two (66 + 40 cycles per column), the tests
 * between them and the column step through the frame become one body of 99 cycles, the
 * column count in a register (mcusim's model: the layer 144,264 -> 116,684 cycles). Per slot
 * k (weights a = w[2k], b = w[2k + 1], row pairs P0 .. P3 of column byte 16 k, DW3_PS
 * bytes apart: 128 in the plane, 48 in the ring):
 *   out0 += SMLAD(P0, a) + P1.bottom * b.top     out1 += P0.top * a.bottom + SMLAD(P1, b)
 *   out2 += SMLAD(P1, a) + P2.bottom * b.top     out3 += P1.top * a.bottom + SMLAD(P2, b)
 *   out4 += SMLAD(P2, a) + P3.bottom * b.top     out5 += P2.top * a.bottom + SMLAD(P3, b)
 * (the accumulators start from corr, in z, as the addend of their first MAC: c0 .. c5 are z
 * in slot 0, a0 .. a5 after); each load two instructions before its first use (Cortex-M33:
 * one stall otherwise).
 */
#define DW3_P6_SLOT(k, c0, c1, c2, c3, c4, c5)                                             \
    "ldr    %[wa], [%[w], #(8 * " k ")]\n\t"                                               \
    "ldr    %[x], [%[b], #(16 * " k ")]\n\t"                                               \
    "ldr    %[wb], [%[w], #(8 * " k " + 4)]\n\t"                                           \
    "ldr    %[y], [%[b], #(DW3_PS + 16 * " k ")]\n\t"                                      \
    "smlad  %[a0], %[x], %[wa], %[" c0 "]\n\t"                                             \
    "smlatb %[a1], %[x], %[wa], %[" c1 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(2 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabt %[a0], %[y], %[wb], %[a0]\n\t"                                                 \
    "smlad  %[a1], %[y], %[wb], %[a1]\n\t"                                                 \
    "smlad  %[a2], %[y], %[wa], %[" c2 "]\n\t"                                             \
    "smlatb %[a3], %[y], %[wa], %[" c3 "]\n\t"                                             \
    "ldr    %[y], [%[b], #(3 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabt %[a2], %[x], %[wb], %[a2]\n\t"                                                 \
    "smlad  %[a3], %[x], %[wb], %[a3]\n\t"                                                 \
    "smlad  %[a4], %[x], %[wa], %[" c4 "]\n\t"                                             \
    "smlatb %[a5], %[x], %[wa], %[" c5 "]\n\t"                                             \
    "smlabt %[a4], %[y], %[wb], %[a4]\n\t"                                                 \
    "smlad  %[a5], %[y], %[wb], %[a5]\n\t"
/* Six rows of vertical stride 2 (the ring's 12x12 -> 6x6 maps): row pairs P0 .. P6,
 * out_i += SMLAD(P_i, a) + P_(i+1).bottom * b.bottom. */
#define DW3_P6_SLOT2(k, c0, c1, c2, c3, c4, c5)                                            \
    "ldr    %[wa], [%[w], #(8 * " k ")]\n\t"                                               \
    "ldr    %[x], [%[b], #(16 * " k ")]\n\t"                                               \
    "ldr    %[wb], [%[w], #(8 * " k " + 4)]\n\t"                                           \
    "ldr    %[y], [%[b], #(DW3_PS + 16 * " k ")]\n\t"                                      \
    "smlad  %[a0], %[x], %[wa], %[" c0 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(2 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a0], %[y], %[wb], %[a0]\n\t"                                                 \
    "smlad  %[a1], %[y], %[wa], %[" c1 "]\n\t"                                             \
    "ldr    %[y], [%[b], #(3 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a1], %[x], %[wb], %[a1]\n\t"                                                 \
    "smlad  %[a2], %[x], %[wa], %[" c2 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(4 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a2], %[y], %[wb], %[a2]\n\t"                                                 \
    "smlad  %[a3], %[y], %[wa], %[" c3 "]\n\t"                                             \
    "ldr    %[y], [%[b], #(5 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a3], %[x], %[wb], %[a3]\n\t"                                                 \
    "smlad  %[a4], %[x], %[wa], %[" c4 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(6 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a4], %[y], %[wb], %[a4]\n\t"                                                 \
    "smlad  %[a5], %[y], %[wa], %[" c5 "]\n\t"                                             \
    "smlabb %[a5], %[x], %[wb], %[a5]\n\t"
/* Six requantizations as DW3_RQ4 (m in y, r in z; e into z between the last ADD and its
 * SMMLAR, or into x first in a _relu kernel), from the block; act_min (ld_lo) into y before
 * the last shift. */
#define DW3_P6_RQ(ld_lo)                                                                   \
    "ldr    %[z], [%[" DW3_Q "], #52]\n\t"                                                 \
    "ldr    %[y], [%[" DW3_Q "], #44]\n\t"                                                 \
    DW3_LD_E("[%[" DW3_Q "], #48]")                                                        \
    DW3_MUL("a0") DW3_MUL("a1") DW3_MUL("a2") DW3_MUL("a3") DW3_MUL("a4")                  \
    DW3_MUL_AT("a5", "[%[" DW3_Q "], #48]")                                                \
    DW3_SHIFT("a0") DW3_SHIFT("a1") DW3_SHIFT("a2") DW3_SHIFT("a3") DW3_SHIFT("a4")        \
    ld_lo DW3_SHIFT("a5")
#define DW3_CLAMP6(cond) DW3_CLAMP4(cond) DW3_CLAMP("a4", cond) DW3_CLAMP("a5", cond)
/* The six stores (o + i os: STRB's register offset shifted by 0, 1, 2 from o and o + os;
 * z = o after them). */
#define DW3_P6_STORES                                                                      \
    "ldr    %[z], %[o]\n\t"                                                                \
    "ldr    %[x], %[os]\n\t"                                                               \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "strb   %[a1], [%[z], %[x]]\n\t"                                                       \
    "add    %[y], %[z], %[x]\n\t"                                                          \
    "strb   %[a2], [%[z], %[x], lsl #1]\n\t"                                               \
    "strb   %[a4], [%[z], %[x], lsl #2]\n\t"                                               \
    "strb   %[a3], [%[y], %[x], lsl #1]\n\t"                                               \
    "strb   %[a5], [%[y], %[x], lsl #2]\n\t"
/* The plane's next column (z = o): b by cstep, o by ostep, n columns left. */
#define DW3_PCOL_NEXT                                                                      \
    "ldr    %[wa], %[ostep]\n\t"                                                           \
    "ldr    %[wb], %[cstep]\n\t"                                                           \
    "add    %[z], %[z], %[wa]\n\t"                                                         \
    "str    %[z], %[o]\n\t"                                                                \
    "add    %[b], %[b], %[wb]\n\t"                                                         \
    "subs   %[n], %[n], #1\n\t"                                                            \
    "bne    6b\n\t"
/* Three rows (out_h 3, VWW's 3x3 maps; before, the group of three rows, the tests and the
 * column step through the frame: 3x3x256 116,426 -> 101,903 cycles, 6x6x128 -> 3x3 71,341
 * -> 63,309, 62 cycles per column of the first), the same way: vertical stride 1, row
 * pairs P0 .. P2,
 *   out0 += SMLAD(P0, a) + P1.bottom * b.top     out1 += P0.top * a.bottom + SMLAD(P1, b)
 *   out2 += SMLAD(P1, a) + P2.bottom * b.top;
 * vertical stride 2, P0 .. P3, out_i += SMLAD(P_i, a) + P_(i+1).bottom * b.bottom. */
#define DW3_P3_SLOT1(k, c0, c1, c2)                                                        \
    "ldr    %[wa], [%[w], #(8 * " k ")]\n\t"                                               \
    "ldr    %[x], [%[b], #(16 * " k ")]\n\t"                                               \
    "ldr    %[wb], [%[w], #(8 * " k " + 4)]\n\t"                                           \
    "ldr    %[y], [%[b], #(DW3_PS + 16 * " k ")]\n\t"                                      \
    "smlad  %[a0], %[x], %[wa], %[" c0 "]\n\t"                                             \
    "smlatb %[a1], %[x], %[wa], %[" c1 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(2 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabt %[a0], %[y], %[wb], %[a0]\n\t"                                                 \
    "smlad  %[a1], %[y], %[wb], %[a1]\n\t"                                                 \
    "smlad  %[a2], %[y], %[wa], %[" c2 "]\n\t"                                             \
    "smlabt %[a2], %[x], %[wb], %[a2]\n\t"
#define DW3_P3_SLOT2(k, c0, c1, c2)                                                        \
    "ldr    %[wa], [%[w], #(8 * " k ")]\n\t"                                               \
    "ldr    %[x], [%[b], #(16 * " k ")]\n\t"                                               \
    "ldr    %[wb], [%[w], #(8 * " k " + 4)]\n\t"                                           \
    "ldr    %[y], [%[b], #(DW3_PS + 16 * " k ")]\n\t"                                      \
    "smlad  %[a0], %[x], %[wa], %[" c0 "]\n\t"                                             \
    "ldr    %[x], [%[b], #(2 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a0], %[y], %[wb], %[a0]\n\t"                                                 \
    "smlad  %[a1], %[y], %[wa], %[" c1 "]\n\t"                                             \
    "ldr    %[y], [%[b], #(3 * DW3_PS + 16 * " k ")]\n\t"                                  \
    "smlabb %[a1], %[x], %[wb], %[a1]\n\t"                                                 \
    "smlad  %[a2], %[x], %[wa], %[" c2 "]\n\t"                                             \
    "smlabb %[a2], %[y], %[wb], %[a2]\n\t"
/* (slot 0's accumulators start from corr, in z) */
#define DW3_P3_MACS(slot)                                                                  \
    "ldr    %[z], [%[" DW3_Q "], #40]\n\t"                                                 \
    slot("0", "z", "z", "z") slot("1", "a0", "a1", "a2") slot("2", "a0", "a1", "a2")
#define DW3_P3_RQ(ld_lo)                                                                   \
    "ldr    %[z], [%[" DW3_Q "], #52]\n\t"                                                 \
    "ldr    %[y], [%[" DW3_Q "], #44]\n\t"                                                 \
    DW3_LD_E("[%[" DW3_Q "], #48]")                                                        \
    DW3_MUL("a0") DW3_MUL("a1")                                                            \
    DW3_MUL_AT("a2", "[%[" DW3_Q "], #48]")                                                \
    DW3_SHIFT("a0") DW3_SHIFT("a1") ld_lo DW3_SHIFT("a2")
/* The stores of three rows and the next column: o, os and ostep stay in a3, a4, a5, which the
 * three-row columns leave free (DW3_PCOL3_ASM; before, in the frame, loaded and stored per
 * column: Cortex-M33, mcusim's model, VWW's 3x3x256 dw3_pcol_group 55,040 -> 51,840 cycles,
 * the layer 79,865 -> 76,601; 6x6x128 -> 3x3 46,967 -> 45,335). */
#define DW3_P3_STORES                                                                      \
    "strb   %[a0], [%[a3]]\n\t"                                                            \
    "ldr    %[wb], %[cstep]\n\t"                                                           \
    "strb   %[a1], [%[a3], %[a4]]\n\t"                                                     \
    "strb   %[a2], [%[a3], %[a4], lsl #1]\n\t"                                             \
    "add    %[a3], %[a3], %[a5]\n\t"                                                       \
    "add    %[b], %[b], %[wb]\n\t"                                                         \
    "subs   %[n], %[n], #1\n\t"                                                            \
    "bne    6b\n\t"
/* Six rows (slot: DW3_P6_SLOT, or DW3_P6_SLOT2 for vertical stride 2), three rows (slot:
 * DW3_P3_SLOT1 / DW3_P3_SLOT2): the MACs, requantization, clamps, stores. */
#define DW3_P6_COLUMN(slot, ld_lo, clamp)                                                  \
    "ldr    %[z], [%[" DW3_Q "], #40]\n\t"                                                 \
    slot("0", "z", "z", "z", "z", "z", "z")                                                \
    slot("1", "a0", "a1", "a2", "a3", "a4", "a5")                                          \
    slot("2", "a0", "a1", "a2", "a3", "a4", "a5")                                          \
    DW3_P6_RQ(ld_lo) clamp DW3_P6_STORES
#define DW3_P3_COLUMN(slot, ld_lo, clamp) DW3_P3_MACS(slot) DW3_P3_RQ(ld_lo) clamp DW3_P3_STORES

/* Twelve rows (the ring's 12x12 maps): two six-row columns, the second from row pair 3
 * (vertical stride 1) or 6 (stride 2) on, writing from output row 6 (o + 6 os: after
 * DW3_P6_STORES z = o, x = os, y = o + os). Instead of three groups of four rows and the
 * tests between them (Cortex-M33, mcusim's model: VWW's 12x12x64 246,456 -> 217,064
 * cycles, 24x24x32 -> 12x12 161,284 -> 146,589). */
#define DW3_P12_COLUMN(slot, ld_lo, clamp, pairs)                                          \
    DW3_P6_COLUMN(slot, ld_lo, clamp)                                                      \
    "add    %[y], %[y], %[x]\n\t"                                                          \
    "add    %[z], %[y], %[x], lsl #2\n\t"                                                  \
    "add    %[b], %[b], #(" pairs " * DW3_PS)\n\t"                                          \
    "str    %[z], %[o]\n\t"                                                                \
    DW3_P6_COLUMN(slot, ld_lo, clamp)

/* Twelve rows of the wide plane: DW3_P12_COLUMN, then b and z back to the column's row
 * pair 0 and output row 0 (z -= 6 os, x = os; b -= 3 DW3_PS, or 6 DW3_PS for vertical
 * stride 2: `pairs`) for DW3_PCOL_NEXT. */
#define DW3_P12_BACKN(pairs)                                                               \
    "sub    %[z], %[z], %[x], lsl #2\n\t"                                                  \
    "sub    %[z], %[z], %[x], lsl #1\n\t"                                                  \
    "sub    %[b], %[b], #(" pairs " * DW3_PS)\n\t"
#define DW3_P12_BACK DW3_P12_BACKN("3")

/* Per channel: its block (w; blk moves to the next), output column 0 (o0 moves by one
 * byte), b and the column count; every column (DW3_P6_COLUMN or DW3_P3_COLUMN); then the
 * next channel while nch > 0. ps: the plane's bytes between row pairs, DW3_PPAIR or
 * DW3_WPAIR. */
#define DW3_PCOL_ASM(ps, column) DW3_PCOL_ASM_(ps, column, , )
/* (oext, iext: more output and input operands, each after MCS_DSP_COMMA) */
#define DW3_PCOL_ASM_(ps, column, oext, iext)                                              \
    __asm__ volatile(                                                                      \
        ".set   DW3_PS, " ps "\n\t"                                                        \
        "0:\n\t"                                                                           \
        "ldr    %[w], %[blk]\n\t"                                                          \
        "ldr    %[a1], %[o0]\n\t"                                                          \
        "ldr    %[n], %[ncols]\n\t"                                                        \
        "add    %[a2], %[w], #64\n\t"                                                      \
        "str    %[a2], %[blk]\n\t"                                                         \
        "ldr    %[b], [%[w], #56]\n\t"                                                     \
        "str    %[a1], %[o]\n\t"                                                           \
        "add    %[a1], %[a1], #1\n\t"                                                      \
        "str    %[a1], %[o0]\n\t"                                                          \
        "6:\n\t"                                                                           \
        column DW3_PCOL_NEXT                                                               \
        "ldr    %[x], %[nch]\n\t"                                                          \
        "subs   %[x], %[x], #1\n\t"                                                        \
        "str    %[x], %[nch]\n\t"                                                          \
        "bne    0b\n\t"                                                                    \
        : [b] "=&r"(b), [w] "=&r"(w), [n] "=&r"(n), [a0] "=&r"(a0), [a1] "=&r"(a1),        \
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5), [x] "=&r"(x),    \
          [y] "=&r"(y), [z] "=&r"(z), [wa] "=&r"(wa), [wb] "=&r"(wb), [o] "+m"(st.o),      \
          [blk] "+m"(st.blk), [o0] "+m"(st.o0), [nch] "+m"(st.nch) oext                    \
        : [ncols] "m"(st.ncols), [cstep] "m"(st.cstep), [ostep] "m"(st.ostep),             \
          [os] "m"(st.os), [amin] "m"(st.amin), [amax] "m"(st.amax) iext                   \
        : "cc", "memory")

/* DW3_PCOL_ASM for the plane's three-row columns (DW3_P3_COLUMN, which steps the columns
 * itself): o in a3, os in a4, ostep in a5. */
#define DW3_PCOL3_ASM(column)                                                              \
    __asm__ volatile(                                                                      \
        ".set   DW3_PS, 128\n\t"                                                          \
        "ldr    %[a4], %[os]\n\t"                                                          \
        "ldr    %[a5], %[ostep]\n\t"                                                       \
        "0:\n\t"                                                                           \
        "ldr    %[w], %[blk]\n\t"                                                          \
        "ldr    %[a3], %[o0]\n\t"                                                          \
        "ldr    %[n], %[ncols]\n\t"                                                        \
        "add    %[a2], %[w], #64\n\t"                                                      \
        "str    %[a2], %[blk]\n\t"                                                         \
        "ldr    %[b], [%[w], #56]\n\t"                                                     \
        "add    %[a1], %[a3], #1\n\t"                                                      \
        "str    %[a1], %[o0]\n\t"                                                          \
        "6:\n\t"                                                                           \
        column                                                                             \
        "ldr    %[x], %[nch]\n\t"                                                          \
        "subs   %[x], %[x], #1\n\t"                                                        \
        "str    %[x], %[nch]\n\t"                                                          \
        "bne    0b\n\t"                                                                    \
        : [b] "=&r"(b), [w] "=&r"(w), [n] "=&r"(n), [a0] "=&r"(a0), [a1] "=&r"(a1),        \
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5), [x] "=&r"(x),    \
          [y] "=&r"(y), [z] "=&r"(z), [wa] "=&r"(wa), [wb] "=&r"(wb), [blk] "+m"(st.blk),  \
          [o0] "+m"(st.o0), [nch] "+m"(st.nch)                                             \
        : [ncols] "m"(st.ncols), [cstep] "m"(st.cstep), [ostep] "m"(st.ostep),             \
          [os] "m"(st.os), [amin] "m"(st.amin), [amax] "m"(st.amax)                        \
        : "cc", "memory")

/* The ring's one-piece column of six rows (dw3_group): per channel its block q, its weights
 * w = q + wofs (the slots' rotation), b; the column; the next channel while nch > 0.
 * Cortex-M33, VWW's 12x12x64 -> 6x6 (vertical stride 2, in the ring: 13 padded columns):
 * 109,244 -> 94,909 cycles (mcusim's model; DW3_CHANNEL, the groups of four and two rows
 * and the tests between them before). */
#define DW3_RCOL_ASM(column)                                                               \
    __asm__ volatile(                                                                      \
        ".set   DW3_PS, 48\n\t"                                                            \
        "0:\n\t"                                                                           \
        "ldr    %[q], %[blk]\n\t"                                                          \
        "ldr    %[w], %[wofs]\n\t"                                                         \
        "ldr    %[a1], %[o0]\n\t"                                                          \
        "add    %[a2], %[q], #64\n\t"                                                      \
        "str    %[a2], %[blk]\n\t"                                                         \
        "ldr    %[b], [%[q], #56]\n\t"                                                     \
        "add    %[w], %[q], %[w]\n\t"                                                      \
        "str    %[a1], %[o]\n\t"                                                           \
        "add    %[a1], %[a1], #1\n\t"                                                      \
        "str    %[a1], %[o0]\n\t"                                                          \
        column                                                                             \
        "ldr    %[x], %[nch]\n\t"                                                          \
        "subs   %[x], %[x], #1\n\t"                                                        \
        "str    %[x], %[nch]\n\t"                                                          \
        "bne    0b\n\t"                                                                    \
        : [b] "=&r"(b), [w] "=&r"(w), [q] "=&r"(q), [a0] "=&r"(a0), [a1] "=&r"(a1),        \
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5), [x] "=&r"(x),    \
          [y] "=&r"(y), [z] "=&r"(z), [wa] "=&r"(wa), [wb] "=&r"(wb), [o] "+m"(st.o),      \
          [blk] "+m"(st.blk), [o0] "+m"(st.o0), [nch] "+m"(st.nch)                         \
        : [wofs] "m"(st.wofs), [os] "m"(st.os), [amin] "m"(st.amin), [amax] "m"(st.amax)   \
        : "cc", "memory")

/* The ring's columns of 6 k rows (k = st.ncols > 2): six-row pieces in a loop, the count in
 * st.ncol, each piece from 3 (vertical stride 1) or 6 (stride 2) row pairs and six output
 * rows further than the last (as DW3_P12_COLUMN). */
#define DW3_P6N_COLUMN(slot, ld_lo, clamp, pairs)                                          \
    "ldr    %[a0], %[np]\n\t"                                                              \
    "str    %[a0], %[cnt]\n\t"                                                             \
    "5:\n\t"                                                                               \
    DW3_P6_COLUMN(slot, ld_lo, clamp)                                                      \
    "ldr    %[a0], %[cnt]\n\t"                                                             \
    "add    %[y], %[y], %[x]\n\t"                                                          \
    "subs   %[a0], %[a0], #1\n\t"                                                          \
    "beq    8f\n\t"                                                                        \
    "add    %[z], %[y], %[x], lsl #2\n\t"                                                  \
    "str    %[a0], %[cnt]\n\t"                                                             \
    "add    %[b], %[b], #(" pairs " * DW3_PS)\n\t"                                          \
    "str    %[z], %[o]\n\t"                                                                \
    "b      5b\n\t"                                                                        \
    "8:\n\t"
#define DW3_RCOLN_ASM(column)                                                              \
    __asm__ volatile(                                                                      \
        ".set   DW3_PS, 48\n\t"                                                            \
        "0:\n\t"                                                                           \
        "ldr    %[q], %[blk]\n\t"                                                          \
        "ldr    %[w], %[wofs]\n\t"                                                         \
        "ldr    %[a1], %[o0]\n\t"                                                          \
        "add    %[a2], %[q], #64\n\t"                                                      \
        "str    %[a2], %[blk]\n\t"                                                         \
        "ldr    %[b], [%[q], #56]\n\t"                                                     \
        "add    %[w], %[q], %[w]\n\t"                                                      \
        "str    %[a1], %[o]\n\t"                                                           \
        "add    %[a1], %[a1], #1\n\t"                                                      \
        "str    %[a1], %[o0]\n\t"                                                          \
        column                                                                             \
        "ldr    %[x], %[nch]\n\t"                                                          \
        "subs   %[x], %[x], #1\n\t"                                                        \
        "str    %[x], %[nch]\n\t"                                                          \
        "bne    0b\n\t"                                                                    \
        : [b] "=&r"(b), [w] "=&r"(w), [q] "=&r"(q), [a0] "=&r"(a0), [a1] "=&r"(a1),        \
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5), [x] "=&r"(x),    \
          [y] "=&r"(y), [z] "=&r"(z), [wa] "=&r"(wa), [wb] "=&r"(wb), [o] "+m"(st.o),      \
          [blk] "+m"(st.blk), [o0] "+m"(st.o0), [nch] "+m"(st.nch), [cnt] "=m"(st.ncol)    \
        : [wofs] "m"(st.wofs), [os] "m"(st.os), [amin] "m"(st.amin), [amax] "m"(st.amax),  \
          [np] "m"(st.ncols)                                                               \
        : "cc", "memory")

/* The wide plane's columns of 6 k rows (vertical stride 1, k > 2: the striped 24x24 maps,
 * dw3_wide_ok): DW3_P6N_COLUMN's six-row pieces (3 row pairs and six output rows apart),
 * then b and z back to the column's row pair 0 and output row 0 for DW3_PCOL_NEXT: after the
 * last piece z = its o, x = os, so z -= 6 (k - 1) os and b -= 3 DW3_PS (k - 1) (MUL, MLS:
 * the frame has no room for the column's b and o, GCC takes at most 30 operands). The piece
 * count k in st.rem, its counter in st.a4 (neither is used by DW3_PCOL_ASM's columns). */
#define DW3_WP6N_COLUMN(slot, ld_lo, clamp)                                                \
    DW3_P6N_COLUMN(slot, ld_lo, clamp, "3")                                                \
    "ldr    %[a0], %[np]\n\t"                                                              \
    "movw   %[y], #(3 * DW3_PS)\n\t"                                                       \
    "sub    %[a0], %[a0], #1\n\t"                                                          \
    "mul    %[a1], %[a0], %[x]\n\t"                                                        \
    "mls    %[b], %[a0], %[y], %[b]\n\t"                                                   \
    "add    %[a1], %[a1], %[a1], lsl #1\n\t"                                               \
    "sub    %[z], %[z], %[a1], lsl #1\n\t"
#define DW3_WCOLN_ASM(column)                                                              \
    DW3_PCOL_ASM_("240", column, MCS_DSP_COMMA[cnt] "=m"(st.a4),                            \
                  MCS_DSP_COMMA[np] "m"(st.rem))

/* The register holding the channel's block in DW3_PCOL_ASM (the weights' too: the plane
 * has kernel column k in slot k). */
#define DW3_Q "w"

/* The frame of DW3_PCOL_ASM for channels blk[0 .. g) (o: channel 0's output at row 0,
 * column 0); returns the clamp variant (0: none, 1: act_min, 2: both). */
static inline int32_t dw3_col_frame(dw3_asm_t *st, const mcs_conv2d_s8_params_t *p,
                                    const dw3_chan_t *blk, int32_t g, int8_t *o)
{
    st->blk = blk;
    st->o0 = o;
    st->nch = g;
    st->cstep = DW3_SLOT * p->stride_w;
    st->ncols = p->out_w;
    st->ostep = p->in_c;
    st->amin = p->act_min;
    st->amax = p->act_max;
    st->os = p->out_w * p->in_c;
    return (p->act_min == -128 && p->act_max == 127) ? 0 : (p->act_max == 127) ? 1 : 2;
}

/* One-piece columns (DW3_PCOL_ASM) for channels blk[0 .. g) (o: channel 0's output at row
 * 0, column 0): six rows of vertical stride 1, or three rows (dw3_pcol_ok). */
static __attribute__((noinline)) void dw3_pcol_group(const mcs_conv2d_s8_params_t *p,
                                                     const dw3_chan_t *blk, int32_t g,
                                                     int8_t *o)
{
    dw3_asm_t st;
    const int32_t clamp = dw3_col_frame(&st, p, blk, g, o);
    int32_t b, w, n, a0, a1, a2, a3, a4, a5, x, y, z, wa, wb;
    switch ((p->out_h == 6) ? clamp : (p->stride_h == 1) ? 3 + clamp : 6 + clamp) {
#define DW3_PCOL128(column) DW3_PCOL_ASM("128", column)
    DW3_CLAMP_CASES(0, DW3_PCOL128, DW3_P6_COLUMN, DW3_P6_SLOT, 6, , )
    DW3_CLAMP_CASES(3, DW3_PCOL3_ASM, DW3_P3_COLUMN, DW3_P3_SLOT1, 3, , )
    DW3_CLAMP_CASES(6, DW3_PCOL3_ASM, DW3_P3_COLUMN, DW3_P3_SLOT2, 3, , )
#undef DW3_PCOL128
    default:
        break;
    }
    (void)b; (void)w; (void)n; (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    (void)x; (void)y; (void)z; (void)wa; (void)wb;
}

/* The same in the wide plane (DW3_WPAIR, dw3_wide_ok) for `ncols` output columns (a stripe's,
 * see dw3_wide): six rows of vertical stride 1 or 2, twelve of either (two six-row pieces,
 * DW3_P12_COLUMN, then back to the column's top: DW3_P12_BACKN), 6 k > 12 of stride 1
 * (DW3_WP6N_COLUMN). A function of its own, so that the plane's calls test nothing more
 * (VWW's 6x6x128, Cortex-M33: one function for both planes took 7 cycles more per group). */
static __attribute__((noinline)) void dw3_wcol_group(const mcs_conv2d_s8_params_t *p,
                                                     const dw3_chan_t *blk, int32_t g,
                                                     int8_t *o, int32_t ncols)
{
    dw3_asm_t st;
    const int32_t clamp = dw3_col_frame(&st, p, blk, g, o);
    int32_t b, w, n, a0, a1, a2, a3, a4, a5, x, y, z, wa, wb;
    int32_t kind;
    st.ncols = ncols;
    if (p->out_h == 6) {
        kind = (p->stride_h == 1) ? clamp : 3 + clamp;
    } else if (p->out_h == 12) {
        kind = (p->stride_h == 1) ? 6 + clamp : 9 + clamp;
    } else {
        st.rem = p->out_h / 6; /* DW3_WP6N_COLUMN's pieces */
        kind = 12 + clamp;
    }
    switch (kind) {
#define DW3_PCOL240(column) DW3_PCOL_ASM("240", column)
    DW3_CLAMP_CASES(0, DW3_PCOL240, DW3_P6_COLUMN, DW3_P6_SLOT, 6, , )
    DW3_CLAMP_CASES(3, DW3_PCOL240, DW3_P6_COLUMN, DW3_P6_SLOT2, 6, , )
    DW3_CLAMP_CASES(6, DW3_PCOL240, DW3_P12_COLUMN, DW3_P6_SLOT, 6, DW3_P12_BACK, , "3")
    DW3_CLAMP_CASES(9, DW3_PCOL240, DW3_P12_COLUMN, DW3_P6_SLOT2, 6, DW3_P12_BACKN("6"), ,
                    "6")
    DW3_CLAMP_CASES(12, DW3_WCOLN_ASM, DW3_WP6N_COLUMN, DW3_P6_SLOT, 6, , )
#undef DW3_PCOL240
    default:
        break;
    }
    (void)b; (void)w; (void)n; (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    (void)x; (void)y; (void)z; (void)wa; (void)wb;
}

#undef DW3_Q

/* The plane's shapes dw3_pcol_group takes (the plane: vertical stride 1 or 2). */
static inline int32_t dw3_pcol_ok(const mcs_conv2d_s8_params_t *p)
{
    return (p->stride_h == 1 && p->out_h == 6) || p->out_h == 3;
}
#define DW3_PCOL 1
#else
#define DW3_PCOL 0
#endif

/*
 * Cortex-M33, the ring with vertical stride 1: eight rows per iteration while at least eight
 * are left in the channel's whole groups of four (VWW's 48x48x8 and 24x24x32 layers; which
 * shapes: dw3_group), the rest as before (DW3_ROWS). Eight accumulators need the registers
 * that hold the weights for DW3_ROWS, so the slot's two weight words are loaded from the
 * channel's block (wp: their address, which DW3_CHANNEL8 keeps in the frame's a4) next to its
 * row pairs, and loaded back into wa0 .. wb2 after the loop when rows are left. Per slot
 * (a = wa2, b = wb2; pairs P0 .. P4 in x and y, alternately; the accumulators A0 .. A7 =
 * a0 a1 a2 a3 wa0 wb0 wa1 wb1)
 *   out_2j += SMLAD(P_j, a) + P_(j+1).bottom * b.top
 *   out_2j+1 += P_j.top * a.bottom + SMLAD(P_(j+1), b)        (j = 0 .. 3)
 * each load two instructions before its first use, slot 0's MACs adding corr (in A7 until
 * its own first MAC). Cortex-M33 (mcusim's model): 125.7 cycles per eight rows where two
 * groups of four took 131.6; VWW's 24x24x32 409,981 -> 396,182 cycles, 48x48x8 373,557 ->
 * 359,734.
 */
#define DW3_AT8(pair, s) "[%[b], #(" pair " * DW3_PS - 4 * DW3_PS + " s ")]"
/* Slot s (byte offset), weight words at wp + wo; u holds P0, `next` goes between P4's load
 * and its MACs (the next slot's P0 into v, or m and r). */
#define DW3_S1_SLOT8(wo, s, u, v, next)                                                    \
    "ldr    %[wa2], [%[z], #" wo "]\n\t"                                                   \
    "ldr    %[wb2], [%[z], #(" wo " + 4)]\n\t"                                             \
    "ldr    %[" v "], " DW3_AT8("1", s) "\n\t"                                             \
    "smlad  %[a0], %[" u "], %[wa2], %[a0]\n\t"                                            \
    "smlatb %[a1], %[" u "], %[wa2], %[a1]\n\t"                                            \
    "ldr    %[" u "], " DW3_AT8("2", s) "\n\t"                                             \
    "smlad  %[a2], %[" v "], %[wa2], %[a2]\n\t"                                            \
    "smlatb %[a3], %[" v "], %[wa2], %[a3]\n\t"                                            \
    "smlabt %[a0], %[" v "], %[wb2], %[a0]\n\t"                                            \
    "smlad  %[a1], %[" v "], %[wb2], %[a1]\n\t"                                            \
    "ldr    %[" v "], " DW3_AT8("3", s) "\n\t"                                             \
    "smlad  %[wa0], %[" u "], %[wa2], %[wa0]\n\t"                                          \
    "smlatb %[wb0], %[" u "], %[wa2], %[wb0]\n\t"                                          \
    "smlabt %[a2], %[" u "], %[wb2], %[a2]\n\t"                                            \
    "smlad  %[a3], %[" u "], %[wb2], %[a3]\n\t"                                            \
    "ldr    %[" u "], " DW3_AT8("4", s) "\n\t"                                             \
    "smlad  %[wa1], %[" v "], %[wa2], %[wa1]\n\t"                                          \
    "smlatb %[wb1], %[" v "], %[wa2], %[wb1]\n\t"                                          \
    "smlabt %[wa0], %[" v "], %[wb2], %[wa0]\n\t"                                          \
    "smlad  %[wb0], %[" v "], %[wb2], %[wb0]\n\t"                                          \
    next                                                                                   \
    "smlabt %[wa1], %[" u "], %[wb2], %[wa1]\n\t"                                          \
    "smlad  %[wb1], %[" u "], %[wb2], %[wb1]\n\t"
/* Slot 0: the same with corr (in wb1) as the addend of each accumulator's first MAC. */
#define DW3_S1_SLOT8_FIRST                                                                 \
    "ldr    %[z], %[a4]\n\t"                                                               \
    "ldr    %[wb1], %[corr]\n\t"                                                           \
    "ldr    %[x], [%[b]], #(4 * DW3_PS)\n\t"                                               \
    "ldr    %[wa2], [%[z]]\n\t"                                                            \
    "ldr    %[wb2], [%[z], #4]\n\t"                                                        \
    "ldr    %[y], " DW3_AT8("1", "0") "\n\t"                                               \
    "smlad  %[a0], %[x], %[wa2], %[wb1]\n\t"                                               \
    "smlatb %[a1], %[x], %[wa2], %[wb1]\n\t"                                               \
    "ldr    %[x], " DW3_AT8("2", "0") "\n\t"                                               \
    "smlad  %[a2], %[y], %[wa2], %[wb1]\n\t"                                               \
    "smlatb %[a3], %[y], %[wa2], %[wb1]\n\t"                                               \
    "smlabt %[a0], %[y], %[wb2], %[a0]\n\t"                                                \
    "smlad  %[a1], %[y], %[wb2], %[a1]\n\t"                                                \
    "ldr    %[y], " DW3_AT8("3", "0") "\n\t"                                               \
    "smlad  %[wa0], %[x], %[wa2], %[wb1]\n\t"                                              \
    "smlatb %[wb0], %[x], %[wa2], %[wb1]\n\t"                                              \
    "smlabt %[a2], %[x], %[wb2], %[a2]\n\t"                                                \
    "smlad  %[a3], %[x], %[wb2], %[a3]\n\t"                                                \
    "ldr    %[x], " DW3_AT8("4", "0") "\n\t"                                               \
    "smlad  %[wa1], %[y], %[wa2], %[wb1]\n\t"                                              \
    "smlatb %[wb1], %[y], %[wa2], %[wb1]\n\t"                                              \
    "smlabt %[wa0], %[y], %[wb2], %[wa0]\n\t"                                              \
    "smlad  %[wb0], %[y], %[wb2], %[wb0]\n\t"                                              \
    "ldr    %[y], " DW3_AT8("0", "16") "\n\t"                                              \
    "smlabt %[wa1], %[x], %[wb2], %[wa1]\n\t"                                              \
    "smlad  %[wb1], %[x], %[wb2], %[wb1]\n\t"
/* The requantization (DW3_MUL with m in y, r in z, the sign term in wa2 - none in a _relu
 * kernel; e into wb2 before the last SMMLAR), the clamps (ld_lo: act_min into y), the stores
 * through o, o + 2 os, o + 4 os, o + 6 os (z, wa2, wb2), pend into y and the loop test: again
 * while eight rows are left. */
#define DW3_MUL8(a)                                                                        \
    MCS_DSP_RQ_SIGN("wa2", "z", a)                                                         \
    "smmlar %[" a "], %[" a "], %[y], " MCS_DSP_RQ_RA("wa2", "z") "\n\t"
#define DW3_SHIFT8(a)                                                                      \
    "asr    %[" a "], %[" a "], %[wb2]\n\t"                                                \
    "ssat   %[" a "], #8, %[" a "]\n\t"
#define DW3_CLAMP8(cond)                                                                   \
    DW3_CLAMP4(cond) DW3_CLAMP("wa0", cond) DW3_CLAMP("wb0", cond)                         \
    DW3_CLAMP("wa1", cond) DW3_CLAMP("wb1", cond)
#define DW3_S1_BODY8(ld_lo, clamp8)                                                        \
    DW3_S1_SLOT8_FIRST                                                                     \
    DW3_S1_SLOT8("8", "16", "y", "x", "ldr    %[x], " DW3_AT8("0", "32") "\n\t")          \
    DW3_S1_SLOT8("16", "32", "x", "y", "ldr    %[y], %[m]\n\tldr    %[z], %[r]\n\t")       \
    DW3_MUL8("a0") DW3_MUL8("a1") DW3_MUL8("a2") DW3_MUL8("a3")                            \
    DW3_MUL8("wa0") DW3_MUL8("wb0") DW3_MUL8("wa1")                                        \
    MCS_DSP_RQ_SIGN("wa2", "z", "wb1")                                                     \
    "ldr    %[wb2], %[e]\n\t"                                                              \
    "smmlar %[wb1], %[wb1], %[y], " MCS_DSP_RQ_RA("wa2", "z") "\n\t"                       \
    DW3_SHIFT8("a0") DW3_SHIFT8("a1") DW3_SHIFT8("a2") DW3_SHIFT8("a3")                    \
    DW3_SHIFT8("wa0") DW3_SHIFT8("wb0") DW3_SHIFT8("wa1") DW3_SHIFT8("wb1")                \
    ld_lo clamp8                                                                           \
    "ldr    %[z], %[o]\n\t"                                                                \
    "ldr    %[x], %[os]\n\t"                                                               \
    "ldr    %[y], %[pend]\n\t"                                                             \
    "strb   %[a0], [%[z]]\n\t"                                                             \
    "add    %[wa2], %[z], %[x], lsl #1\n\t"                                                \
    "strb   %[a1], [%[z], %[x]]\n\t"                                                       \
    "add    %[wb2], %[z], %[x], lsl #2\n\t"                                                \
    "strb   %[a2], [%[wa2]]\n\t"                                                           \
    "strb   %[a3], [%[wa2], %[x]]\n\t"                                                     \
    "add    %[z], %[wa2], %[x], lsl #2\n\t"                                                \
    "strb   %[wa0], [%[wb2]]\n\t"                                                          \
    "strb   %[wb0], [%[wb2], %[x]]\n\t"                                                    \
    "add    %[wa2], %[z], %[x], lsl #1\n\t"                                                \
    "strb   %[wa1], [%[z]]\n\t"                                                            \
    "strb   %[wb1], [%[z], %[x]]\n\t"                                                      \
    "sub    %[y], %[y], %[b]\n\t"                                                          \
    "str    %[wa2], %[o]\n\t"                                                              \
    "cmp    %[y], #(4 * DW3_PS)\n\t"                                                       \
    "bge    7b\n\t"

/* DW3_CHANNEL, and the weights' address (y) to the frame's a4 for DW3_S1_BODY8 (the
 * five-row group writes a4 only after the last read of it, before DW3_ROWS). */
#define DW3_CHANNEL8 DW3_CHANNEL "str    %[y], %[a4]\n\t"

/* All channels of the column as DW3_COLUMN_ASM, with groups of eight rows first (a0 = pend
 * after DW3_CHANNEL8): then, when rows are left (y = pend - b, or rem), the weights back
 * into registers and a0 = pend for DW3_ROWS. */
#define DW3_COLUMN8_ASM(body8, body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1) \
    __asm__ volatile(                                                                      \
        DW3_GEOMETRY("48", "0")                                                            \
        DW3_STP_ENTRY                                                                      \
        "0:\n\t"                                                                           \
        DW3_CHANNEL8                                                                       \
        "sub    %[y], %[a0], %[b]\n\t"                                                     \
        "cmp    %[y], #(4 * DW3_PS)\n\t"                                                   \
        "blt    9f\n\t"                                                                    \
        "7:\n\t"                                                                           \
        body8                                                                              \
        "ldr    %[a0], %[rem]\n\t"                                                         \
        "orrs   %[a0], %[a0], %[y]\n\t"                                                    \
        "beq    4f\n\t"                                                                    \
        "ldr    %[z], %[a4]\n\t"                                                           \
        "ldr    %[a0], %[pend]\n\t"                                                        \
        "ldr    %[wa0], [%[z]]\n\t"                                                        \
        "ldr    %[wb0], [%[z], #4]\n\t"                                                    \
        "ldr    %[wa1], [%[z], #8]\n\t"                                                    \
        "ldr    %[wb1], [%[z], #12]\n\t"                                                   \
        "ldr    %[wa2], [%[z], #16]\n\t"                                                   \
        "ldr    %[wb2], [%[z], #20]\n\t"                                                   \
        "9:\n\t"                                                                           \
        DW3_ROWS(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)               \
        DW3_NEXT_CHANNEL                                                                   \
        DW3_OPERANDS                                                                       \
        : "cc", "memory")

/* DW3_RCOL_ASM's block register (its weights are at q + wofs). */
#define DW3_Q "q"

/* dw3_group's one-piece columns */
enum { DW3_KIND_6 = 1, DW3_KIND_12, DW3_KIND_PIECES, DW3_KIND_ROWS8 };

/* All output columns of channels blk[0 .. g) (o: channel 0's output at row 0, column 0); on
 * the Cortex-M33 six and twelve rows as one-piece columns (DW3_RCOL_ASM). Not inlined: the
 * asm needs every register but sp. */
static __attribute__((noinline)) void dw3_group(dw3_call_t *k, const int8_t *in_n,
                                                const dw3_chan_t *blk, int32_t c0, int32_t g,
                                                int8_t *o)
{
    const mcs_conv2d_s8_params_t *p = k->p;
    /* three clamp variants of each stride's code: none, act_min, both */
    const int32_t variant = ((p->stride_h == 1) ? 0 : 3) +
                            ((p->act_min == -128 && p->act_max == 127) ? 0
                             : (p->act_max == 127)                     ? 1
                                                                       : 2);
    dw3_asm_t st;
    dw3_asm_t *const stp = &st;
    int32_t b, a0, a1, a2, a3, x, y, z, wa0, wb0, wa1, wb1, wa2, wb2;
    dw3_cols_t t = {0, 0, 0, 0};
    int32_t ox;
    st.amin = p->act_min;
    st.amax = p->act_max;
    st.os = p->out_w * p->in_c;
    st.rem = dw3_rows5(p) ? 5 : (p->out_h & 3);
#if DW3_PCOL
    /* DW3_COLUMN8_ASM for vertical stride 1 when its groups of eight rows are all the rows,
     * or enough of them to pay for the weights' reload before the last rows (Cortex-M33,
     * VWW's 12x12x64, one group of eight and one of four: 246,032 -> 253,561 cycles) */
    const int32_t rows8 = variant < 3 && p->out_h > 0 && ((p->out_h & 7) == 0 || p->out_h >= 32);
    /* six-row pieces (DW3_P6N_COLUMN) for vertical stride 2's columns of 6 k > 12 rows:
     * Cortex-M33, VWW's 48x48x16 -> 24x24 276,251 -> 267,956 cycles (vertical stride 1
     * keeps its groups of eight: 48x48x8 359,666 -> 368,719 in six-row pieces) */
    const int32_t pieces = (variant >= 3 && p->out_h > 12 && p->out_h % 6 == 0) ? p->out_h / 6
                                                                                  : 0;
    /* the column's code, chosen once (a switch: a chain of tests before the groups of eight
     * cost VWW's 24x24x32 1,600 cycles) */
    const int32_t kind = (p->out_h == 6)    ? DW3_KIND_6
                         : (p->out_h == 12) ? DW3_KIND_12
                         : (pieces != 0)    ? DW3_KIND_PIECES
                         : rows8            ? DW3_KIND_ROWS8
                                            : 0;
    st.ncols = pieces;
#endif
    for (ox = 0; ox < p->out_w; ++ox, dw3_columns_next(k, &t)) {
        dw3_columns_in(k, &t, in_n + c0, g);
        st.blk = blk;
        st.wofs = (t.s0 == 0) ? 0 : 8 * (3 - t.s0); /* kernel column (3 - s0) % 3 in slot 0 */
        st.o0 = o;
        st.nch = g;
#if DW3_PCOL
        switch (kind) {
        case DW3_KIND_ROWS8: {
            switch (variant) {
            case 0:
                DW3_COLUMN8_ASM(DW3_S1_BODY8("", ""), DW3_S1_BODY4_NC, DW3_S1_GROUP5,
                                DW3_BODY3(DW3_S1_GROUP3, "", ""), DW3_S1_BODY2_NC,
                                DW3_S1_GROUP1, "", "", "");
                break;
            case 1:
                DW3_COLUMN8_ASM(DW3_S1_BODY8(DW3_LD_LO, DW3_CLAMP8("lt")),
                                DW3_BODY4(DW3_S1_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt")),
                                DW3_S1_GROUP5,
                                DW3_BODY3(DW3_S1_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt")),
                                DW3_BODY2(DW3_S1_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt")),
                                DW3_S1_GROUP1, DW3_LD_LO, DW3_CLAMP4("lt"), DW3_CLAMP1("lt"));
                break;
            default:
                DW3_COLUMN8_ASM(
                    DW3_S1_BODY8(DW3_LD_LO, DW3_CLAMP8("lt") DW3_HI(8)),
                    DW3_BODY4(DW3_S1_GROUP4, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4)),
                    DW3_S1_GROUP5,
                    DW3_BODY3(DW3_S1_GROUP3, DW3_LD_LO, DW3_CLAMP3("lt") DW3_HI(3)),
                    DW3_BODY2(DW3_S1_GROUP2, DW3_LD_LO, DW3_CLAMP2("lt") DW3_HI(2)),
                    DW3_S1_GROUP1, DW3_LD_LO, DW3_CLAMP4("lt") DW3_HI(4),
                    DW3_CLAMP1("lt") DW3_HI(1));
                break;
            }
            o += p->in_c;
            continue;
        }
        case DW3_KIND_PIECES: {
            int32_t q, w, a4, a5, wa, wb;
            switch (variant) {
                DW3_CLAMP_CASES(0, DW3_RCOLN_ASM, DW3_P6N_COLUMN, DW3_P6_SLOT, 6, , , "3")
                DW3_CLAMP_CASES(3, DW3_RCOLN_ASM, DW3_P6N_COLUMN, DW3_P6_SLOT2, 6, , , "6")
            default:
                break;
            }
            (void)q; (void)w; (void)a4; (void)a5; (void)wa; (void)wb;
            o += p->in_c;
            continue;
        }
        case DW3_KIND_12: {
            int32_t q, w, a4, a5, wa, wb;
            switch (variant) {
                DW3_CLAMP_CASES(0, DW3_RCOL_ASM, DW3_P12_COLUMN, DW3_P6_SLOT, 6, , , "3")
                DW3_CLAMP_CASES(3, DW3_RCOL_ASM, DW3_P12_COLUMN, DW3_P6_SLOT2, 6, , , "6")
            default:
                break;
            }
            (void)q; (void)w; (void)a4; (void)a5; (void)wa; (void)wb;
            o += p->in_c;
            continue;
        }
        case DW3_KIND_6: {
            int32_t q, w, a4, a5, wa, wb;
            switch (variant) {
                DW3_CLAMP_CASES(0, DW3_RCOL_ASM, DW3_P6_COLUMN, DW3_P6_SLOT, 6, , )
                DW3_CLAMP_CASES(3, DW3_RCOL_ASM, DW3_P6_COLUMN, DW3_P6_SLOT2, 6, , )
            default:
                break;
            }
            (void)q; (void)w; (void)a4; (void)a5; (void)wa; (void)wb;
            o += p->in_c;
            continue;
        }
        default:
            break;
        }
#endif
        DW3_VARIANTS(DW3_COLUMN_ASM, variant);
        o += p->in_c;
    }
    (void)b; (void)a0; (void)a1; (void)a2; (void)a3; (void)x; (void)y; (void)z;
    (void)wa0; (void)wb0; (void)wa1; (void)wb1; (void)wa2; (void)wb2;
}
#undef DW3_Q

/*
 * The plane's loop, in assembly: per channel of the group (DW3_PCHANNEL: its constants to
 * the frame, its weights to registers once, kernel column k in slot k), every output column
 * (b moving by cstep, the output by ostep), in each all rows as in DW3_COLUMN_ASM. Per
 * column it costs the 13 instructions after label 4 instead of DW3_CHANNEL's 27 and the C
 * column loop around DW3_COLUMN_ASM.
 */
#define DW3_PCHANNEL                                                                       \
    DW3_STP_CHANNEL                                                                        \
    "ldr    %[a1], [%[x], #8]\n\t"                                                         \
    "ldr    %[z], [%[x]]\n\t"                                                              \
    "ldr    %[y], [%[x], #48]\n\t"                                                         \
    "str    %[a1], %[o]\n\t"                                                               \
    "str    %[a1], [%[x], #36]\n\t"                                                        \
    "ldr    %[a0], [%[z], #40]\n\t"                                                        \
    "ldr    %[a2], [%[z], #44]\n\t"                                                        \
    "ldr    %[a3], [%[z], #48]\n\t"                                                        \
    "ldr    %[b], [%[z], #52]\n\t"                                                         \
    "str    %[a0], [%[x], #16]\n\t"                                                        \
    "str    %[a2], [%[x], #20]\n\t"                                                        \
    "str    %[a3], [%[x], #24]\n\t"                                                        \
    "str    %[b], [%[x], #28]\n\t"                                                         \
    "ldr    %[wa0], [%[z]]\n\t"                                                            \
    "ldr    %[wb0], [%[z], #4]\n\t"                                                        \
    "ldr    %[wa1], [%[z], #8]\n\t"                                                        \
    "ldr    %[wb1], [%[z], #12]\n\t"                                                       \
    "ldr    %[wa2], [%[z], #16]\n\t"                                                       \
    "ldr    %[wb2], [%[z], #20]\n\t"                                                       \
    "ldr    %[b], [%[z], #56]\n\t"                                                         \
    "ldr    %[a0], [%[z], #60]\n\t"                                                        \
    "add    %[a1], %[a1], #1\n\t"                                                          \
    "add    %[z], %[z], #64\n\t"                                                           \
    "str    %[a1], [%[x], #8]\n\t"                                                         \
    "str    %[z], [%[x]]\n\t"                                                              \
    "str    %[y], [%[x], #40]\n\t"                                                         \
    "str    %[b], [%[x], #32]\n\t"                                                         \
    "str    %[a0], %[pend]\n\t"

#define DW3_PLANE_ASM(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)          \
    __asm__ volatile(                                                                      \
        DW3_GEOMETRY("128", "1")                                                           \
        DW3_STP_ENTRY                                                                      \
        "0:\n\t"                                                                           \
        DW3_PCHANNEL                                                                       \
        "6:\n\t"                                                                           \
        DW3_ROWS(body4, group5, body3, body2, group1, ld_lo, clamp4, clamp1)               \
        "ldr    %[z], %[stp]\n\t"                                                          \
        "ldr    %[a0], %[pend]\n\t"                                                        \
        "ldr    %[x], [%[z], #40]\n\t"                                                     \
        "ldr    %[y], [%[z], #44]\n\t"                                                     \
        "subs   %[x], %[x], #1\n\t"                                                        \
        "beq    7f\n\t"                                                                    \
        "ldr    %[b], [%[z], #32]\n\t"                                                     \
        "ldr    %[a1], [%[z], #36]\n\t"                                                    \
        "ldr    %[a2], [%[z], #52]\n\t"                                                    \
        "str    %[x], [%[z], #40]\n\t"                                                     \
        "add    %[a0], %[a0], %[y]\n\t"                                                    \
        "add    %[b], %[b], %[y]\n\t"                                                      \
        "add    %[a1], %[a1], %[a2]\n\t"                                                   \
        "str    %[a0], %[pend]\n\t"                                                        \
        "str    %[b], [%[z], #32]\n\t"                                                     \
        "str    %[a1], [%[z], #36]\n\t"                                                    \
        "str    %[a1], %[o]\n\t"                                                           \
        "b      6b\n\t"                                                                    \
        "7:\n\t"                                                                           \
        DW3_PNEXT_CHANNEL                                                                  \
        DW3_OPERANDS                                                                       \
        : "cc", "memory")


/* All output columns of channels blk[0 .. g) from the plane (o: channel 0's output at row 0,
 * column 0). Not inlined: the asm needs every register but sp. */
static __attribute__((noinline)) void dw3_plane_group(const mcs_conv2d_s8_params_t *p,
                                                      const dw3_chan_t *blk, int32_t g,
                                                      int8_t *o)
{
    const int32_t variant = ((p->stride_h == 1) ? 0 : 3) +
                            ((p->act_min == -128 && p->act_max == 127) ? 0
                             : (p->act_max == 127)                     ? 1
                                                                       : 2);
    dw3_asm_t st;
    dw3_asm_t *const stp = &st;
    int32_t b, a0, a1, a2, a3, x, y, z, wa0, wb0, wa1, wb1, wa2, wb2;
    st.blk = blk;
    st.o0 = o;
    st.nch = g;
    st.cstep = DW3_SLOT * p->stride_w;
    st.ncols = p->out_w;
    st.ostep = p->in_c;
    st.amin = p->act_min;
    st.amax = p->act_max;
    st.os = p->out_w * p->in_c;
    st.rem = dw3_rows5(p) ? 5 : (p->out_h & 3);
    DW3_VARIANTS(DW3_PLANE_ASM, variant);
    (void)b; (void)a0; (void)a1; (void)a2; (void)a3; (void)x; (void)y; (void)z;
    (void)wa0; (void)wb0; (void)wa1; (void)wb1; (void)wa2; (void)wb2;
}

/* dw3_pair4 of two weight words, doubled (SADD16: 2 w fits int16), to w[i] of the four
 * channel blocks, and to w[i + 6] (the copies of kernel columns 0 and 1) when i < 4 and
 * `copies` (the ring's rotating slots; the plane has kernel column k in slot k). Each word
 * also goes into its channel's correction, corr[c] += input_offset * (its weights): off2
 * holds input_offset in both halves (|input_offset| <= 128), so SMLAD (acc + lo*lo + hi*hi)
 * adds both halves and SMLATB (acc + top*bottom) the top one only (`top`: vertical stride
 * 1's second words {w[1][k], w[2][k]}, whose w[1][k] the first word already counted). */
static inline __attribute__((always_inline)) void
dw3_wpair4(dw3_chan_t *blk, int32_t i, int32_t x0, int32_t x1, int32_t copies, int32_t off2,
           int32_t top, int32_t *corr)
{
    const int32_t lo = dw3_pkhbt(x0, x1);
    const int32_t hi = dw3_pkhtb(x1, x0);
    int32_t v0 = (int32_t)__sxtb16(lo);
    int32_t v1 = mcs_dsp_sxtb16_ror8(lo);
    int32_t v2 = (int32_t)__sxtb16(hi);
    int32_t v3 = mcs_dsp_sxtb16_ror8(hi);
    v0 = (int32_t)__sadd16((int16x2_t)v0, (int16x2_t)v0);
    v1 = (int32_t)__sadd16((int16x2_t)v1, (int16x2_t)v1);
    v2 = (int32_t)__sadd16((int16x2_t)v2, (int16x2_t)v2);
    v3 = (int32_t)__sadd16((int16x2_t)v3, (int16x2_t)v3);
    blk[0].w[i] = v0;
    blk[1].w[i] = v1;
    blk[2].w[i] = v2;
    blk[3].w[i] = v3;
    if (i < 4 && copies) {
        blk[0].w[i + 6] = v0;
        blk[1].w[i + 6] = v1;
        blk[2].w[i + 6] = v2;
        blk[3].w[i + 6] = v3;
    }
    if (top) {
        corr[0] = __smlatb(v0, off2, corr[0]);
        corr[1] = __smlatb(v1, off2, corr[1]);
        corr[2] = __smlatb(v2, off2, corr[2]);
        corr[3] = __smlatb(v3, off2, corr[3]);
    } else {
        corr[0] = __smlad(v0, off2, corr[0]);
        corr[1] = __smlad(v1, off2, corr[1]);
        corr[2] = __smlad(v2, off2, corr[2]);
        corr[3] = __smlad(v3, off2, corr[3]);
    }
}

/* Channel c's correction, its requantization table entry (mcs_dsp_rq_table's: m, e = -shift,
 * r = (2 zp + 1) << (e - 1), e in [1, 22] after dw3_rq_ok). */
static inline __attribute__((always_inline)) void
dw3_chan_tail(dw3_chan_t *blk, int32_t c, int32_t corr, const int32_t *multiplier,
              const int32_t *shift, int32_t c0, uint32_t rbase)
{
    const int32_t s = shift[c0 + c];
    blk[c].corr = corr;
    blk[c].m = multiplier[c0 + c];
    blk[c].e = -s;
    blk[c].r = (int32_t)(rbase << (-1 - s));
}

/* Where the four blocks read the ring (ps: DW3_PAIR) or the plane (DW3_PPAIR): the same for
 * every group of channels, so once per call (Cortex-M33, VWW's 3x3x256 89,502 -> 87,582
 * cycles, 6x6x128 106,332 -> 105,405). */
static void dw3_blocks_init(dw3_chan_t *blk, const uint8_t *ring, int32_t ps,
                            const mcs_conv2d_s8_params_t *p)
{
    const int32_t gbytes = ((p->out_h >> 2) - dw3_rows5(p)) * ((p->stride_h == 1) ? 2 : 4) * ps;
    int32_t c;
    for (c = 0; c < 4; ++c) {
        blk[c].b = ring + 4 * c;
        blk[c].pend = ring + 4 * c + gbytes;
    }
}

#if !MCS_DSP_ASM_M7
#define DW3_SU 1
/*
 * dw3_setup's group of four channels on the Cortex-M33 and M4, in assembly: GCC's version
 * (the C below, which the Cortex-M7 keeps) holds nine weight words, four corrections and
 * the offsets, spills a dozen values and reloads them. Here the weights go kernel column by
 * column (three words live), and the corrections come from the raw weight bytes: SXTAB16
 * (Rd.lo = Rn.lo + sext(Rm[7:0]), Rd.hi = Rn.hi + sext(Rm[23:16]); with ROR #8 bytes 1 and
 * 3) sums the nine taps of channels 0 and 2 in s02's halves, of 1 and 3 in s13's (|sum| <=
 * 9 * 128: no halfword overflows), and at the end SMLABB / SMLATB (Ra + Rn.half * Rm.bottom)
 * give bias + input_offset * sum, doubled by an LSL (|bias| < 2^29: dw3_rq_ok); the
 * requantization entries as dw3_chan_tail's (e = -shift, r = rbase << (-1 - shift): MVN).
 * The group's pointers live in dw3_su_t, which the assembly moves on to the next group.
 * mcusim's models, VWW's 3x3x256 on the Cortex-M33 86,405 -> 82,572 cycles, 6x6x128
 * 104,836 -> 102,923, 6x6x128 -> 3x3 52,227 -> 50,538; Cortex-M4 116,040 -> 111,632,
 * 149,896 -> 147,696, 70,666 -> 68,882.
 */
typedef struct {
    const int32_t *bias;  /*  0: the group's biases (a zero array when the call has none) */
    const int32_t *mult;  /*  4: its multipliers */
    const int32_t *shift; /*  8: its shifts */
    int32_t off;          /* 12: input_offset = -input_zp */
    uint32_t rbase;       /* 16: 2 output_zp + 1 */
    int32_t bstep;        /* 20: 16, or 0 for the zero array */
    const int8_t *w;      /* 24: the group's weights (tap 0 of its channel 0) */
    int32_t ch, ch3;      /* 28, 32: in_c, 3 in_c (bytes between taps, kernel rows) */
} dw3_su_t;

typedef char dw3_check_su[(offsetof(dw3_su_t, bstep) == 20 && offsetof(dw3_su_t, w) == 24 &&
                           offsetof(dw3_su_t, ch3) == 32)
                              ? 1
                              : -1];

/* q for the first group of channels of a batch item. */
static inline void dw3_su_init(dw3_su_t *q, const int8_t *weights, const int32_t *bias,
                               const int32_t *multiplier, const int32_t *shift,
                               const mcs_conv2d_s8_params_t *p)
{
    static const int32_t zero4[4] = {0, 0, 0, 0};
    q->bias = (bias != 0) ? bias : zero4;
    q->bstep = (bias != 0) ? 16 : 0;
    q->mult = multiplier;
    q->shift = shift;
    q->off = -p->input_zp;
    q->rbase = (uint32_t)(2 * p->output_zp + 1);
    q->w = weights;
    q->ch = p->in_c;
    q->ch3 = 3 * p->in_c;
}

/* lo, hi (dw3_pair4's PKHBT / PKHTB of two weight words) -> the doubled int16 pairs of the
 * four channels, word i of the blocks (and word i + 6 when DW3_CP and i < 4: the ring's
 * copies of kernel columns 0 and 1); xa is free. SXTB16 with ROR has its result two cycles
 * later on the Cortex-M33, so each pair of them is followed by the SADD16 of the first. */
#define DW3_SU_SPLIT(xa, i)                                                                \
    "sxtb16 %[" xa "], %[lo]\n\t"                                                           \
    "sxtb16 %[lo], %[lo], ror #8\n\t"                                                       \
    "sadd16 %[" xa "], %[" xa "], %[" xa "]\n\t"                                            \
    "sadd16 %[lo], %[lo], %[lo]\n\t"                                                        \
    "str    %[" xa "], [%[blk], #(4 * (" i "))]\n\t"                                        \
    "str    %[lo], [%[blk], #(64 + 4 * (" i "))]\n\t"                                       \
    ".if DW3_CP && (" i ") < 4\n\t"                                                         \
    "str    %[" xa "], [%[blk], #(24 + 4 * (" i "))]\n\t"                                   \
    "str    %[lo], [%[blk], #(88 + 4 * (" i "))]\n\t"                                       \
    ".endif\n\t"                                                                           \
    "sxtb16 %[" xa "], %[hi]\n\t"                                                           \
    "sxtb16 %[hi], %[hi], ror #8\n\t"                                                       \
    "sadd16 %[" xa "], %[" xa "], %[" xa "]\n\t"                                            \
    "sadd16 %[hi], %[hi], %[hi]\n\t"                                                        \
    "str    %[" xa "], [%[blk], #(128 + 4 * (" i "))]\n\t"                                  \
    "str    %[hi], [%[blk], #(192 + 4 * (" i "))]\n\t"                                      \
    ".if DW3_CP && (" i ") < 4\n\t"                                                         \
    "str    %[" xa "], [%[blk], #(152 + 4 * (" i "))]\n\t"                                  \
    "str    %[hi], [%[blk], #(216 + 4 * (" i "))]\n\t"                                      \
    ".endif\n\t"

/* Kernel column k (rows x0, x1, x2 at w, w + 3 ch, w + 6 ch; w moves to column k + 1):
 * words 2k = (x0, x1) and 2k + 1 = (x1, x2) for vertical stride 1 (DW3_S1), (x2, 0) for 2
 * (UXTH / LSR #16 are PKHBT / PKHTB with a zero word). */
#define DW3_SU_COL(k)                                                                      \
    "ldr    %[x0], [%[w]]\n\t"                                                              \
    "ldr    %[x1], [%[w], %[ch3]]\n\t"                                                      \
    "ldr    %[x2], [%[w], %[ch3], lsl #1]\n\t"                                              \
    "add    %[w], %[w], %[ch]\n\t"                                                          \
    "pkhbt  %[lo], %[x0], %[x1], lsl #16\n\t"                                               \
    "pkhtb  %[hi], %[x1], %[x0], asr #16\n\t"                                               \
    "sxtab16 %[s02], %[s02], %[x0]\n\t"                                                     \
    "sxtab16 %[s13], %[s13], %[x0], ror #8\n\t"                                             \
    DW3_SU_SPLIT("x0", "2 * " k)                                                           \
    ".if DW3_S1\n\t"                                                                       \
    "pkhbt  %[lo], %[x1], %[x2], lsl #16\n\t"                                               \
    "pkhtb  %[hi], %[x2], %[x1], asr #16\n\t"                                               \
    ".else\n\t"                                                                            \
    "uxth   %[lo], %[x2]\n\t"                                                               \
    "lsr    %[hi], %[x2], #16\n\t"                                                          \
    ".endif\n\t"                                                                           \
    "sxtab16 %[s02], %[s02], %[x1]\n\t"                                                     \
    "sxtab16 %[s13], %[s13], %[x1], ror #8\n\t"                                             \
    "sxtab16 %[s02], %[s02], %[x2]\n\t"                                                     \
    "sxtab16 %[s13], %[s13], %[x2], ror #8\n\t"                                             \
    DW3_SU_SPLIT("x1", "2 * " k " + 1")

/* Channel c's correction and requantization entry (w = bias, ch = multiplier, ch3 = shift
 * pointers, lo = input_offset, hi = rbase; half: which of s's halves, b or t). */
#define DW3_SU_TAIL(c, half, s)                                                            \
    "ldr    %[x0], [%[w], #(4 * " c ")]\n\t"                                                \
    "ldr    %[x1], [%[ch], #(4 * " c ")]\n\t"                                               \
    "ldr    %[x2], [%[ch3], #(4 * " c ")]\n\t"                                              \
    "smla" half "b %[x0], %[" s "], %[lo], %[x0]\n\t"                                       \
    "str    %[x1], [%[blk], #(64 * " c " + 44)]\n\t"                                        \
    "rsb    %[x1], %[x2], #0\n\t"                                                           \
    "mvn    %[x2], %[x2]\n\t"                                                               \
    "lsl    %[x2], %[hi], %[x2]\n\t"                                                        \
    "lsl    %[x0], %[x0], #1\n\t"                                                           \
    "str    %[x0], [%[blk], #(64 * " c " + 40)]\n\t"                                        \
    "str    %[x1], [%[blk], #(64 * " c " + 48)]\n\t"                                        \
    "str    %[x2], [%[blk], #(64 * " c " + 52)]\n\t"

/* The whole group; q's pointers move on to the next group (w by 4: back from column 3). */
#define DW3_SU_ASM(s1, cp)                                                                 \
    __asm__ volatile(".set   DW3_S1, " s1 "\n\t"                                           \
                     ".set   DW3_CP, " cp "\n\t"                                           \
                     "ldr    %[w], [%[q], #24]\n\t"                                        \
                     "ldr    %[ch], [%[q], #28]\n\t"                                       \
                     "ldr    %[ch3], [%[q], #32]\n\t"                                      \
                     "movs   %[s02], #0\n\t"                                               \
                     "movs   %[s13], #0\n\t"                                               \
                     DW3_SU_COL("0") DW3_SU_COL("1") DW3_SU_COL("2")                       \
                     "sub    %[x0], %[w], %[ch3]\n\t"                                      \
                     "ldr    %[w], [%[q]]\n\t"                                             \
                     "ldr    %[ch], [%[q], #4]\n\t"                                        \
                     "adds   %[x0], %[x0], #4\n\t"                                         \
                     "ldr    %[ch3], [%[q], #8]\n\t"                                       \
                     "ldr    %[x1], [%[q], #20]\n\t"                                       \
                     "str    %[x0], [%[q], #24]\n\t"                                       \
                     "ldr    %[lo], [%[q], #12]\n\t"                                       \
                     "ldr    %[hi], [%[q], #16]\n\t"                                       \
                     "add    %[x1], %[w], %[x1]\n\t"                                       \
                     "add    %[x2], %[ch], #16\n\t"                                        \
                     "add    %[x0], %[ch3], #16\n\t"                                       \
                     "str    %[x1], [%[q]]\n\t"                                            \
                     "str    %[x2], [%[q], #4]\n\t"                                        \
                     "str    %[x0], [%[q], #8]\n\t"                                        \
                     DW3_SU_TAIL("0", "b", "s02") DW3_SU_TAIL("1", "b", "s13")             \
                     DW3_SU_TAIL("2", "t", "s02") DW3_SU_TAIL("3", "t", "s13")             \
                     : [w] "=&r"(w), [ch] "=&r"(ch), [ch3] "=&r"(ch3), [s02] "=&r"(s02),   \
                       [s13] "=&r"(s13), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),   \
                       [lo] "=&r"(lo), [hi] "=&r"(hi)                                      \
                     : [blk] "r"(blk), [q] "r"(q)                                          \
                     : "cc", "memory")

/* The blocks of a group of four channels (dw3_setup's), from q (dw3_su_init), which then
 * points at the next group. */
static inline __attribute__((always_inline)) void
dw3_setup4_asm(dw3_chan_t *blk, dw3_su_t *q, int32_t s1, int32_t copies)
{
    int32_t w, ch, ch3, s02, s13, x0, x1, x2, lo, hi;
    if (copies) {
        if (s1) {
            DW3_SU_ASM("1", "1");
        } else {
            DW3_SU_ASM("0", "1");
        }
    } else if (s1) {
        DW3_SU_ASM("1", "0");
    } else {
        DW3_SU_ASM("0", "0");
    }
    (void)w; (void)ch; (void)ch3; (void)s02; (void)s13; (void)x0; (void)x1; (void)x2;
    (void)lo; (void)hi;
}
#else
#define DW3_SU 0
#endif

/* The blocks of channels [c0, c0 + g): weights, corrections, the requantization table
 * entries (those of mcs_dsp_rq_table, written straight into the block's m, e, r: every
 * channel passed dw3_rq_ok, its conditions), where each reads the ring (ps: DW3_PAIR) or the
 * plane (DW3_PPAIR). Small maps pay this per group of four channels. The corrections
 * 2 (bias + input_offset * sum(w)) come from the doubled weight words as they are formed
 * (dw3_wpair4: six SMLAD/SMLATB per channel instead of the sums' SXTB16 and SADD16 per tap),
 * the table entries without mcs_dsp_rq_table's checks and loop, everything unrolled for a
 * whole group of four (Cortex-M33, VWW's 3x3x256, mcusim's model: this function 24,320 ->
 * 20,608 cycles, 95 -> 80 per channel; the layer 101,903 -> 98,191). Inlined into its two
 * callers, so that `copies` and the pair stride are constants there (Cortex-M33, VWW's
 * 3x3x256 92,481 -> 89,631 cycles, 6x6x128 107,807 -> 106,397, 6x6x128 -> 3x3 55,615 ->
 * 53,821; a version loading the weights column by column, three words live instead of
 * nine, was slower for vertical stride 1). */
static inline __attribute__((always_inline)) void
dw3_setup(dw3_chan_t *blk, const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
          const int32_t *shift, int32_t c0, int32_t g, int32_t ps,
          const mcs_conv2d_s8_params_t *p)
{
    const int32_t ch = p->in_c;
    const int32_t copies = ps == DW3_PAIR;
    const int32_t off = -p->input_zp;
    const uint32_t rbase = (uint32_t)(2 * p->output_zp + 1); /* r = rbase << (e - 1) */
    int32_t corr[4];
    int32_t c, t;
    if (g == 4) {
        /* four channels per word: the kernel rows' pairs formed as the ring's (dw3_pair4);
         * everything per channel unrolled, the corrections in registers */
        const int32_t off2 = dw3_pack(off, off);
        const int8_t *w = weights + c0;
        const int32_t s1 = p->stride_h == 1;
        const int32_t w0 = mcs_dsp_ld_s8x4(w), w1 = mcs_dsp_ld_s8x4(w + ch);
        const int32_t w2 = mcs_dsp_ld_s8x4(w + 2 * ch), w3 = mcs_dsp_ld_s8x4(w + 3 * ch);
        const int32_t w4 = mcs_dsp_ld_s8x4(w + 4 * ch), w5 = mcs_dsp_ld_s8x4(w + 5 * ch);
        const int32_t w6 = mcs_dsp_ld_s8x4(w + 6 * ch), w7 = mcs_dsp_ld_s8x4(w + 7 * ch);
        const int32_t w8 = mcs_dsp_ld_s8x4(w + 8 * ch);
        if (bias != 0) {
            corr[0] = 2 * bias[c0];
            corr[1] = 2 * bias[c0 + 1];
            corr[2] = 2 * bias[c0 + 2];
            corr[3] = 2 * bias[c0 + 3];
        } else {
            corr[0] = corr[1] = corr[2] = corr[3] = 0;
        }
        dw3_wpair4(blk, 0, w0, w3, copies, off2, 0, corr);
        dw3_wpair4(blk, 2, w1, w4, copies, off2, 0, corr);
        dw3_wpair4(blk, 4, w2, w5, copies, off2, 0, corr);
        dw3_wpair4(blk, 1, s1 ? w3 : w6, s1 ? w6 : 0, copies, off2, s1, corr);
        dw3_wpair4(blk, 3, s1 ? w4 : w7, s1 ? w7 : 0, copies, off2, s1, corr);
        dw3_wpair4(blk, 5, s1 ? w5 : w8, s1 ? w8 : 0, copies, off2, s1, corr);
        dw3_chan_tail(blk, 0, corr[0], multiplier, shift, c0, rbase);
        dw3_chan_tail(blk, 1, corr[1], multiplier, shift, c0, rbase);
        dw3_chan_tail(blk, 2, corr[2], multiplier, shift, c0, rbase);
        dw3_chan_tail(blk, 3, corr[3], multiplier, shift, c0, rbase);
        return;
    }
    for (c = 0; c < g; ++c) {
        const int8_t *w = weights + c0 + c; /* tap t at w[t * ch] */
        int32_t sum = 0;
        for (t = 0; t < 9; ++t) {
            sum += w[t * ch];
        }
        for (t = 0; t < 5; ++t) {
            const int32_t kx = (t < 3) ? t : t - 3;
            const int32_t w0 = 2 * w[kx * ch];
            const int32_t w1 = 2 * w[(3 + kx) * ch];
            const int32_t w2 = 2 * w[(6 + kx) * ch];
            blk[c].w[2 * t] = dw3_pack(w0, w1);
            blk[c].w[2 * t + 1] = (p->stride_h == 1) ? dw3_pack(w1, w2) : dw3_pack(w2, 0);
        }
        dw3_chan_tail(blk, c, 2 * (((bias != 0) ? bias[c0 + c] : 0) + off * sum), multiplier,
                      shift, c0, rbase);
    }
}

/* 1 when mcs_dsp_rq_table accepts every channel (k = 9 taps: its conditions are
 * mcs_dsp_rq_small_ok's, every shift in [-23, -1] and |bias| < 2^29, and every right shift
 * at most 22), checked before any output is written so that the general path can take the
 * whole call otherwise (and, in mcs_depthwise_conv2d_s8_relu, act_min >= output_zp: see
 * MCS_DSP_RQ_RELU). One pass over both arrays, with a bias: the loop's overhead once. */
static inline int32_t dw3_rq_bad(const int32_t *bias, const int32_t *shift, int32_t c)
{
    /* e - 1 = -1 - shift outside [0, 21], or |bias| >= 2^29 */
    return ((uint32_t)(-1 - shift[c]) > 21u) |
           ((bias != 0) && (uint32_t)(bias[c] + ((1 << 29) - 1)) > (uint32_t)((1 << 30) - 2));
}

static int32_t dw3_rq_ok(const int32_t *bias, const int32_t *shift,
                         const mcs_conv2d_s8_params_t *p)
{
    int32_t c = 0;
    if (!mcs_dsp_rq_relu_ok(p->act_min, p->output_zp)) {
        return 0;
    }
    if (bias != 0) {
        /* four channels per test (Cortex-M33, VWW's 3x3x256 87,582 -> 86,405 cycles) */
        for (; c + 4 <= p->out_c; c += 4) {
            const int32_t s0 = shift[c], s1 = shift[c + 1], s2 = shift[c + 2], s3 = shift[c + 3];
            const int32_t b0 = bias[c], b1 = bias[c + 1], b2 = bias[c + 2], b3 = bias[c + 3];
            if (((uint32_t)(-1 - s0) > 21u) || ((uint32_t)(-1 - s1) > 21u) ||
                ((uint32_t)(-1 - s2) > 21u) || ((uint32_t)(-1 - s3) > 21u) ||
                ((uint32_t)(b0 + ((1 << 29) - 1)) > (uint32_t)((1 << 30) - 2)) ||
                ((uint32_t)(b1 + ((1 << 29) - 1)) > (uint32_t)((1 << 30) - 2)) ||
                ((uint32_t)(b2 + ((1 << 29) - 1)) > (uint32_t)((1 << 30) - 2)) ||
                ((uint32_t)(b3 + ((1 << 29) - 1)) > (uint32_t)((1 << 30) - 2))) {
                return 0;
            }
        }
    }
    for (; c < p->out_c; ++c) {
        if (dw3_rq_bad(bias, shift, c)) {
            return 0;
        }
    }
    return 1;
}

static void dw3_planar(const int8_t *input, const int8_t *weights, const int32_t *bias,
                       const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                       int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t ch = p->in_c;
    dw3_call_t k;
    dw3_chan_t blk[4];
    int32_t n, c0;

    dw3_call_init(&k, p, (uint8_t *)scratch, dw3_pairs(p), DW3_PAIR);
    dw3_fill(k.ring, p->input_zp, DW3_PAIR * dw3_pairs(p));
    dw3_blocks_init(blk, k.ring, DW3_PAIR, p);
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * ch;
        int8_t *out_n = output + n * p->out_h * p->out_w * ch;
#if DW3_SU
        dw3_su_t q;
        dw3_su_init(&q, weights, bias, multiplier, shift, p);
#endif
        for (c0 = 0; c0 < ch; c0 += 4) {
            const int32_t g = (ch - c0 < 4) ? ch - c0 : 4;
#if DW3_SU
            if (g == 4) {
                dw3_setup4_asm(blk, &q, p->stride_h == 1, 1);
            } else
#endif
            {
                dw3_setup(blk, weights, bias, multiplier, shift, c0, g, DW3_PAIR, p);
            }
            dw3_group(&k, in_n, blk, c0, g, out_n + c0);
        }
    }
}

/*
 * The plane: small maps (VWW's 6x6 and 3x3 ones: a few rows, so the planar path's costs per
 * channel and column outweighed its rows) whose padded columns fit DW3_PCOLS and whose
 * plane fits the scratch the caller provides (mcs_depthwise_conv2d_s8_get_buffer_size, sized
 * for the other paths). Any vertical stride 1 or 2, any out_h.
 */
static int32_t dw3_plane_ok(const mcs_conv2d_s8_params_t *p)
{
    return p->out_c == p->in_c && p->kernel_h == 3 && p->kernel_w == 3 &&
           p->dilation_h == 1 && p->dilation_w == 1 &&
           (p->stride_h == 1 || p->stride_h == 2) &&
           (p->out_w - 1) * p->stride_w + 3 <= DW3_PCOLS &&
           DW3_PPAIR * dw3_plane_pairs(p) <= dw3_bytes(p);
}

/* Per group of four channels: the input's columns into the plane (padding columns and rows
 * keep the zero points dw3_fill put there once), then every column of the four channels. */
static void dw3_plane(const int8_t *input, const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                      int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t ch = p->in_c;
    const int32_t pairs = dw3_plane_pairs(p);
    const int32_t x0 = (p->pad_left > 0) ? p->pad_left : 0;
    int32_t x1 = (p->out_w - 1) * p->stride_w + 3; /* padded columns read */
    dw3_call_t k;
    dw3_chan_t blk[4];
    int32_t n, c0, x;
#if DW3_SU
    const int32_t s1 = p->stride_h == 1;
    uint8_t *dst; /* the plane's column x0 at row pair j0 */
#endif
#if DW3_PCOL
    const int32_t pcol = dw3_pcol_ok(p);
#endif

    if (x1 > p->pad_left + p->in_w) {
        x1 = p->pad_left + p->in_w;
    }
    dw3_call_init(&k, p, (uint8_t *)scratch, pairs, DW3_PPAIR);
    dw3_fill(k.ring, p->input_zp, DW3_PPAIR * pairs);
    dw3_blocks_init(blk, k.ring, DW3_PPAIR, p);
#if DW3_SU
    dst = k.ring + DW3_SLOT * x0 + k.j0 * DW3_PPAIR;
#endif
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * ch;
        int8_t *out_n = output + n * p->out_h * p->out_w * ch;
#if DW3_SU
        const int8_t *src = in_n + (x0 - p->pad_left) * ch; /* column x0 */
        dw3_su_t q;
        dw3_su_init(&q, weights, bias, multiplier, shift, p);

        /* the whole groups of four, then a partial one: no test of the group's size in
         * the loop (Cortex-M33, mcusim's model: VWW's 3x3x256 82,572 -> 80,953 cycles,
         * 6x6x128 102,923 -> 102,137). The Cortex-M7 keeps the loop below: this one saves
         * it 828 and 412 cycles there, but the 1,020 bytes it adds to dw3_plane move the
         * code linked after it, and the pointwise layers of VWW lost 2,304 cycles each. */
        for (c0 = 0; c0 + 4 <= ch; c0 += 4) {
            dw3_convert4_plane(&k, src + c0, dst, x1 - x0, ch);
            dw3_setup4_asm(blk, &q, s1, 0);
#if DW3_PCOL
            if (pcol) {
                dw3_pcol_group(p, blk, 4, out_n + c0);
                continue;
            }
#endif
            dw3_plane_group(p, blk, 4, out_n + c0);
        }
        if (c0 < ch) {
            const int32_t g = ch - c0;
            for (x = x0; x < x1; ++x) {
                dw3_convert_part(&k, in_n + (x - p->pad_left) * ch + c0, g,
                                 k.ring + DW3_SLOT * x + k.j0 * DW3_PPAIR);
            }
            dw3_setup(blk, weights, bias, multiplier, shift, c0, g, DW3_PPAIR, p);
#if DW3_PCOL
            if (pcol) {
                dw3_pcol_group(p, blk, g, out_n + c0);
                continue;
            }
#endif
            dw3_plane_group(p, blk, g, out_n + c0);
        }
#else
        for (c0 = 0; c0 < ch; c0 += 4) {
            const int32_t g = (ch - c0 < 4) ? ch - c0 : 4;
            if (g == 4) {
                dw3_convert4_plane(&k, in_n + (x0 - p->pad_left) * ch + c0,
                                   k.ring + DW3_SLOT * x0 + k.j0 * DW3_PPAIR, x1 - x0, ch);
            } else {
                for (x = x0; x < x1; ++x) {
                    dw3_convert_part(&k, in_n + (x - p->pad_left) * ch + c0, g,
                                     k.ring + DW3_SLOT * x + k.j0 * DW3_PPAIR);
                }
            }
            dw3_setup(blk, weights, bias, multiplier, shift, c0, g, DW3_PPAIR, p);
#if DW3_PCOL
            if (pcol) {
                dw3_pcol_group(p, blk, g, out_n + c0);
                continue;
            }
#endif
            dw3_plane_group(p, blk, g, out_n + c0);
        }
#endif
    }
}

#if DW3_WIDE
/* Zero points into the plane's column x (DW3_WPAIR), row pairs [j0, j1): a stripe's padding
 * column that the other stripe's conversion wrote. */
static void dw3_wide_zcol(const dw3_call_t *k, int32_t x)
{
    const int32_t zw = dw3_pack(k->p->input_zp, k->p->input_zp);
    uint8_t *d = k->ring + DW3_SLOT * x + k->j0 * DW3_WPAIR;
    int32_t j;
    for (j = k->j0; j < k->j1; ++j, d += DW3_WPAIR) {
        dw3_st(d, zw);
        dw3_st(d + 4, zw);
        dw3_st(d + 8, zw);
        dw3_st(d + 12, zw);
    }
}

/*
 * The wide plane (dw3_wide_ok): dw3_plane's loop on the Cortex-M33 (DW3_SU, DW3_PCOL) with
 * DW3_WPAIR bytes between row pairs and dw3_wcol_group's columns. A function of its own, so
 * that the plane's calls test nothing more. VWW's 12x12x64 on the Cortex-M33, mcusim's model
 * (kernel cases, no clamp, zero points -128): 213,983 -> 182,928 cycles (the ring before),
 * 12x12x64 -> 6x6 90,939 -> 70,816.
 * Maps of more than DW3_WCOLS padded columns go in two stripes of output columns (the first
 * ceil(out_w / 2), then the rest), each from plane column 0 and the whole height in the
 * plane (VWW's 24x24x32: 26 padded columns, 13 row pairs; the whole map would need 13 x 416
 * = 5,408 bytes of scratch, two stripes 3,120): per group of four channels each stripe's
 * columns converted in one call, then its columns in one dw3_wcol_group call; the padding
 * columns the other stripe wrote get their zero points back (dw3_wide_zcol). Against the
 * ring (its C loop and DW3_CHANNEL per column and group of channels), Cortex-M33, mcusim's
 * model, VWW's kernel cases: 24x24x32 391,142 -> 376,308 cycles, 24x24x32 -> 12x12 143,357 ->
 * 134,408. (The 48x48 maps stay in the ring: 50 padded columns, 25 row pairs.)
 */
static void dw3_wide(const int8_t *input, const int8_t *weights, const int32_t *bias,
                     const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                     int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t ch = p->in_c;
    const int32_t pairs = dw3_plane_pairs(p);
    const int32_t s1 = p->stride_h == 1;
    const int32_t in_x1 = p->pad_left + p->in_w; /* padded columns [pad_left, in_x1): input */
    /* output columns of the first stripe (all when the map fits the plane) */
    const int32_t n0 = ((p->out_w - 1) * p->stride_w + 3 <= DW3_WCOLS) ? p->out_w
                                                                         : (p->out_w + 1) >> 1;
    const int32_t two = n0 < p->out_w;
    dw3_call_t k;
    dw3_chan_t blk[4];
    int32_t n, c0, x, s;

    dw3_call_init(&k, p, (uint8_t *)scratch, pairs, DW3_WPAIR);
    dw3_fill(k.ring, p->input_zp, DW3_WPAIR * pairs);
    dw3_blocks_init(blk, k.ring, DW3_WPAIR, p);
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * ch;
        int8_t *out_n = output + n * p->out_h * p->out_w * ch;
        dw3_su_t q;
        dw3_su_init(&q, weights, bias, multiplier, shift, p);
        for (c0 = 0; c0 < ch; c0 += 4) {
            const int32_t g = (ch - c0 < 4) ? ch - c0 : 4;
            if (g == 4) {
                dw3_setup4_asm(blk, &q, s1, 0);
            } else {
                dw3_setup(blk, weights, bias, multiplier, shift, c0, g, DW3_WPAIR, p);
            }
            for (s = 0; s <= two; ++s) {
                const int32_t oc = s ? n0 : 0;           /* the stripe's first output column */
                const int32_t nc = s ? p->out_w - n0 : n0; /* its output columns */
                const int32_t xs = oc * p->stride_w;     /* padded column of plane column 0 */
                const int32_t xe = xs + (nc - 1) * p->stride_w + 3;
                const int32_t xa = (xs > p->pad_left) ? xs : p->pad_left;
                const int32_t xb = (xe < in_x1) ? xe : in_x1;
                if (two) {
                    /* the other stripe wrote input columns where this one has padding */
                    for (x = xs; x < xa; ++x) {
                        dw3_wide_zcol(&k, x - xs);
                    }
                    for (x = xb; x < xe; ++x) {
                        dw3_wide_zcol(&k, x - xs);
                    }
                }
                if (g == 4) {
                    dw3_convert4_wide(&k, in_n + (xa - p->pad_left) * ch + c0,
                                      k.ring + DW3_SLOT * (xa - xs) + k.j0 * DW3_WPAIR, xb - xa,
                                      ch);
                } else {
                    for (x = xa; x < xb; ++x) {
                        dw3_convert_part(&k, in_n + (x - p->pad_left) * ch + c0, g,
                                         k.ring + DW3_SLOT * (x - xs) + k.j0 * DW3_WPAIR);
                    }
                }
                dw3_wcol_group(p, blk, g, out_n + c0 + oc * ch, nc);
            }
        }
    }
}

/* dw3_wide when the call is its (1), else 0. Not inlined: GCC merged its tests with
 * dw3_plane_ok's, which cost the plane 4 cycles per call (VWW's 6x6x128). */
static __attribute__((noinline)) int32_t
dw3_wide_call(const int8_t *input, const int8_t *weights, const int32_t *bias,
              const int32_t *multiplier, const int32_t *shift, int16_t *scratch, int8_t *output,
              const mcs_conv2d_s8_params_t *p)
{
    if (dw3_wide_ok(p) && dw3_rq_ok(bias, shift, p)) {
        dw3_wide(input, weights, bias, multiplier, shift, scratch, output, p);
        return 1;
    }
    return 0;
}
#endif

#endif /* DW3_ASM */

void mcs_depthwise_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                             int8_t *output, const mcs_conv2d_s8_params_t *p)
{
#if DW3_ASM
    if (dw3_plane_ok(p) && dw3_rq_ok(bias, shift, p)) {
        dw3_plane(input, weights, bias, multiplier, shift, scratch, output, p);
        return;
    }
#if DW3_WIDE
    /* (the column count's test before the call, 9 to 30 padded columns: one stripe or two;
     * VWW's ring layers, Cortex-M33, pay 3 to 4 cycles per call for the wide plane instead
     * of 40) */
    if ((uint32_t)((p->out_w - 1) * p->stride_w + 3 - (DW3_PCOLS + 1)) <
            (uint32_t)(2 * DW3_WCOLS - DW3_PCOLS) &&
        dw3_wide_call(input, weights, bias, multiplier, shift, scratch, output, p)) {
        return;
    }
#endif
    if (dw3_shape_ok(p) && dw3_rq_ok(bias, shift, p)) {
        dw3_planar(input, weights, bias, multiplier, shift, scratch, output, p);
        return;
    }
#endif
    dw_general(input, weights, bias, multiplier, shift, scratch, output, p);
}
