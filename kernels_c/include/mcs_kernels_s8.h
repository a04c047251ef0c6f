/*
 * mcs_kernels_s8.h - int8 kernels of mcusim: the contract between the code generator
 * (mcusim/compiler, quantize pass) and the C kernels in kernels_c/reference/ (portable C)
 * and kernels_c/dsp/ (Cortex-M DSP extension: SMLAD/SXTB16/SSAT, ARMv7E-M and ARMv8-M
 * Mainline), chosen per board at build time. Both folders define the same symbols and are
 * bit-exact with each other and with the numpy twin (mcusim/quant/ops.py).
 *
 * Conventions (in addition to those of mcs_kernels_f32.h: one function per file, argument
 * order inputs -> constant operands -> scratch -> outputs -> sizes/params, NHWC
 * activations, OHWI conv weights, [kh][kw][C*mult] depthwise weights, [N][K] FC weights)
 * ------------------------------------------------------------------------------------------
 * - Quantization (TFLite int8 specification): real = scale * (q - zero_point), q int8.
 *   Activations per tensor, asymmetric (zero point in [-128, 127]); weights per output
 *   channel, symmetric (zero point 0, q in [-127, 127]); bias int32 with scale
 *   input_scale * weight_scale[o]. Scales never reach the kernels: the host folds them into
 *   (multiplier, shift) pairs, real ~= multiplier * 2^(shift - 31), multiplier in
 *   [2^30, 2^31) or 0, shift in [-31, 30] (mcusim.quant.fixedpoint.quantize_multiplier).
 * - Requantization (mcs_s8_requant below): gemmlowp SaturatingRoundingDoublingHighMul, then
 *   RoundingDivideByPOT (ties away from zero), "double rounding" as TFLite Micro and
 *   CMSIS-NN by default. A positive shift is a left shift saturated to int32.
 * - Fused activation: act_min / act_max in the int8 domain (zero point included); every
 *   output is clamped to [act_min, act_max]: none -> [-128, 127], ReLU -> [zp, 127],
 *   ReLU6 -> [zp, min(127, zp + round(6 / scale))].
 * - Accumulators are int32: sum over K of (x - zp) * w must fit, i.e. K < 65536.
 * - Scratch: kernels with a *_get_buffer_size() companion take a scratch pointer (int16
 *   aligned to 4 bytes) of that many bytes; the reference versions return 0 and accept NULL.
 *   The host-side mirror is mcusim.quant.kernels.buffer_size().
 *
 * Portable C99 (reference). Compiles warning-free with gcc -Wall -Wextra -std=c99 (host)
 * and arm-none-eabi-gcc -mcpu=cortex-m4/m7/m33 -mthumb.
 */
#ifndef MCS_KERNELS_S8_H
#define MCS_KERNELS_S8_H

#include <stdint.h>

#include "mcs_kernels_common.h"
#include "mcs_kernels_f32.h" /* mcs_transpose_params_t (dtype independent) */

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================================== */
/* Fixed-point helpers (shared by reference and DSP kernels, bit-exact with the twin)      */
/* ====================================================================================== */

/* gemmlowp SaturatingRoundingDoublingHighMul: floor(a * b / 2^31 + 1/2) (ties toward +inf).
 * gemmlowp's "(ab + nudge) / 2^31, truncating" equals this floor for every a, b; the only
 * overflow, a == b == INT32_MIN, saturates. (>> of a negative int64 is arithmetic in GCC and
 * Clang, the compilers mcusim supports.) */
static inline int32_t mcs_s8_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + (1LL << 30)) >> 31);
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent, ties away from zero; exponent in [0, 31].
 * 32-bit only (>> of a negative int32 is arithmetic in GCC and Clang). */
static inline int32_t mcs_s8_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
    return (x >> exponent) + ((remainder > threshold) ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier with a saturating left shift (shift > 0). */
static inline int32_t mcs_s8_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift > 0) {
        int64_t v = (int64_t)x << shift;
        x = (v > INT32_MAX) ? INT32_MAX : ((v < INT32_MIN) ? INT32_MIN : (int32_t)v);
        return mcs_s8_srdhm(x, multiplier);
    }
    return mcs_s8_rdbpot(mcs_s8_srdhm(x, multiplier), -shift);
}

