/*
 * clock_h7.c - STM32H72x/H73x clock tree: supply configuration, VOS, PLL1 P output as
 * sys_ck, D1CPRE/HPRE/APB dividers and flash wait states from the board data. Register
 * facts: RM0468 (see mcs_regs_h7.h). Sequence: RM0468 6.8.4 (PWR_CR3 written once, wait
 * ACTVOSRDY), 6.6.2 (raise VOS and wait VOSRDY before raising the frequency), 8.5.2 (PLL
 * set-up while off), 4.3.8 (flash latency programmed and read back before the switch).
 *
 * Above 520 MHz the CPUFREQ_BOOST option bit must be set (DS13313 Table 23; FLASH_OPTSR2).
 * When the board data asks for more and the bit is clear (the factory default), the PLL
 * multiplier is lowered so the core runs at the highest clock <= 520 MHz; the results block
 * and the UART banner report the clock actually configured.
 */
#include "mcs_harness.h"
#include "clock_common.h"
#include "mcs_regs_h7.h"

#if defined(MCS_CLK_PLL_SOURCE_HSI)
#define PLL_SRC RCC_PLLSRC_HSI
#elif defined(MCS_CLK_PLL_SOURCE_CSI)
#define PLL_SRC RCC_PLLSRC_CSI
#elif defined(MCS_CLK_PLL_SOURCE_HSE)
#define PLL_SRC RCC_PLLSRC_HSE
#else
#error "clock.pll_source: unsupported for h7"
#endif

#if defined(MCS_CLK_PLL_INPUT_RANGE_1_2MHZ)
#define PLL_RGE 0u
#elif defined(MCS_CLK_PLL_INPUT_RANGE_2_4MHZ)
#define PLL_RGE 1u
#elif defined(MCS_CLK_PLL_INPUT_RANGE_4_8MHZ)
#define PLL_RGE 2u
#else
#define PLL_RGE 3u
#endif

#if defined(MCS_CLK_PLL_VCO_MEDIUM)
#define PLL_VCOSEL RCC_PLLCFGR_PLL1VCOSEL
#else
#define PLL_VCOSEL 0u
#endif

#if defined(MCS_CLK_VOLTAGE_RANGE_VOS0)
#define VOS PWR_VOS0
#elif defined(MCS_CLK_VOLTAGE_RANGE_VOS1)
#define VOS PWR_VOS1
#elif defined(MCS_CLK_VOLTAGE_RANGE_VOS2)
#define VOS PWR_VOS2
#else
#define VOS PWR_VOS3
#endif

#if defined(MCS_CLK_SUPPLY_LDO)
#define SUPPLY PWR_CR3_LDOEN
#elif defined(MCS_CLK_SUPPLY_DIRECT_SMPS)
#define SUPPLY PWR_CR3_SDEN
#elif defined(MCS_CLK_SUPPLY_SMPS)
#define SUPPLY (PWR_CR3_SDEN | PWR_CR3_LDOEN | (1u << PWR_CR3_SDLEVEL_SHIFT))  /* SMPS 1.8 V feeds the LDO */
#else
#define SUPPLY PWR_CR3_BYPASS
#endif

#ifndef MCS_CLK_PLL_FRACN
#define MCS_CLK_PLL_FRACN 0u
#endif
#ifndef MCS_CLK_CPU_PRESCALER
#define MCS_CLK_CPU_PRESCALER 1u
#endif
#ifndef MCS_CLK_FLASH_PROGRAMMING_DELAY
#define MCS_CLK_FLASH_PROGRAMMING_DELAY FLASH_WRHIGHFREQ_FOR(MCS_CLK_FLASH_LATENCY)
#endif
#ifndef MCS_CLK_HSI_DIV
#define MCS_CLK_HSI_DIV 1u
#endif

static void give_up(mcs_clock_t *out, const char *step)
{
    /* Back to HSI (the reset clock, prescalers /1); latency and VOS stay raised (safe). */
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~RCC_CFGR_SW_MASK) | RCC_SW_HSI;
    (void)mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR)), RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT, 0u);
    RCC_REG(RCC_D1CFGR) = 0u;
    RCC_REG(RCC_D2CFGR) = 0u;
    RCC_REG(RCC_D3CFGR) = 0u;
    out->failed_step = step;
    out->cpu_hz = MCS_RESET_CLOCK_HZ;
    out->uart_kernel_hz = MCS_RESET_CLOCK_HZ;
}

void mcs_chip_caches_init(void)
{
    /* The H7's caches are the Cortex-M7 L1 caches: see cache_m7.c. */
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
    /* Supply configuration: written once after power-on; a later different value is
     * ignored (then ACTVOSRDY stays low and we give up below). */
    PWR_REG(PWR_CR3) = (PWR_REG(PWR_CR3) & ~PWR_CR3_SUPPLY_MASK) | SUPPLY;
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_CSR1)), PWR_CSR1_ACTVOSRDY, PWR_CSR1_ACTVOSRDY)) {
        give_up(out, "PWR_CSR1.ACTVOSRDY");
        return;
    }
    PWR_REG(PWR_D3CR) = (PWR_REG(PWR_D3CR) & ~PWR_D3CR_VOS_MASK) | (VOS << PWR_D3CR_VOS_SHIFT);
    if (!mcs_wait(MCS_ADDR(PWR_REG(PWR_D3CR)), PWR_D3CR_VOSRDY, PWR_D3CR_VOSRDY)) {
        give_up(out, "PWR_D3CR.VOSRDY");
        return;
    }

    /* PLL1 multiplier: as in the board data, or lowered to stay <= 520 MHz without boost. */
    uint32_t n = MCS_CLK_PLL_N;
    uint32_t fracn = MCS_CLK_PLL_FRACN;
    uint32_t cpu_hz = MCS_CPU_HZ;
    if (MCS_CPU_HZ > H7_MAX_HZ_WITHOUT_BOOST &&
        (FLASH_REG(FLASH_OPTSR2_CUR) & FLASH_OPTSR2_CPUFREQ_BOOST) == 0u) {
        uint32_t ref_hz = MCS_CLK_PLL_INPUT_HZ / MCS_CLK_PLL_M;
        n = (uint32_t)(((uint64_t)H7_MAX_HZ_WITHOUT_BOOST * MCS_CLK_PLL_P * MCS_CLK_CPU_PRESCALER) /
                       ref_hz);
        fracn = 0u;
        cpu_hz = ref_hz * n / MCS_CLK_PLL_P / MCS_CLK_CPU_PRESCALER;
        out->boost_missing = 1u;
    }

    /* PLL reference oscillator. HSI (64 MHz, /1) runs out of reset. */
