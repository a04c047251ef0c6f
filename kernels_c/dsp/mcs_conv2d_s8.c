/* mcs_conv2d_s8.c - int8 Conv2D for Cortex-M DSP: im2col of two output pixels into one
 * interleaved int16 buffer (offset added, q15r2 layout), then the 2-pixel x 2-channel SMLAD
 * kernel. Bit-exact with kernels_c/reference/mcs_conv2d_s8.c; see mcs_kernels_s8.h and
 * mcs_dsp_s8.h.
 *
 * The im2col paths:
 * - in_c % 4 == 0: every tap is whole q15r groups, converted straight from the input: with
 *   dilation_w == 1 a kernel row at a time (conv_pair_g4, conv_column_g4), else tap by tap.
 * - in_c % 4 != 0 (first layers: RGB, grayscale, audio features), dilation_w == 1: a kernel
 *   row is kernel_w * in_c contiguous input bytes, moved as words ("kernel rows" below). Rows
 *   of whole groups (KWS 10x4 over 1 channel) and interior 3x3 windows over 3 channels (VWW,
 *   IC) or 1 channel convert straight from the input; other windows are staged as int8
 *   first, taps in the padding holding input_zp (which the offset -input_zp maps to 0, the
 *   reference's padding value).
 * - in_c % 4 != 0 with dilation_w > 1: a natural-order int16 column, then reordered.
 * The requantization uses the table of mcs_dsp_rq_table when the call qualifies.
 *
 * Paired weight rows (p->weights_paired, chosen by the compiler for the cores and shapes of
 * mcusim.quant.layouts): four output pixels per pass into a q15r4 set of columns and the
 * 4-pixel x 2-channel kernel mcs_dsp_mat_4col, whose loop has 8 accumulators where the 2x2
 * one has 4 (32 instead of 39 cycles per 32 MACs on the M33). in_c % 4 == 0 with
 * dilation_w == 1 (IC's 3x3 layers) converts kernel rows as for two columns; 3 kernel rows
 * of 9 bytes (RGB first layers: 3x3 windows over 3 channels) have K padded to 28 and an order
 * of their own (conv_slot_3x9q; the paired weights re-laid per call, conv_pad_weights): four
 * windows of an output row at a time (conv_quad_3x9s2 for stride 2, sharing the column two
 * windows overlap in; conv_quad_3x9), rows in the padding read from an input_zp row, border
 * windows with their cut rows staged (conv_col_3x9q_edge); other shapes go tap by tap
 * (conv_column), K unpadded.
 */
#include "mcs_dsp_s8.h"

/*
 * The kernel-rows path pads K = 4G + 3 to 4G + 4 (a zero weight; the column value there then
 * adds nothing, conv_col_3x9 leaves a neighbouring input value in it, the others 0; paired
 * rows only for conv_col_3x9's windows, the shapes the compiler pairs): one
 * more group of mcs_dsp_mat_2col's SMLAD loop costs less than its 3-value MLA tail. The
 * weights are copied once per call into the padded layout. Measured on the M33 (c/MAC,
 * unpadded -> padded): VWW's first layer 96x96x3 -> 8 stride 2, 3.26 -> 3.13; IC's
 * 32x32x3 -> 16, 2.87 -> 2.74. A 2-value tail is cheaper than a group (24x24 input, 16
 * channels: K = 18, 4.37 -> 4.46; K = 54, 2.60 -> 2.65), a 1-value tail even more so.
 */
static inline int32_t conv_rows_3x9(const mcs_conv2d_s8_params_t *p)
{
    return p->kernel_h == 3 && p->kernel_w * p->in_c == 9 && p->dilation_w == 1;
}

static inline int32_t conv_pads_k(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    return (p->in_c & 3) != 0 && p->dilation_w == 1 && (k & 3) == 3 &&
           (!p->weights_paired || conv_rows_3x9(p));
}

/* Columns per pass: 4 (q15r4) with paired weight rows, else 2 (q15r2). */
static inline int32_t conv_ncols(const mcs_conv2d_s8_params_t *p)
{
    return p->weights_paired ? 4 : 2;
}

/* Scratch layout (bytes, each part 4-byte aligned):
 *   cols  a q15r2 pair of columns of k4 values (k4 = k padded to a multiple of 4, or k), or
 *         with paired weight rows a q15r4 set of four columns of k values
 *   nat   in_c % 4 != 0: a natural-order int16 column of k values, or the int8 staging
 *         buffer of the kernel-rows path
 *   wpad  when K is padded: the weights as [out_c][k4] int8
 *   rq    the requantization table (mcs_dsp_rq_table)
 *   wq    weights_paired 2: the q15 weight cache (conv_wq_bytes) */
static inline int32_t conv_k4(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    return conv_pads_k(p) ? (k + 3) & ~3 : k;
}

static inline int32_t conv_nat_bytes(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    return ((p->in_c & 3) != 0) ? MCS_DSP_COL_STRIDE(k) * (int32_t)sizeof(int16_t) : 0;
}

static inline int32_t conv_wpad_bytes(const mcs_conv2d_s8_params_t *p)
{
    return conv_pads_k(p) ? (p->out_c * conv_k4(p) + 3) & ~3 : 0;
}

/* p->weights_paired == 2 on the cores whose four-column assembly reads a q15 weight cache
 * (mcs_dsp_pairs_q15, built once per call): the cache, after the table. M33 (bench_kernels'
 * shapes, mcusim cycles): RGB first layer 24x96x3 -> 8 stride 2 304,812 -> 282,455; 3x3
 * 16x16x32 -> 32 1.17 -> 1.05 cycles per MAC. */
static inline int32_t conv_wq_bytes(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k4 = conv_k4(p);
    return (p->weights_paired == 2 && (k4 & 3) == 0) ? MCS_DSP_WQ_BYTES(p->out_c, k4) : 0;
}

int32_t mcs_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    return conv_ncols(p) * conv_k4(p) * (int32_t)sizeof(int16_t) + conv_nat_bytes(p) +
           conv_wpad_bytes(p) + MCS_DSP_RQ_TABLE_BYTES(p->out_c) + conv_wq_bytes(p);
}

/*
 * K order of the four-column path's windows of 3 kernel rows of 9 bytes (paired weight rows,
 * conv_col_3x9q, conv_quad_3x9s2): value t = 9 * ky + b (byte b of kernel row ky) goes to
 * slot conv_slot_3x9q(t) of k4 = 28. Per kernel row the groups (b0..b3) and (b5..b8), then
 * (row 0 b4, row 2 b4, row 1 b4, pad). In q15r form (x0 x2, x1 x3) a row's four words are
 * SXTAB16 of the words at b0 (b0 b2), at b1 (b1 b3) and at b5 (b5 b7; ROR #8: b6 b8): the
 * words a window needs are the same for every window, and with stride 2 a window's (b6 b8)
 * is the next one's (b0 b2). Both columns read only their 27 bytes.
 */
static inline int32_t conv_slot_3x9q(int32_t t)
{
    const int32_t ky = t / 9;
    const int32_t b = t - 9 * ky;
    if (b == 4) {
        return 24 + ((ky == 0) ? 0 : (ky == 1) ? 2 : 1);
    }
    return 8 * ky + ((b < 4) ? b : b - 1);
}

/* The weights with K padded to k4 (one zero weight per row): plain rows [out_c][k] ->
 * [out_c][k4]; paired rows (mcs_s8_weight_row) -> the paired order of k4 values, whose last
 * group is each row's tail and a zero (an odd last row: plain, padded). Paired rows (only
 * the 3 kernel rows of 9 bytes have K padded then, conv_pads_k) also move each value to its
 * conv_slot_3x9q slot. */
static void conv_pad_weights(const int8_t *w, int8_t *wpad, int32_t k, int32_t k4,
                             const mcs_conv2d_s8_params_t *p)
{
    const int32_t g4 = k & ~3;
    const int32_t tail = k - g4;
    int32_t o = 0, t;
    if (p->weights_paired) {
        /* value t of a pair's row r (0, 1) in the paired order: group t / 4 holds 4 values of
         * row 0 then 4 of row 1; then the tails of row 0 and of row 1 (pair_rows) */
        memset(wpad, 0, (size_t)(p->out_c * k4));
        for (; o + 1 < p->out_c; o += 2) {
            const int8_t *src = w + o * k;
            int8_t *dst = wpad + o * k4;
            for (t = 0; t < k; ++t) {
                const int32_t s = conv_slot_3x9q(t);
                const int32_t d = 8 * (s >> 2) + (s & 3);
                dst[d] = src[(t < g4) ? 8 * (t >> 2) + (t & 3) : 2 * g4 + t - g4];
                dst[d + 4] = src[(t < g4) ? 8 * (t >> 2) + 4 + (t & 3) : 2 * g4 + tail + t - g4];
            }
        }
        if (o < p->out_c) {
            for (t = 0; t < k; ++t) {
                wpad[o * k4 + conv_slot_3x9q(t)] = w[o * k + t];
            }
        }
        return;
    }
    for (; o < p->out_c; ++o) {
        memcpy(wpad + o * k4, w + o * k, (size_t)k);
        memset(wpad + o * k4 + k, 0, (size_t)(k4 - k));
    }
}

/* Window origin of an output pixel: its top-left tap in input coordinates (negative or past
 * the edge in the padding), and its output column; stepped in row-major output order. */
typedef struct {
    int32_t iy; /* oy * stride_h - pad_top */
    int32_t ix; /* ox * stride_w - pad_left */
    int32_t ox;
} conv_pos_t;

