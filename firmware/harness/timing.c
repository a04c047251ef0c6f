/*
 * timing.c - the DWT cycle counter and the per-layer accumulators behind mcs_layer_begin /
 * mcs_layer_end (mcs_model.h). DEMCR.TRCENA enables the DWT; on the Cortex-M7 its CoreSight
 * lock must be opened first (Cortex-M7 TRM DDI0489F 3.4: DWT_LAR = 0xC5ACCE55); writing the
 * LAR elsewhere is harmless (RAZ/WI on the M4 and M33 without a lock).
 */
#include "mcs_harness.h"
#include "mcs_model.h"

#ifndef MCS_MAX_LAYERS
#define MCS_MAX_LAYERS 256u
#endif

static uint32_t layer_start[MCS_MAX_LAYERS];
static uint32_t layer_total[MCS_MAX_LAYERS];

void mcs_cycles_init(void)
{
    DEMCR |= DEMCR_TRCENA;
#if MCS_CORE_HAS_DWT_LOCK
    DWT_LAR = DWT_LAR_KEY;
#endif
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

void mcs_layers_reset(void)
{
    for (uint32_t i = 0; i < MCS_MAX_LAYERS; i++) {
        layer_total[i] = 0u;
    }
}

uint32_t mcs_layer_cycles(uint32_t layer)
{
    return layer < MCS_MAX_LAYERS ? layer_total[layer] : 0u;
}

void mcs_layer_begin(uint32_t layer)
{
    if (layer < MCS_MAX_LAYERS) {
        layer_start[layer] = DWT_CYCCNT;
    }
}

void mcs_layer_end(uint32_t layer)
{
    uint32_t now = DWT_CYCCNT;
    if (layer < MCS_MAX_LAYERS) {
        layer_total[layer] += now - layer_start[layer];
    }
}
