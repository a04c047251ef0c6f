/* mcs_gru_cell_w8_f32.c - one GRU step with int8 weights (per-row scales), float32 state and
 * activations; ONNX gate order z, r, h, both linear_before_reset forms. See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

/* dot(a, w) with four independent accumulators (no single floating-point dependency chain),
 * summed as (acc0 + acc1) + (acc2 + acc3) + tail. */
static float mcs_gru_w8_dot(const float *a, const int8_t *w, int32_t n)
{
    float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        acc0 += a[i] * (float)w[i];
        acc1 += a[i + 1] * (float)w[i + 1];
        acc2 += a[i + 2] * (float)w[i + 2];
        acc3 += a[i + 3] * (float)w[i + 3];
    }
    for (; i < n; ++i) {
        acc0 += a[i] * (float)w[i];
    }
    return (acc0 + acc1) + (acc2 + acc3);
}

void mcs_gru_cell_w8_f32(const float *x, const float *h_prev, const int8_t *w, const int8_t *r,
                         const float *w_scale, const float *r_scale, const float *bias,
                         float *scratch, float *h_out, int32_t batch, int32_t input_size,
                         int32_t hidden, int32_t linear_before_reset)
{
    const float *wb = (bias != 0) ? bias : 0;
    const float *rb = (bias != 0) ? bias + 3 * hidden : 0;
    int32_t bt, j;
    for (bt = 0; bt < batch; ++bt) {
        const float *xb = x + bt * input_size;
        const float *hb = h_prev + bt * hidden;
        float *hob = h_out + bt * hidden;
        if (!linear_before_reset) {
            for (j = 0; j < hidden; ++j) {
                const int32_t row = hidden + j;
                float acc = mcs_gru_w8_dot(xb, w + row * input_size, input_size) * w_scale[row] +
                            mcs_gru_w8_dot(hb, r + row * hidden, hidden) * r_scale[row];
                if (bias != 0) {
                    acc += wb[row] + rb[row];
                }
                scratch[j] = hb[j] / (1.0f + expf(-acc));
            }
        }
        for (j = 0; j < hidden; ++j) {
            const int32_t zrow = j;
            const int32_t rrow = hidden + j;
            const int32_t hrow = 2 * hidden + j;
            float z_acc = mcs_gru_w8_dot(xb, w + zrow * input_size, input_size) * w_scale[zrow] +
                          mcs_gru_w8_dot(hb, r + zrow * hidden, hidden) * r_scale[zrow];
            float h_acc = mcs_gru_w8_dot(xb, w + hrow * input_size, input_size) * w_scale[hrow];
            float z_g, h_c;
            if (bias != 0) {
                z_acc += wb[zrow] + rb[zrow];
                h_acc += wb[hrow];
            }
            if (linear_before_reset) {
                float r_acc = mcs_gru_w8_dot(xb, w + rrow * input_size, input_size) * w_scale[rrow] +
                              mcs_gru_w8_dot(hb, r + rrow * hidden, hidden) * r_scale[rrow];
                float rh = mcs_gru_w8_dot(hb, r + hrow * hidden, hidden) * r_scale[hrow];
                if (bias != 0) {
                    r_acc += wb[rrow] + rb[rrow];
                    rh += rb[hrow];
                }
                h_acc += rh / (1.0f + expf(-r_acc));
            } else {
                h_acc += mcs_gru_w8_dot(scratch, r + hrow * hidden, hidden) * r_scale[hrow];
                if (bias != 0) {
                    h_acc += rb[hrow];
                }
            }
            z_g = 1.0f / (1.0f + expf(-z_acc));
            h_c = tanhf(h_acc);
            hob[j] = (1.0f - z_g) * h_c + z_g * hb[j];
        }
    }
}
