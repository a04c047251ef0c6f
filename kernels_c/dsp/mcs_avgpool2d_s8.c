/* mcs_avgpool2d_s8.c - int8 AveragePool for Cortex-M DSP: the window sums of four channels per
 * word with SXTAB16 into 16-bit lanes, the zero point subtracted once per output, then the
 * reference's rounding division. Bit-exact with kernels_c/reference/mcs_avgpool2d_s8.c; see
 * mcs_kernels_s8.h and mcs_dsp_s8.h.
 *
 * SXTAB16 Rd, Rn, Rm{, ROR #8}: Rd.lo = Rn.lo + sext(byte 0 of Rm'), Rd.hi = Rn.hi +
 * sext(byte 2 of Rm'), Rm' = Rm rotated right by 0 or 8; each halfword wraps on its own (no
 * carry between them). One word of four int8 channels (c0, c1, c2, c3) thus adds c0/c2 into
 * one accumulator and, with ROR #8, c1/c3 into another. A lane holding the sum of at most
 * MCS_AVG_BLOCK = 256 int8 values stays in [-128 * 256, 127 * 256] = [-32768, 32512], inside
 * int16, so it is exact. Windows of at most 256 positions (KWS's 25x5, VWW's 3x3) go from the
 * lanes straight to the output; longer ones are summed in blocks of at most 256 positions
 * (whole runs of a row, or pieces of one), each block's lanes widened into int32 sums.
 * Channels go eight at a time (two words per position), then four, then one by one (ch % 4).
 * A window spanning whole input rows is one run of contiguous positions.
 *
 * The reference adds (q - zero_point) over the valid positions; the integer sum equals
 * sum(q) - zero_point * valid, valid = the number of those positions (0 when the window misses
 * the input: each side clamped at 0, as the reference's empty loops). The division by the
 * reference's count (positions in the padded input or the valid ones) is its own expression,
 * one SDIV per output value.
 */
#include "mcs_dsp_s8.h"

/* Window positions per block of 16-bit lane sums (see above). */
#define MCS_AVG_BLOCK 256

#if defined(__OPTIMIZE__)
/*
 * The eight-channel loop over `pairs` (> 0) pairs of positions, *q advanced past them. GCC 12
 * loads every word into one register and reads it by the next instruction (a load-use stall
 * per word on the M33: 21 cycles per pair of positions where this loop takes 16: 4 LDR, 8
 * SXTAB16, ADD, SUBS, taken branch 2; every loaded word is read two or more instructions after
 * its load, the accumulators chain from SXTAB16 to SXTAB16 without a stall).
 */
static inline void sum8_pairs(const int8_t **q, int32_t pairs, int32_t ch, int32_t *a0,
                              int32_t *a1, int32_t *a2, int32_t *a3)
{
    const int8_t *p = *q;
    int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
    int32_t w0, w1, w2, w3;
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[w0], [%[p]]\n\t"
        "ldr     %[w1], [%[p], #4]\n\t"
        "ldr     %[w2], [%[p], %[ch]]\n\t"
        "sxtab16 %[s0], %[s0], %[w0]\n\t"
        "sxtab16 %[s1], %[s1], %[w0], ror #8\n\t"
        "ldr     %[w3], [%[p], %[ch4]]\n\t"
        "sxtab16 %[s2], %[s2], %[w1]\n\t"
        "sxtab16 %[s3], %[s3], %[w1], ror #8\n\t"
        "sxtab16 %[s0], %[s0], %[w2]\n\t"
        "sxtab16 %[s1], %[s1], %[w2], ror #8\n\t"
        "add     %[p], %[p], %[ch], lsl #1\n\t"
        "sxtab16 %[s2], %[s2], %[w3]\n\t"
        "sxtab16 %[s3], %[s3], %[w3], ror #8\n\t"
        "subs    %[n], %[n], #1\n\t"
        "bne     1b\n\t"
        : [p] "+r"(p), [n] "+r"(pairs), [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2),
          [s3] "+r"(s3), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)
        : [ch] "r"(ch), [ch4] "r"(ch + 4)
        : "cc", "memory");
    *q = p;
    *a0 = s0;
    *a1 = s1;
    *a2 = s2;
    *a3 = s3;
}
#endif