static inline void conv_next(conv_pos_t *q, const mcs_conv2d_s8_params_t *p)
{
    if (++q->ox == p->out_w) {
        q->ox = 0;
        q->ix = -p->pad_left;
        q->iy += p->stride_h;
    } else {
        q->ix += p->stride_w;
    }
}

/* im2col of the window at (iy0, ix0) into column j of the ncols interleaved columns at cols
 * (q15r2 or q15r4): whole groups per tap (in_c % 4 == 0), else through the natural-order int16
 * column nat. */
static void conv_column(const int8_t *in_n, const mcs_conv2d_s8_params_t *p, int32_t iy0,
                        int32_t ix0, int16_t *cols, int32_t j, int16_t *nat, int32_t ncols)
{
    const int32_t off = -p->input_zp;
    const int32_t c = p->in_c;
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
                        dst += 4 * ncols;
                    }
                } else {
                    mcs_dsp_s8_to_q15rn(in_n + (iy * p->in_w + ix) * c, grp, j, c, off, ncols);
                }
                grp += ncols * c;
            }
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
        mcs_dsp_pack_q15rn(nat, cols, j, p->kernel_h * p->kernel_w * c, ncols);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Kernel rows (in_c % 4 != 0, dilation_w == 1)                                              */
/* ---------------------------------------------------------------------------------------- */

/* Geometry of the kernel-rows path, fixed for a call. */
typedef struct {
    int32_t k;    /* kernel_h * kernel_w * in_c */
    int32_t k4;   /* values per column: k, or k padded to a multiple of 4 (conv_k4) */
    int32_t row;  /* bytes of one kernel row: kernel_w * in_c contiguous input bytes */
    int32_t step; /* input bytes from one kernel row to the next: dilation_h * in_w * in_c */
    int32_t y_hi; /* (unsigned) iy0 < y_hi and ix0 <= x_hi: the window lies inside the input */
    int32_t x_hi;
    int32_t zp4;  /* input_zp in each byte */
    int32_t off;  /* -input_zp */
    int32_t off2; /* -input_zp in both halfwords */
    int32_t kind; /* CONV_ROWS_*: how interior windows are converted */
} conv_rows_t;

/* The window with top-left tap (iy0, ix0) lies inside the input: one unsigned compare per
 * axis (a negative origin wraps to a large value). */
static inline int32_t conv_inside(const conv_rows_t *g, int32_t iy0, int32_t ix0)
{
    return (uint32_t)iy0 < (uint32_t)g->y_hi && (uint32_t)ix0 <= (uint32_t)g->x_hi;
}

enum {
    CONV_ROWS_STAGED, /* copied as int8 rows, then converted */
    CONV_ROWS_DIRECT, /* kernel rows of whole groups, converted row by row */
    CONV_ROWS_3X9,    /* 3 rows of 9 bytes (3x3 kernel, 3 channels), conv_col_3x9 */
    CONV_ROWS_3X3,    /* 3 rows of 3 bytes (3x3 kernel, 1 channel), conv_col_3x3 */
    CONV_ROWS_G4      /* in_c % 4 == 0: kernel rows of whole groups, conv_pair_g4 */
};

/* Four int8 as one word at any alignment (STR on cores with unaligned access). */
static inline void st_s8x4(int8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/* n >= 4 int8 values copied word by word (unaligned LDR/STR); the last word is copied from
 * n - 4, overlapping the one before, so no byte loop is needed. */
static inline void copy_s8(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 4; n -= 4) {
        st_s8x4(dst, mcs_dsp_ld_s8x4(src));
        dst += 4;
        src += 4;
    }
    st_s8x4(dst + n - 4, mcs_dsp_ld_s8x4(src + n - 4));
}

/* n int8 values at dst: src[t - lo] for t in [lo, hi), fill elsewhere. One loop with a
 * select per byte: GCC turns separate fill and copy loops into memset/memcpy calls, which
 * cost more than these few bytes. */
static void stage_s8(int8_t *dst, const int8_t *src, int32_t lo, int32_t hi, int32_t n,
                     int8_t fill)
{
    int32_t t;
    for (t = 0; t < n; ++t) {
        dst[t] = (t >= lo && t < hi) ? src[t - lo] : fill;
    }
}

/* Taps kx in [*lo, *hi) of a window starting at input column ix0 lie inside the input. */
static inline void conv_x_range(const mcs_conv2d_s8_params_t *p, int32_t ix0, int32_t *lo,
                                int32_t *hi)
{
    const int32_t kw = p->kernel_w;
    int32_t l = (ix0 < 0) ? -ix0 : 0;
    int32_t h = (p->in_w - ix0 < kw) ? p->in_w - ix0 : kw;
    l = (l > kw) ? kw : l;
    *lo = l;
    *hi = (h < l) ? l : h;
}

/* The im2col below adds the offset while extending (mcs_dsp_sxtab16 and _ror8: x + off stays
 * in [-255, 255], so no halfword wraps): one instruction less per two values than SXTB16 then
 * SADD16 (M33, IC's first layer 32x32x3 -> 16: 1.142 -> 1.125 M cycles).
 * SXTAB16 Rd, Rn, Rm, ROR #16: bytes 2 and 0. */
static inline int32_t sxtab16_ror16(int32_t acc, int32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #16" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

/* A word of 4 int8 + off2 -> one q15r group (x0, x2, x1, x3) at dst. */
static inline void conv_group(int16_t *dst, int32_t w, int32_t off2)
{
    mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, w));
    mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16_ror8(off2, w));
}

/* PKHBT Rd, Rn, Rm: the bottom halfword of lo with the top halfword of hi (GCC builds the
 * masked OR from four instructions). */
static inline int32_t pkhbt(int32_t lo, int32_t hi)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

/*
 * Column j of a 3x3 window over 3 channels (K = 27: three kernel rows of 9 bytes at r0,
 * r1 = r0 + step, r2 = r1 + step) without staging, K padded to 28 (conv_k4). The 7 groups of
 * 4 values, in weight order:
 *   r0[0..3], r0[4..7], (r0[8], r1[0..2]), r1[3..6], (r1[7..8], r2[0..1]), r2[2..5],
 *   (r2[6..8], 0).
 * The groups that straddle two kernel rows are merged from two unaligned words: BFI puts
 * r0[8] in byte 0 of the word at r1 - 1, PKHBT joins the bottom half of the word at r1 + 7
 * with the top half of the word at r2 - 2. Bytes read: r0[0..11], r1[-1..10], r2[-2..8]; for
 * an interior window the extra ones are neighbouring input pixels, and a window staged with
 * step 9 (27 bytes) reads only its own bytes.
 * (A hand-scheduled assembly version measured 72.5 cycles per column on the M33 against 75
 * for this C: not worth it.)
 */
static inline void conv_col_3x9(const int8_t *r0, int32_t step, int16_t *cols, int32_t j,
                                int32_t off2, int32_t gs)
{
    const int8_t *r1 = r0 + step;
    const int8_t *r2 = r1 + step;
    int16_t *dst = cols + 4 * j;
    const uint32_t b8 = (uint8_t)r0[8];
    const uint32_t g2 = ((uint32_t)mcs_dsp_ld_s8x4(r1 - 1) & 0xFFFFFF00u) | b8;
    const int32_t g4 = pkhbt(mcs_dsp_ld_s8x4(r1 + 7), mcs_dsp_ld_s8x4(r2 - 2));
    const int32_t wt = mcs_dsp_ld_s8x4(r2 + 5); /* r2[5..8]: bytes 1..3 are group 6 */
    /* group 6 in q15r order (x0, x2, x1, x3) = (r2[6], r2[8], r2[7], pad): SXTAB16 ROR #8
     * takes bytes 1 and 3, SXTAB16 ROR #16 bytes 2 and 0; the top half of that (r2[5] + off)
     * lands in the padding value, whose weight is 0 (conv_pads_k), so it adds nothing and
     * needs no clearing */
    const int32_t t68 = mcs_dsp_sxtab16_ror8(off2, wt);
    const int32_t t7 = sxtab16_ror16(off2, wt);
    conv_group(dst, mcs_dsp_ld_s8x4(r0), off2);
    conv_group(dst + gs, mcs_dsp_ld_s8x4(r0 + 4), off2);
    conv_group(dst + 2 * gs, (int32_t)g2, off2);
    conv_group(dst + 3 * gs, mcs_dsp_ld_s8x4(r1 + 3), off2);
    conv_group(dst + 4 * gs, g4, off2);
    conv_group(dst + 5 * gs, mcs_dsp_ld_s8x4(r2 + 2), off2);
    mcs_dsp_st_s16x2(dst + 6 * gs, t68);
    mcs_dsp_st_s16x2(dst + 6 * gs + 2, t7);
}