/* int32 accumulator -> int8: scale, add the output zero point, clamp to [act_min, act_max]
 * (clamping before adding the zero point, so no int32 overflow is possible). */
static inline int8_t mcs_s8_requant(int32_t acc, int32_t multiplier, int32_t shift,
                                    int32_t output_zp, int32_t act_min, int32_t act_max)
{
    int32_t v = mcs_s8_mbqm(acc, multiplier, shift);
    const int32_t lo = act_min - output_zp;
    const int32_t hi = act_max - output_zp;
    v = (v < lo) ? lo : ((v > hi) ? hi : v);
    return (int8_t)(v + output_zp);
}

/* ====================================================================================== */
/* Convolution                                                                            */
/* ====================================================================================== */

/*
 * Geometry (as mcs_conv2d_f32_params_t, groups = 1 or depthwise) and quantization of a
 * 2-D convolution. Padding: pad_top / pad_left given, bottom/right implied by out_h/out_w;
 * padded input positions read as real 0.0 (= input_zp), i.e. contribute nothing.
 * Conv1D: in_h = out_h = kernel_h = 1, stride_h = dilation_h = 1, pad_top = 0.
 */
typedef struct {
    int32_t batch;                  /* N >= 1 */
    int32_t in_h, in_w, in_c;       /* input  [batch][in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [batch][out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;     /* >= 1 */
    int32_t stride_h, stride_w;     /* >= 1 */
    int32_t dilation_h, dilation_w; /* >= 1 */
    int32_t pad_top, pad_left;      /* >= 0 */
    int32_t input_zp;               /* input zero point, [-128, 127] */
    int32_t output_zp;              /* output zero point, [-128, 127] */
    int32_t act_min, act_max;       /* fused activation clamp, int8 domain */
    int32_t weights_paired;         /* 1 = paired rows (below), 0 = plain; not depthwise;
                                     * 2 = paired, and the scratch holds the DSP kernel's q15
                                     * weight cache (the compiler gives it the room) */
} mcs_conv2d_s8_params_t;

/*
 * Weight orders of mcs_conv2d_s8 and mcs_pointwise_s8. Plain: [out_c][k] (k = kernel_h *
 * kernel_w * in_c, OHWI rows). Paired (p->weights_paired = 1), the same bytes reordered so that
 * the DSP kernels' four-pixel loops read both rows of a channel pair through one pointer: rows
 * 2i and 2i+1 together, for each group g < k / 4 the 4 values of row 2i then the 4 of row
 * 2i+1; then the k % 4 tail of row 2i, then of row 2i+1; an odd last row as is.
 * (mcusim.quant.layouts.pair_rows writes the order and chooses it per core and layer.)
 * Row o of either order: its groups of 4 values at *groups + step * g, its tail at *tail.
 */
static inline void mcs_s8_weight_row(const int8_t *weights, int32_t paired, int32_t k,
                                     int32_t out_c, int32_t o, const int8_t **groups,
                                     int32_t *step, const int8_t **tail)
{
    const int32_t g4 = k & ~3;
    const int8_t *pair = weights + (o & ~1) * k;
    if (!paired || (o + 1 == out_c && (o & 1) == 0)) {
        *groups = weights + o * k;
        *step = 4;
        *tail = *groups + g4;
    } else {
        *groups = pair + 4 * (o & 1);
        *step = 8;
        *tail = pair + 2 * g4 + (o & 1) * (k - g4);
    }
}

/*
 * Conv2D, groups = 1, per-channel quantized weights.
 *   input       [batch][in_h][in_w][in_c] int8
 *   weights     [out_c][kernel_h][kernel_w][in_c] int8 (OHWI, symmetric), or the same rows
 *               paired (p->weights_paired, above)
 *   bias        [out_c] int32, or NULL
 *   multiplier  [out_c], shift [out_c]: input_scale * w_scale[o] / output_scale
 *   scratch     mcs_conv2d_s8_get_buffer_size(p) bytes (reference: unused, may be NULL)
 *   output      [batch][out_h][out_w][out_c] int8
 * out = requant(bias[o] + sum_{ky,kx,ci} (in - input_zp) * w, multiplier[o], shift[o]).
 */