/*
 * The 16-bit lane sums of channels c .. c + 7 (base points at channel c) over `rows` runs of
 * `cols` positions, run r at base + r * row_step, positions `ch` bytes apart; at most
 * MCS_AVG_BLOCK positions in all. a[0] = (c0, c2), a[1] = (c1, c3), a[2] = (c4, c6),
 * a[3] = (c5, c7) as (low, high) halfwords.
 */
static inline void lanes8(const int8_t *base, int32_t rows, int32_t cols, int32_t row_step,
                          int32_t ch, int32_t *a)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t r;
    for (r = 0; r < rows; ++r) {
        const int8_t *q = base + r * row_step;
        int32_t n = cols;
#if defined(__OPTIMIZE__)
        if (n >= 2) {
            sum8_pairs(&q, n >> 1, ch, &a0, &a1, &a2, &a3);
            n &= 1;
        }
#endif
        for (; n > 0; --n) {
            const int32_t w0 = mcs_dsp_ld_s8x4(q);
            const int32_t w1 = mcs_dsp_ld_s8x4(q + 4);
            q += ch;
            a0 = mcs_dsp_sxtab16(a0, w0);
            a1 = mcs_dsp_sxtab16_ror8(a1, w0);
            a2 = mcs_dsp_sxtab16(a2, w1);
            a3 = mcs_dsp_sxtab16_ror8(a3, w1);
        }
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
}

/* The same for channels c .. c + 3: a[0] = (c0, c2), a[1] = (c1, c3). */
static inline void lanes4(const int8_t *base, int32_t rows, int32_t cols, int32_t row_step,
                          int32_t ch, int32_t *a)
{
    int32_t a0 = 0, a1 = 0;
    int32_t r, n;
    for (r = 0; r < rows; ++r) {
        const int8_t *q = base + r * row_step;
        for (n = cols; n > 0; --n) {
            const int32_t w0 = mcs_dsp_ld_s8x4(q);
            q += ch;
            a0 = mcs_dsp_sxtab16(a0, w0);
            a1 = mcs_dsp_sxtab16_ror8(a1, w0);
        }
    }
    a[0] = a0;
    a[1] = a1;
}

/*
 * s[0 .. 4 * groups - 1] = the int32 window sums of channels c .. c + 4 * groups - 1 (groups
 * 1 or 2) over `rows` runs of `cols` positions: lane sums over blocks of at most
 * MCS_AVG_BLOCK positions (whole runs when a run is shorter, else pieces of one), each block
 * widened into s. Not inlined: the rare path stays out of the hot function's registers.
 */
static void __attribute__((noinline)) window_sums(const int8_t *base, int32_t rows, int32_t cols,
                                                  int32_t row_step, int32_t ch, int32_t groups,
                                                  int32_t *s)
{
    const int32_t runs = (cols <= MCS_AVG_BLOCK) ? MCS_AVG_BLOCK / cols : 1;
    const int32_t piece = (cols <= MCS_AVG_BLOCK) ? cols : MCS_AVG_BLOCK;
    int32_t a[4];
    int32_t r, x, i;

    for (i = 0; i < 4 * groups; ++i) {
        s[i] = 0;
    }
    for (r = 0; r < rows; r += runs) {
        const int32_t nr = (rows - r < runs) ? rows - r : runs;
        for (x = 0; x < cols; x += piece) {
            const int32_t nc = (cols - x < piece) ? cols - x : piece;
            const int8_t *q = base + r * row_step + x * ch;
            if (groups == 2) {
                lanes8(q, nr, nc, row_step, ch, a);
            } else {
                lanes4(q, nr, nc, row_step, ch, a);
            }
            for (i = 0; i < 2 * groups; ++i) {
                /* lane pair i holds channels (i & 1) + 4 * (i >> 1) and the one 2 above */
                const int32_t c = (i & 1) + 4 * (i >> 1);
                s[c] += (int16_t)a[i];
                s[c + 2] += a[i] >> 16;
            }
        }
    }
}

/* Per output pixel: what turns a window sum into the output byte. */
typedef struct {
    int32_t zp_valid; /* zero_point * valid positions: sum(q) - zp_valid = sum(q - zp) */
    int32_t count, half, zp, act_min, act_max;
} avg_out_t;

