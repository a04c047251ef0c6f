/* mcs_pointwise_s8.c - int8 1x1 convolution for Cortex-M DSP: each input pixel is already a
 * column. Paired weight rows (p->weights_paired): four pixels go to the interleaved int16
 * buffer (q15r4) and through the 4-pixel x 2-channel SMLAD kernel; plain rows: two pixels
 * (q15r2) through the 2x2 kernel. Bit-exact with kernels_c/reference/mcs_pointwise_s8.c; see
 * mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

/* Pixels per chunk of the weights-stationary path (pointwise_ws8 below): its columns take
 * 2k bytes each (k = 8 or 16: 1 or 2 KB of scratch, against 64 or 128 for a q15r4 set);
 * the channel set-up (about 40 cycles: weights, bias, table entry) is shared by the chunk's
 * pixels. */
#define MCS_PW8_CHUNK 64

/* int16 elements of the columns before the requantization table, paired rows: a q15r4 set,
 * or for k = 8 and 16 with plain paired rows (weights_paired 1) a chunk of single columns (on
 * every core, so that the size does not depend on the build:
 * mcusim.quant.scratch.pointwise_bytes). weights_paired 2 (a q15 weight cache asked for by
 * the compiler) keeps the q15r4 set: its scratch is sized for the four-pixel kernel. */
static int32_t pointwise_cols4(const mcs_conv2d_s8_params_t *p)
{
    const int32_t k = p->in_c;
    return (p->weights_paired == 1 && (k == 8 || k == 16)) ? k * MCS_PW8_CHUNK
                                                            : MCS_DSP_COLS4_INT16(k);
}

/* weights_paired 2 with whole groups of 4 input channels, on the cores whose four-column
 * assembly reads one: the q15 weight cache (mcs_dsp_pairs_q15), after the table. M33,
 * mcusim cycles, paired rows -> cache: 24x24x32 -> 32 872,917 -> 746,181; 12x12x64 -> 64
 * 735,165 -> 643,881; 6x6x128 -> 128 672,286 -> 621,610; 24x24x16 -> 32 524,243 (the
 * weights-stationary loop) -> 468,485. */
static int32_t pointwise_wq_bytes(const mcs_conv2d_s8_params_t *p)
{
    return (p->weights_paired == 2 && (p->in_c & 3) == 0) ? MCS_DSP_WQ_BYTES(p->out_c, p->in_c)
                                                         : 0;
}

int32_t mcs_pointwise_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    /* the columns (paired rows: pointwise_cols4) or a q15r2 pair, then the requantization
     * table, then the weight cache */
    const int32_t cols = p->weights_paired ? pointwise_cols4(p)
                                           : MCS_DSP_COLS2_INT16(p->in_c);
    return cols * (int32_t)sizeof(int16_t) + MCS_DSP_RQ_TABLE_BYTES(p->out_c) +
           pointwise_wq_bytes(p);
}

/* The input pixels of one batch item in output order (strides, ends of output rows). */
typedef struct {
    const int8_t *src; /* the current pixel */
    int32_t ox;        /* its output column */
    int32_t step_x;    /* to the next pixel in the row */
    int32_t row_skip;  /* and past the rest of the row, at its end */
} pointwise_walk_t;

static inline void walk_start(pointwise_walk_t *w, const int8_t *input, int32_t n,
                              const mcs_conv2d_s8_params_t *p)
{
    w->src = input + n * p->in_h * p->in_w * p->in_c;
    w->ox = 0;
    w->step_x = p->stride_w * p->in_c;
    w->row_skip = (p->stride_h * p->in_w - p->out_w * p->stride_w) * p->in_c;
}

static inline void walk_next(pointwise_walk_t *w, const mcs_conv2d_s8_params_t *p)
{
    w->src += w->step_x;
    if (++w->ox == p->out_w) {
        w->ox = 0;
        w->src += w->row_skip;
    }
}

/* A pixel alone (the last of a layer whose pixel count is 1 mod 4), paired weight rows: its
 * values as one q15r column at scratch, then mcs_dsp_mat_1col_paired. */
static void pointwise_1col(const int8_t *src, const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, const int32_t *rq,
                           int16_t *scratch, int8_t *out, const mcs_conv2d_s8_params_t *p)
{
    const int32_t c = p->in_c;
    const int32_t c4 = c & ~3;
    int32_t t;
    mcs_dsp_s8_to_q15rn(src, scratch, 0, c4, -p->input_zp, 1);
    for (t = c4; t < c; ++t) {
        scratch[t] = (int16_t)((int32_t)src[t] - p->input_zp);
    }
    mcs_dsp_mat_1col_paired(weights, bias, multiplier, shift, rq, scratch, c, p->out_c, out,
                            p->output_zp, p->act_min, p->act_max);
}