/* SXTAB16 Rd, Rn, Rm, ROR #24: bytes 3 and 1. */
static inline int32_t sxtab16_ror24(int32_t acc, int32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #24" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

/* PKHTB Rd, Rn, Rm, ASR #16: the top halfword of hi over the top halfword of lo (bytes
 * lo[2], lo[3], hi[2], hi[3]). */
static inline int32_t pkhtb_asr16(int32_t hi, int32_t lo)
{
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* The q15r4 group of the b4 bytes (conv_slot_3x9q): (row 0 b4, row 1 b4) from the top bytes
 * of the words at b1 of rows 0 and 1 (PKHTB, then SXTAB16 ROR #8 takes bytes 1 and 3), then
 * (row 2 b4, pad) by SXTAB16 ROR #24 (bytes 3 and 1): byte 1 of that word (b2) lands in the
 * padding slot, whose weight is 0, so it adds nothing and needs no clearing. */
static inline void conv_b4_3x9q(int16_t *dst, int32_t a0, int32_t a1, int32_t a2, int32_t off2)
{
    mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16_ror8(off2, pkhtb_asr16(a1, a0)));
    mcs_dsp_st_s16x2(dst + 2, sxtab16_ror24(off2, a2));
}

/*
 * Column dst (q15r4: groups 16 int16 apart) of a window in the conv_slot_3x9q order from
 * its three kernel rows of 9 bytes at r0, r1, r2: per row three
 * words (at b0, b1, b5) and four SXTAB16, reading the row's 9 bytes only. Interior windows
 * straight from the input, border windows from rows staged by conv_col_3x9q_edge.
 */
static inline __attribute__((always_inline)) void
conv_col_3x9q(const int8_t *__restrict r0, const int8_t *__restrict r1,
              const int8_t *__restrict r2, int16_t *__restrict dst, int32_t off2)
{
    const int32_t w0 = mcs_dsp_ld_s8x4(r0), a0 = mcs_dsp_ld_s8x4(r0 + 1);
    const int32_t b0 = mcs_dsp_ld_s8x4(r0 + 5);
    const int32_t w1 = mcs_dsp_ld_s8x4(r1), a1 = mcs_dsp_ld_s8x4(r1 + 1);
    const int32_t b1 = mcs_dsp_ld_s8x4(r1 + 5);
    const int32_t w2 = mcs_dsp_ld_s8x4(r2), a2 = mcs_dsp_ld_s8x4(r2 + 1);
    const int32_t b2 = mcs_dsp_ld_s8x4(r2 + 5);
    mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, w0));
    mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16(off2, a0));
    mcs_dsp_st_s16x2(dst + 16, mcs_dsp_sxtab16(off2, b0));
    mcs_dsp_st_s16x2(dst + 18, mcs_dsp_sxtab16_ror8(off2, b0));
    mcs_dsp_st_s16x2(dst + 32, mcs_dsp_sxtab16(off2, w1));
    mcs_dsp_st_s16x2(dst + 34, mcs_dsp_sxtab16(off2, a1));
    mcs_dsp_st_s16x2(dst + 48, mcs_dsp_sxtab16(off2, b1));
    mcs_dsp_st_s16x2(dst + 50, mcs_dsp_sxtab16_ror8(off2, b1));
    mcs_dsp_st_s16x2(dst + 64, mcs_dsp_sxtab16(off2, w2));
    mcs_dsp_st_s16x2(dst + 66, mcs_dsp_sxtab16(off2, a2));
    mcs_dsp_st_s16x2(dst + 80, mcs_dsp_sxtab16(off2, b2));
    mcs_dsp_st_s16x2(dst + 82, mcs_dsp_sxtab16_ror8(off2, b2));
    conv_b4_3x9q(dst + 96, a0, a1, a2, off2);
}

/* Four windows of one output row for conv_quad_3x9 and conv_quad_3x9s2: kernel row n of
 * window j at rn + j * sx (sx = stride_w * in_c). A quad call moves rn on by 4 sx, to the
 * next four windows of the row. */
typedef struct {
    const int8_t *r0;
    const int8_t *r1;
    const int8_t *r2;
    int32_t off2;
} conv_q3x9_t;

/* The four q15r4 columns of the windows at *q (then q moves on), conv_slot_3x9q order: a call
 * of its own, where GCC has every register. */
static __attribute__((noinline)) void conv_quad_3x9(conv_q3x9_t *q, int32_t sx, int16_t *cols)
{
    const int8_t *r0 = q->r0, *r1 = q->r1, *r2 = q->r2;
    const int32_t off2 = q->off2;
    int32_t j;
    for (j = 0; j < 4; ++j) {
        conv_col_3x9q(r0, r1, r2, cols + 4 * j, off2);
        r0 += sx;
        r1 += sx;
        r2 += sx;
    }
    q->r0 = r0;
    q->r1 = r1;
    q->r2 = r2;
}

/*
 * The four q15r4 columns of the windows whose kernel rows start at r0, r1, r2 with sx = 6
 * (stride 2 over 3 channels), conv_slot_3x9q order: window j's (b6 b8) word of a row is window
 * j + 1's (b0 b2), stored to both columns, so each window loads two words per kernel row (at
 * b1 and b5; window 0 also its b0) and extends them with three SXTAB16 (window 0 four), plus
 * two instructions for its b4 group: 27 loads, 51 extends or packs, 56 stores. Reads only
 * rn[0..26].
 *
 * In assembly where optimizing: GCC's code for the same C (below), as a call of its own,
 * spilled three values and saved nine registers, 172 cycles per call on the M33 (VWW's first
 * layer, 48x96 band); this one, 155 as a call, has no stall in the M33's scoreboard: a
 * loaded word is used two instructions later, an SXTAB16 result is stored at once (a store
 * reads its data late), PKHTB's shifted result is used eight instructions later. Inlined at
 * its one call in conv_4col: 16 cycles less per pass (the band M33 455,362 -> 451,111, M7
 * 276,236 -> 272,496).
 */
#if defined(__OPTIMIZE__)
/* Window j of conv_quad_3x9s2: o = 6 j (its bytes in a kernel row), e = 8 j (its column's
 * bytes in a group); FWD: its (b6 b8) words also into window j + 1's (b0 b2) slots. */
#define CONV_Q3_ST(e, at) "str   %[x], [%[d], #" #e "+" #at "]\n\t"
#define CONV_Q3_WIN(o, e, FWD)                                                             \
    "ldr     %[a0], [%[r0], #" #o "+1]\n\t"                                                \
    "ldr     %[b], [%[r0], #" #o "+5]\n\t"                                                 \
    "ldr     %[a1], [%[r1], #" #o "+1]\n\t"                                                \
    "sxtab16 %[x], %[off2], %[a0]\n\t" CONV_Q3_ST(e, 4)                                    \
    "sxtab16 %[x], %[off2], %[b]\n\t" CONV_Q3_ST(e, 32)                                    \
    "sxtab16 %[x], %[off2], %[b], ror #8\n\t"                                              \
    "ldr     %[b], [%[r1], #" #o "+5]\n\t" CONV_Q3_ST(e, 36) FWD(e, 8)                     \
    "ldr     %[a2], [%[r2], #" #o "+1]\n\t"                                                \
    "sxtab16 %[x], %[off2], %[a1]\n\t" CONV_Q3_ST(e, 68)                                   \
    "sxtab16 %[x], %[off2], %[b]\n\t" CONV_Q3_ST(e, 96)                                    \
    "sxtab16 %[x], %[off2], %[b], ror #8\n\t"                                              \
    "ldr     %[b], [%[r2], #" #o "+5]\n\t" CONV_Q3_ST(e, 100) FWD(e, 72)                   \
    "pkhtb   %[a0], %[a1], %[a0], asr #16\n\t"                                             \
    "sxtab16 %[x], %[off2], %[a2]\n\t" CONV_Q3_ST(e, 132)                                  \
    "sxtab16 %[x], %[off2], %[b]\n\t" CONV_Q3_ST(e, 160)                                   \
    "sxtab16 %[x], %[off2], %[b], ror #8\n\t" CONV_Q3_ST(e, 164) FWD(e, 136)               \
    "sxtab16 %[x], %[off2], %[a0], ror #8\n\t" CONV_Q3_ST(e, 192)                          \
    "sxtab16 %[x], %[off2], %[a2], ror #24\n\t" CONV_Q3_ST(e, 196)
#define CONV_Q3_NOFWD(e, at) ""
#endif

static inline __attribute__((always_inline)) void
conv_quad_3x9s2(const int8_t *__restrict r0, int32_t step, int32_t off2,
                int16_t *__restrict cols)
{
#if defined(__OPTIMIZE__)
    {
        int32_t a0, a1, a2, b, x;
        const int8_t *r1, *r2;
        __asm__ volatile(
            "add     %[r1], %[r0], %[step]\n\t"
            "ldr     %[a0], [%[r0]]\n\t"
            "add     %[r2], %[r1], %[step]\n\t"
            "ldr     %[a1], [%[r1]]\n\t"
            "ldr     %[a2], [%[r2]]\n\t"
            "sxtab16 %[a0], %[off2], %[a0]\n\t"
            "str     %[a0], [%[d]]\n\t"
            "sxtab16 %[a1], %[off2], %[a1]\n\t"
            "str     %[a1], [%[d], #64]\n\t"
            "sxtab16 %[a2], %[off2], %[a2]\n\t"
            "str     %[a2], [%[d], #128]\n\t"
            CONV_Q3_WIN(0, 0, CONV_Q3_ST)
            CONV_Q3_WIN(6, 8, CONV_Q3_ST)
            CONV_Q3_WIN(12, 16, CONV_Q3_ST)
            CONV_Q3_WIN(18, 24, CONV_Q3_NOFWD)
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [b] "=&r"(b), [x] "=&r"(x),
              [r1] "=&r"(r1), [r2] "=&r"(r2)
            : [r0] "r"(r0), [step] "r"(step), [d] "r"(cols), [off2] "r"(off2)
            : "memory");
    }
#else
    {
        const int8_t *r1 = r0 + step;
        const int8_t *r2 = r1 + step;
        int16_t *d = cols;
        int32_t j;
        mcs_dsp_st_s16x2(d, mcs_dsp_sxtab16(off2, mcs_dsp_ld_s8x4(r0)));
        mcs_dsp_st_s16x2(d + 32, mcs_dsp_sxtab16(off2, mcs_dsp_ld_s8x4(r1)));
        mcs_dsp_st_s16x2(d + 64, mcs_dsp_sxtab16(off2, mcs_dsp_ld_s8x4(r2)));
        for (j = 0; j < 4; ++j) {
            const int32_t a0 = mcs_dsp_ld_s8x4(r0 + 1), b0 = mcs_dsp_ld_s8x4(r0 + 5);
            const int32_t a1 = mcs_dsp_ld_s8x4(r1 + 1), b1 = mcs_dsp_ld_s8x4(r1 + 5);
            const int32_t a2 = mcs_dsp_ld_s8x4(r2 + 1), b2 = mcs_dsp_ld_s8x4(r2 + 5);
            const int32_t h0 = mcs_dsp_sxtab16_ror8(off2, b0);
            const int32_t h1 = mcs_dsp_sxtab16_ror8(off2, b1);
            const int32_t h2 = mcs_dsp_sxtab16_ror8(off2, b2);
            mcs_dsp_st_s16x2(d + 2, mcs_dsp_sxtab16(off2, a0));
            mcs_dsp_st_s16x2(d + 16, mcs_dsp_sxtab16(off2, b0));
            mcs_dsp_st_s16x2(d + 18, h0);
            mcs_dsp_st_s16x2(d + 34, mcs_dsp_sxtab16(off2, a1));
            mcs_dsp_st_s16x2(d + 48, mcs_dsp_sxtab16(off2, b1));
            mcs_dsp_st_s16x2(d + 50, h1);
            mcs_dsp_st_s16x2(d + 66, mcs_dsp_sxtab16(off2, a2));
            mcs_dsp_st_s16x2(d + 80, mcs_dsp_sxtab16(off2, b2));
            mcs_dsp_st_s16x2(d + 82, h2);
            conv_b4_3x9q(d + 96, a0, a1, a2, off2);
            if (j < 3) {
                mcs_dsp_st_s16x2(d + 4, h0);
                mcs_dsp_st_s16x2(d + 36, h1);
                mcs_dsp_st_s16x2(d + 68, h2);
            }
            r0 += 6;
            r1 += 6;
            r2 += 6;
            d += 4;
        }
    }
#endif
}
#if defined(__OPTIMIZE__)
#undef CONV_Q3_ST
#undef CONV_Q3_WIN
#undef CONV_Q3_NOFWD
#endif

