/*
 * cache_m7.c - Cortex-M7 L1 instruction and data caches, written for this project from the
 * ARMv7-M ARM (DDI0403E B2.2.7 cache maintenance operations, B3.2.3 cache identification)
 * and the Cortex-M7 TRM (DDI0489F 4.1 "Cache maintenance"): invalidate the whole I-cache
 * (ICIALLU), invalidate the D-cache by set/way (DCISW) with the geometry read from CCSIDR,
 * then set CCR.IC / CCR.DC, with DSB/ISB around each step. Which caches are turned on
 * comes from the board data (cache "icache" / "dcache" enabled). Compiled to nothing on cores
 * without L1 caches (MCS_CORE_HAS_L1_CACHE = 0).
 */
#include "mcs_harness.h"

#if MCS_CORE_HAS_L1_CACHE

static uint32_t log2_ceil(uint32_t x)
{
    uint32_t n = 0;
    while ((1u << n) < x) {
        n++;
    }
    return n;
}

void mcs_l1_cache_enable(void)
{
#if MCS_CACHE_ICACHE_ENABLED
    /* I-cache */
    mcs_dsb();
    mcs_isb();
    SCB_ICIALLU = 0u;
    mcs_dsb();
    mcs_isb();
    SCB_CCR |= SCB_CCR_IC;
    mcs_dsb();
    mcs_isb();
#endif

#if MCS_CACHE_DCACHE_ENABLED
    /* D-cache: select the L1 data cache, read its geometry, invalidate every line. */
    SCB_CSSELR = 0u;
    mcs_dsb();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = CCSIDR_SETS(ccsidr);
    uint32_t ways = CCSIDR_WAYS(ccsidr);
    uint32_t set_shift = CCSIDR_LINESIZE(ccsidr) + 4u;         /* log2(line bytes) */
    uint32_t way_shift = 32u - log2_ceil(ways);                 /* ways in the top bits */
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            uint32_t w = ways > 1u ? (way << way_shift) : 0u;
            SCB_DCISW = w | (set << set_shift);
        }
    }
    mcs_dsb();
    SCB_CCR |= SCB_CCR_DC;
    mcs_dsb();
    mcs_isb();
#endif
}

void mcs_dcache_clean(const void *addr, size_t bytes)
{
    if ((SCB_CCR & SCB_CCR_DC) == 0u || bytes == 0u) {
        return;
    }
    const uint32_t line = 32u;   /* Cortex-M7 L1 line size (DDI0489F 4.1) */
    uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(line - 1u);
    uintptr_t end = (uintptr_t)addr + bytes;
    mcs_dsb();
    for (; a < end; a += line) {
        SCB_DCCMVAC = (uint32_t)a;
    }
    mcs_dsb();
    mcs_isb();
}

#else

void mcs_l1_cache_enable(void) {}
void mcs_dcache_clean(const void *addr, size_t bytes)
{
    (void)addr;
    (void)bytes;
}

#endif