#if MCS_DSP_ASM_2X2
/*
 * ---- 8 or 16 input channels, weights stationary (Cortex-M33 / M4 single issue) ----
 *
 * With k = 8 the four-pixel kernel spends most of its time on its fixed cost per channel
 * pair (bias set-up, eight requantizations, the stores and their addresses: about 86 cycles
 * against 64 for the products), 23.2 cycles per output on the M33. Here a chunk of up to
 * MCS_PW8_CHUNK pixels is converted to q15r columns once (16 bytes each: value + input
 * offset, groups as x0 x2 / x1 x3 like mcs_dsp_s8_to_q15r), then each output channel holds
 * its four doubled weight words, its doubled bias and its table entry {m, e, r'} in
 * registers and streams the columns: per output 4 column loads, 4 SMLAD (the first with the
 * bias as accumulator), the requantization of MCS_DSP_4COL_ASM (SMMLAR of the doubled
 * accumulator, its sign folded into r'; the weights and bias are doubled, so the SMLADs
 * produce 2acc directly: SADD16 doubles each halfword, |2w| <= 256 fits int16, and
 * |2acc| < 2^31 as |acc| < 2^30, mcs_dsp_rq_small_ok), ASR e, SSAT 8 and one STRB:
 * mcusim, M33, 48x48x8 -> 16: 857,035 -> 611,634 cycles (16.6 per output).
 * k = 16 (pw16_channels): the eight weight words fill the registers, so bias and table entry
 * are reloaded per output from the frame; 24x24x16 -> 32: 558,300 -> 524,206 cycles (28.4
 * per output; the four-pixel kernel stays better below 64 pixels, measured at 16).
 */
/* One output of the channel loop: the pixel's first two column words are in x0/x1 (loaded
 * at least two instructions earlier), its last two are loaded here, then the next pixel's
 * first two (past the chunk's end for the last pixel: in the scratch, unused). No operand is
 * read before it is ready on the M33 (load 2, SMLAD/SMMLAR 2, shifted-operand ADD 2; an
 * SMMLAR's accumulator and a store's data are read one cycle late). */
#define MCS_PW8_PIXEL(dst)                                                                 \
    "smlad  %[a], %[x0], %[w0], %[bias]\n\t"                                               \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x1], %[w1], %[a]\n\t"                                                  \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x0], %[w2], %[a]\n\t"                                                  \
    "smlad  %[a], %[x1], %[w3], %[a]\n\t"                                                  \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    MCS_DSP_RQ_SIGN("x1", "r", "a")                 /* r' - (acc < 0) */                   \
    "smmlar %[a], %[a], %[m], " MCS_DSP_RQ_RA("x1", "r") "\n\t"                             \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "asr    %[a], %[a], %[e]\n\t"                                                          \
    "ssat   %[a], #8, %[a]\n\t"                                                            \
    "strb   %[a], " dst "\n\t"

/* The doubled halves of weight words: SXTB16 (and ROR #8), then SADD16 (|2w| <= 256). */
#define MCS_PW8_WEIGHTS                                                                    \
    "sxtb16 %[w1], %[w0], ror #8\n\t"                                                      \
    "sxtb16 %[w0], %[w0]\n\t"                                                              \
    "sxtb16 %[w3], %[w2], ror #8\n\t"                                                      \
    "sxtb16 %[w2], %[w2]\n\t"                                                              \
    "sadd16 %[w0], %[w0], %[w0]\n\t"                                                       \
    "sadd16 %[w1], %[w1], %[w1]\n\t"                                                       \
    "sadd16 %[w2], %[w2], %[w2]\n\t"                                                       \
    "sadd16 %[w3], %[w3], %[w3]\n\t"

/*
 * `channels` output channels of n >= 1 pixels in one asm statement (14 registers; the rest
 * in the frame). Per channel: its two weight words at wpos and wpos + gap (8 in paired rows,
 * 4 in a plain row), then wpos += step, step ^= 8 (4, 12, 4, ...: the next row of the pair,
 * then the next pair); bias and table entry from their running pointers; out = outp, and
 * outp + 1 for the next channel. Columns at cols (16 bytes per pixel); outputs out,
 * out + stride, ...: eight per iteration, entered at the pixel that leaves a multiple of
 * eight (outp starts one stride early when n is odd, so that the stores land right).
 * mcusim, M33: 14.5 cycles per output in the loop with four per iteration (4 x 13
 * instructions, 2 pointer adds, the end test, the branch), 13.5 with the ReLU
 * requantization, 13 with eight; about 40 per channel around it (against about 100 for a C
 * call per channel).
 */
