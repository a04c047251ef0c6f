/* mcs_fully_connected_s8.c - int8 fully connected for Cortex-M DSP: pairs of input rows go to
 * the interleaved int16 buffer (q15r2) and the 2x2 SMLAD kernel; a single row to a q15r column
 * and the 1-row x 4-channel kernel. Bit-exact with kernels_c/reference/mcs_fully_connected_s8.c;
 * see mcs_dsp_s8.h. */
#include "mcs_dsp_s8.h"

int32_t mcs_fully_connected_s8_get_buffer_size(const mcs_fully_connected_s8_params_t *p)
{
    /* two interleaved int16 rows for batch >= 2, one q15r row for batch 1 */
    return (p->batch >= 2 ? MCS_DSP_COLS2_INT16(p->in_features)
                          : MCS_DSP_COL_STRIDE(p->in_features)) * (int32_t)sizeof(int16_t);
}

void mcs_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int16_t *scratch, int8_t *output,
                            const mcs_fully_connected_s8_params_t *p)
{
    const int32_t k = p->in_features;
    const int32_t off = -p->input_zp;
    const int32_t fast = mcs_dsp_shifts_fast(shift, p->out_features);
    int32_t b;

    for (b = 0; b + 1 < p->batch; b += 2) {
        mcs_dsp_vec_to_q15r2(input + b * k, scratch, 0, k, off);
        mcs_dsp_vec_to_q15r2(input + (b + 1) * k, scratch, 1, k, off);
        mcs_dsp_mat_2col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, output + (b + 1) * p->out_features,
                         p->output_zp, p->act_min, p->act_max, fast);
    }
    if (b < p->batch) {
        mcs_dsp_pixel_to_q15r(input + b * k, scratch, k, off);
        mcs_dsp_mat_1col(weights, bias, multiplier, shift, scratch, k, p->out_features,
                         output + b * p->out_features, p->output_zp, p->act_min, p->act_max,
                         fast);
    }
}