#if defined(MCS_CLK_PLL_SOURCE_HSI)
    if (MCS_CLK_HSI_DIV != 1u) {
        uint32_t bits = MCS_CLK_HSI_DIV == 2u ? 1u : MCS_CLK_HSI_DIV == 4u ? 2u : 3u;
        RCC_REG(RCC_CR) = (RCC_REG(RCC_CR) & ~(3u << RCC_CR_HSIDIV_SHIFT)) |
                          (bits << RCC_CR_HSIDIV_SHIFT);
        if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_HSIDIVF, RCC_CR_HSIDIVF)) {
            give_up(out, "RCC_CR.HSIDIVF");
            return;
        }
    }
#elif defined(MCS_CLK_PLL_SOURCE_CSI)
    RCC_REG(RCC_CR) |= RCC_CR_CSION;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_CSIRDY, RCC_CR_CSIRDY)) {
        give_up(out, "RCC_CR.CSIRDY");
        return;
    }
#else
#if MCS_HSE_BYPASS
    RCC_REG(RCC_CR) |= RCC_CR_HSEBYP;
#endif
    RCC_REG(RCC_CR) |= RCC_CR_HSEON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        give_up(out, "RCC_CR.HSERDY");
        return;
    }
#endif

    RCC_REG(RCC_PLLCKSELR) = (RCC_REG(RCC_PLLCKSELR) & ~(0x3u | (0x3Fu << RCC_PLLCKSELR_DIVM1_SHIFT))) |
                             PLL_SRC | (MCS_CLK_PLL_M << RCC_PLLCKSELR_DIVM1_SHIFT);
    uint32_t cfgr = RCC_REG(RCC_PLLCFGR) & ~(RCC_PLLCFGR_PLL1FRACEN | RCC_PLLCFGR_PLL1VCOSEL |
                                             (3u << RCC_PLLCFGR_PLL1RGE_SHIFT));
    cfgr |= PLL_VCOSEL | (PLL_RGE << RCC_PLLCFGR_PLL1RGE_SHIFT) | RCC_PLLCFGR_DIVP1EN;
    RCC_REG(RCC_PLLCFGR) = cfgr;
    RCC_REG(RCC_PLL1DIVR) = ((n - 1u) << 0) | ((MCS_CLK_PLL_P - 1u) << 9) |
                            ((MCS_CLK_PLL_Q - 1u) << 16) | ((MCS_CLK_PLL_R - 1u) << 24);
    RCC_REG(RCC_PLL1FRACR) = fracn << 3;
    if (fracn != 0u) {
        RCC_REG(RCC_PLLCFGR) |= RCC_PLLCFGR_PLL1FRACEN;
    }
    RCC_REG(RCC_CR) |= RCC_CR_PLL1ON;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CR)), RCC_CR_PLL1RDY, RCC_CR_PLL1RDY)) {
        give_up(out, "RCC_CR.PLL1RDY");
        return;
    }

    FLASH_REG(FLASH_ACR) = MCS_CLK_FLASH_LATENCY |
                           (MCS_CLK_FLASH_PROGRAMMING_DELAY << FLASH_ACR_WRHIGHFREQ_SHIFT);
    if ((FLASH_REG(FLASH_ACR) & FLASH_ACR_LATENCY_MASK) != MCS_CLK_FLASH_LATENCY) {
        give_up(out, "FLASH_ACR.LATENCY");
        return;
    }

    /* Bus dividers first (the core still runs on HSI), then the switch. */
    RCC_REG(RCC_D1CFGR) = (mcs_hpre_bits(MCS_CLK_CPU_PRESCALER) << 8) |
                          (mcs_ppre_bits(MCS_CLK_APB3_PRESCALER) << 4) |
                          mcs_hpre_bits(MCS_CLK_AHB_PRESCALER);
    RCC_REG(RCC_D2CFGR) = (mcs_ppre_bits(MCS_CLK_APB1_PRESCALER) << 4) |
                          (mcs_ppre_bits(MCS_CLK_APB2_PRESCALER) << 8);
    RCC_REG(RCC_D3CFGR) = mcs_ppre_bits(MCS_CLK_APB4_PRESCALER) << 4;
    RCC_REG(RCC_CFGR) = (RCC_REG(RCC_CFGR) & ~RCC_CFGR_SW_MASK) | RCC_SW_PLL1;
    if (!mcs_wait(MCS_ADDR(RCC_REG(RCC_CFGR)), RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT,
                  RCC_SW_PLL1 << RCC_CFGR_SWS_SHIFT)) {
        give_up(out, "RCC_CFGR.SWS");
        return;
    }
    out->cpu_hz = cpu_hz;
    out->uart_kernel_hz = cpu_hz / MCS_UART_KERNEL_DIV;
#endif
}