static __attribute__((noinline)) void
pw8_channels(const int16_t *cols, int32_t n, int8_t *outp, int32_t channels, int32_t stride,
             const int8_t *wpos, int32_t gap, const int32_t *bias, const int32_t *rq)
{
    struct {
        const int8_t *wpos;
        int32_t step, gap;
        const int32_t *bpos, *rqpos;
        int8_t *outp, *oend;
        const int16_t *cols;
        const int16_t *cend; /* the column pointer after the last pixel's next loads */
        int32_t rem;         /* n % 8 */
    } st;
    int32_t w0, w1, w2, w3, b, m, e, r, a, x0, x1;
    const int16_t *c;
    int8_t *out;
    st.wpos = wpos;
    st.step = 4;
    st.gap = gap;
    st.bpos = bias;
    st.rqpos = rq;
    st.outp = (int8_t *)((uintptr_t)outp - (uint32_t)((n & 1) ? stride : 0));
    st.oend = st.outp + channels;
    st.cols = cols;
    st.cend = cols + 8 * n + 4;
    st.rem = n & 7;
    __asm__ volatile(
        "0:\n\t"
        "ldr    %[x0], %[wpos]\n\t"
        "ldr    %[x1], %[gap]\n\t"
        "ldr    %[a], %[step]\n\t"
        "ldr    %[w0], [%[x0]]\n\t"
        "ldr    %[w2], [%[x0], %[x1]]\n\t"
        "add    %[x0], %[x0], %[a]\n\t"
        "eor    %[a], %[a], #8\n\t"
        "str    %[x0], %[wpos]\n\t"
        "str    %[a], %[step]\n\t"
        "ldr    %[x0], %[bpos]\n\t"
        "ldr    %[x1], %[rqpos]\n\t"
        MCS_PW8_WEIGHTS
        "ldr    %[bias], [%[x0]], #4\n\t"
        "ldr    %[m], [%[x1]], #4\n\t"
        "ldr    %[e], [%[x1]], #4\n\t"
        "ldr    %[r], [%[x1]], #4\n\t"
        "str    %[x0], %[bpos]\n\t"
        "str    %[x1], %[rqpos]\n\t"
        "ldr    %[out], %[outp]\n\t"
        "ldr    %[c], %[cols]\n\t"
        "lsl    %[bias], %[bias], #1\n\t"
        "add    %[x0], %[out], #1\n\t"
        "ldr    %[a], %[rem]\n\t"
        "str    %[x0], %[outp]\n\t"
        "ldr    %[x0], [%[c]], #4\n\t"
        "ldr    %[x1], [%[c]], #4\n\t"
        /* n % 8 = rem: enter at pixel (8 - rem) % 8 of the eight */
        "cmp    %[a], #4\n\t"
        "bhi    18f\n\t"
        "beq    14f\n\t"
        "cmp    %[a], #2\n\t"
        "beq    12f\n\t"
        "bhi    13f\n\t"
        "cmp    %[a], #1\n\t"
        "beq    11f\n\t"
        "b      3f\n\t"
        "18:\n\t"
        "cmp    %[a], #6\n\t"
        "beq    16f\n\t"
        "bhi    17f\n\t"
        "b      15f\n\t"
        "3:\n\t"
        MCS_PW8_PIXEL("[%[out]]")
        "17:\n\t"
        MCS_PW8_PIXEL("[%[out], %[stride]]")
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "16:\n\t"
        MCS_PW8_PIXEL("[%[out]]")
        "15:\n\t"
        MCS_PW8_PIXEL("[%[out], %[stride]]")
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "14:\n\t"
        MCS_PW8_PIXEL("[%[out]]")
        "13:\n\t"
        MCS_PW8_PIXEL("[%[out], %[stride]]")
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "12:\n\t"
        MCS_PW8_PIXEL("[%[out]]")
        "11:\n\t"
        MCS_PW8_PIXEL("[%[out], %[stride]]")
        "ldr    %[a], %[cend]\n\t"
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "cmp    %[c], %[a]\n\t"
        "bne    3b\n\t"
        "ldr    %[x0], %[outp]\n\t"
        "ldr    %[x1], %[oend]\n\t"
        "cmp    %[x0], %[x1]\n\t"
        "bne    0b\n\t"
        : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [bias] "=&r"(b),
          [m] "=&r"(m), [e] "=&r"(e), [r] "=&r"(r), [a] "=&r"(a), [x0] "=&r"(x0),
          [x1] "=&r"(x1), [c] "=&r"(c), [out] "=&r"(out), [wpos] "+m"(st.wpos),
          [step] "+m"(st.step), [bpos] "+m"(st.bpos), [rqpos] "+m"(st.rqpos),
          [outp] "+m"(st.outp)
        : [stride] "r"(stride), [gap] "m"(st.gap), [oend] "m"(st.oend), [cols] "m"(st.cols),
          [cend] "m"(st.cend), [rem] "m"(st.rem)
        : "cc", "memory");
    (void)w0; (void)w1; (void)w2; (void)w3; (void)b; (void)m; (void)e; (void)r; (void)a;
    (void)x0; (void)x1; (void)c; (void)out;
}

/* The end of MCS_PW16_PIXEL: r' and m into the column registers around the last SMLAD,
 * then SMMLAR; with the sign term r' first (the ADD reads it), without it m first (an
 * SMMLAR's accumulator is read one cycle late: no stall either way). */
#if MCS_DSP_RQ_RELU
#define MCS_PW16_RQ                                                                        \
    "ldr    %[x0], %[m]\n\t"                                                               \
    "smlad  %[a], %[x1], %[w7], %[a]\n\t"                                                  \
    "ldr    %[x1], %[r]\n\t"                                                               \
    "smmlar %[a], %[a], %[x0], %[x1]\n\t"
#else
#define MCS_PW16_RQ                                                                        \
    "ldr    %[x0], %[r]\n\t"                                                               \
    "smlad  %[a], %[x1], %[w7], %[a]\n\t"                                                  \
    "ldr    %[x1], %[m]\n\t"                                                               \
    "add    %[x0], %[x0], %[a], asr #31\n\t"  /* r' - (acc < 0) */                         \
    "smmlar %[a], %[a], %[x1], %[x0]\n\t"
#endif

/* One output over 16 values: eight weight words in registers; the doubled bias, m, r' and e
 * from the frame (a load as a MAC's accumulator is read one cycle late: no stall). */
#define MCS_PW16_PIXEL(dst)                                                                \
    "ldr    %[a], %[b2]\n\t"                                                               \
    "smlad  %[a], %[x0], %[w0], %[a]\n\t"                                                  \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x1], %[w1], %[a]\n\t"                                                  \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x0], %[w2], %[a]\n\t"                                                  \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x1], %[w3], %[a]\n\t"                                                  \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x0], %[w4], %[a]\n\t"                                                  \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x1], %[w5], %[a]\n\t"                                                  \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "smlad  %[a], %[x0], %[w6], %[a]\n\t"                                                  \
    MCS_PW16_RQ                                                                        \
    "ldr    %[x1], %[e]\n\t"                                                               \
    "ldr    %[x0], [%[c]], #4\n\t"                                                         \
    "asr    %[a], %[a], %[x1]\n\t"                                                         \
    "ssat   %[a], #8, %[a]\n\t"                                                            \
    "ldr    %[x1], [%[c]], #4\n\t"                                                         \
    "strb   %[a], " dst "\n\t"