/*
 * Column j of a 3x3 window over 1 channel (grayscale first layers: K = 9, three kernel rows of
 * 3 bytes at r0, r1 = r0 + step, r2 = r1 + step) without staging: the groups
 * (r0[0..2], r1[0]) (BFI of r1[0] into byte 3 of the word at r0) and (r1[1..2], r2[0..1])
 * (PKHBT of the words at r1 + 1 and r2 - 2), then r2[2] as the k % 4 tail. Bytes read:
 * r0[0..3], r1[0..4], r2[-2..2]: neighbouring input pixels of an interior window, or exactly
 * the 9 bytes of a window staged with step 3.
 */
static inline void conv_col_3x3(const int8_t *r0, int32_t step, int16_t *cols, int32_t j,
                                int32_t off2)
{
    const int8_t *r1 = r0 + step;
    const int8_t *r2 = r1 + step;
    int16_t *dst = cols + 4 * j;
    const uint32_t g0 = ((uint32_t)mcs_dsp_ld_s8x4(r0) & 0x00FFFFFFu) |
                        ((uint32_t)(uint8_t)r1[0] << 24);
    conv_group(dst, (int32_t)g0, off2);
    conv_group(dst + 8, pkhbt(mcs_dsp_ld_s8x4(r1 + 1), mcs_dsp_ld_s8x4(r2 - 2)), off2);
    cols[16 + j] = (int16_t)((int32_t)r2[2] + (int16_t)off2); /* the tail, q15r2 layout */
}

/* Both columns of two interior 3x3x3 windows: a call of its own, where GCC has every register
 * (inlined into the pixel loop GCC spilled values to the stack and the M33 stalled 6 times;
 * VWW's first layer on the M33: 119 -> 102 cycles per pair of columns, call included 2.97 ->
 * 2.89 c/MAC for the bench's 24x96x3 -> 8 band). */
static __attribute__((noinline)) void conv_pair_3x9(const int8_t *ra, const int8_t *rb,
                                                    int32_t step, int16_t *cols, int32_t off2)
{
    conv_col_3x9(ra, step, cols, 0, off2, 8);
    conv_col_3x9(rb, step, cols, 1, off2, 8);
}

/* Both columns of two interior 3x3x1 windows: a call of its own, so that the inlined pair
 * path of conv_columns keeps its registers for the 3x3x3 windows (VWW's first layer on the
 * M33: 150 -> 157 cycles per pixel with both inlined). */
static void conv_pair_3x3(const int8_t *ra, const int8_t *rb, int32_t step, int16_t *cols,
                          int32_t off2)
{
    conv_col_3x3(ra, step, cols, 0, off2);
    conv_col_3x3(rb, step, cols, 1, off2);
}

/*
 * Kernel rows of whole groups (kernel_w * in_c % 4 == 0, KWS: 4 taps x 1 channel): every row
 * converts on its own, straight from the input when inside; a row above or below the input
 * is zeros (input_zp - input_zp); a row cut by the left or right edge is built in a register
 * (one group per row) or staged alone at b8.
 */
static void conv_column_direct(const int8_t *in_n, const mcs_conv2d_s8_params_t *p,
                               const conv_rows_t *g, int32_t iy0, int32_t ix0, int16_t *cols,
                               int32_t j, int8_t *b8)
{
    /* in locals: the stores go through memcpy, which GCC assumes may alias *g and *p */
    const int32_t groups = g->row >> 2;
    const int32_t step = g->step;
    const int32_t off2 = g->off2;
    const int32_t kh = p->kernel_h;
    const int32_t in_h = p->in_h;
    const int32_t dh = p->dilation_h;
    const int32_t c = p->in_c;
    const int32_t in_row = p->in_w * c; /* bytes of an input row */
    int16_t *dst = cols + 4 * j;
    int32_t ky, i, lo, hi, iy;

    if (conv_inside(g, iy0, ix0)) {
        const int8_t *src = in_n + iy0 * in_row + ix0 * c;
        if (groups == 1) {
            for (ky = kh; ky > 0; --ky) {
                conv_group(dst, mcs_dsp_ld_s8x4(src), off2);
                dst += 8;
                src += step;
            }
            return;
        }
        for (ky = kh; ky > 0; --ky) {
            for (i = 0; i < groups; ++i) {
                conv_group(dst, mcs_dsp_ld_s8x4(src + 4 * i), off2);
                dst += 8;
            }
            src += step;
        }
        return;
    }
    conv_x_range(p, ix0, &lo, &hi);
    iy = iy0;
    if (groups == 1 && in_row >= 4) {
        /* The window's 4 bytes start at byte xb of the input row. Load the in-row word
         * nearest to them (at byte a), shift its bytes to their window positions (window
         * byte t is row byte xb + t = word byte t + xb - a) and put input_zp in the bytes
         * of taps outside [lo, hi). */
        const int32_t xb = ix0 * c;
        const int32_t a = (xb < 0) ? 0 : ((xb > in_row - 4) ? in_row - 4 : xb);
        /* left edge: bytes move up; right edge: down (by less than 4 bytes unless no tap is
         * inside, when mask is 0 and the shifts do not matter) */
        const int32_t ls = (xb < a && lo < hi) ? 8 * (a - xb) : 0;
        const int32_t rs = (xb > a && lo < hi) ? 8 * (xb - a) : 0;
        const uint32_t m_lo = (lo * c >= 4) ? ~0u : (1u << (8 * lo * c)) - 1u;
        const uint32_t m_hi = (hi * c >= 4) ? ~0u : (1u << (8 * hi * c)) - 1u;
        const uint32_t mask = m_hi & ~m_lo;
        const uint32_t zpm = (uint32_t)g->zp4 & ~mask;
        const int8_t *base = in_n + a;
        for (ky = kh; ky > 0; --ky) {
            if (iy < 0 || iy >= in_h) {
                mcs_dsp_st_s16x2(dst, 0);
                mcs_dsp_st_s16x2(dst + 2, 0);
            } else {
                const uint32_t w = (uint32_t)mcs_dsp_ld_s8x4(base + iy * in_row);
                conv_group(dst, (int32_t)((((w >> rs) << ls) & mask) | zpm), off2);
            }
            dst += 8;
            iy += dh;
        }
        return;
    }
    for (ky = kh; ky > 0; --ky) {
        if (iy < 0 || iy >= in_h) {
            for (i = groups; i > 0; --i) {
                mcs_dsp_st_s16x2(dst, 0);
                mcs_dsp_st_s16x2(dst + 2, 0);
                dst += 8;
            }
        } else {
            const int8_t *src = b8;
            if (lo == 0 && hi == p->kernel_w) {
                src = in_n + iy * in_row + ix0 * c;
            } else {
                stage_s8(b8, in_n + iy * in_row + (ix0 + lo) * c, lo * c, hi * c, g->row,
                         (int8_t)g->zp4);
            }
            for (i = 0; i < groups; ++i) {
                conv_group(dst, mcs_dsp_ld_s8x4(src + 4 * i), off2);
                dst += 8;
            }
        }
        iy += dh;
    }
}

/* The K values of the window at (iy0, ix0) as int8 at b8, kernel row after kernel row (then
 * input_zp up to k4); taps outside the input get input_zp. */
