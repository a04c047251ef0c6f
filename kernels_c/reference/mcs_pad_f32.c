/* mcs_pad_f32.c - Pad (constant, reflect, edge; negative pads crop), up to MCS_MAX_DIMS dims.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

/* Input index read by output index o along a dim of size n, or -1 for the fill value. */
static int32_t mcs_pad_map_index(int32_t o, int32_t begin, int32_t n, int32_t mode)
{
    int32_t i = o - begin;
    if (i >= 0 && i < n) {
        return i;
    }
    if (mode == MCS_PAD_EDGE) {
        return (i < 0) ? 0 : n - 1;
    }
    if (mode == MCS_PAD_REFLECT) {
        if (n == 1) {
            return 0;
        }
        return (i < 0) ? -i : 2 * (n - 1) - i;
    }
    return -1;
}

void mcs_pad_f32(const float *input, float *output, const mcs_pad_params_t *p)
{
    int32_t in_stride[MCS_MAX_DIMS];
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t index[MCS_MAX_DIMS];
    const int32_t last = p->ndim - 1;
    const int32_t n_last = p->in_shape[last];
    int32_t d, rows = 1, r, i;

    in_stride[last] = 1;
    for (d = last - 1; d >= 0; --d) {
        in_stride[d] = in_stride[d + 1] * p->in_shape[d + 1];
    }
    for (d = 0; d <= last; ++d) {
        out_shape[d] = p->in_shape[d] + p->pads_begin[d] + p->pads_end[d];
        index[d] = 0;
        if (d < last) {
            rows *= out_shape[d];
        }
    }
    for (r = 0; r < rows; ++r) {
        /* input offset of this row, or -1 when the row lies in constant padding */
        int32_t offset = 0;
        for (d = 0; d < last; ++d) {
            const int32_t src = mcs_pad_map_index(index[d], p->pads_begin[d], p->in_shape[d],
                                                  p->mode);
            if (src < 0) {
                offset = -1;
                break;
            }
            offset += src * in_stride[d];
        }
        for (i = 0; i < out_shape[last]; ++i) {
            const int32_t src =
                (offset < 0) ? -1 : mcs_pad_map_index(i, p->pads_begin[last], n_last, p->mode);
            output[i] = (src < 0) ? p->value : input[offset + src];
        }
        output += out_shape[last];
        for (d = last - 1; d >= 0; --d) {
            index[d] += 1;
            if (index[d] < out_shape[d]) {
                break;
            }
            index[d] = 0;
        }
    }
}