/*
 * pw8_channels for k = 16: the eight doubled weight words of a channel in registers (words
 * at wpos + {0, 8, 16, 24}, paired rows only: gap unused, the caller gives an odd last row
 * in that layout; wpos += step, step ^= 24: 4, 28, 4, ...), its doubled bias
 * and table entry copied to the frame and reloaded per output. Columns 32 bytes per pixel.
 * mcusim, M33: 25.5 cycles per output in the loop (24 instructions, no stall).
 */
static __attribute__((noinline)) void
pw16_channels(const int16_t *cols, int32_t n, int8_t *outp, int32_t channels, int32_t stride,
              const int8_t *wpos, int32_t gap, const int32_t *bias, const int32_t *rq)
{
    struct {
        const int8_t *wpos;
        int32_t step;
        const int32_t *bpos, *rqpos;
        int8_t *outp, *oend;
        const int16_t *cols;
        const int16_t *cend;
        int32_t rem;
        int32_t b2, m, e, r; /* the current channel's */
    } st;
    int32_t w0, w1, w2, w3, w4, w5, w6, w7, a, x0, x1;
    const int16_t *c;
    int8_t *out;
    (void)gap;
    st.wpos = wpos;
    st.step = 4;
    st.bpos = bias;
    st.rqpos = rq;
    st.outp = (int8_t *)((uintptr_t)outp - (uint32_t)((n & 1) ? stride : 0));
    st.oend = st.outp + channels;
    st.cols = cols;
    st.cend = cols + 16 * n + 4;
    st.rem = n & 3;
    __asm__ volatile(
        "0:\n\t"
        "ldr    %[x0], %[wpos]\n\t"
        "ldr    %[a], %[step]\n\t"
        "ldr    %[w0], [%[x0]]\n\t"
        "ldr    %[w2], [%[x0], #8]\n\t"
        "ldr    %[w4], [%[x0], #16]\n\t"
        "ldr    %[w6], [%[x0], #24]\n\t"
        "add    %[x0], %[x0], %[a]\n\t"
        "eor    %[a], %[a], #24\n\t"
        "str    %[x0], %[wpos]\n\t"
        "str    %[a], %[step]\n\t"
        "sxtb16 %[w1], %[w0], ror #8\n\t"
        "sxtb16 %[w0], %[w0]\n\t"
        "sxtb16 %[w3], %[w2], ror #8\n\t"
        "sxtb16 %[w2], %[w2]\n\t"
        "sxtb16 %[w5], %[w4], ror #8\n\t"
        "sxtb16 %[w4], %[w4]\n\t"
        "sxtb16 %[w7], %[w6], ror #8\n\t"
        "sxtb16 %[w6], %[w6]\n\t"
        "sadd16 %[w0], %[w0], %[w0]\n\t"
        "sadd16 %[w1], %[w1], %[w1]\n\t"
        "sadd16 %[w2], %[w2], %[w2]\n\t"
        "sadd16 %[w3], %[w3], %[w3]\n\t"
        "sadd16 %[w4], %[w4], %[w4]\n\t"
        "sadd16 %[w5], %[w5], %[w5]\n\t"
        "sadd16 %[w6], %[w6], %[w6]\n\t"
        "sadd16 %[w7], %[w7], %[w7]\n\t"
        "ldr    %[x0], %[bpos]\n\t"
        "ldr    %[x1], %[rqpos]\n\t"
        "ldr    %[a], [%[x0]], #4\n\t"
        "ldr    %[c], [%[x1]], #4\n\t"
        "str    %[x0], %[bpos]\n\t"
        "lsl    %[a], %[a], #1\n\t"
        "str    %[c], %[m]\n\t"
        "str    %[a], %[b2]\n\t"
        "ldr    %[a], [%[x1]], #4\n\t"
        "ldr    %[c], [%[x1]], #4\n\t"
        "str    %[x1], %[rqpos]\n\t"
        "str    %[a], %[e]\n\t"
        "str    %[c], %[r]\n\t"
        "ldr    %[out], %[outp]\n\t"
        "ldr    %[c], %[cols]\n\t"
        "ldr    %[a], %[rem]\n\t"
        "add    %[x0], %[out], #1\n\t"
        "str    %[x0], %[outp]\n\t"
        "ldr    %[x0], [%[c]], #4\n\t"
        "ldr    %[x1], [%[c]], #4\n\t"
        "cmp    %[a], #2\n\t"
        "beq    12f\n\t"
        "bhi    13f\n\t"
        "cmp    %[a], #1\n\t"
        "beq    11f\n\t"
        "3:\n\t"
        MCS_PW16_PIXEL("[%[out]]")
        "13:\n\t"
        MCS_PW16_PIXEL("[%[out], %[stride]]")
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "12:\n\t"
        MCS_PW16_PIXEL("[%[out]]")
        "11:\n\t"
        MCS_PW16_PIXEL("[%[out], %[stride]]")
        "ldr    %[a], %[cend]\n\t"
        "add    %[out], %[out], %[stride], lsl #1\n\t"
        "cmp    %[c], %[a]\n\t"
        "bne    3b\n\t"
        "ldr    %[x0], %[outp]\n\t"
        "ldr    %[x1], %[oend]\n\t"
        "cmp    %[x0], %[x1]\n\t"
        "bne    0b\n\t"
        : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [w4] "=&r"(w4),
          [w5] "=&r"(w5), [w6] "=&r"(w6), [w7] "=&r"(w7), [a] "=&r"(a), [x0] "=&r"(x0),
          [x1] "=&r"(x1), [c] "=&r"(c), [out] "=&r"(out), [wpos] "+m"(st.wpos),
          [rqpos] "+m"(st.rqpos), [outp] "+m"(st.outp), [b2] "=m"(st.b2), [m] "=m"(st.m),
          [e] "=m"(st.e), [r] "=m"(st.r)
          /* step and bpos are updated too, as inputs: GCC's limit is 30 operands, a "+m"
           * counts twice; nothing reads them after the statement ("memory" clobber) */
        : [stride] "r"(stride), [oend] "m"(st.oend), [cols] "m"(st.cols),
          [cend] "m"(st.cend), [rem] "m"(st.rem), [step] "m"(st.step), [bpos] "m"(st.bpos)
        : "cc", "memory");
    (void)w0; (void)w1; (void)w2; (void)w3; (void)w4; (void)w5; (void)w6; (void)w7; (void)a;
    (void)x0; (void)x1; (void)c; (void)out;
}

