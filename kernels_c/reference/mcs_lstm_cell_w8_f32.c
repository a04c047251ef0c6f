/* mcs_lstm_cell_w8_f32.c - one LSTM step with int8 weights (per-row scales), float32 state and
 * activations; ONNX gate order i, o, f, c. See mcs_kernels_f32.h. */
#include <math.h>

#include "mcs_kernels_f32.h"

/* dot(a, w) with four independent accumulators (no single floating-point dependency chain),
 * summed as (acc0 + acc1) + (acc2 + acc3) + tail. */
static float mcs_lstm_w8_dot(const float *a, const int8_t *w, int32_t n)
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

void mcs_lstm_cell_w8_f32(const float *x, const float *h_prev, const float *c_prev,
                          const int8_t *w, const int8_t *r, const float *w_scale,
                          const float *r_scale, const float *bias, float *h_out, float *c_out,
                          int32_t batch, int32_t input_size, int32_t hidden)
{
    int32_t bt, j, g;
    for (bt = 0; bt < batch; ++bt) {
        const float *xb = x + bt * input_size;
        const float *hb = h_prev + bt * hidden;
        for (j = 0; j < hidden; ++j) {
            float gate[4]; /* i, o, f, c pre-activations */
            float i_g, o_g, f_g, c_g, c_new;
            for (g = 0; g < 4; ++g) {
                const int32_t row = g * hidden + j;
                float acc = mcs_lstm_w8_dot(xb, w + row * input_size, input_size) * w_scale[row] +
                            mcs_lstm_w8_dot(hb, r + row * hidden, hidden) * r_scale[row];
                if (bias != 0) {
                    acc += bias[row] + bias[4 * hidden + row];
                }
                gate[g] = acc;
            }
            i_g = 1.0f / (1.0f + expf(-gate[0]));
            o_g = 1.0f / (1.0f + expf(-gate[1]));
            f_g = 1.0f / (1.0f + expf(-gate[2]));
            c_g = tanhf(gate[3]);
            c_new = f_g * c_prev[bt * hidden + j] + i_g * c_g;
            c_out[bt * hidden + j] = c_new;
            h_out[bt * hidden + j] = o_g * tanhf(c_new);
        }
    }
}
