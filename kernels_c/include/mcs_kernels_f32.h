/*
 * mcs_kernels_f32.h - float32 kernels of mcusim: the contract between the code generator
 * (mcusim/compiler) and the C kernels in kernels_c/reference/ (and any optimized
 * replacement with the same file names in kernels_c/dsp/).
 *
 * Conventions (all kernels)
 * -------------------------
 * - One function per file, file named after the symbol: mcs_conv2d_f32() is defined in
 *   kernels_c/reference/mcs_conv2d_f32.c. Each file includes only this header (and
 *   mcs_kernels_common.h through it) plus <math.h> / <float.h>; nothing but libm is
 *   linked (GCC itself may emit memset/memcpy for zeroing and copy loops).
 * - ARGUMENT ORDER, everywhere: data pointers first - inputs, then constant operands
 *   (weights, bias, slope, gamma/beta, ...), then the output(s) - followed by sizes and
 *   attributes (scalars) or one `const ..._params_t *` pointer, always last.
 *       mcs_relu_f32(input, output, size)
 *       mcs_conv2d_f32(input, weights, bias, output, &params)
 * - Layouts: tensors are dense, row-major (C order), float32.
 *     2-D activations NHWC (channels last): [batch][h][w][c] (batch is usually 1).
 *     1-D activations NLC: [batch][length][c].
 *     Conv weights OHWI: [out_c][kernel_h][kernel_w][in_c / groups];
 *       1-D: [out_c][kernel][in_c / groups].
 *     Depthwise conv weights: [kernel_h][kernel_w][in_c * multiplier].
 *     Fully connected weights: [out_features][in_features] (ONNX Gemm B with transB = 1).
 *   Everything else works on a flat or [outer][n][inner] view described per kernel; the
 *   code generator maps ONNX axes onto these views (transposing when it must).
 * - Sizes are int32_t and must be >= 1 unless stated; no kernel checks its arguments.
 * - Fused activation: conv / fully connected / matmul take `act_min`, `act_max` and clamp
 *   every output to [act_min, act_max]:  none -> (-FLT_MAX, FLT_MAX), ReLU -> (0, FLT_MAX),
 *   ReLU6 -> (0, 6), Clip(a, b) -> (a, b). NaN passes through unchanged.
 * - In place: kernels marked "in place OK" (element-wise unary, PReLU, BatchNorm) accept
 *   output == input; binary kernels accept output == a non-broadcast operand. Otherwise the
 *   output must not overlap any input.
 * - No kernel allocates memory or needs a scratch buffer unless it has a
 *   `..._get_buffer_size()` companion (only mcs_gru_cell_f32).
 * - Math: expf, logf, tanhf, erff, sqrtf, powf from libm (newlib on target, glibc on host); results
 *   may differ from numpy by a few ulp in those functions. Summation order is the natural
 *   loop order given per kernel; the compiler may contract a*b+c into FMA on targets with
 *   one (Cortex-M33/M55/M7 FPU), so target and host results can differ in the last bits.
 *
 * Portable C99. Compiles warning-free with gcc -std=c99 -Wall -Wextra -Wpedantic -Wshadow
 * -Wdouble-promotion (host) and, with the same warnings, arm-none-eabi-gcc -mcpu=cortex-m33
 * -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16 -O2.
 */
#ifndef MCS_KERNELS_F32_H
#define MCS_KERNELS_F32_H

#include <stdint.h>

#include "mcs_kernels_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================================== */
/* Convolution                                                                            */
/* ====================================================================================== */

/*
 * 2-D convolution geometry and fused activation.
 *
 * Padding: only pad_top / pad_left are given. Input positions outside [0, in_h) x
 * [0, in_w) read as 0, so bottom/right padding is implied by out_h / out_w, which the
 * caller computes, e.g. with MCS_WINDOW_OUT_SIZE(in_h, kernel_h, stride_h, dilation_h,
 * pad_top, pad_bottom). Output pixel (oy, ox) reads input rows
 *   iy = oy * stride_h - pad_top + ky * dilation_h,  ky in [0, kernel_h)
 * and columns likewise.
 * Groups: in_c and out_c are divisible by groups; output channel o belongs to group
 *   g = o / (out_c / groups) and reads input channels [g * in_c/groups, (g+1) * in_c/groups).
 */