void mcs_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                   const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                   int8_t *output, const mcs_conv2d_s8_params_t *p);
int32_t mcs_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p);

/*
 * Pointwise (1x1) convolution: as mcs_conv2d_s8 with kernel 1x1, no padding, dilation
 * ignored; strides allowed. weights [out_c][in_c], plain or paired rows (p->weights_paired,
 * above).
 */
void mcs_pointwise_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                      int8_t *output, const mcs_conv2d_s8_params_t *p);
int32_t mcs_pointwise_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p);

/*
 * Depthwise Conv2D: out_c = in_c * multiplier, output channel o = c * multiplier + m reads
 * input channel c.
 *   weights [kernel_h][kernel_w][out_c] int8 (symmetric per channel)
 *   bias, multiplier, shift [out_c]
 *   scratch mcs_depthwise_conv2d_s8_get_buffer_size(p) bytes, 4-byte aligned (reference:
 *           unused, may be NULL)
 */
void mcs_depthwise_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                             int8_t *output, const mcs_conv2d_s8_params_t *p);
int32_t mcs_depthwise_conv2d_s8_get_buffer_size(const mcs_conv2d_s8_params_t *p);

/*
 * The same three for layers whose clamp floor is at or above the output zero point
 * (p->act_min >= p->output_zp: ReLU, ReLU6), which the compiler calls for such layers. Same
 * arguments, scratch and bytes out; the DSP versions requantize with one instruction fewer
 * per output (see MCS_DSP_RQ_RELU in kernels_c/dsp/mcs_dsp_s8.h). Called with
 * act_min < output_zp they still give the exact bytes, through slower paths.
 */
void mcs_conv2d_s8_relu(const int8_t *input, const int8_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                        int8_t *output, const mcs_conv2d_s8_params_t *p);
int32_t mcs_conv2d_s8_relu_get_buffer_size(const mcs_conv2d_s8_params_t *p);
void mcs_pointwise_s8_relu(const int8_t *input, const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, int16_t *scratch,
                           int8_t *output, const mcs_conv2d_s8_params_t *p);
int32_t mcs_pointwise_s8_relu_get_buffer_size(const mcs_conv2d_s8_params_t *p);
void mcs_depthwise_conv2d_s8_relu(const int8_t *input, const int8_t *weights,
                                  const int32_t *bias, const int32_t *multiplier,
                                  const int32_t *shift, int16_t *scratch, int8_t *output,
                                  const mcs_conv2d_s8_params_t *p);
int32_t mcs_depthwise_conv2d_s8_relu_get_buffer_size(const mcs_conv2d_s8_params_t *p);

/* ====================================================================================== */
/* Matrix products                                                                        */
/* ====================================================================================== */

typedef struct {
    int32_t batch;                  /* rows of input / output */
    int32_t in_features;            /* K */
    int32_t out_features;           /* N */
    int32_t input_zp, output_zp;
    int32_t act_min, act_max;
} mcs_fully_connected_s8_params_t;

/*
 * Fully connected (Gemm / MatMul by a constant), per-output-channel quantized weights.
 *   input [batch][K], weights [N][K], bias [N] or NULL, multiplier/shift [N],
 *   scratch mcs_fully_connected_s8_get_buffer_size(p) bytes, output [batch][N].
 */
void mcs_fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int16_t *scratch, int8_t *output,
                            const mcs_fully_connected_s8_params_t *p);
int32_t mcs_fully_connected_s8_get_buffer_size(const mcs_fully_connected_s8_params_t *p);

typedef struct {
    int32_t batch, m, k, n;
    int32_t a_batch_stride, b_batch_stride; /* elements; 0 broadcasts over the batch */
    int32_t a_zp, b_zp, output_zp;
    int32_t multiplier, shift;      /* a_scale * b_scale / output_scale */
    int32_t act_min, act_max;
} mcs_matmul_s8_params_t;