static void conv_stage(const int8_t *in_n, const mcs_conv2d_s8_params_t *p,
                       const conv_rows_t *g, int32_t iy0, int32_t ix0, int8_t *b8)
{
    const int32_t c = p->in_c;
    const int32_t row = g->row;
    const int32_t in_row = p->in_w * c;
    const int8_t zp = (int8_t)g->zp4;
    int32_t ky, t, lo, hi;
    if (conv_inside(g, iy0, ix0)) {
        /* Every row but the last as whole words, which may run up to 3 bytes past it: into
         * the next row's place (written afterwards), reading input bytes that exist (the
         * input rows below the window's last one). */
        const int8_t *src = in_n + iy0 * in_row + ix0 * c;
        for (ky = p->kernel_h - 1; ky > 0; --ky) {
            for (t = 0; t < row; t += 4) {
                st_s8x4(b8 + t, mcs_dsp_ld_s8x4(src + t));
            }
            b8 += row;
            src += g->step;
        }
        if (row >= 4) {
            copy_s8(b8, src, row);
        } else {
            stage_s8(b8, src, 0, row, row, zp);
        }
        b8 += row;
    } else {
        int32_t iy = iy0;
        conv_x_range(p, ix0, &lo, &hi);
        const int32_t n_in = (hi - lo) * c; /* bytes of a row's taps inside the input */
        for (ky = p->kernel_h; ky > 0; --ky) {
            if (row < 4) {
                if (iy < 0 || iy >= p->in_h) {
                    stage_s8(b8, 0, 0, 0, row, zp);
                } else {
                    stage_s8(b8, in_n + iy * in_row + (ix0 + lo) * c, lo * c, hi * c, row,
                             zp);
                }
            } else {
                /* words rather than a byte loop (IC's first layer on the M33: its border
                 * windows 322 -> 295 cycles per column): input_zp in the whole row, then the
                 * taps inside over it */
                for (t = 0; t < row; t += 4) {
                    st_s8x4(b8 + ((t + 4 <= row) ? t : row - 4), g->zp4);
                }
                if (iy >= 0 && iy < p->in_h && n_in > 0) {
                    const int8_t *src = in_n + iy * in_row + (ix0 + lo) * c;
                    if (n_in >= 4) {
                        copy_s8(b8 + lo * c, src, n_in);
                    } else {
                        stage_s8(b8 + lo * c, src, 0, n_in, n_in, zp);
                    }
                }
            }
            b8 += row;
            iy += p->dilation_h;
        }
    }
    stage_s8(b8, 0, 0, 0, g->k4 - g->k, zp); /* K padding: input_zp, i.e. 0 */
}

/* Column j of the q15r2 pair at cols for the window at (iy0, ix0), kernel rows path (the
 * q15r4 columns of conv_4col's 3x9 windows: conv_col_3x9q_edge). */
static void conv_column_rows(const int8_t *in_n, const mcs_conv2d_s8_params_t *p,
                             const conv_rows_t *g, int32_t iy0, int32_t ix0, int16_t *cols,
                             int32_t j, int8_t *b8, int32_t ncols)
{
    if (g->kind == CONV_ROWS_DIRECT) {
        conv_column_direct(in_n, p, g, iy0, ix0, cols, j, b8);
        return;
    }
    if (conv_inside(g, iy0, ix0)) {
        const int8_t *src = in_n + (iy0 * p->in_w + ix0) * p->in_c;
        if (g->kind == CONV_ROWS_3X9) {
            conv_col_3x9(src, g->step, cols, j, g->off2, 4 * ncols);
            return;
        }
        if (g->kind == CONV_ROWS_3X3) {
            conv_col_3x3(src, g->step, cols, j, g->off2);
            return;
        }
    }
    conv_stage(in_n, p, g, iy0, ix0, b8);
    if (g->kind == CONV_ROWS_3X9) {
        conv_col_3x9(b8, 9, cols, j, g->off2, 4 * ncols);
    } else if (g->kind == CONV_ROWS_3X3) {
        conv_col_3x3(b8, 3, cols, j, g->off2);
    } else {
        mcs_dsp_vec_to_q15r2(b8, cols, j, g->k4, g->off);
    }
}

/*
 * in_c % 4 == 0, dilation_w == 1: a kernel row is kernel_w * in_c contiguous input bytes,
 * whole q15r groups in weight order, so each row converts as one run of groups instead of
 * tap by tap, and two windows inside the input convert in one pass. Emulator, M33, IC's
 * 32x32x16 -> 16 3x3 convolution: 4.22 -> 3.73 M cycles (1.79 -> 1.58 c/MAC); a loop
 * unrolled by two measured slower (3.74 M).
 */

/* n groups of int8 at src -> q15r groups of one column, gs int16 apart (q15r2: 8, q15r4:
 * 16), from dst. */
static inline void conv_run_g4(const int8_t *src, int16_t *dst, int32_t n, int32_t off2,
                               int32_t gs)
{
    for (; n > 1; n -= 2) {
        const int32_t w0 = mcs_dsp_ld_s8x4(src);
        const int32_t w1 = mcs_dsp_ld_s8x4(src + 4);
        conv_group(dst, w0, off2);
        conv_group(dst + gs, w1, off2);
        src += 8;
        dst += 2 * gs;
    }
    if (n > 0) {
        conv_group(dst, mcs_dsp_ld_s8x4(src), off2);
    }
}

/* n groups of zeros (taps in the padding: input_zp - input_zp), gs int16 apart. */
static inline void conv_zero_g4(int16_t *dst, int32_t n, int32_t gs)
{
    for (; n > 0; --n) {
        mcs_dsp_st_s16x2(dst, 0);
        mcs_dsp_st_s16x2(dst + 2, 0);
        dst += gs;
    }
}

/* Both columns of two windows inside the input (top-left bytes at pa and pb): one pass over
 * the groups of both, kernel row after kernel row (g->row / 4 groups, g->step apart). */
static void conv_pair_g4(const int8_t *pa, const int8_t *pb, const conv_rows_t *g,
                         int32_t kh, int16_t *cols)
{
    const int32_t groups = g->row >> 2;
    const int32_t step = g->step;
    const int32_t off2 = g->off2;
    int16_t *dst = cols;
    int32_t ky, i;
    for (ky = kh; ky > 0; --ky) {
        const int8_t *sa = pa;
        const int8_t *sb = pb;
        for (i = groups; i > 0; --i) {
            const int32_t wa = mcs_dsp_ld_s8x4(sa);
            const int32_t wb = mcs_dsp_ld_s8x4(sb);
            conv_group(dst, wa, off2);
            conv_group(dst + 4, wb, off2);
            sa += 4;
            sb += 4;
            dst += 8;
        }
        pa += step;
        pb += step;
    }
}

/* Both columns of four windows inside the input (top-left bytes at px[0..3]), q15r4: as
 * conv_pair_g4, four columns per group. */
static void conv_quad_g4(const int8_t *const *px, const conv_rows_t *g, int32_t kh,
                         int16_t *cols)
{
    const int32_t groups = g->row >> 2;
    const int32_t step = g->step;
    const int32_t off2 = g->off2;
    const int8_t *p0 = px[0], *p1 = px[1], *p2 = px[2], *p3 = px[3];
    int16_t *dst = cols;
    int32_t ky, i, t;
    for (ky = kh; ky > 0; --ky) {
        for (i = 0, t = 0; i < groups; ++i, t += 4) {
            const int32_t w0 = mcs_dsp_ld_s8x4(p0 + t);
            const int32_t w1 = mcs_dsp_ld_s8x4(p1 + t);
            const int32_t w2 = mcs_dsp_ld_s8x4(p2 + t);
            const int32_t w3 = mcs_dsp_ld_s8x4(p3 + t);
            conv_group(dst, w0, off2);
            conv_group(dst + 4, w1, off2);
            conv_group(dst + 8, w2, off2);
            conv_group(dst + 12, w3, off2);
            dst += 16;
        }
        p0 += step;
        p1 += step;
        p2 += step;
        p3 += step;
    }
}

/* Column j of ncols (q15r2 or q15r4) for the window at (iy0, ix0), any position: rows above
 * or below the input are zeros, a row cut by the left or right edge is zeros, the taps
 * inside, zeros. */
static void conv_column_g4(const int8_t *in_n, const mcs_conv2d_s8_params_t *p,
                           const conv_rows_t *g, int32_t iy0, int32_t ix0, int16_t *cols,
                           int32_t j, int32_t ncols)
{
    const int32_t c = p->in_c;
    const int32_t gpt = c >> 2; /* groups per tap */
    const int32_t groups = g->row >> 2;
    const int32_t off2 = g->off2;
    const int32_t kh = p->kernel_h;
    const int32_t in_h = p->in_h;
    const int32_t dh = p->dilation_h;
    const int32_t in_row = p->in_w * c;
    const int32_t gs = 4 * ncols;
    int16_t *dst = cols + 4 * j;
    int32_t ky, lo, hi, iy = iy0;
    conv_x_range(p, ix0, &lo, &hi);
    for (ky = kh; ky > 0; --ky) {
        if (iy < 0 || iy >= in_h) {
            conv_zero_g4(dst, groups, gs);
        } else {
            conv_zero_g4(dst, lo * gpt, gs);
            conv_run_g4(in_n + iy * in_row + (ix0 + lo) * c, dst + gs * lo * gpt,
                        (hi - lo) * gpt, off2, gs);
            conv_zero_g4(dst + gs * hi * gpt, groups - hi * gpt, gs);
        }
        dst += gs * groups;
        iy += dh;
    }
}

/* The q15r2 pair of columns of the pixel at *q and the next one (npx = 2), or of the pixel
 * at *q alone (npx = 1: both columns hold it; mcs_dsp_mat_2col ignores column 1); *q steps
 * past them. g: the kernel-rows geometry, NULL for conv_column. Inlined into the pixel loop:
 * one call less per pair of pixels (VWW's first layer on the M33: im2col and loop 163 -> 147
 * cycles per pixel). */