typedef struct {
    int32_t batch;                  /* N >= 1 */
    int32_t in_h, in_w, in_c;       /* input  [batch][in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [batch][out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;     /* >= 1 */
    int32_t stride_h, stride_w;     /* >= 1 */
    int32_t dilation_h, dilation_w; /* >= 1 */
    int32_t pad_top, pad_left;      /* >= 0 */
    int32_t groups;                 /* >= 1, divides in_c and out_c */
    float act_min, act_max;         /* fused activation clamp, act_min <= act_max */
} mcs_conv2d_f32_params_t;

/*
 * Conv2D (ONNX Conv, 2 spatial dims), any groups.
 *   input   [batch][in_h][in_w][in_c]
 *   weights [out_c][kernel_h][kernel_w][in_c / groups]   (OHWI)
 *   bias    [out_c], or NULL for no bias
 *   output  [batch][out_h][out_w][out_c]
 * out = clamp(bias[o] + sum_{ky, kx, ci} in * w, act_min, act_max); the sum runs ky, kx, ci
 * (ci innermost), starting from bias.
 */
void mcs_conv2d_f32(const float *input, const float *weights, const float *bias,
                    float *output, const mcs_conv2d_f32_params_t *p);

/*
 * Depthwise Conv2D: ONNX Conv with groups == in_c, out_c = in_c * multiplier.
 * Same params as mcs_conv2d_f32 (p->groups is ignored; p->out_c must be a multiple of in_c).
 *   input   [batch][in_h][in_w][in_c]
 *   weights [kernel_h][kernel_w][out_c]   where out channel o = c * multiplier + m reads
 *           input channel c = o / multiplier (ONNX weight W[o][0][ky][kx] -> weights[ky][kx][o])
 *   bias    [out_c] or NULL
 *   output  [batch][out_h][out_w][out_c]
 */
void mcs_depthwise_conv2d_f32(const float *input, const float *weights, const float *bias,
                              float *output, const mcs_conv2d_f32_params_t *p);

/* 1-D convolution geometry: as mcs_conv2d_f32_params_t with one spatial axis (length). */
typedef struct {
    int32_t batch;
    int32_t in_len, in_c;           /* input  [batch][in_len][in_c] */
    int32_t out_len, out_c;         /* output [batch][out_len][out_c] */
    int32_t kernel;                 /* >= 1 */
    int32_t stride;                 /* >= 1 */
    int32_t dilation;               /* >= 1 */
    int32_t pad_begin;              /* >= 0; end padding implied by out_len */
    int32_t groups;                 /* >= 1, divides in_c and out_c */
    float act_min, act_max;
} mcs_conv1d_f32_params_t;

/*
 * Conv1D (ONNX Conv, 1 spatial dim), any groups (depthwise = groups == in_c).
 *   input   [batch][in_len][in_c]
 *   weights [out_c][kernel][in_c / groups]
 *   bias    [out_c] or NULL
 *   output  [batch][out_len][out_c]
 */
void mcs_conv1d_f32(const float *input, const float *weights, const float *bias,
                    float *output, const mcs_conv1d_f32_params_t *p);

/* ====================================================================================== */
/* Matrix products                                                                        */
/* ====================================================================================== */

/*
 * Fully connected (ONNX Gemm with constant B; alpha/beta folded into weights/bias and B
 * stored transposed by the code generator; also MatMul by a constant 2-D matrix).
 *   input   [batch][in_features]
 *   weights [out_features][in_features]
 *   bias    [out_features] or NULL
 *   output  [batch][out_features] = clamp(bias + input . weights^T, act_min, act_max)
 */
void mcs_fully_connected_f32(const float *input, const float *weights, const float *bias,
                             float *output, int32_t batch, int32_t in_features,
                             int32_t out_features, float act_min, float act_max);

