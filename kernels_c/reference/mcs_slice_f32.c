/* mcs_slice_f32.c - strided Slice (starts/steps normalized by the caller), up to
 * MCS_MAX_DIMS dims. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_slice_f32(const float *input, float *output, const mcs_slice_params_t *p)
{
    int32_t stride[MCS_MAX_DIMS]; /* input element stride of dim d */
    int32_t index[MCS_MAX_DIMS];
    const int32_t last = p->ndim - 1;
    int32_t d, rows = 1, r, i, offset = 0;

    stride[last] = 1;
    for (d = last - 1; d >= 0; --d) {
        stride[d] = stride[d + 1] * p->in_shape[d + 1];
    }
    for (d = 0; d <= last; ++d) {
        index[d] = 0;
        offset += p->starts[d] * stride[d];
        if (d < last) {
            rows *= p->out_shape[d];
        }
    }
    for (r = 0; r < rows; ++r) {
        const float *src = input + offset;
        const int32_t s = p->steps[last];
        for (i = 0; i < p->out_shape[last]; ++i) {
            output[i] = src[i * s];
        }
        output += p->out_shape[last];
        for (d = last - 1; d >= 0; --d) {
            index[d] += 1;
            offset += p->steps[d] * stride[d];
            if (index[d] < p->out_shape[d]) {
                break;
            }
            offset -= p->steps[d] * stride[d] * p->out_shape[d];
            index[d] = 0;
        }
    }
}
