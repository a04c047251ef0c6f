/* mcs_conv1d_f32.c - Conv1D, NLC input, weights [out_c][kernel][in_c/groups], any groups.
 * See mcs_kernels_f32.h. */
#include "mcs_kernels_f32.h"

void mcs_conv1d_f32(const float *input, const float *weights, const float *bias,
                    float *output, const mcs_conv1d_f32_params_t *p)
{
    const int32_t in_c_g = p->in_c / p->groups;
    const int32_t out_c_g = p->out_c / p->groups;
    int32_t n, ol, o;

    for (n = 0; n < p->batch; ++n) {
        const float *in_n = input + n * p->in_len * p->in_c;
        for (ol = 0; ol < p->out_len; ++ol) {
            const int32_t il0 = ol * p->stride - p->pad_begin;
            float *out_px = output + (n * p->out_len + ol) * p->out_c;
            for (o = 0; o < p->out_c; ++o) {
                const int32_t c0 = (o / out_c_g) * in_c_g;
                const float *w_o = weights + o * p->kernel * in_c_g;
                float acc = (bias != 0) ? bias[o] : 0.0f;
                int32_t k, ci;
                for (k = 0; k < p->kernel; ++k) {
                    const int32_t il = il0 + k * p->dilation;
                    const float *in_px;
                    const float *w_k;
                    if (il < 0 || il >= p->in_len) {
                        continue;
                    }
                    in_px = in_n + il * p->in_c + c0;
                    w_k = w_o + k * in_c_g;
                    for (ci = 0; ci < in_c_g; ++ci) {
                        acc += in_px[ci] * w_k[ci];
                    }
                }
                if (acc < p->act_min) {
                    acc = p->act_min;
                } else if (acc > p->act_max) {
                    acc = p->act_max;
                }
                out_px[o] = acc;
            }
        }
    }
}
