/* mcs_clamp_s8.c - int8 clamp (standalone ReLU / ReLU6 / Clip) for Cortex-M DSP, four values
 * per word: SSUB8 sets the GE flag of each byte lane where x >= bound (signed, exact), SEL
 * then picks x or the bound per lane; once for act_min, once for act_max. Bit-exact with
 * kernels_c/reference/mcs_clamp_s8.c; see mcs_dsp_s8.h. In place OK. */
#include "mcs_dsp_s8.h"

void mcs_clamp_s8(const int8_t *input, int8_t *output, int32_t size, int32_t act_min,
                  int32_t act_max)
{
    const uint32_t lo4 = ((uint32_t)act_min & 0xFFu) * 0x01010101u;
    const uint32_t hi4 = ((uint32_t)act_max & 0xFFu) * 0x01010101u;
    int32_t i;
    for (i = 0; i + 4 <= size; i += 4) {
        uint32_t v;
        memcpy(&v, input + i, 4);
        (void)__ssub8((int8x4_t)v, (int8x4_t)lo4);    /* GE lane = v >= act_min */
        v = (uint32_t)__sel((uint8x4_t)v, (uint8x4_t)lo4);
        (void)__ssub8((int8x4_t)v, (int8x4_t)hi4);    /* GE lane = v >= act_max */
        v = (uint32_t)__sel((uint8x4_t)hi4, (uint8x4_t)v);
        memcpy(output + i, &v, 4);
    }
    for (; i < size; ++i) {
        const int32_t x = input[i];
        output[i] = (int8_t)((x < act_min) ? act_min : ((x > act_max) ? act_max : x));
    }
}