/* The reference's output byte for the window sum `sum` of q (count > 0). */
static inline int8_t avg_out(int32_t sum, const avg_out_t *k)
{
    const int32_t acc = sum - k->zp_valid;
    /* C division truncates toward zero: +-half, then / rounds half away from zero */
    int32_t v = (acc + ((acc >= 0) ? k->half : -k->half)) / k->count + k->zp;
    v = (v < k->act_min) ? k->act_min : v;
    v = (v > k->act_max) ? k->act_max : v;
    return (int8_t)v;
}

void mcs_avgpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p)
{
    const int32_t ch = p->channels;
    const int32_t c4 = ch & ~3;
    const int32_t c8 = ch & ~7;
    const int32_t row_step = p->in_w * ch;
    avg_out_t k;
    int32_t n, oy, ox, c;

    k.zp = p->zero_point;
    k.act_min = p->act_min;
    k.act_max = p->act_max;
    for (n = 0; n < p->batch; ++n) {
        const int8_t *in_n = input + n * p->in_h * row_step;
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
                int8_t *out_px = output + ((n * p->out_h + oy) * p->out_w + ox) * ch;
                /* an empty side (hi < lo) is no position, as in the reference's loops */
                int32_t rows = (y_hi > y_lo) ? y_hi - y_lo : 0;
                int32_t cols = (x_hi > x_lo) ? x_hi - x_lo : 0;
                const int8_t *win = in_n + (y_lo * p->in_w + x_lo) * ch;

                k.count = p->count_include_pad ? (py_hi - py_lo) * (px_hi - px_lo)
                                               : (y_hi - y_lo) * (x_hi - x_lo);
                if (k.count <= 0) {
                    /* the reference's v = 0, plus the zero point, clamped */
                    int32_t v = (k.zp < k.act_min) ? k.act_min : k.zp;
                    v = (v > k.act_max) ? k.act_max : v;
                    memset(out_px, v, (size_t)ch);
                    continue;
                }
                k.half = k.count / 2;
                k.zp_valid = k.zp * rows * cols;
                if (rows == 0 || cols == 0) {
                    rows = cols = 0;
                    win = in_n;
                } else if (cols == p->in_w) {
                    /* whole input rows: the window is one run of positions */
                    cols *= rows;
                    rows = 1;
                }
                if (rows * cols <= MCS_AVG_BLOCK) {
                    int32_t a[4];
                    for (c = 0; c < c8; c += 8) {
                        int8_t *o = out_px + c;
                        lanes8(win + c, rows, cols, row_step, ch, a);
                        o[0] = avg_out((int16_t)a[0], &k);
                        o[2] = avg_out(a[0] >> 16, &k);
                        o[1] = avg_out((int16_t)a[1], &k);
                        o[3] = avg_out(a[1] >> 16, &k);
                        o[4] = avg_out((int16_t)a[2], &k);
                        o[6] = avg_out(a[2] >> 16, &k);
                        o[5] = avg_out((int16_t)a[3], &k);
                        o[7] = avg_out(a[3] >> 16, &k);
                    }
                    if (c < c4) {
                        int8_t *o = out_px + c;
                        lanes4(win + c, rows, cols, row_step, ch, a);
                        o[0] = avg_out((int16_t)a[0], &k);
                        o[2] = avg_out(a[0] >> 16, &k);
                        o[1] = avg_out((int16_t)a[1], &k);
                        o[3] = avg_out(a[1] >> 16, &k);
                        c += 4;
                    }
                } else {
                    int32_t s[8];
                    int32_t i;
                    c = 0;
                    while (c < c4) {
                        const int32_t groups = (c < c8) ? 2 : 1;
                        window_sums(win + c, rows, cols, row_step, ch, groups, s);
                        for (i = 0; i < 4 * groups; ++i) {
                            out_px[c + i] = avg_out(s[i], &k);
                        }
                        c += 4 * groups;
                    }
                }
                for (; c < ch; ++c) {
                    /* the channel tail (ch % 4), one value at a time */
                    const int8_t *q = win + c;
                    int32_t sum = 0;
                    int32_t y, x;
                    for (y = 0; y < rows; ++y) {
                        for (x = 0; x < cols; ++x) {
                            sum += q[y * row_step + x * ch];
                        }
                    }
                    out_px[c] = avg_out(sum, &k);
                }
            }
        }
    }
}