/*
 * Batched MatMul (ONNX MatMul / attention): for every b in [0, batch):
 *   C_b[m][n] = clamp(sum_k A_b[m][k] * B_b[k][n], act_min, act_max)
 *   a       A_b at a + b * a_batch_stride, each [m][k] row-major
 *   b_mat   B_b at b_mat + b * b_batch_stride, each [k][n] row-major
 *   output  [batch][m][n] (contiguous)
 * A batch stride of 0 broadcasts that operand over the batch (e.g. a shared weight
 * matrix); usual values are m*k and k*n. Higher-rank broadcasting: one call per
 * distinct pattern, or the caller materializes the operand.
 */
void mcs_matmul_f32(const float *a, const float *b_mat, float *output, int32_t batch,
                    int32_t m, int32_t k, int32_t n, int32_t a_batch_stride,
                    int32_t b_batch_stride, float act_min, float act_max);

/* ====================================================================================== */
/* Pooling                                                                                */
/* ====================================================================================== */

/*
 * 2-D pooling geometry (NHWC). 1-D pooling: in_h = out_h = kernel_h = 1.
 * All four pads are given because AveragePool with count_include_pad = 1 divides by the
 * number of window positions inside the padded input [-pad_top, in_h + pad_bottom) x
 * [-pad_left, in_w + pad_right) (ONNX / onnxruntime semantics; positions a ceil_mode
 * window adds beyond the padding are not counted). out_h / out_w come from the caller
 * (floor or ceil mode).
 */
typedef struct {
    int32_t batch;
    int32_t in_h, in_w, channels;   /* input  [batch][in_h][in_w][channels] */
    int32_t out_h, out_w;           /* output [batch][out_h][out_w][channels] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w; /* >= 1 (ONNX MaxPool opset 10+, AveragePool opset 19+) */
    int32_t pad_top, pad_left, pad_bottom, pad_right; /* >= 0 */
    int32_t count_include_pad;      /* AveragePool only: 0 = divide by valid positions */
} mcs_pool2d_f32_params_t;

/*
 * MaxPool (ONNX MaxPool, Indices output not supported). Padded positions are ignored
 * (never win). A window with no valid position outputs -FLT_MAX.
 *   input [batch][in_h][in_w][channels] -> output [batch][out_h][out_w][channels]
 */
void mcs_maxpool2d_f32(const float *input, float *output, const mcs_pool2d_f32_params_t *p);

/*
 * AveragePool (ONNX AveragePool). Sum of the valid positions divided by their count
 * (count_include_pad = 0) or by the number of positions inside the padded input
 * (count_include_pad = 1). A window with no valid position outputs 0.
 *   input [batch][in_h][in_w][channels] -> output [batch][out_h][out_w][channels]
 */
void mcs_avgpool2d_f32(const float *input, float *output, const mcs_pool2d_f32_params_t *p);

/*
 * GlobalAveragePool (NHWC): output[b][c] = mean over the `spatial` = H*W (1-D: L) positions.
 *   input [batch][spatial][channels] -> output [batch][channels]
 */
void mcs_global_avgpool_f32(const float *input, float *output, int32_t batch,
                            int32_t spatial, int32_t channels);

/* GlobalMaxPool (NHWC): input [batch][spatial][channels] -> output [batch][channels]. */
void mcs_global_maxpool_f32(const float *input, float *output, int32_t batch,
                            int32_t spatial, int32_t channels);

/* ====================================================================================== */
/* Element-wise unary (all: in place OK, `size` elements, any layout)                      */
/* ====================================================================================== */

/* ReLU: max(x, 0). */
void mcs_relu_f32(const float *input, float *output, int32_t size);

/* Clip (ONNX Clip, ReLU6 = Clip(0, 6)): min(max(x, min_value), max_value). */
void mcs_clip_f32(const float *input, float *output, int32_t size, float min_value,
                  float max_value);

/* LeakyReLU: x >= 0 ? x : alpha * x (ONNX default alpha 0.01). */
void mcs_leaky_relu_f32(const float *input, float *output, int32_t size, float alpha);

