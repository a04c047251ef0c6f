/* mcs_transpose_f32.c - Transpose up to MCS_MAX_DIMS dims: output dim d is input dim perm[d].
 * Walks the output in order, the input by strides. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_transpose_f32(const float *input, float *output, const mcs_transpose_params_t *p)
{
    int32_t in_stride[MCS_MAX_DIMS];
    int32_t stride[MCS_MAX_DIMS];    /* input stride of output dim d */
    int32_t shape[MCS_MAX_DIMS];     /* output shape */
    int32_t index[MCS_MAX_DIMS];
    const int32_t last = p->ndim - 1;
    int32_t d, rows = 1, r, i, offset = 0;

    in_stride[last] = 1;
    for (d = last - 1; d >= 0; --d) {
        in_stride[d] = in_stride[d + 1] * p->in_shape[d + 1];
    }
    for (d = 0; d <= last; ++d) {
        shape[d] = p->in_shape[p->perm[d]];
        stride[d] = in_stride[p->perm[d]];
        index[d] = 0;
        if (d < last) {
            rows *= shape[d];
        }
    }
    for (r = 0; r < rows; ++r) {
        const float *src = input + offset;
        const int32_t s = stride[last];
        for (i = 0; i < shape[last]; ++i) {
            output[i] = src[i * s];
        }
        output += shape[last];
        /* odometer over the output's outer dims */
        for (d = last - 1; d >= 0; --d) {
            index[d] += 1;
            offset += stride[d];
            if (index[d] < shape[d]) {
                break;
            }
            offset -= stride[d] * shape[d];
            index[d] = 0;
        }
    }
}
