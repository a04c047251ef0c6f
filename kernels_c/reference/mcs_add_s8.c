/* mcs_add_s8.c - int8 element-wise Add with rescaling (TFLite scheme) and broadcasting.
 * Portable reference; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_add_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_add_s8_params_t *q)
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
            const int32_t va = mcs_s8_mbqm(((int32_t)pa[i * sa] - q->a_zp) * (1 << q->left_shift),
                                           q->a_mult, q->a_shift);
            const int32_t vb = mcs_s8_mbqm(((int32_t)pb[i * sb] - q->b_zp) * (1 << q->left_shift),
                                           q->b_mult, q->b_shift);
            out[i] = mcs_s8_requant(va + vb, q->out_mult, q->out_shift, q->output_zp,
                                    q->act_min, q->act_max);
        }
        mcs_broadcast_iter_next(&it, bc);
    }
}