/*
 * PReLU with the slope broadcast over the last axis: view input as [outer][slope_size],
 *   out[i][j] = x >= 0 ? x : slope[j] * x.
 * Per-channel slope on NHWC: slope_size = C; a single slope: slope_size = 1.
 * (Other broadcasts of ONNX PReLU: the code generator expands the slope.) In place OK.
 */
void mcs_prelu_f32(const float *input, const float *slope, float *output, int32_t outer,
                   int32_t slope_size);

/* Sigmoid: 1 / (1 + expf(-x)). */
void mcs_sigmoid_f32(const float *input, float *output, int32_t size);

/* Tanh: tanhf(x). */
void mcs_tanh_f32(const float *input, float *output, int32_t size);

/* HardSigmoid (ONNX): max(0, min(1, alpha * x + beta)); ONNX defaults alpha 0.2, beta 0.5
 * (PyTorch's Hardsigmoid is alpha = 1/6, beta = 0.5). */
void mcs_hard_sigmoid_f32(const float *input, float *output, int32_t size, float alpha,
                          float beta);

/* HardSwish (ONNX): x * max(0, min(1, x / 6 + 0.5)). */
void mcs_hard_swish_f32(const float *input, float *output, int32_t size);

/* GELU, exact (ONNX Gelu approximate="none"): 0.5 * x * (1 + erff(x / sqrt(2))). */
void mcs_gelu_f32(const float *input, float *output, int32_t size);

/* GELU, tanh form (ONNX Gelu approximate="tanh"):
 * 0.5 * x * (1 + tanhf(sqrt(2/pi) * (x + 0.044715 * x^3))). */
void mcs_gelu_tanh_f32(const float *input, float *output, int32_t size);

/* Exp: expf(x). */
void mcs_exp_f32(const float *input, float *output, int32_t size);

/* Sqrt: sqrtf(x); NaN for x < 0. */
void mcs_sqrt_f32(const float *input, float *output, int32_t size);

/* Neg: -x. */
void mcs_neg_f32(const float *input, float *output, int32_t size);

/* Erf: erff(x) (GELU exported as Div, Erf, Add, Mul when not fused). */
void mcs_erf_f32(const float *input, float *output, int32_t size);

/* Copy (Flatten / Reshape / Squeeze / Unsqueeze / Identity when not removed by a pass):
 * output[i] = input[i]. output == input allowed (no-op); no other overlap. */
void mcs_copy_f32(const float *input, float *output, int32_t size);

/* ====================================================================================== */
/* Element-wise binary with broadcasting: out = a OP b                                     */
/* ====================================================================================== */

/*
 * a, b: operands laid out as described by p (see mcs_broadcast_params_t in
 * mcs_kernels_common.h); output: contiguous, shape p->out_shape. The output may be the
 * same buffer as an operand that is not broadcast (its strides are the output's);
 * otherwise no overlap.
 */
void mcs_add_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
void mcs_sub_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
void mcs_mul_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
/* IEEE division: x / 0 gives +-inf or NaN, as numpy. */
void mcs_div_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
/* Max / Min (ONNX Max / Min with two inputs; more inputs: chain calls). */
void mcs_max_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
void mcs_min_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);
/* Pow (ONNX Pow, float exponent): powf(a, b). */
void mcs_pow_f32(const float *a, const float *b, float *output,
                 const mcs_broadcast_params_t *p);

/* ====================================================================================== */
/* Normalization, softmax, reductions                                                      */
/* ====================================================================================== */

/*
 * Softmax over the last axis of an [outer][n] view (ONNX Softmax opset 13 with the axis
 * last; older opsets' "flatten from axis" semantics are also [outer][n]). Stable form:
 * exp(x - max) / sum. The code generator transposes when the axis is not last.
 */
void mcs_softmax_f32(const float *input, float *output, int32_t outer, int32_t n);

/* LogSoftmax over the last axis of [outer][n]: x - max - logf(sum(exp(x - max))). */
void mcs_log_softmax_f32(const float *input, float *output, int32_t outer, int32_t n);