/*
 * MatMul of two activations (attention): C_b[m][n] = requant(sum_k (A - a_zp)(B - b_zp)).
 *   a [m][k] at a + b * a_batch_stride; b_mat [k][n] at b_mat + b * b_batch_stride;
 *   output [batch][m][n].
 */
void mcs_matmul_s8(const int8_t *a, const int8_t *b_mat, int8_t *output,
                   const mcs_matmul_s8_params_t *p);

/* ====================================================================================== */
/* Pooling (input and output share scale and zero point)                                  */
/* ====================================================================================== */

typedef struct {
    int32_t batch;
    int32_t in_h, in_w, channels;   /* input  [batch][in_h][in_w][channels] */
    int32_t out_h, out_w;           /* output [batch][out_h][out_w][channels] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;      /* AveragePool: 1 = divide by positions inside the
                                       padded input, 0 = by valid positions */
    int32_t zero_point;             /* AveragePool: of input and output */
    int32_t act_min, act_max;
} mcs_pool2d_s8_params_t;

/* MaxPool: max over the valid positions (padding never wins), clamped to [act_min, act_max].
 * A window with no valid position outputs act_min. */
void mcs_maxpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p);

/* AveragePool: acc = sum of (q - zero_point) over valid positions; out = zero_point +
 * acc / count rounded half away from zero; clamped. An empty window outputs zero_point. */
void mcs_avgpool2d_s8(const int8_t *input, int8_t *output, const mcs_pool2d_s8_params_t *p);

/* GlobalAveragePool: input [batch][spatial][channels] -> output [batch][channels], same
 * rounding as mcs_avgpool2d_s8 with count = spatial. */
void mcs_global_avgpool_s8(const int8_t *input, int8_t *output, int32_t batch,
                           int32_t spatial, int32_t channels, int32_t zero_point,
                           int32_t act_min, int32_t act_max);

/* ====================================================================================== */
/* Element-wise                                                                           */
/* ====================================================================================== */

/* Add (TFLite int8 scheme): each input becomes ((q - zp) << left_shift) * its multiplier,
 * the sum is requantized with out_mult/out_shift. mcusim.quant.ops.add_params computes it. */
typedef struct {
    int32_t a_zp, a_mult, a_shift;
    int32_t b_zp, b_mult, b_shift;
    int32_t left_shift;             /* 20 */
    int32_t output_zp, out_mult, out_shift;
    int32_t act_min, act_max;
} mcs_add_s8_params_t;

/* out = a + b with broadcasting (mcs_broadcast_params_t, see mcs_kernels_common.h). */
void mcs_add_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_add_s8_params_t *q);

typedef struct {
    int32_t a_zp, b_zp, output_zp;
    int32_t multiplier, shift;      /* a_scale * b_scale / output_scale */
    int32_t act_min, act_max;
} mcs_mul_s8_params_t;

/* out = requant((a - a_zp) * (b - b_zp)) with broadcasting. */
void mcs_mul_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_mul_s8_params_t *q);

/* Clamp (standalone ReLU / ReLU6 / Clip, unchanged quantization). In place OK. */
void mcs_clamp_s8(const int8_t *input, int8_t *output, int32_t size, int32_t act_min,
                  int32_t act_max);

/* Requantize to another (scale, zero point): out = requant(q - input_zp). In place OK. */
void mcs_requantize_s8(const int8_t *input, int8_t *output, int32_t size, int32_t input_zp,
                       int32_t output_zp, int32_t multiplier, int32_t shift);

/* Table lookup, out = lut[q + 128]: Sigmoid, Tanh, HardSwish, GELU... with a 256-entry
 * table built on the host (mcusim.quant.ops.build_lut). In place OK. */
void mcs_lut_s8(const int8_t *input, const int8_t *lut, int8_t *output, int32_t size);

