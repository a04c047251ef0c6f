/*
 * clock_u5.c - STM32U5 clock tree: PLL1 to the board's maximum clock (160 MHz), range 1
 * with the EPOD booster, flash wait states from the board data. Register facts: RM0456
 * (see mcs_regs_u5.h). Sequence: RM0456 10.5.4 "Dynamic voltage scaling management"
 * (raise VOS and enable the booster, then the flash latency, then the frequency) and
 * 11.4.x (PLL1 set-up while off; switch SW to PLL1; when going above 80 MHz, pass through
 * an AHB /2 step for at least 1 us to limit the current step).
 */
#include "mcs_harness.h"
#include "clock_common.h"
#include "mcs_regs_u5.h"

#if defined(MCS_CLK_PLL_SOURCE_MSIS)
#define PLL_SRC RCC_PLL1SRC_MSIS
#elif defined(MCS_CLK_PLL_SOURCE_HSI16)
#define PLL_SRC RCC_PLL1SRC_HSI16
#elif defined(MCS_CLK_PLL_SOURCE_HSE)
#define PLL_SRC RCC_PLL1SRC_HSE
#else
#error "clock.pll_source: unsupported for u5"
#endif

#if defined(MCS_CLK_PLL_INPUT_RANGE_8_16MHZ)
#define PLL_RGE 3u
#else
#define PLL_RGE 0u   /* 4-8 MHz */
#endif

#if defined(MCS_CLK_VOLTAGE_RANGE_RANGE1)
#define VOS 3u
#elif defined(MCS_CLK_VOLTAGE_RANGE_RANGE2)
#define VOS 2u
#elif defined(MCS_CLK_VOLTAGE_RANGE_RANGE3)
#define VOS 1u
#else
#define VOS 0u
#endif

#ifndef MCS_CLK_PLL_MBOOST
#define MCS_CLK_PLL_MBOOST 1u
#endif
#define MBOOST_BITS (MCS_CLK_PLL_MBOOST <= 1u ? 0u : MCS_CLK_PLL_MBOOST / 2u)

#ifndef MCS_CLK_APB3_PRESCALER
#define MCS_CLK_APB3_PRESCALER 1u
#endif

static void give_up(mcs_clock_t *out, const char *step)
{
    /* Back to the reset clock (MSIS, all prescalers /1); latency and voltage stay raised,
     * which is safe at a lower frequency. */
    RCC_REG(RCC_CFGR1) = (RCC_REG(RCC_CFGR1) & ~RCC_CFGR1_SW_MASK) | RCC_SW_MSIS;
    (void)mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR1)), RCC_CFGR1_SW_MASK << RCC_CFGR1_SWS_SHIFT, 0u);
    RCC_REG(RCC_CFGR2) = 0u;
    RCC_REG(RCC_CFGR3) = 0u;
    out->failed_step = step;
    out->cpu_hz = MCS_RESET_CLOCK_HZ;
    out->uart_kernel_hz = MCS_RESET_CLOCK_HZ;
}

void mcs_chip_caches_init(void)
{
#if defined(MCS_PERIPH_ICACHE_BASE) && MCS_CACHE_ICACHE_ENABLED
    /* RM0456 8.4: WAYSEL may change only while the cache is disabled (it is at reset). */
    volatile uint32_t *cr = &MCS_REG32(MCS_PERIPH_ICACHE_BASE + ICACHE_CR);
#if MCS_CACHE_ICACHE_WAYS == 1
    *cr &= ~ICACHE_CR_WAYSEL;
#else
    *cr |= ICACHE_CR_WAYSEL;
#endif
    *cr |= ICACHE_CR_EN;
#endif
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
    mcs_rcc_enable(RCC_AHB3ENR, 2u);   /* PWREN */

#if defined(MCS_CLK_REGULATOR_SMPS)
    /* Switch to the SMPS before changing the range (RM0456 10.5.1). */
    PWR_REG(PWR_CR3) |= PWR_CR3_REGSEL;
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_SVMSR)), PWR_SVMSR_REGS, PWR_SVMSR_REGS)) {
        give_up(out, "PWR_SVMSR.REGS");
        return;
    }
#endif

    /* PLL1 reference oscillator. MSIS runs at 4 MHz out of reset. */
#if defined(MCS_CLK_PLL_SOURCE_HSI16)
    RCC_REG(RCC_CR) |= RCC_CR_HSION;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_HSIRDY, RCC_CR_HSIRDY)) {
        give_up(out, "RCC_CR.HSIRDY");
        return;
    }
#elif defined(MCS_CLK_PLL_SOURCE_HSE)
#if MCS_HSE_BYPASS
    RCC_REG(RCC_CR) |= RCC_CR_HSEBYP;