static inline __attribute__((always_inline)) void
conv_columns(const int8_t *in_n, const mcs_conv2d_s8_params_t *p, const conv_rows_t *g,
             conv_pos_t *q, int32_t npx, int16_t *cols, int16_t *nat)
{
    const conv_pos_t a = *q;
    conv_pos_t b = a;
    conv_next(q, p);
    if (npx == 2) {
        b = *q;
        conv_next(q, p);
    }
    if (g == 0) {
        conv_column(in_n, p, a.iy, a.ix, cols, 0, nat, 2);
        conv_column(in_n, p, b.iy, b.ix, cols, 1, nat, 2);
        return;
    }
    if (g->kind == CONV_ROWS_G4) {
        if (conv_inside(g, a.iy, a.ix) && conv_inside(g, b.iy, b.ix)) {
            const int32_t in_row = p->in_w * p->in_c;
            conv_pair_g4(in_n + a.iy * in_row + a.ix * p->in_c,
                         in_n + b.iy * in_row + b.ix * p->in_c, g, p->kernel_h, cols);
        } else {
            conv_column_g4(in_n, p, g, a.iy, a.ix, cols, 0, 2);
            conv_column_g4(in_n, p, g, b.iy, b.ix, cols, 1, 2);
        }
        return;
    }
    if (g->kind == CONV_ROWS_3X9 && conv_inside(g, a.iy, a.ix) && conv_inside(g, b.iy, b.ix)) {
        /* the bulk of an RGB first layer: both windows inside, no call */
        const int32_t c = p->in_c; /* 3, or 1 (a 3x9 kernel), or 9 (3x1) */
        const int32_t w3 = p->in_w * c;
        conv_pair_3x9(in_n + a.iy * w3 + a.ix * c, in_n + b.iy * w3 + b.ix * c, g->step,
                      cols, g->off2);
        return;
    }
    if (g->kind == CONV_ROWS_3X3 && conv_inside(g, a.iy, a.ix) && conv_inside(g, b.iy, b.ix)) {
        conv_pair_3x3(in_n + a.iy * p->in_w + a.ix, in_n + b.iy * p->in_w + b.ix, g->step,
                      cols, g->off2);
        return;
    }
    conv_column_rows(in_n, p, g, a.iy, a.ix, cols, 0, (int8_t *)nat, 2);
    conv_column_rows(in_n, p, g, b.iy, b.ix, cols, 1, (int8_t *)nat, 2);
}

/* nat bytes of the four-column 3x9 path (conv_4col): 28 bytes of input_zp (a kernel row
 * above or below the input, for up to four windows two pixels apart), then three staged
 * kernel rows of 9 bytes (conv_col_3x9q_edge), 56 bytes in all (conv_nat_bytes). */
#define CONV_3X9Q_STAGE 28

/* Kernel row ky of conv_col_3x9q_edge: in place when inside the input, the input_zp row at
 * zrow when above or below it (or when no tap is inside), else staged at b (its 9 bytes
 * input_zp already): the n bytes of its taps inside (at src) copied to b + t0, as words
 * where n >= 4 (the last one overlapping: no byte past them is read). */
static inline const int8_t *conv_edge_row(const int8_t *src, int32_t iy, uint32_t in_h,
                                          int32_t n, int32_t t0, int8_t *b,
                                          const int8_t *zrow)
{
    int32_t t;
    if ((uint32_t)iy >= in_h || n == 0) {
        return zrow;
    }
    if (n == 9) {
        return src;
    }
    if (n == 6) { /* 3x3 over 3 channels, one tap column in the padding */
        st_s8x4(b + t0, mcs_dsp_ld_s8x4(src));
        st_s8x4(b + t0 + 2, mcs_dsp_ld_s8x4(src + 2));
    } else if (n >= 4) {
        copy_s8(b + t0, src, n);
    } else {
        for (t = 0; t < n; ++t) {
            b[t0 + t] = src[t];
        }
    }
    return b;
}

/*
 * Column dst (q15r4) of the window at (iy0, ix0) (3 kernel rows of 9 bytes), any position,
 * conv_slot_3x9q order: a kernel row inside the input is read in place, a row above or below
 * it is the input_zp row at nat (input_zp - input_zp = 0, the reference's padding value), a
 * row cut by the left or right edge is staged at nat + CONV_3X9Q_STAGE as input_zp with its
 * taps inside copied over it. M33, VWW's first layer's right-edge windows: see conv_4col.
 */
static __attribute__((noinline)) void
conv_col_3x9q_edge(const int8_t *in_n, const mcs_conv2d_s8_params_t *p, const conv_rows_t *g,
                   int32_t iy0, int32_t ix0, int16_t *dst, int8_t *nat)
{
    const int32_t c = p->in_c;
    const uint32_t in_h = (uint32_t)p->in_h;
    const int32_t dh = p->dilation_h;
    const int32_t step = g->step;
    int8_t *b = nat + CONV_3X9Q_STAGE;
    int32_t t, lo, hi, n;
    const int8_t *src, *r0, *r1, *r2;
    conv_x_range(p, ix0, &lo, &hi);
    n = c * (hi - lo); /* bytes of a row's taps inside the input */
    if (n > 0 && n < 9) {
        for (t = 0; t < 28; t += 4) {
            st_s8x4(b + t, g->zp4);
        }
    }
    src = in_n + (iy0 * p->in_w + ix0 + lo) * c;
    r0 = conv_edge_row(src, iy0, in_h, n, c * lo, b, nat);
    r1 = conv_edge_row(src + step, iy0 + dh, in_h, n, c * lo, b + 9, nat);
    r2 = conv_edge_row(src + 2 * step, iy0 + 2 * dh, in_h, n, c * lo, b + 18, nat);
    conv_col_3x9q(r0, r1, r2, dst, g->off2);
}

/* *q for the four windows of one output row from (iy0, ix0), all inside horizontally:
 * kernel rows outside the input read the input_zp row at nat (when sx <= 6: conv_4col).
 * Returns 1 when the three rows are inside the input (then q stays valid for the next four
 * windows of the row). */
static inline int32_t conv_rows_3x9q(conv_q3x9_t *q, const int8_t *in_n,
                                     const mcs_conv2d_s8_params_t *p, const conv_rows_t *g,
                                     int32_t iy0, int32_t ix0, const int8_t *nat)
{
    const uint32_t in_h = (uint32_t)p->in_h;
    const int32_t dh = p->dilation_h;
    const int32_t step = g->step;
    const int8_t *r0 = in_n + (iy0 * p->in_w + ix0) * p->in_c;
    q->r0 = ((uint32_t)iy0 < in_h) ? r0 : nat;
    q->r1 = ((uint32_t)(iy0 + dh) < in_h) ? r0 + step : nat;
    q->r2 = ((uint32_t)(iy0 + 2 * dh) < in_h) ? r0 + 2 * step : nat;
    return (uint32_t)iy0 < (uint32_t)g->y_hi;
}

/* conv_4col runs the passes of a 3x9 row in conv_run_3x9's loop (with the right-edge pass,
 * cut_ok) where mcs_dsp_mat_4col's assembly is a call anyway (M4/M33: mcs_dsp_4col_asm, out
 * of line). On the M7 a second call site made GCC put mcs_dsp_m7_4col out of line for every
 * pass of conv_4col (IC's 3x3 layers, H723: 8,017,189 -> 8,088,294 cycles; with the cut
 * pass in conv_4col's loop instead, its extra state still cost 8,065,332), so there the
 * passes of a run stay in conv_4col's loop as before (and at -O0, where the assembly is C). */
#define CONV_RUN_LOOP MCS_DSP_ASM_2X2

/* The arguments of mcs_dsp_mat_4col that are the same for every pass of conv_4col. */
typedef struct {
    const int8_t *weights;
    const int32_t *wq;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *rq;
    int16_t *cols;
    const int32_t *d; /* {0, out_c, 2 out_c, 3 out_c}: four distinct pixels */
    int32_t wq_dbl;
    int32_t k;
    int32_t out_c;
    int32_t zp;
    int32_t act_min;
    int32_t act_max;
} conv_mat_t;

/* Window 3's (b5 b7) and (b6 b8) words of kernel row ky in q15r4 columns of the
 * conv_slot_3x9q order (group 2 ky + 1 at 16 (2 ky + 1), column 3 at + 12): b7 and the word
 * to 0, the value of taps in the padding (input_zp + off), for conv_run_3x9's cut. */
static inline void conv_cut_3x9q(int16_t *cols)
{
    int32_t ky;
    for (ky = 0; ky < 3; ++ky) {
        cols[32 * ky + 29] = 0;
        mcs_dsp_st_s16x2(cols + 32 * ky + 30, 0);
    }
}

/*
 * n four-window passes of one output row of 3x9 windows (sx input bytes apart) from *q, each
 * converted (conv_quad_3x9s2, conv_quad_3x9) and multiplied into four consecutive outputs at
 * out; the rows of q move on by 4 sx per pass (all inside the input when n > 1). cut: the
 * last window of the last pass lies past the right edge by bytes 6..8 of its kernel rows
 * (one tap column over 3 channels): the converters read those 3 bytes from the start of the
 * next input row (the caller makes sure there is one: no read past the input), then
 * conv_cut_3x9q sets their slots to 0.
 *
 * A loop of its own: in conv_4col's pass loop (positions, run and edge tests, every value on
 * the stack) a pass of a run cost 66 cycles around the converter and the call on the M33, a
 * right-edge pass about 850 (three windows inline, the cut one staged). The stride-2 loop
 * keeps the row pointers, the count and the output in registers; K is 28 there (conv_k4) and
 * the table, the bias and out_c >= 2 are tested once, so mcs_dsp_mat_4col's tests fold away
 * and it goes straight to its assembly. M33, VWW's first layer (kernel case 96x96x3 -> 8,
 * weight cache): see conv_4col.
 */