/*
 * LayerNormalization over the last axis of [outer][n] (ONNX LayerNormalization with
 * axis = -1): y = (x - mean) / sqrtf(var + epsilon) * gamma + beta, biased variance.
 *   gamma [n]; beta [n] or NULL (zero). Mean and variance are computed in two passes.
 */
void mcs_layer_norm_f32(const float *input, const float *gamma, const float *beta,
                        float *output, int32_t outer, int32_t n, float epsilon);

/*
 * BatchNormalization (inference) that was not folded into a conv/gemm, channels last:
 * input viewed as [outer][channels]; output = input * scale[c] + shift[c], with
 * scale = gamma / sqrtf(var + epsilon) and shift = beta - mean * scale precomputed by the
 * code generator. In place OK.
 */
void mcs_batch_norm_f32(const float *input, const float *scale, const float *shift,
                        float *output, int32_t outer, int32_t channels);

/*
 * ReduceSum / ReduceMean over the middle axis of an [outer][n][inner] view:
 *   output[o][i] = sum_j input[o][j][i]   (mean: divided by n)
 * Several contiguous reduced axes: n is their product. Non-contiguous reduced axes: one
 * call per axis (or a transpose first). keepdims does not change the data.
 */
void mcs_reduce_sum_f32(const float *input, float *output, int32_t outer, int32_t n,
                        int32_t inner);
void mcs_reduce_mean_f32(const float *input, float *output, int32_t outer, int32_t n,
                         int32_t inner);
/* ReduceMax over the middle axis of [outer][n][inner]. */
void mcs_reduce_max_f32(const float *input, float *output, int32_t outer, int32_t n,
                        int32_t inner);

/* ====================================================================================== */
/* Data movement                                                                          */
/* ====================================================================================== */

/*
 * Expand (ONNX Expand; any broadcast copy): output (contiguous, shape p->out_shape) reads
 * input through p->a_strides (0 on broadcast dims); p->b_strides is ignored.
 */
void mcs_expand_f32(const float *input, float *output, const mcs_broadcast_params_t *p);

/*
 * Concat along one axis. Input i is viewed as [outer][axis_sizes[i]][inner], the output
 * as [outer][sum(axis_sizes)][inner].
 *   inputs      n_inputs pointers (n_inputs >= 1)
 *   axis_sizes  n_inputs sizes along the concat axis (>= 0; 0 = empty input)
 */
void mcs_concat_f32(const float *const *inputs, float *output, int32_t n_inputs,
                    const int32_t *axis_sizes, int32_t outer, int32_t inner);

/*
 * Split: the inverse of concat. Output i is viewed as [outer][axis_sizes[i]][inner], the
 * input as [outer][sum(axis_sizes)][inner].
 */
void mcs_split_f32(const float *input, float *const *outputs, int32_t n_outputs,
                   const int32_t *axis_sizes, int32_t outer, int32_t inner);

/* Transpose (ONNX Transpose): see mcs_transpose_params_t in mcs_kernels_common.h. */
void mcs_transpose_f32(const float *input, float *output, const mcs_transpose_params_t *p);

/* Slice with steps: see mcs_slice_params_t in mcs_kernels_common.h. */
void mcs_slice_f32(const float *input, float *output, const mcs_slice_params_t *p);

/* Pad (constant, reflect, edge; negative pads crop): see mcs_pad_params_t in
 * mcs_kernels_common.h. */
void mcs_pad_f32(const float *input, float *output, const mcs_pad_params_t *p);

/*
 * Gather along one axis (ONNX Gather, e.g. an embedding table: axis 0 on a constant):
 * data viewed as [outer][axis_size][inner]; output [outer][n_indices][inner] with
 * output[o][i][:] = data[o][idx][:], idx = indices[i] (+ axis_size if negative).
 * Indices must be in [-axis_size, axis_size).
 */
void mcs_gather_f32(const float *data, const int32_t *indices, float *output,
                    int32_t n_indices, int32_t outer, int32_t axis_size, int32_t inner);

/* ====================================================================================== */
/* Recurrent cells (one time step; the code generator unrolls the sequence)                */
/* ====================================================================================== */