/*
 * Softmax over the last axis of [outer][n], n <= 65535. Output quantization is fixed:
 * scale 1/256, zero point -128. exp_table[256] (uint32, built on the host by
 * mcusim.quant.ops.softmax_table): exp_table[i] = round(exp(in_scale * (i - 255)) * 2^16).
 *   e_j = exp_table[q_j - max + 255];  s = sum e_j;  out_j = min((e_j*256 + s/2) / s, 255) - 128
 */
void mcs_softmax_s8(const int8_t *input, const uint32_t *exp_table, int8_t *output,
                    int32_t outer, int32_t n);

/* ====================================================================================== */
/* Data movement and model boundaries                                                     */
/* ====================================================================================== */

/* Concat: as mcs_concat_f32 (inputs share the output's quantization). */
void mcs_concat_s8(const int8_t *const *inputs, int8_t *output, int32_t n_inputs,
                   const int32_t *axis_sizes, int32_t outer, int32_t inner);

/* Copy (Reshape / Flatten / Identity when not a view): output == input is a no-op. */
void mcs_copy_s8(const int8_t *input, int8_t *output, int32_t size);

/* Transpose: as mcs_transpose_f32. */
void mcs_transpose_s8(const int8_t *input, int8_t *output, const mcs_transpose_params_t *p);

/* Pad, constant mode (ONNX Pad with 0.0 -> value = zero point), pads >= 0. */
typedef struct {
    int32_t ndim;
    int32_t in_shape[MCS_MAX_DIMS];
    int32_t pads_begin[MCS_MAX_DIMS];
    int32_t pads_end[MCS_MAX_DIMS];
    int32_t value;                  /* int8 fill value */
} mcs_pad_s8_params_t;

void mcs_pad_s8(const int8_t *input, int8_t *output, const mcs_pad_s8_params_t *p);

/*
 * QuantizeLinear float32 -> int8, optionally moving one axis last in the same pass (a model's
 * NCHW / NCL float input becomes the NHWC / NLC int8 activations without a separate Transpose):
 *   input  [outer][channels][inner] float32
 *   output [outer][inner][channels] int8     (channels = 1: plain QuantizeLinear)
 *   out = saturate(rintf(x / scale) + zero_point): float32 division, round half to even, as
 *   numpy (mcusim.quant.params.quantize_f32); a NaN input gives an unspecified int8.
 * The DSP version divides once per call, not per value (see kernels_c/dsp/mcs_quantize_s8.c).
 */
typedef struct {
    int32_t outer, channels, inner;
    float scale;                    /* > 0, finite */
    int32_t zero_point;             /* [-128, 127] */
} mcs_quantize_s8_params_t;

void mcs_quantize_s8(const float *input, int8_t *output, const mcs_quantize_s8_params_t *p);

/* DequantizeLinear: out = (float)(q - zero_point) * scale (float32). */
void mcs_dequantize_s8(const int8_t *input, float *output, int32_t size, float scale,
                           int32_t zero_point);

/*
 * LayerNormalization over the last axis of [outer][n], int8 in and out (issue 7), integer only:
 *   d_j = x_j - input_zp;  S = sum d_j (int32);  SS = sum d_j^2 (int64)
 *   den = isqrt(n * SS - S^2 + eps_term)  (= n * std in input units; 1 if 0)
 *   t_j = round_half_away(((n * d_j - S) * gamma_q[j]) / den) + beta_q[j]   (int64)
 *   y_j = sat8(((t_j + 2^(shift-1)) >> shift) + output_zp)   (arithmetic shift)
 * with, on the host: gamma_q = round(gamma / s_y * 2^shift), beta_q = round(beta / s_y *
 * 2^shift), eps_term = min(2^31 - 1, round(epsilon * n^2 / s_x^2)). Requires n * 255 * max|gamma_q| < 2^63.
 */
void mcs_layer_norm_s8(const int8_t *input, const int32_t *gamma_q, const int32_t *beta_q,
                       int8_t *output, int32_t outer, int32_t n, int32_t input_zp,
                       int32_t output_zp, int32_t eps_term, int32_t shift);

#ifdef __cplusplus
}
#endif

#endif /* MCS_KERNELS_S8_H */
