/* mcs_transpose_s8.c - int8 Transpose (any rank up to MCS_MAX_DIMS).
 * Portable; see mcs_kernels_s8.h. */
#include "mcs_kernels_s8.h"

/*
 * The same permutation on fewer, longer dims: input dims of size 1 dropped, and input dims
 * that follow each other in the output as they do in the input merged into one. Writes the
 * shape and permutation and returns the new rank (0 for a single element). A model's
 * NHWC -> NCHW before a Flatten, for one, becomes [H*W][C] -> [C][H*W].
 */
static int32_t transpose_canonical(const mcs_transpose_params_t *p, int32_t *shape,
                                   int32_t *perm)
{
    int32_t keep[MCS_MAX_DIMS]; /* new index of each kept input dim, -1 if dropped */
    int32_t order[MCS_MAX_DIMS];
    int32_t group[MCS_MAX_DIMS]; /* merged group of each kept input dim */
    int32_t n = 0, m = 0, d, g;

    for (d = 0; d < p->ndim; ++d) {
        keep[d] = (p->in_shape[d] != 1) ? n++ : -1;
    }
    for (d = 0; d < p->ndim; ++d) { /* output order of the kept dims */
        if (keep[p->perm[d]] >= 0) {
            order[m++] = keep[p->perm[d]];
        }
    }
    /* a group starts at every kept input dim that does not directly follow its
     * predecessor in the output */
    for (d = 0; d < n; ++d) {
        group[d] = -1;
    }
    g = 0;
    for (d = 0; d < n; ++d) {
        const int32_t i = order[d];
        if (d > 0 && i == order[d - 1] + 1) {
            group[i] = group[order[d - 1]];
        } else {
            group[i] = g++;
        }
    }
    /* groups numbered in output order; their input order gives the new shape and perm */
    {
        int32_t in_rank[MCS_MAX_DIMS];
        int32_t r = 0;
        for (d = 0; d < g; ++d) {
            shape[d] = 1;
        }
        for (d = 0; d < n; ++d) { /* input dims in order: a group's rank is its first dim's */
            if (d == 0 || group[d] != group[d - 1]) {
                in_rank[group[d]] = r++;
            }
        }
        for (d = 0; d < p->ndim; ++d) {
            if (keep[d] >= 0) {
                shape[in_rank[group[keep[d]]]] *= p->in_shape[d];
            }
        }
        for (d = 0; d < g; ++d) { /* output dim d is group d */
            perm[d] = in_rank[d];
        }
    }
    return g;
}

void mcs_transpose_s8(const int8_t *input, int8_t *output, const mcs_transpose_params_t *p)
{
    int32_t shape[MCS_MAX_DIMS];
    int32_t perm[MCS_MAX_DIMS];
    int32_t in_strides[MCS_MAX_DIMS];
    int32_t out_shape[MCS_MAX_DIMS];
    int32_t stride[MCS_MAX_DIMS]; /* input stride of each output dim */
    int32_t index[MCS_MAX_DIMS];
    int32_t total = 1;
    int32_t d, i, offset = 0;
    const int32_t ndim = transpose_canonical(p, shape, perm);

    if (ndim <= 1 || (ndim == 2 && perm[0] == 0)) { /* the identity: a copy */
        for (d = 0; d < p->ndim; ++d) {
            total *= p->in_shape[d];
        }
        for (i = 0; i < total; ++i) {
            output[i] = input[i];
        }
        return;
    }
    if ((ndim == 2 && perm[0] == 1) || (ndim == 3 && perm[0] == 0 && perm[1] == 2)) {
        /* [batch][rows][cols] -> [batch][cols][rows] (batch = 1 for rank 2) */
        const int32_t batch = (ndim == 3) ? shape[0] : 1;
        const int32_t rows = shape[ndim - 2];
        const int32_t cols = shape[ndim - 1];
        int32_t b, c, r;
        for (b = 0; b < batch; ++b) {
            const int8_t *in = input + b * rows * cols;
            int8_t *out = output + b * rows * cols;
            for (c = 0; c < cols; ++c) {
                const int8_t *src = in + c;
                for (r = 0; r < rows; ++r) {
                    *out++ = *src;
                    src += cols;
                }
            }
        }
        return;
    }
    for (d = ndim - 1; d >= 0; --d) {
        in_strides[d] = total;
        total *= shape[d];
    }
    for (d = 0; d < ndim; ++d) {
        out_shape[d] = shape[perm[d]];
        stride[d] = in_strides[perm[d]];
        index[d] = 0;
    }
    if (perm[ndim - 1] == ndim - 1) {
        /* the last dim stays last (attention heads: [A][B][C] -> [B][A][C]): whole runs of
         * shape[ndim - 1] bytes, the odometer over the other dims */
        const int32_t run = shape[ndim - 1];
        int32_t k;
        for (i = 0; i < total; i += run) {
            for (k = 0; k < run; ++k) {
                output[i + k] = input[offset + k];
            }
            for (d = ndim - 2; d >= 0; --d) {
                index[d] += 1;
                offset += stride[d];
                if (index[d] < out_shape[d]) {
                    break;
                }
                offset -= stride[d] * out_shape[d];
                index[d] = 0;
            }
        }
        return;
    }
    for (i = 0; i < total; ++i) {
        output[i] = input[offset];
        for (d = ndim - 1; d >= 0; --d) {
            index[d] += 1;
            offset += stride[d];
            if (index[d] < out_shape[d]) {
                break;
            }
            offset -= stride[d] * out_shape[d];
            index[d] = 0;
        }
    }
}
