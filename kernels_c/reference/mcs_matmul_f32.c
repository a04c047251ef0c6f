/* mcs_matmul_f32.c - batched C = A . B with per-operand batch strides. See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_matmul_f32(const float *a, const float *b_mat, float *output, int32_t batch,
                    int32_t m, int32_t k, int32_t n, int32_t a_batch_stride,
                    int32_t b_batch_stride, float act_min, float act_max)
{
    int32_t bt, i, j, t;
    for (bt = 0; bt < batch; ++bt) {
        const float *a_b = a + bt * a_batch_stride;
        const float *b_b = b_mat + bt * b_batch_stride;
        float *c_b = output + bt * m * n;
        for (i = 0; i < m; ++i) {
            const float *a_row = a_b + i * k;
            float *c_row = c_b + i * n;
            for (j = 0; j < n; ++j) {
                c_row[j] = 0.0f;
            }
            /* i-k-j order: B and C rows are walked contiguously. */
            for (t = 0; t < k; ++t) {
                const float av = a_row[t];
                const float *b_row = b_b + t * n;
                for (j = 0; j < n; ++j) {
                    c_row[j] += av * b_row[j];
                }
            }
            for (j = 0; j < n; ++j) {
                float v = c_row[j];
                if (v < act_min) {
                    v = act_min;
                } else if (v > act_max) {
                    v = act_max;
                }
                c_row[j] = v;
            }
        }
    }
}