/* Eight int8 values + off (off2: in both halves) -> a q15r column (x0 x2 x1 x3 per group). */
static inline __attribute__((always_inline)) void pw_col8(const int8_t *src, int16_t *dst,
                                                          int32_t off2)
{
    const int32_t v0 = mcs_dsp_ld_s8x4(src);
    const int32_t v1 = mcs_dsp_ld_s8x4(src + 4);
    mcs_dsp_st_s16x2(dst, mcs_dsp_sxtab16(off2, v0));
    mcs_dsp_st_s16x2(dst + 2, mcs_dsp_sxtab16_ror8(off2, v0));
    mcs_dsp_st_s16x2(dst + 4, mcs_dsp_sxtab16(off2, v1));
    mcs_dsp_st_s16x2(dst + 6, mcs_dsp_sxtab16_ror8(off2, v1));
}

/* n contiguous groups of 8 values (the pixels of a chunk at stride 1): pw_col8 without the
 * pixel walk, two per iteration (mcusim, M33, 48x48x8 -> 16: 19 -> 12 cycles per pixel). */
static void pw_cols8(const int8_t *src, int16_t *dst, int32_t n, int32_t off2)
{
    const int8_t *const end = src + 8 * n;
    if (n & 1) {
        pw_col8(src, dst, off2);
        src += 8;
        dst += 8;
    }
    while (src != end) {
        pw_col8(src, dst, off2);
        pw_col8(src + 8, dst + 8, off2);
        src += 16;
        dst += 16;
    }
}

/* Paired weight rows, k = 8 or 16, bias, table built, no clamp beyond int8: see above. The
 * odd last channel's row is plain (its words 4 bytes apart, a pair's 8): copied to the
 * paired layout in the frame. */
static void pointwise_ws8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                          const int32_t *rq, int16_t *scratch, int8_t *output,
                          const mcs_conv2d_s8_params_t *p)
{
    const int32_t off = -p->input_zp;
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    const int32_t k = p->in_c;
    void (*const chan)(const int16_t *, int32_t, int8_t *, int32_t, int32_t, const int8_t *,
                       int32_t, const int32_t *, const int32_t *) =
        (k == 8) ? pw8_channels : pw16_channels;
    int32_t n, px, j, g, o;

    for (n = 0; n < p->batch; ++n) {
        int8_t *out_n = output + n * pixels * out_c;
        pointwise_walk_t w;
        walk_start(&w, input, n, p);
        for (px = 0; px < pixels; px += MCS_PW8_CHUNK) {
            const int32_t cnt = (pixels - px < MCS_PW8_CHUNK) ? pixels - px : MCS_PW8_CHUNK;
            int16_t *dst = scratch;
            /* one straight loop per k (a group loop: 18 -> 43 cycles per pixel for k = 8) */
            if (w.step_x == k && w.row_skip == 0) { /* stride 1: contiguous pixels */
                pw_cols8(w.src, dst, cnt * (k >> 3), off2);
                w.src += cnt * k;
            } else if (k == 8) {
                for (j = 0; j < cnt; ++j) {
                    pw_col8(w.src, dst, off2);
                    dst += 8;
                    walk_next(&w, p);
                }
            } else {
                for (j = 0; j < cnt; ++j) {
                    pw_col8(w.src, dst, off2);
                    pw_col8(w.src + 8, dst + 8, off2);
                    dst += 16;
                    walk_next(&w, p);
                }
            }
            if (out_c >= 2) { /* the pairs' rows: words 8 bytes apart */
                chan(scratch, cnt, out_n + px * out_c, out_c & ~1, out_c, weights, 8, bias, rq);
            }
            if (out_c & 1) { /* the odd last row, plain: its words to the paired layout */
                int32_t row[8];
                o = out_c - 1;
                for (g = 0; g < k; g += 4) {
                    row[g >> 1] = mcs_dsp_ld_s8x4(weights + k * o + g);
                }
                chan(scratch, cnt, out_n + px * out_c + o, 1, out_c,
                     (const int8_t *)(const void *)row, 8, bias + o, rq + 3 * o);
            }
        }
    }
}
#endif

