/* mcs_mul_s8.c - int8 element-wise Mul with requantization and broadcasting.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_mul_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_mul_s8_params_t *q)
{
    mcs_broadcast_iter_t it;
    const int32_t rows = mcs_broadcast_iter_init(&it, bc);
    const int32_t n = bc->out_shape[bc->ndim - 1];
    const int32_t sa = bc->a_strides[bc->ndim - 1];
    const int32_t sb = bc->b_strides[bc->ndim - 1];
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const int8_t *pa = a + it.a_offset;
        const int8_t *pb = b + it.b_offset;
        int8_t *out = output + r * n;
        for (i = 0; i < n; ++i) {
            const int32_t prod = ((int32_t)pa[i * sa] - q->a_zp) * ((int32_t)pb[i * sb] - q->b_zp);
            out[i] = mcs_s8_requant(prod, q->multiplier, q->shift, q->output_zp, q->act_min,
                                    q->act_max);
        }
        mcs_broadcast_iter_next(&it, bc);
    }
}
