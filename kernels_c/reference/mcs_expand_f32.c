/* mcs_expand_f32.c - Expand (broadcast copy) described by mcs_broadcast_params_t, using
 * only out_shape and a_strides. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_expand_f32(const float *input, float *output, const mcs_broadcast_params_t *p)
{
    const int32_t last = p->ndim - 1;
    const int32_t n = p->out_shape[last];
    const int32_t sa = p->a_strides[last];
    mcs_broadcast_iter_t it;
    const int32_t rows = mcs_broadcast_iter_init(&it, p);
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const float *x = input + it.a_offset;
        for (i = 0; i < n; ++i) {
            output[i] = x[i * sa];
        }
        output += n;
        mcs_broadcast_iter_next(&it, p);
    }
}
