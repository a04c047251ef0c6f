/* mcs_pad_s8.c - int8 constant Pad (any rank up to MCS_MAX_DIMS, pads >= 0).
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_pad_s8(const int8_t *input, int8_t *output, const mcs_pad_s8_params_t *p)
{
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t index[MCS_MAX_DIMS];
    int32_t in_strides[MCS_MAX_DIMS];
    int32_t total = 1;
    int32_t in_total = 1;
    int32_t d, i;

    for (d = p->ndim - 1; d >= 0; --d) {
        out_shape[d] = p->in_shape[d] + p->pads_begin[d] + p->pads_end[d];
        in_strides[d] = in_total;
        in_total *= p->in_shape[d];
        total *= out_shape[d];
        index[d] = 0;
    }
    for (i = 0; i < total; ++i) {
        int32_t offset = 0;
        int32_t inside = 1;
        for (d = 0; d < p->ndim; ++d) {
            const int32_t src = index[d] - p->pads_begin[d];
            if (src < 0 || src >= p->in_shape[d]) {
                inside = 0;
                break;
            }
            offset += src * in_strides[d];
        }
        output[i] = inside ? input[offset] : (int8_t)p->value;
        for (d = p->ndim - 1; d >= 0; --d) {
            if (++index[d] < out_shape[d]) {
                break;
            }
            index[d] = 0;
        }
    }
}