#endif
    RCC_REG(RCC_CR) |= RCC_CR_HSEON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        give_up(out, "RCC_CR.HSERDY");
        return;
    }
#endif

    /* PLL1 (off out of reset): source, M, input range, EPOD booster prescaler, R output.
     * The booster clock (source / MBOOST) is selected before BOOSTEN is set. */
    RCC_REG(RCC_PLL1CFGR) = (PLL_SRC << RCC_PLL1CFGR_SRC_SHIFT) |
                            (PLL_RGE << RCC_PLL1CFGR_RGE_SHIFT) |
                            ((MCS_CLK_PLL_M - 1u) << RCC_PLL1CFGR_M_SHIFT) |
                            (MBOOST_BITS << RCC_PLL1CFGR_MBOOST_SHIFT) | RCC_PLL1CFGR_REN;
    RCC_REG(RCC_PLL1DIVR) = ((MCS_CLK_PLL_N - 1u) << 0) | ((MCS_CLK_PLL_P - 1u) << 9) |
                            ((MCS_CLK_PLL_Q - 1u) << 16) | ((MCS_CLK_PLL_R - 1u) << 24);

    /* Voltage range (and the EPOD booster) before raising the frequency. */
    uint32_t vosr = PWR_REG(PWR_VOSR) & ~(PWR_VOSR_VOS_MASK | PWR_VOSR_BOOSTEN);
    vosr |= VOS << PWR_VOSR_VOS_SHIFT;
#if MCS_CLK_EPOD_BOOST
    vosr |= PWR_VOSR_BOOSTEN;
#endif
    PWR_REG(PWR_VOSR) = vosr;
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_VOSR)), PWR_VOSR_VOSRDY, PWR_VOSR_VOSRDY)) {
        give_up(out, "PWR_VOSR.VOSRDY");
        return;
    }
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_SVMSR)), PWR_SVMSR_ACTVOSRDY, PWR_SVMSR_ACTVOSRDY)) {
        give_up(out, "PWR_SVMSR.ACTVOSRDY");
        return;
    }
#if MCS_CLK_EPOD_BOOST
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_VOSR)), PWR_VOSR_BOOSTRDY, PWR_VOSR_BOOSTRDY)) {
        give_up(out, "PWR_VOSR.BOOSTRDY");
        return;
    }
#endif

    /* Flash wait states before the frequency goes up; read back (RM0456 7.3.3). */
    FLASH_REG(FLASH_ACR) = (FLASH_REG(FLASH_ACR) & ~FLASH_ACR_LATENCY_MASK) |
                           MCS_CLK_FLASH_LATENCY | FLASH_ACR_PRFTEN;
    if ((FLASH_REG(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != MCS_CLK_FLASH_LATENCY) {
        give_up(out, "FLASH_ACR.LATENCY");
        return;
    }

    RCC_REG(RCC_CR) |= RCC_CR_PLL1ON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_PLL1RDY, RCC_CR_PLL1RDY)) {
        give_up(out, "RCC_CR.PLL1RDY");
        return;
    }

    /* Switch with HCLK = SYSCLK / 2, then after >= 1 us go to the target AHB divider. */
    uint32_t step_div = MCS_CLK_AHB_PRESCALER < 2u ? 2u : MCS_CLK_AHB_PRESCALER;
    RCC_REG(RCC_CFGR2) = mcs_hpre_bits(step_div) |
                         (mcs_ppre_bits(MCS_CLK_APB1_PRESCALER) << 4) |
                         (mcs_ppre_bits(MCS_CLK_APB2_PRESCALER) << 8);
    RCC_REG(RCC_CFGR3) = mcs_ppre_bits(MCS_CLK_APB3_PRESCALER) << 4;
    RCC_REG(RCC_CFGR1) = (RCC_REG(RCC_CFGR1) & ~RCC_CFGR1_SW_MASK) | RCC_SW_PLL1;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR1)), RCC_CFGR1_SW_MASK << RCC_CFGR1_SWS_SHIFT,
                  RCC_SW_PLL1 << RCC_CFGR1_SWS_SHIFT)) {
        give_up(out, "RCC_CFGR1.SWS");
        return;
    }
    mcs_delay_us(2u, MCS_CLK_SYSCLK_HZ / step_div);
    RCC_REG(RCC_CFGR2) = (RCC_REG(RCC_CFGR2) & ~0xFu) | mcs_hpre_bits(MCS_CLK_AHB_PRESCALER);

    out->cpu_hz = MCS_CPU_HZ;
    out->uart_kernel_hz = MCS_UART_KERNEL_HZ;
#endif
}