/*
 * LSTM cell, one step, one direction, ONNX LSTM semantics with default activations
 * (sigmoid, tanh, tanh), no peepholes, no clip, input_forget = 0.
 *   x       [batch][input_size]
 *   h_prev  [batch][hidden]; c_prev [batch][hidden]
 *   w       [4*hidden][input_size]   gates in ONNX order i, o, f, c  (W of one direction)
 *   r       [4*hidden][hidden]       same gate order                  (R of one direction)
 *   bias    [8*hidden] = Wb (i,o,f,c) then Rb (i,o,f,c), or NULL
 *   h_out   [batch][hidden]; c_out [batch][hidden]
 * h_out must not overlap h_prev or x; c_out may be c_prev.
 */
void mcs_lstm_cell_f32(const float *x, const float *h_prev, const float *c_prev,
                       const float *w, const float *r, const float *bias, float *h_out,
                       float *c_out, int32_t batch, int32_t input_size, int32_t hidden);

/*
 * GRU cell, one step, one direction, ONNX GRU semantics with default activations
 * (sigmoid, tanh), no clip.
 *   x       [batch][input_size];  h_prev [batch][hidden]
 *   w       [3*hidden][input_size]  gates in ONNX order z, r, h
 *   r       [3*hidden][hidden]      same order
 *   bias    [6*hidden] = Wb (z,r,h) then Rb (z,r,h), or NULL
 *   scratch mcs_gru_cell_f32_get_buffer_size(hidden) bytes, float-aligned
 *           (used when linear_before_reset == 0; may be NULL otherwise)
 *   h_out   [batch][hidden], must not overlap h_prev or x
 *   linear_before_reset: 0 (ONNX default) or 1 (what PyTorch nn.GRU exports)
 */
void mcs_gru_cell_f32(const float *x, const float *h_prev, const float *w, const float *r,
                      const float *bias, float *scratch, float *h_out, int32_t batch,
                      int32_t input_size, int32_t hidden, int32_t linear_before_reset);

/* Scratch bytes mcs_gru_cell_f32 needs: hidden floats. */
int32_t mcs_gru_cell_f32_get_buffer_size(int32_t hidden);

/* ====================================================================================== */
/* Sequence models (issue 7)                                                              */
/* ====================================================================================== */

/*
 * Where (ONNX Where): output = cond ? a : b.
 *   cond    one byte per OUTPUT element (the code generator materializes a constant
 *           condition to the output shape), non-zero = take a
 *   a, b    read through p->a_strides / p->b_strides (broadcast)
 *   output  contiguous, shape p->out_shape; must not overlap a broadcast operand.
 */
void mcs_where_f32(const uint8_t *cond, const float *a, const float *b, float *output,
                   const mcs_broadcast_params_t *p);

/*
 * LSTM / GRU cells with int8 weights (`--dtype int8`): as mcs_lstm_cell_f32 / mcs_gru_cell_f32,
 * but W and R are int8 with one float scale per row (symmetric, per gate row), so the real
 * weight is w[row][k] * w_scale[row]. Each gate pre-activation is
 *   dot(x, w_row) * w_scale[row] + dot(h, r_row) * r_scale[row] + biases
 * with float32 accumulation; state (h, c), biases and activations stay float32 (see
 * docs/int8-sequence.md).
 *   w_scale, r_scale  [G*hidden] (G = 4 for LSTM, 3 for GRU)
 */
void mcs_lstm_cell_w8_f32(const float *x, const float *h_prev, const float *c_prev,
                          const int8_t *w, const int8_t *r, const float *w_scale,
                          const float *r_scale, const float *bias, float *h_out, float *c_out,
                          int32_t batch, int32_t input_size, int32_t hidden);
void mcs_gru_cell_w8_f32(const float *x, const float *h_prev, const int8_t *w, const int8_t *r,
                         const float *w_scale, const float *r_scale, const float *bias,
                         float *scratch, float *h_out, int32_t batch, int32_t input_size,
                         int32_t hidden, int32_t linear_before_reset);

#ifdef __cplusplus
}
#endif

#endif /* MCS_KERNELS_F32_H */
