/* mcs_where_f32.c - Where: cond ? a : b with broadcasting of a and b (mcs_broadcast_params_t);
 * cond is given per output element. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_where_f32(const uint8_t *cond, const float *a, const float *b, float *output,
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
            output[i] = cond[i] ? x[i * sa] : y[i * sb];
        }
        output += n;
        cond += n;
        mcs_broadcast_iter_next(&it, p);
    }
}
