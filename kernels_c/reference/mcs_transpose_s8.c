/* mcs_transpose_s8.c - int8 Transpose (any rank up to MCS_MAX_DIMS).
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_transpose_s8(const int8_t *input, int8_t *output, const mcs_transpose_params_t *p)
{
    int32_t in_strides[MCS_MAX_DIMS];
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t stride[MCS_MAX_DIMS]; /* input stride of each output dim */
    int32_t index[MCS_MAX_DIMS];
    int32_t total = 1;
    int32_t d, i, offset = 0;

    for (d = p->ndim - 1; d >= 0; --d) {
        in_strides[d] = total;
        total *= p->in_shape[d];
    }
    for (d = 0; d < p->ndim; ++d) {
        out_shape[d] = p->in_shape[p->perm[d]];
        stride[d] = in_strides[p->perm[d]];
        index[d] = 0;
    }
    for (i = 0; i < total; ++i) {
        output[i] = input[offset];
        for (d = p->ndim - 1; d >= 0; --d) {
            index[d] += 1;
            offset += stride[d];
            if (index[d] < out_shape[d]) {
                break;
            }
            offset -= stride[d] * out_shape[d];
            index[d] = 0;
        }
    }
}
