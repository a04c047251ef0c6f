/* mcs_matmul_s8.c - int8 batched MatMul of two activations. Portable reference;
 * see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

void mcs_matmul_s8(const int8_t *a, const int8_t *b_mat, int8_t *output,
                   const mcs_matmul_s8_params_t *p)
{
    int32_t bi, i, j, kk;

    for (bi = 0; bi < p->batch; ++bi) {
        const int8_t *a_b = a + bi * p->a_batch_stride;
        const int8_t *b_b = b_mat + bi * p->b_batch_stride;
        int8_t *out_b = output + bi * p->m * p->n;
        for (i = 0; i < p->m; ++i) {
            for (j = 0; j < p->n; ++j) {
                int32_t acc = 0;
                for (kk = 0; kk < p->k; ++kk) {
                    acc += ((int32_t)a_b[i * p->k + kk] - p->a_zp) *
                           ((int32_t)b_b[kk * p->n + j] - p->b_zp);
                }
                out_b[i * p->n + j] = mcs_s8_requant(acc, p->multiplier, p->shift,
                                                     p->output_zp, p->act_min, p->act_max);
            }
        }
    }
}
