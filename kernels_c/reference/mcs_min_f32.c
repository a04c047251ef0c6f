/* mcs_min_f32.c - Min: min(a, b), NaN if either is NaN, with broadcasting
 * (mcs_broadcast_params_t). See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_min_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p)
{
    const int32_t last = p->ndim - 1;
    const int32_t n = p->out_shape[last];
    const int32_t sa = p->a_strides[last];
    const int32_t sb = p->b_strides[last];
    mcs_broadcast_iter_t it;
    const int32_t rows = mcs_broadcast_iter_init(&it, p);
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const float *x = a + it.a_offset;
        const float *y = b + it.b_offset;
        for (i = 0; i < n; ++i) {
            const float u = x[i * sa];
            const float v = y[i * sb];
            output[i] = (u != u || v != v) ? u + v : ((u < v) ? u : v);
        }
        output += n;
        mcs_broadcast_iter_next(&it, p);
    }
}
