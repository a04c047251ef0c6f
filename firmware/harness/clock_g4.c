/*
 * clock_g4.c - STM32G4 clock tree: PLL R output as SYSCLK, range 1 boost mode for 170 MHz,
 * flash wait states from the board data. Register facts: RM0440 (see mcs_regs_g4.h).
 * Sequence: RM0440 6.1.5 "Dynamic voltage scaling management", range 1 normal -> boost:
 * divide SYSCLK by 2 with the AHB prescaler, clear R1MODE, raise the flash latency, switch
 * to the new frequency, wait at least 1 us, then restore the AHB prescaler.
 */
#include "mcs_harness.h"
#include "clock_common.h"
#include "mcs_regs_g4.h"

#if defined(MCS_CLK_PLL_SOURCE_HSI16)
#define PLL_SRC RCC_PLLSRC_HSI16
#elif defined(MCS_CLK_PLL_SOURCE_HSE)
#define PLL_SRC RCC_PLLSRC_HSE
#else
#error "clock.pll_source: unsupported for g4"
#endif

#if defined(MCS_CLK_VOLTAGE_RANGE_RANGE2)
#define VOS 2u
#define BOOST 0
#else
#define VOS 1u
#if defined(MCS_CLK_VOLTAGE_RANGE_RANGE1_BOOST)
#define BOOST 1
#else
#define BOOST 0
#endif
#endif

#ifndef MCS_CLK_AHB_DIVIDE_DURING_SWITCH
#define MCS_CLK_AHB_DIVIDE_DURING_SWITCH BOOST
#endif

/* PLLQ/PLLR encodings: 00 /2, 01 /4, 10 /6, 11 /8 (RM0440 7.4.4) */
#define QR_BITS(div) (((div) / 2u) - 1u)

static void give_up(mcs_clock_t *out, const char *step)
{
    /* Back to HSI16 (the reset clock, prescalers /1); latency and boost stay (safe). */
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~(RCC_CFGR_SW_MASK | (0xFu << RCC_CFGR_HPRE_SHIFT) |
                                               (0x3Fu << RCC_CFGR_PPRE1_SHIFT))) | RCC_SW_HSI16;
    (void)mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR)), RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT,
                   RCC_SW_HSI16 << RCC_CFGR_SWS_SHIFT);
    out->failed_step = step;
    out->cpu_hz = MCS_RESET_CLOCK_HZ;
    out->uart_kernel_hz = MCS_RESET_CLOCK_HZ;
}

void mcs_chip_caches_init(void)
{
    /* ART accelerator (RM0440 3.3.3): instruction and data caches and prefetch. The caches
     * are on out of reset (FLASH_ACR = 0x600); prefetch follows the board data. */
    uint32_t acr = FLASH_REG(FLASH_ACR) | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
#if defined(MCS_CLK_FLASH_PREFETCH) && MCS_CLK_FLASH_PREFETCH
    acr |= FLASH_ACR_PRFTEN;
#endif
    FLASH_REG(FLASH_ACR) = acr;
}

void mcs_clock_init(mcs_clock_t *out)
{
    out->cpu_hz = MCS_RESET_CLOCK_HZ;
    out->uart_kernel_hz = MCS_RESET_CLOCK_HZ;
    out->failed_step = 0;
    out->boost_missing = 0;
#if MCS_RESET_CLOCK
    return;
#else
    mcs_rcc_enable(RCC_APB1ENR1, 28u);   /* PWREN */

#if defined(MCS_CLK_PLL_SOURCE_HSE)
#if MCS_HSE_BYPASS
    RCC_REG(RCC_CR) |= RCC_CR_HSEBYP;
#endif
    RCC_REG(RCC_CR) |= RCC_CR_HSEON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        give_up(out, "RCC_CR.HSERDY");
        return;
    }
#endif

    /* PLL (off out of reset): source, M, N, R output enabled. */
    RCC_REG(RCC_PLLCFGR) = (PLL_SRC << RCC_PLLCFGR_SRC_SHIFT) |
                           ((MCS_CLK_PLL_M - 1u) << RCC_PLLCFGR_M_SHIFT) |
                           (MCS_CLK_PLL_N << RCC_PLLCFGR_N_SHIFT) |
                           (QR_BITS(MCS_CLK_PLL_Q) << RCC_PLLCFGR_Q_SHIFT) |
                           (QR_BITS(MCS_CLK_PLL_R) << RCC_PLLCFGR_R_SHIFT) |
                           ((MCS_CLK_PLL_P >= 2u ? MCS_CLK_PLL_P : 0u) << RCC_PLLCFGR_PDIV_SHIFT) |
                           RCC_PLLCFGR_REN;

    /* Voltage range 1 (the reset range), then boost mode. */
    PWR_REG(PWR_CR1) = (PWR_REG(PWR_CR1) & ~PWR_CR1_VOS_MASK) | (VOS << PWR_CR1_VOS_SHIFT);
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_SR2)), PWR_SR2_VOSF, 0u)) {
        give_up(out, "PWR_SR2.VOSF");
        return;
    }
    uint32_t step_div = MCS_CLK_AHB_DIVIDE_DURING_SWITCH && MCS_CLK_AHB_PRESCALER < 2u
                            ? 2u : MCS_CLK_AHB_PRESCALER;
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~(0xFu << RCC_CFGR_HPRE_SHIFT)) |
                        (mcs_hpre_bits(step_div) << RCC_CFGR_HPRE_SHIFT);
#if BOOST
    PWR_REG(PWR_CR5) &= ~PWR_CR5_R1MODE;
#endif

    FLASH_REG(FLASH_ACR) = (FLASH_REG(FLASH_ACR) & ~FLASH_ACR_LATENCY_MASK) | MCS_CLK_FLASH_LATENCY;
    if ((FLASH_REG(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != MCS_CLK_FLASH_LATENCY) {
        give_up(out, "FLASH_ACR.LATENCY");
        return;
    }

    RCC_REG(RCC_CR) |= RCC_CR_PLLON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        give_up(out, "RCC_CR.PLLRDY");
        return;
    }
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~((0x7u << RCC_CFGR_PPRE1_SHIFT) |
                                               (0x7u << RCC_CFGR_PPRE2_SHIFT))) |
                        (mcs_ppre_bits(MCS_CLK_APB1_PRESCALER) << RCC_CFGR_PPRE1_SHIFT) |
                        (mcs_ppre_bits(MCS_CLK_APB2_PRESCALER) << RCC_CFGR_PPRE2_SHIFT);
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~RCC_CFGR_SW_MASK) | RCC_SW_PLL;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR)), RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT,
                  RCC_SW_PLL << RCC_CFGR_SWS_SHIFT)) {
        give_up(out, "RCC_CFGR.SWS");
        return;
    }
    mcs_delay_us(2u, MCS_CLK_SYSCLK_HZ / step_div);
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~(0xFu << RCC_CFGR_HPRE_SHIFT)) |
                        (mcs_hpre_bits(MCS_CLK_AHB_PRESCALER) << RCC_CFGR_HPRE_SHIFT);

    out->cpu_hz = MCS_CPU_HZ;
    out->uart_kernel_hz = MCS_UART_KERNEL_HZ;
#endif
}
