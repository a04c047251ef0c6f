/*
 * clock_common.c - helpers shared by the per-family clock set-up files: bounded waits, a
 * busy delay, and the AHB/APB prescaler encodings common to the three families
 * (RM0456 RCC_CFGR2 HPRE/PPREx, RM0468 RCC_D1CFGR HPRE/D1CPRE/DxPPRE, RM0440 RCC_CFGR
 * HPRE/PPREx: 0xxx = /1, 1000 = /2 ... 1111 = /512; 0xx = /1, 100 = /2 ... 111 = /16).
 */
#include "mcs_harness.h"
#include "clock_common.h"

int mcs_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < MCS_WAIT_LIMIT; i++) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

void mcs_delay_us(uint32_t us, uint32_t hz)
{
    /* At least one core cycle per iteration, so this waits at least `us`. */
    uint32_t n = us * (hz / 1000000u + 1u);
    for (volatile uint32_t i = 0; i < n; i++) {
        mcs_nop();
    }
}

uint32_t mcs_hpre_bits(uint32_t div)
{
    switch (div) {
    case 2: return 0x8u;
    case 4: return 0x9u;
    case 8: return 0xAu;
    case 16: return 0xBu;
    case 64: return 0xCu;
    case 128: return 0xDu;
    case 256: return 0xEu;
    case 512: return 0xFu;
    default: return 0x0u;
    }
}

uint32_t mcs_ppre_bits(uint32_t div)
{
    switch (div) {
    case 2: return 0x4u;
    case 4: return 0x5u;
    case 8: return 0x6u;
    case 16: return 0x7u;
    default: return 0x0u;
    }
}