static __attribute__((noinline)) void conv_run_3x9(const conv_q3x9_t *q, int32_t sx, int32_t n,
                                                   int32_t cut, int32_t step, int8_t *out,
                                                   const conv_mat_t *m)
{
    const int8_t *r0 = q->r0, *r1 = q->r1, *r2 = q->r2;
    const int32_t off2 = q->off2;
    int16_t *const cols = m->cols;
    const int8_t *const weights = m->weights;
    const int32_t *const wq = m->wq;
    const int32_t *const bias = m->bias;
    const int32_t *const rq = m->rq;
    const int32_t *const d = m->d;
    const int32_t wq_dbl = m->wq_dbl;
    const int32_t out_c = m->out_c;
    const int32_t act_min = m->act_min;
    const int32_t act_max = m->act_max;
    const int32_t even = out_c & ~1;
    if (sx == 6 && step != 0 && m->k == 28 && bias != 0 && rq != 0 && even >= 2 &&
        even == out_c) {
        /* one counter, 2 (passes left after this one) + cut: the cut pass is the one at 1 */
        int32_t left = 2 * (n - 1) + (cut != 0);
        for (;;) {
            conv_quad_3x9s2(r0, step, off2, cols);
            if (__builtin_expect(left == 1, 0)) {
                conv_cut_3x9q(cols);
            }
            mcs_dsp_mat_4col(weights, wq, wq_dbl, bias, m->multiplier, m->shift, rq, cols, 28,
                             even, out, d, m->zp, act_min, act_max);
            if (left < 2) {
                break;
            }
            left -= 2;
            r0 += 24;
            out += 4 * out_c;
        }
        return;
    }
    for (;;) {
        conv_q3x9_t t;
        t.r0 = r0;
        t.r1 = r1;
        t.r2 = r2;
        t.off2 = off2;
        conv_quad_3x9(&t, sx, cols);
        if (n == cut) {
            conv_cut_3x9q(cols);
        }
        mcs_dsp_mat_4col(weights, wq, wq_dbl, bias, m->multiplier, m->shift, rq, cols, m->k,
                         out_c, out, d, m->zp, act_min, act_max);
        if (--n == 0) {
            break;
        }
        r0 += 4 * sx;
        r1 += 4 * sx;
        r2 += 4 * sx;
        out += 4 * out_c;
    }
}

/*
 * Paired weight rows: four pixels per pass (q15r4 columns, mcs_dsp_mat_4col). The last pass
 * of fewer than four pixels repeats its last pixel in the unused columns, whose outputs go to
 * the same place (the same values). g: kernel-rows geometry when in_c % 4 == 0 and
 * dilation_w == 1 (whole groups per kernel row; four windows inside the input in one pass)
 * or for 3 kernel rows of 9 bytes (conv_slot_3x9q order: runs of four-window passes along an
 * output row, border windows by conv_col_3x9q_edge), else NULL (tap by tap). Not inlined:
 * the two-column loop of mcs_conv2d_s8 keeps its registers (VWW's first layer on the M33,
 * bench_kernels: 2.873 c/MAC inlined, 2.859 not). RGB first layers, cycles
 * two-column -> here: VWW's 96x96x3 -> 8 stride 2 M33 1,195,798 -> 1,082,702, M7 625,058 ->
 * 595,129; IC's 32x32x3 -> 16 (kernel case) M33 1,014,309 -> 922,506, M7 526,819 -> 504,485.
 * The conv_slot_3x9q converters (shared stride-2 columns, input_zp rows, runs, staged edges;
 * conv_col_3x9 before), whole-model profiles: VWW's first layer M33 912,478 -> 815,697, M7
 * 541,595 -> 491,951; IC's 32x32x3 -> 16 M33 730,286 -> 684,826.
 */
static __attribute__((noinline)) void
conv_4col(const int8_t *in_n, const int8_t *weights, const int32_t *wq, int32_t wq_dbl,
          const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
          const int32_t *rq, int16_t *cols, int16_t *nat, int8_t *out_n, const conv_rows_t *g,
          const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = conv_k4(p);
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t in_c = p->in_c;
    const int32_t in_row = p->in_w * in_c;
    const int32_t out_c = p->out_c;
    const int32_t out_w = p->out_w;
    const int32_t stride_w = p->stride_w;
    const int32_t zp = p->output_zp;
    const int32_t act_min = p->act_min;
    const int32_t act_max = p->act_max;
    const int32_t full[4] = {0, out_c, 2 * out_c, 3 * out_c};
    /* 3x9 windows: input bytes from one window to the next (a quad reads 3 sx + 9 bytes of
     * each kernel row); four windows of one output row whose kernel rows may lie above or
     * below the input when the input_zp row at nat (CONV_3X9Q_STAGE bytes) covers them */
    const int32_t sx = stride_w * in_c;
    const int32_t rows_out = g != 0 && g->kind == CONV_ROWS_3X9 && 3 * sx + 9 <= CONV_3X9Q_STAGE;
    /* windows of output columns [0, ox_end) end before the right edge (x_hi < 0: none) */
    const int32_t x_end = (g != 0 && g->x_hi >= 0) ? (g->x_hi + p->pad_left) / stride_w + 1 : 0;
    const int32_t ox_end = (x_end < out_w) ? x_end : out_w;
    /* 3x9: the last window of an output row lies past the right edge by bytes 6..8 of its
     * kernel rows only, the three before it inside (conv_run_3x9's cut) */
    const int32_t ix_last = (out_w - 1) * stride_w - p->pad_left;
    const int32_t cut_ok = CONV_RUN_LOOP && g != 0 && g->kind == CONV_ROWS_3X9 &&
                           ox_end == out_w - 1 &&
                           out_w >= 4 && ix_last - 3 * stride_w >= 0 &&
                           (p->in_w - ix_last) * in_c == 6;
    const int32_t last_row = p->in_h - 1;
    const int32_t dh = p->dilation_h;
    conv_pos_t pos, at[4];
    conv_q3x9_t q;
    conv_mat_t m;
    int32_t run = 0;   /* 3x9 without CONV_RUN_LOOP: passes left of a run (q holds the next) */
    int32_t qstep = 0; /* the input bytes between q's kernel rows, or 0 (the input_zp row) */
    int32_t px, j;
    q.off2 = (g != 0) ? g->off2 : 0;
    m.weights = weights;
    m.wq = wq;
    m.bias = bias;
    m.multiplier = multiplier;
    m.shift = shift;
    m.rq = rq;
    m.cols = cols;
    m.d = full;
    m.wq_dbl = wq_dbl;
    m.k = k;
    m.out_c = out_c;
    m.zp = zp;
    m.act_min = act_min;
    m.act_max = act_max;
    if (g != 0 && g->kind == CONV_ROWS_3X9) {
        for (j = 0; j < CONV_3X9Q_STAGE; j += 4) {
            st_s8x4((int8_t *)nat + j, g->zp4);
        }
    }
    pos.iy = -p->pad_top;
    pos.ix = -p->pad_left;
    pos.ox = 0;
    for (px = 0; px < pixels; px += 4) {
        const int32_t valid = (pixels - px < 4) ? pixels - px : 4;
        const int32_t *d = full;
        const int8_t *src[4];
        int32_t part[4];
        int32_t inside = (g != 0);
        int32_t quad = 0; /* 3x9 without CONV_RUN_LOOP: the four windows at q */
        /* 3x9, the right-edge pass of a row (cut_ok): its kernel rows read 3 bytes past the
         * input row, which must not be the input's last one */
        const int32_t cut_row = cut_ok && pos.iy != last_row && pos.iy + dh != last_row &&
                                pos.iy + 2 * dh != last_row &&
                                (rows_out || (uint32_t)pos.iy < (uint32_t)g->y_hi);
        if (run > 0) {
            /* the next four windows of a run (pos is already past the run) */
            --run;
            quad = 1;
        } else if (cut_row && valid == 4 && pos.ox == out_w - 4) {
            /* the right-edge pass alone (after a pass with a kernel row outside the input,
             * or the row's only one) */
            qstep = conv_rows_3x9q(&q, in_n, p, g, pos.iy, pos.ix, (const int8_t *)nat)
                        ? g->step
                        : 0;
            conv_run_3x9(&q, sx, 1, 1, qstep, out_n + px * out_c, &m);
            pos.ox = 0;
            pos.ix = -p->pad_left;
            pos.iy += p->stride_h;
            continue;
        } else if (inside && valid == 4 && pos.ox + 4 <= ox_end && pos.ix >= 0 &&
                   (rows_out || (uint32_t)pos.iy < (uint32_t)g->y_hi)) {
            /* four windows of one output row, all inside horizontally (the first and the last
             * are; kernel rows outside the input only with rows_out): the sources one
             * horizontal stride apart, the outputs consecutive, without the per-window
             * positions and tests below. VWW's first layer on the M33 992,485 -> 909,751
             * cycles; bench_kernels' band M7 170,760 -> 161,869 */
            if (g->kind == CONV_ROWS_G4) {
                src[0] = in_n + pos.iy * in_row + pos.ix * in_c;
                for (j = 1; j < 4; ++j) {
                    src[j] = src[j - 1] + sx;
                }
                conv_quad_g4(src, g, p->kernel_h, cols);
            } else {
                /* a run: every four-window pass left in this output row before the right
                 * edge (one pass when a kernel row is outside the input: the input_zp row
                 * does not move on), with the right-edge pass when it is cut_ok's, in
                 * conv_run_3x9's loop; pos moved past it at once (the 48x96 band on the
                 * M33: 465,795 -> 450,788 as passes of this loop) */
                const int32_t all = conv_rows_3x9q(&q, in_n, p, g, pos.iy, pos.ix,
                                                   (const int8_t *)nat);
                const int32_t n = all ? (ox_end - pos.ox) >> 2 : 1;
                const int32_t cut = all && cut_row && pos.ox + 4 * n == out_w - 4;
                qstep = all ? g->step : 0;
                if (CONV_RUN_LOOP) {
                    conv_run_3x9(&q, sx, n + cut, cut, qstep, out_n + px * out_c, &m);
                    px += 4 * (n + cut - 1);
                    pos.ox += 4 * (n + cut);
                    pos.ix += 4 * (n + cut) * stride_w;
                    if (pos.ox == out_w) {
                        pos.ox = 0;
                        pos.ix = -p->pad_left;
                        pos.iy += p->stride_h;
                    }
                    continue;
                }
                quad = 1;
                run = n - 1;
                pos.ox += 4 * run;
                pos.ix += 4 * run * stride_w;
            }
            pos.ox += 4;
            pos.ix += 4 * stride_w;
            if (pos.ox == out_w) {
                pos.ox = 0;
                pos.ix = -p->pad_left;
                pos.iy += p->stride_h;
            }
        } else {
            for (j = 0; j < 4; ++j) {
                at[j] = pos;
                part[j] = ((j < valid) ? j : valid - 1) * out_c;
                if (j + 1 < valid) {
                    conv_next(&pos, p);
                }
                inside = inside && conv_inside(g, at[j].iy, at[j].ix);
                src[j] = in_n + at[j].iy * in_row + at[j].ix * in_c;
            }
            conv_next(&pos, p);
            d = part;
            if (inside && g->kind == CONV_ROWS_G4) {
                conv_quad_g4(src, g, p->kernel_h, cols);
            } else {
                for (j = 0; j < 4; ++j) {
                    if (g != 0 && g->kind == CONV_ROWS_G4) {
                        conv_column_g4(in_n, p, g, at[j].iy, at[j].ix, cols, j, 4);
                    } else if (g != 0 && conv_inside(g, at[j].iy, at[j].ix)) {
                        conv_col_3x9q(src[j], src[j] + g->step, src[j] + 2 * g->step,
                                      cols + 4 * j, g->off2);
                    } else if (g != 0) {
                        conv_col_3x9q_edge(in_n, p, g, at[j].iy, at[j].ix, cols + 4 * j,
                                           (int8_t *)nat);
                    } else {
                        conv_column(in_n, p, at[j].iy, at[j].ix, cols, j, nat, 4);
                    }
                }
            }
        }
        if (quad) {
            if (sx == 6 && qstep != 0) {
                conv_quad_3x9s2(q.r0, qstep, q.off2, cols);
                q.r0 += 24;
            } else {
                conv_quad_3x9(&q, sx, cols);
            }
        }
        mcs_dsp_mat_4col(weights, wq, wq_dbl, bias, multiplier, shift, rq, cols, k, out_c,
                         out_n + px * out_c, d, zp, act_min, act_max);
    }
}

