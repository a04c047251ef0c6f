/* mcs_add_s8.c - int8 element-wise Add (TFLite scheme) for Cortex-M DSP: the three
 * requantizations use the SMLAL/QADD fast path of mcs_dsp_requant (mcs_dsp_s8.h) and the
 * innermost row runs without the broadcast bookkeeping. Bit-exact with
 * kernels_c/reference/mcs_add_s8.c; see mcs_kernels_s8.h. */
#include "mcs_dsp_s8.h"

/* mcs_s8_mbqm: fast for shift in [-23, 0], multiplier in [0, 2^31) and |x| < 2^28 (the input
 * difference shifted left by at most 20), else the generic helper. */
static inline int32_t scale_input(int32_t x, int32_t multiplier, int32_t shift, int32_t fast)
{
    if (!fast || shift > 0 || shift < -23) {
        return mcs_s8_mbqm(x, multiplier, shift);
    }
    x = (int32_t)(((int64_t)x * (int64_t)multiplier + (1LL << 30)) >> 31);
    if (shift < 0) {
        const int32_t e = -shift;
        /* exact here: |x| < 2^28, so the rounding add never saturates */
        x = (x + (int32_t)((1u << (e - 1)) - ((uint32_t)x >> 31))) >> e;
    }
    return x;
}

void mcs_add_s8(const int8_t *a, const int8_t *b, int8_t *output,
                const mcs_broadcast_params_t *bc, const mcs_add_s8_params_t *q)
{
    mcs_broadcast_iter_t it;
    const int32_t rows = mcs_broadcast_iter_init(&it, bc);
    const int32_t n = bc->out_shape[bc->ndim - 1];
    const int32_t sa = bc->a_strides[bc->ndim - 1];
    const int32_t sb = bc->b_strides[bc->ndim - 1];
    const int32_t lo = q->act_min - q->output_zp;
    const int32_t hi = q->act_max - q->output_zp;
    const int32_t ls = q->left_shift;
    const int32_t fast = ls <= 20;
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const int8_t *pa = a + it.a_offset;
        const int8_t *pb = b + it.b_offset;
        int8_t *out = output + r * n;
        for (i = 0; i < n; ++i) {
            const int32_t va =
                scale_input(((int32_t)*pa - q->a_zp) * (1 << ls), q->a_mult, q->a_shift, fast);
            const int32_t vb =
                scale_input(((int32_t)*pb - q->b_zp) * (1 << ls), q->b_mult, q->b_shift, fast);
            out[i] = mcs_dsp_requant(va + vb, q->out_mult, q->out_shift, q->output_zp, lo, hi);
            pa += sa;
            pb += sb;
        }
        mcs_broadcast_iter_next(&it, bc);
    }
}