#if MCS_DSP_ASM_2X2
/* The pixels of a batch item (of `pixels`) that the M4/M33 give to passes of three
 * (mcs_dsp_mat_3col: 24 cycles per group of 4 values and channel pair, against 32 for a pass
 * of four, 28 over the q15 cache), so that no pass of four repeats a pixel: 3 when
 * pixels % 4 == 3; 6 when 2 (two passes of three in place of a pass of four and one of four
 * with two repeats), or 2 below 6 (one pass, a column repeated); 9 when 1, instead of two
 * passes of four and a lone pixel (mcs_dsp_1col_quad: 11 cycles per group and pair), except
 * over the cache and below 9; 0 otherwise. mcusim, M33, cycles, four-pixel passes only ->
 * with passes of three: 3x3 pixels, 256 -> 256 channels 665,280 -> 630,206; 128 -> 256
 * 350,624 -> 330,398; 125 pixels, 64 -> 64 625,466 -> 620,603; 7 pixels 41,419 -> 36,453;
 * 6 pixels 41,410 -> 31,512. Against the alternatives (64 -> 64): 5 pixels as 3 + 2 31,561,
 * as 4 + a lone pixel 29,825; over the q15 cache, 13 pixels as 9 + 4 71,350, as 8 + 4 + a
 * lone pixel 69,637; 10 pixels as 6 + 4 56,473, as 8 + 2 (a pass of three) 58,966, as 12
 * with two repeats 61,451; 7 pixels 41,581 against 44,076. */
static int32_t pointwise_tri(int32_t pixels, int32_t cached)
{
    switch (pixels & 3) {
    case 3:
        return 3;
    case 2:
        return (pixels >= 6) ? 6 : 2;
    case 1:
        return (pixels >= 9 && !cached) ? 9 : 0;
    default:
        return 0;
    }
}

/* The walk of batch item n from its pixel px on. */
static inline void walk_seek(pointwise_walk_t *w, const int8_t *input, int32_t n, int32_t px,
                             const mcs_conv2d_s8_params_t *p)
{
    walk_start(w, input, n, p);
    w->ox = px % p->out_w;
    w->src += (px / p->out_w) * (p->stride_h * p->in_w * p->in_c) + w->ox * w->step_x;
}

/* Paired weight rows on the M4/M33 when pointwise_tri gives passes of three: per batch item,
 * the first `tri` pixels in passes of three (the last of two: its second pixel again in the
 * third column); pointwise_passes does the others. Apart from the four-pixel loop and not
 * inlined: with the passes of three in that loop, GCC's registers changed over the whole
 * function (VWW on the M33: 1,522 to 1,946 cycles more in the 24x24x16 -> 32 layer, 287 to
 * 316 in each 6x6x128 one, in three arrangements; 30 more per layer here). */
static __attribute__((noinline)) void
pointwise_43col(const int8_t *input, const int8_t *weights, const int32_t *bias,
                const int32_t *rq, int16_t *scratch, int8_t *output, int32_t tri,
                const mcs_conv2d_s8_params_t *p)
{
    const int32_t c = p->in_c;
    const int32_t out_c = p->out_c;
    const int32_t pixels = p->out_h * p->out_w;
    int32_t n, px;

    for (n = 0; n < p->batch; ++n) {
        int8_t *out_n = output + n * pixels * out_c;
        pointwise_walk_t w;
        walk_start(&w, input, n, p);
        for (px = 0; px < tri; px += 3) {
            const int32_t d[3] = {0, out_c, (tri - px >= 3) ? 2 * out_c : out_c};
            const int8_t *s0 = w.src, *s1, *s2;
            walk_next(&w, p);
            s1 = w.src;
            s2 = s1;
            walk_next(&w, p);
            if (d[2] != d[1]) {
                s2 = w.src;
                walk_next(&w, p);
            }
            mcs_dsp_tri_to_q15r3(s0, s1, s2, scratch, c, -p->input_zp);
            mcs_dsp_mat_3col(weights, bias, rq, scratch, c, out_c, out_n + px * out_c, d,
                             p->act_min, p->act_max);
        }
    }
}

/*
 * Paired weight rows on the M4/M33 (pointwise_4col there): the table, the q15 cache, the
 * weights-stationary loop for k = 8 and 16, the passes of three (pointwise_43col), then the
 * other pixels of every batch item in passes of four, the last of two or three with its
 * last pixel repeated (the outputs of a repeated column go over the same bytes), a last one
 * alone through pointwise_1col. With the assembly's conditions (mcs_dsp_3col_ok) its state
 * is built once (mcs_dsp_4col_init): per pass only the conversion (mcs_dsp_quad_to_q15r4_g),
 * the outputs' address and the run; otherwise mcs_dsp_mat_4col's C per channel pair. Evenly
 * spaced pixels (no skip at the ends of rows: stride 1, or a stride over whole rows) take
 * their four addresses from the first without the walk. mcusim, M33, VWW against a call of
 * mcs_dsp_mat_4col per pass: 24x24x16 -> 32 463,827 -> 437,824 cycles (about 180 fewer per
 * pass), 24x24x32 -> 32 736,690 -> 709,247, 12x12x64 -> 64 627,530 -> 620,121, 6x6x128 ->
 * 128 601,474 -> 599,424. Not inlined (one copy of the assembly: mcs_dsp_mat_4col's is not
 * reached here), and the table built here: in mcs_pointwise_s8, with this function's calls
 * after it, GCC's table loop took 3 to 4 more cycles per channel.
 */