#if MCS_DSP_ASM_M7 || MCS_DSP_ASM_2X2
#if MCS_DSP_ASM_M7
typedef mcs_dsp_m7_pairs_t conv_pairs_t;
#define conv_pairs_init mcs_dsp_m7_pairs_init
#define conv_pairs_run mcs_dsp_m7_pairs_run
#else
typedef mcs_dsp_pairs_t conv_pairs_t;
#define conv_pairs_init mcs_dsp_pairs_init
#define conv_pairs_run mcs_dsp_pairs_run
#endif

/*
 * The two-column loop when every channel pair takes the core's assembly (a requantization
 * table, a bias, an even out_c, K >= 4): the pairs' state is built once per layer and each
 * pair of pixels runs it directly, instead of the general call chain (mcs_dsp_mat_2col's
 * eleven arguments and frame, mcs_dsp_mat_2col_q, the state). Same instructions on the same
 * values: bit-exact with it. VWW's first layer (96x96x3 -> 8, stride 2), mcusim cycles:
 * H723 706,916 -> 625,058, U545 1,327,221 -> 1,214,230 (bench_kernels' 24x96 band, c/MAC
 * M33 / M7 / M4: 2.86 / 1.56 / 3.28 -> 2.63 / 1.40 / 3.01). Returns the pixels done (all
 * but an odd last one).
 */
static __attribute__((noinline)) int32_t
conv_2col_pairs(const int8_t *in_n, const int8_t *weights, const int32_t *bias,
                const int32_t *rq, int16_t *cols, int16_t *nat, int8_t *out_n,
                const conv_rows_t *g, int32_t k4, const mcs_conv2d_s8_params_t *p,
                conv_pos_t *pos)
{
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    conv_pairs_t st;
    int32_t px;
    conv_pairs_init(&st, weights, bias, rq, k4, out_c, out_c, p->act_min, p->act_max);
    for (px = 0; px + 1 < pixels; px += 2) {
        conv_columns(in_n, p, g, pos, 2, cols, nat);
        conv_pairs_run(&st, cols, out_n + px * out_c);
    }
    return px;
}
#endif

void mcs_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                   const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                   int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t k4 = conv_k4(p);
    const int32_t pixels = p->out_h * p->out_w;
    int16_t *cols = scratch;
    int16_t *nat = cols + conv_ncols(p) * k4;
    int8_t *wpad = (int8_t *)nat + conv_nat_bytes(p);
    int32_t *rq = (int32_t *)(void *)(wpad + conv_wpad_bytes(p));
    int32_t *wq = (conv_wq_bytes(p) != 0) ? rq + 3 * p->out_c : 0;
    int32_t wq_dbl = 0;
    const int32_t fast = mcs_dsp_rq_level(shift, bias, p->out_c, k);
    conv_rows_t rows;
    const conv_rows_t *g = 0;
    int32_t n, px;

    if (!mcs_dsp_rq_table_act(rq, multiplier, shift, bias, p->out_c, k, p->output_zp,
                              p->act_min)) {
        rq = 0;
    }
    if (k4 != k) {
        conv_pad_weights(weights, wpad, k, k4, p);
        weights = wpad;
    }
    if (wq != 0 && rq != 0 && bias != 0) {
        wq_dbl = mcs_dsp_wq_dbl(p->batch * pixels, k4);
        mcs_dsp_pairs_q15(weights, bias, rq, wq, k4, p->out_c >> 1, wq_dbl);
    } else {
        wq = 0;
    }
    if (p->dilation_w == 1) {
        rows.k = k;
        rows.k4 = k4;
        rows.row = p->kernel_w * p->in_c;
        rows.step = p->dilation_h * p->in_w * p->in_c;
        rows.y_hi = p->in_h - (p->kernel_h - 1) * p->dilation_h;
        rows.x_hi = p->in_w - p->kernel_w;
        if (rows.y_hi <= 0 || rows.x_hi < 0) {
            rows.y_hi = 0; /* the kernel is larger than the input: no window is inside */
        }
        rows.zp4 = (int32_t)(0x01010101u * (uint8_t)p->input_zp);
        rows.off = -p->input_zp;
        rows.off2 = (int32_t)(((uint32_t)rows.off & 0xFFFFu) | ((uint32_t)rows.off << 16));
        rows.kind = ((p->in_c & 3) == 0)                   ? CONV_ROWS_G4
                    : ((rows.row & 3) == 0)                  ? CONV_ROWS_DIRECT
                    : (rows.row == 9 && p->kernel_h == 3) ? CONV_ROWS_3X9
                    : (rows.row == 3 && p->kernel_h == 3) ? CONV_ROWS_3X3
                                                          : CONV_ROWS_STAGED;
        g = &rows;
    }
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * p->in_w * p->in_c;
        int8_t *out_n = output + n * pixels * p->out_c;
        conv_pos_t pos;
        if (p->weights_paired) {
            conv_4col(in_n, weights, wq, wq_dbl, bias, multiplier, shift, rq, cols, nat, out_n,
                      (g != 0 && (g->kind == CONV_ROWS_G4 || g->kind == CONV_ROWS_3X9)) ? g
                                                                                      : 0,
                      p);
            continue;
        }
        pos.iy = -p->pad_top;
        pos.ix = -p->pad_left;
        pos.ox = 0;
        px = 0;
#if MCS_DSP_ASM_M7 || MCS_DSP_ASM_2X2
        if (rq != 0 && bias != 0 && p->out_c >= 2 && (p->out_c & 1) == 0 && k4 >= 4) {
            px = conv_2col_pairs(in_n, weights, bias, rq, cols, nat, out_n, g, k4, p, &pos);
        }
#endif
        for (; px + 1 < pixels; px += 2) {
            conv_columns(in_n, p, g, &pos, 2, cols, nat);
            mcs_dsp_mat_2col(weights, bias, multiplier, shift, cols, k4, p->out_c,
                             out_n + px * p->out_c, out_n + (px + 1) * p->out_c, p->output_zp,
                             p->act_min, p->act_max, fast, rq);
        }
        if (px < pixels) {
            conv_columns(in_n, p, g, &pos, 1, cols, nat);
            mcs_dsp_mat_2col(weights, bias, multiplier, shift, cols, k4, p->out_c,
                             out_n + px * p->out_c, 0, p->output_zp, p->act_min, p->act_max,
                             fast, rq);
        }
    }
}
