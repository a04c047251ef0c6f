/* mcs_pointwise_s8.c - int8 1x1 convolution for Cortex-M DSP: each input pixel is already a
 * column. Paired weight rows (p->weights_paired): four pixels go to the interleaved int16
 * buffer (q15r4) and through the 4-pixel x 2-channel SMLAD kernel; plain rows: two pixels
 * (q15r2) through the 2x2 kernel. Bit-exact with kernels_c/reference/mcs_pointwise_s8.c; see
 * mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

int32_t mcs_pointwise_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p)
{
    /* a q15r4 set of columns (paired rows) or a q15r2 pair, then the requantization table */
    const int32_t cols = p->weights_paired ? MCS_DSP_COLS4_INT16(p->in_c)
                                           : MCS_DSP_COLS2_INT16(p->in_c);
    return cols * (int32_t)sizeof(int16_t) + MCS_DSP_RQ_TABLE_BYTES(p->out_c);
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

/* Paired weight rows: four pixels per pass; the last pass repeats its last pixel in the
 * unused columns and stores them over it (the same values). */
static void pointwise_4col(const int8_t *input, const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                           int8_t *output, const mcs_conv2d_s8_params_t *p)
{
    const int32_t c = p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    int32_t *rq = (int32_t *)(void *)(scratch + MCS_DSP_COLS4_INT16(c));
    const int32_t full[4] = {0, p->out_c, 2 * p->out_c, 3 * p->out_c};
    int32_t n, px, j;

    if (!mcs_dsp_rq_table(rq, multiplier, shift, bias, p->out_c, c, p->output_zp)) {
        rq = 0;
    }
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
            mcs_dsp_mat_4col(weights, bias, multiplier, shift, rq, scratch, c, p->out_c,
                             out_n + px * p->out_c, d, p->output_zp, p->act_min, p->act_max);
        }
    }
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
    if (!mcs_dsp_rq_table(rq, multiplier, shift, bias, p->out_c, c, p->output_zp)) {
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