static __attribute__((noinline)) void
pointwise_passes(const int8_t *input, const int8_t *weights, const int32_t *bias,
                 const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                 int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t c = p->in_c;
    const int32_t out_c = p->out_c;
    const int32_t pixels = p->out_h * p->out_w;
    int32_t *rq = (int32_t *)(void *)(scratch + pointwise_cols4(p));
    int32_t *wq = (pointwise_wq_bytes(p) != 0) ? rq + 3 * out_c : 0;
    const int32_t wq_dbl = mcs_dsp_wq_dbl(p->batch * pixels, c);
    const int32_t full[4] = {0, out_c, 2 * out_c, 3 * out_c};
    const int32_t off = -p->input_zp;
    const int32_t off2 = (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
    mcs_dsp_4col_t st;
    int32_t from, quads, rem, run, n, q, o;

    if (!mcs_dsp_rq_table_act(rq, multiplier, shift, bias, out_c, c, p->output_zp, p->act_min)) {
        rq = 0;
    }
    if (wq != 0 && rq != 0 && bias != 0) {
        mcs_dsp_pairs_q15(weights, bias, rq, wq, c, out_c >> 1, wq_dbl);
    } else {
        wq = 0;
    }
    /* k = 8 from 8 pixels on (4 pixels, 32 channels: 4,313 cycles against 3,626 for the
     * four-pixel kernel; 9 pixels, 16 channels: 3,690 against 4,487); k = 16 from 64 (16
     * pixels, 32 channels: 16,882 against 16,212; 24 x 24 pixels: 524,206 against 558,300) */
    if (pointwise_cols4(p) != MCS_DSP_COLS4_INT16(c) && bias != 0 && rq != 0 &&
        p->act_min == -128 && p->act_max == 127 && pixels >= ((c == 8) ? 8 : 64)) {
        pointwise_ws8(input, weights, bias, rq, scratch, output, p);
        return;
    }
    run = mcs_dsp_3col_ok(bias, rq, c, out_c);
    from = run ? pointwise_tri(pixels, wq != 0) : 0;
    if (from != 0) {
        pointwise_43col(input, weights, bias, rq, scratch, output, from, p);
    }
    quads = (pixels - from) >> 2;
    rem = (pixels - from) & 3;
    mcs_dsp_4col_init(&st, weights, wq, wq_dbl, bias, rq, scratch, c, out_c, full,
                      p->act_min, p->act_max);
    for (n = 0; n < p->batch; ++n) {
        int8_t *out = output + (n * pixels + from) * out_c;
        pointwise_walk_t w;
        walk_seek(&w, input, n, from, p);
        for (q = quads; q > 0; --q) {
            const int8_t *s0 = w.src, *s1, *s2, *s3;
            if (w.row_skip == 0) {
                s1 = s0 + w.step_x;
                s2 = s1 + w.step_x;
                s3 = s2 + w.step_x;
                w.src = s3 + w.step_x;
            } else {
                walk_next(&w, p);
                s1 = w.src;
                walk_next(&w, p);
                s2 = w.src;
                walk_next(&w, p);
                s3 = w.src;
                walk_next(&w, p);
            }
            if (run) {
                mcs_dsp_quad_to_q15r4_g(s0, s1, s2, s3, scratch, c, off2);
                mcs_dsp_4col_run(&st, out);
                if (out_c & 1) { /* the odd last row, plain */
                    mcs_dsp_ncol_odd(weights + (out_c - 1) * c, out_c - 1, bias, rq, scratch,
                                     c, 4, out, full, p->act_min, p->act_max);
                }
            } else { /* (mcs_dsp_mat_4col) */
                mcs_dsp_quad_to_q15r4(s0, s1, s2, s3, scratch, c, off);
                for (o = 0; o < out_c; o += 2) {
                    mcs_dsp_4col_c(weights + o * c, (o + 1 < out_c) ? 2 : 1, o, bias,
                                   multiplier, shift, rq, scratch, c, out, full, p->output_zp,
                                   p->act_min, p->act_max);
                }
            }
            out += 4 * out_c;
        }
        if (rem == 1) { /* a last pixel alone: one column, not four copies */
            pointwise_1col(w.src, weights, bias, multiplier, shift, rq, scratch, out, p);
        } else if (rem != 0) {
            /* a last pass of two or three (not with the assembly: pointwise_tri), its last
             * pixel again in the unused columns */
            const int32_t part[4] = {0, out_c, (rem > 2) ? 2 * out_c : out_c,
                                     (rem - 1) * out_c};
            const int8_t *s0 = w.src, *s1, *s2;
            walk_next(&w, p);
            s1 = w.src;
            s2 = s1;
            if (rem > 2) {
                walk_next(&w, p);
                s2 = w.src;
            }
            mcs_dsp_quad_to_q15r4(s0, s1, s2, s2, scratch, c, off);
            for (o = 0; o < out_c; o += 2) {
                mcs_dsp_4col_c(weights + o * c, (o + 1 < out_c) ? 2 : 1, o, bias, multiplier,
                               shift, rq, scratch, c, out, part, p->output_zp, p->act_min,
                               p->act_max);
            }
        }
    }
}
#endif

/* Paired weight rows: four pixels per pass; the last pass repeats its last pixel in the
 * unused columns and stores them over it (the same values). On the M4/M33 pointwise_passes
 * (with passes of three for pixel counts that are not multiples of 4). */
static void pointwise_4col(const int8_t *input, const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                           int8_t *output, const mcs_conv2d_s8_params_t *p)
{
#if MCS_DSP_ASM_2X2
    pointwise_passes(input, weights, bias, multiplier, shift, scratch, output, p);
#else
    const int32_t c = p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    int32_t *rq = (int32_t *)(void *)(scratch + pointwise_cols4(p));
    int32_t *wq = (pointwise_wq_bytes(p) != 0) ? rq + 3 * p->out_c : 0;
    const int32_t wq_dbl = mcs_dsp_wq_dbl(p->batch * pixels, c);
    const int32_t full[4] = {0, p->out_c, 2 * p->out_c, 3 * p->out_c};
    int32_t n, px, j;

    if (!mcs_dsp_rq_table_act(rq, multiplier, shift, bias, p->out_c, c, p->output_zp,
                              p->act_min)) {
        rq = 0;
    }
    if (wq != 0 && rq != 0 && bias != 0) {
        mcs_dsp_pairs_q15(weights, bias, rq, wq, c, p->out_c >> 1, wq_dbl);
    } else {
        wq = 0;
    }
#if MCS_DSP_ASM_2X2
    /* k = 8 from 8 pixels on (4 pixels, 32 channels: 4,313 cycles against 3,626 for the
     * four-pixel kernel; 9 pixels, 16 channels: 3,690 against 4,487); k = 16 from 64 (16
     * pixels, 32 channels: 16,882 against 16,212; 24 x 24 pixels: 524,206 against 558,300) */
    if (pointwise_cols4(p) != MCS_DSP_COLS4_INT16(c) && bias != 0 && rq != 0 &&
        p->act_min == -128 && p->act_max == 127 && p->out_h * p->out_w >= ((c == 8) ? 8 : 64)) {
        pointwise_ws8(input, weights, bias, rq, scratch, output, p);
        return;
    }
    if (mcs_dsp_3col_ok(bias, rq, c, p->out_c) && pointwise_tri(pixels, wq != 0) != 0) {
        pointwise_43col(input, weights, wq, wq_dbl, bias, rq, scratch, output,
                        pointwise_tri(pixels, wq != 0), p);
        return;
    }
#endif
    for (n = 0; n < p->batch; ++n) {
        int8_t *out_n = output + n * pixels * p->out_c;
        pointwise_walk_t w;
        walk_start(&w, input, n, p);
        for (px = 0; px < pixels; px += 4) {
            const int32_t valid = (pixels - px < 4) ? pixels - px : 4;
            const int32_t *d = full;
            const int8_t *src[4];
            int32_t part[4];
            if (valid == 1) { /* a last pixel alone: one column, not four copies */
                pointwise_1col(w.src, weights, bias, multiplier, shift, rq, scratch,
                               out_n + px * p->out_c, p);
                break;
            }
            for (j = 0; j < valid; ++j) {
                src[j] = w.src;
                walk_next(&w, p);
            }
            if (valid < 4) { /* the last pass: its last pixel again in the unused columns */
                for (j = 0; j < 4; ++j) {
                    const int32_t from = (j < valid) ? j : valid - 1;
                    src[j] = src[from];
                    part[j] = from * p->out_c;
                }
                d = part;
            }
            mcs_dsp_quad_to_q15r4(src[0], src[1], src[2], src[3], scratch, c, -p->input_zp);
            mcs_dsp_mat_4col(weights, wq, wq_dbl, bias, multiplier, shift, rq, scratch, c,
                             p->out_c, out_n + px * p->out_c, d, p->output_zp, p->act_min,
                             p->act_max);
        }
    }
#endif
}

void mcs_pointwise_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                      int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t c = p->in_c;
    const int32_t off = -p->input_zp;
    const int32_t pixels = p->out_h * p->out_w;
    int32_t *rq = (int32_t *)(void *)(scratch + MCS_DSP_COLS2_INT16(c));
    int32_t fast = 2; /* a built table implies mcs_dsp_rq_small_ok */
    int32_t n, px;

    if (p->weights_paired) {
        pointwise_4col(input, weights, bias, multiplier, shift, scratch, output, p);
        return;
    }
    if (!mcs_dsp_rq_table_act(rq, multiplier, shift, bias, p->out_c, c, p->output_zp,
                              p->act_min)) {
        rq = 0;
        fast = mcs_dsp_rq_level(shift, bias, p->out_c, c);
    }

    for (n = 0; n < p->batch; ++n) {
        int8_t *out_n = output + n * pixels * p->out_c;
        pointwise_walk_t w;
        walk_start(&w, input, n, p);
        for (px = 0; px < pixels; px += 2) {
            int8_t *out1 = 0;
            if (px + 1 < pixels) {
                mcs_dsp_vec_to_q15r2(w.src, scratch, 0, c, off);
                walk_next(&w, p);
                mcs_dsp_vec_to_q15r2(w.src, scratch, 1, c, off);
                out1 = out_n + (px + 1) * p->out_c;
            } else { /* the last pixel alone: column 1 zero (unused) */
                memset(scratch, 0, (size_t)MCS_DSP_COLS2_INT16(c) * sizeof(int16_t));
                mcs_dsp_vec_to_q15r2(w.src, scratch, 0, c, off);
            }
            walk_next(&w, p);
            mcs_dsp_mat_2col(weights, bias, multiplier, shift, scratch, c, p->out_c,
                             out_n + px * p->out_c, out1, p->output_zp, p->act_min,
                             p->act_max, fast, rq);
        }
    }
}
