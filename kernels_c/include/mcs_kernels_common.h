/*
 * mcs_kernels_common.h - small types and helpers shared by every mcusim kernel (f32, s8).
 *
 * Everything here is either a type, a macro or a `static inline` function, so a kernel
 * .c file depends only on headers (and libm for f32): the code generator copies the
 * kernel files a model needs and nothing else, with no link-time dependency between
 * kernel files.
 *
 * Portable C99; no libc.
 */
#ifndef MCS_KERNELS_COMMON_H
#define MCS_KERNELS_COMMON_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest tensor rank a kernel accepts (same value as in firmware/include/mcs_model.h). */
#ifndef MCS_MAX_DIMS
#define MCS_MAX_DIMS 6
#endif

/*
 * Output length of a convolution or pooling window along one axis, ONNX formula with
 * floor rounding (ceil_mode = 0):
 *   out = floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride) + 1
 * The kernels never compute this themselves: the caller passes out_h/out_w, so ceil_mode
 * or asymmetric padding are just a different out_h/out_w.
 */
#define MCS_WINDOW_OUT_SIZE(in, kernel, stride, dilation, pad_begin, pad_end) \
    ((((in) + (pad_begin) + (pad_end) - (dilation) * ((kernel) - 1) - 1) / (stride)) + 1)

/*
 * Broadcast description for elementwise binary kernels (numpy/ONNX multidirectional
 * broadcasting), computed by the caller (code generator):
 *   - ndim in 1..MCS_MAX_DIMS; shapes are right-aligned to ndim (missing leading dims = 1).
 *   - out_shape[d]: the broadcast output shape; every entry >= 1.
 *   - a_strides[d], b_strides[d]: element strides of the (contiguous, row-major) operand
 *     along output dim d, or 0 where that operand has size 1 (or is missing) on dim d.
 * Example: a [2,3,4] + b [4]  -> ndim 3, out_shape {2,3,4},
 *          a_strides {12,4,1}, b_strides {0,0,1}.
 * Callers should merge adjacent dims with the same broadcast pattern (fewer, longer rows
 * run faster), but any valid description gives the right result.
 */
typedef struct {
    int32_t ndim;
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t a_strides[MCS_MAX_DIMS];
    int32_t b_strides[MCS_MAX_DIMS];
} mcs_broadcast_params_t;

/*
 * Row iterator over a broadcast: visits every output row (all dims but the last, in
 * row-major order) and gives the element offsets of a and b for the start of that row.
 * Usage:
 *   mcs_broadcast_iter_t it;
 *   int32_t rows = mcs_broadcast_iter_init(&it, p);
 *   for (r = 0; r < rows; ++r) { ...row at it.a_offset / it.b_offset...;
 *                                mcs_broadcast_iter_next(&it, p); }
 */
typedef struct {
    int32_t index[MCS_MAX_DIMS];
    int32_t a_offset;
    int32_t b_offset;
} mcs_broadcast_iter_t;

/* Starts the iteration; returns the number of rows (product of out_shape[0..ndim-2]). */
static inline int32_t mcs_broadcast_iter_init(mcs_broadcast_iter_t *it,
                                              const mcs_broadcast_params_t *p)
{
    int32_t d;
    int32_t rows = 1;
    for (d = 0; d < MCS_MAX_DIMS; ++d) {
        it->index[d] = 0;
    }
    for (d = 0; d + 1 < p->ndim; ++d) {
        rows *= p->out_shape[d];
    }
    it->a_offset = 0;
    it->b_offset = 0;
    return rows;
}

/* Advances to the next row (odometer over dims ndim-2 .. 0). */
static inline void mcs_broadcast_iter_next(mcs_broadcast_iter_t *it,
                                           const mcs_broadcast_params_t *p)
{
    int32_t d;
    for (d = p->ndim - 2; d >= 0; --d) {
        it->index[d] += 1;
        it->a_offset += p->a_strides[d];
        it->b_offset += p->b_strides[d];
        if (it->index[d] < p->out_shape[d]) {
            return;
        }
        it->a_offset -= p->a_strides[d] * p->out_shape[d];
        it->b_offset -= p->b_strides[d] * p->out_shape[d];
        it->index[d] = 0;
    }
}

/* Geometry of data-movement kernels; dtype independent (shared by f32 and s8). */

/*
 * Transpose (ONNX Transpose): output dim d is input dim perm[d];
 * output shape[d] = in_shape[perm[d]]. ndim in 1..MCS_MAX_DIMS.
 */
typedef struct {
    int32_t ndim;
    int32_t in_shape[MCS_MAX_DIMS];
    int32_t perm[MCS_MAX_DIMS];     /* a permutation of 0..ndim-1 */
} mcs_transpose_params_t;

/*
 * Slice with steps (ONNX Slice after the caller normalized starts/ends/steps per dim):
 * output index o_d along dim d reads input index starts[d] + o_d * steps[d], for
 * o_d in [0, out_shape[d]). Steps may be negative; every index read must be in range.
 */
typedef struct {
    int32_t ndim;
    int32_t in_shape[MCS_MAX_DIMS];
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t starts[MCS_MAX_DIMS];
    int32_t steps[MCS_MAX_DIMS];    /* != 0 */
} mcs_slice_params_t;

/* Pad modes (ONNX Pad mode attribute). */
typedef enum {
    MCS_PAD_CONSTANT = 0,           /* fill with value */
    MCS_PAD_REFLECT = 1,            /* mirror without the edge; needs pad < dim size */
    MCS_PAD_EDGE = 2                /* repeat the edge element */
} mcs_pad_mode_t;

/*
 * Pad (ONNX Pad): out_shape[d] = in_shape[d] + pads_begin[d] + pads_end[d].
 * Negative pads crop (ONNX allows them). Output index o reads input index o - pads_begin[d]
 * (mapped by the mode when outside [0, in_shape[d])).
 */
typedef struct {
    int32_t ndim;
    int32_t in_shape[MCS_MAX_DIMS];
    int32_t pads_begin[MCS_MAX_DIMS];
    int32_t pads_end[MCS_MAX_DIMS];
    int32_t mode;                   /* mcs_pad_mode_t */
    float value;                    /* MCS_PAD_CONSTANT fill value */
} mcs_pad_params_t;

#ifdef __cplusplus
}
#endif

#endif /* MCS_KERNELS_COMMON_H */
