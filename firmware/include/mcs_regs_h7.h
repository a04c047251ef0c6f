/*
 * mcs_regs_h7.h - STM32H723/733/725/735/730 RCC, PWR and FLASH registers used by the
 * harness, written for this project from RM0468 Rev 3 (STM32H723/733, H725/735, H730):
 *   RCC section 8.7, PWR section 6.8, FLASH section 4.9.
 * Base addresses come from the board data: MCS_PERIPH_RCC_BASE etc.
 */
#ifndef MCS_REGS_H7_H
#define MCS_REGS_H7_H

#include "mcs_regs_core.h"

#define RCC_REG(off)   MCS_REG32(MCS_PERIPH_RCC_BASE + (off))
#define PWR_REG(off)   MCS_REG32(MCS_PERIPH_PWR_BASE + (off))
#define FLASH_REG(off) MCS_REG32(MCS_PERIPH_FLASH_BASE + (off))

/* RCC (RM0468 8.7) */
#define RCC_CR        0x00u
#define RCC_CR_HSION    (1u << 0)
#define RCC_CR_HSIRDY   (1u << 2)
#define RCC_CR_HSIDIV_SHIFT 3u       /* 00 /1, 01 /2, 10 /4, 11 /8 */
#define RCC_CR_HSIDIVF  (1u << 5)
#define RCC_CR_CSION    (1u << 7)
#define RCC_CR_CSIRDY   (1u << 8)
#define RCC_CR_HSEON    (1u << 16)
#define RCC_CR_HSERDY   (1u << 17)
#define RCC_CR_HSEBYP   (1u << 18)
#define RCC_CR_PLL1ON   (1u << 24)
#define RCC_CR_PLL1RDY  (1u << 25)
#define RCC_CFGR      0x10u          /* SW [2:0], SWS [5:3] */
#define RCC_CFGR_SW_MASK   0x7u
#define RCC_CFGR_SWS_SHIFT 3u
#define RCC_SW_HSI    0u
#define RCC_SW_CSI    1u
#define RCC_SW_HSE    2u
#define RCC_SW_PLL1   3u
#define RCC_D1CFGR    0x18u          /* HPRE [3:0], D1PPRE (APB3) [6:4], D1CPRE [11:8] */
#define RCC_D2CFGR    0x1Cu          /* D2PPRE1 (APB1) [6:4], D2PPRE2 (APB2) [10:8] */
#define RCC_D3CFGR    0x20u          /* D3PPRE (APB4) [6:4] */
#define RCC_PLLCKSELR 0x28u          /* PLLSRC [1:0]: 00 HSI, 01 CSI, 10 HSE, 11 none; DIVM1 [9:4] */
#define RCC_PLLSRC_HSI  0u
#define RCC_PLLSRC_CSI  1u
#define RCC_PLLSRC_HSE  2u
#define RCC_PLLSRC_NONE 3u
#define RCC_PLLCKSELR_DIVM1_SHIFT 4u
#define RCC_PLLCFGR   0x2Cu
#define RCC_PLLCFGR_PLL1FRACEN (1u << 0)
#define RCC_PLLCFGR_PLL1VCOSEL (1u << 1)   /* 0: wide VCO, 1: medium VCO */
#define RCC_PLLCFGR_PLL1RGE_SHIFT 2u       /* 00 1-2, 01 2-4, 10 4-8, 11 8-16 MHz */
#define RCC_PLLCFGR_DIVP1EN (1u << 16)
#define RCC_PLLCFGR_DIVQ1EN (1u << 17)
#define RCC_PLLCFGR_DIVR1EN (1u << 18)
#define RCC_PLL1DIVR  0x30u          /* N-1 [8:0], P-1 [15:9], Q-1 [22:16], R-1 [30:24] */
#define RCC_PLL1FRACR 0x34u          /* FRACN1 [15:3] */
#define RCC_AHB4ENR   0xE0u          /* GPIOxEN: bit = port index (A = 0) */
#define RCC_APB1LENR  0xE8u
#define RCC_APB2ENR   0xF0u

#define MCS_RCC_GPIO_EN_REG   RCC_AHB4ENR
#define MCS_RCC_EN_USART1     RCC_APB2ENR, 4u
#define MCS_RCC_EN_USART2     RCC_APB1LENR, 17u
#define MCS_RCC_EN_USART3     RCC_APB1LENR, 18u
#define MCS_RCC_EN_UART4      RCC_APB1LENR, 19u
#define MCS_RCC_EN_UART5      RCC_APB1LENR, 20u
#define MCS_RCC_EN_USART6     RCC_APB2ENR, 5u

/* PWR (RM0468 6.8) */
#define PWR_CSR1      0x04u
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_CR3       0x0Cu          /* lower byte written once after POR */
#define PWR_CR3_BYPASS  (1u << 0)
#define PWR_CR3_LDOEN   (1u << 1)
#define PWR_CR3_SDEN    (1u << 2)
#define PWR_CR3_SDLEVEL_SHIFT 4u
#define PWR_CR3_SUPPLY_MASK 0x3Fu    /* BYPASS, LDOEN, SDEN, SDEXTHP, SDLEVEL */
#define PWR_D3CR      0x18u
#define PWR_D3CR_VOSRDY (1u << 13)
#define PWR_D3CR_VOS_SHIFT 14u
#define PWR_D3CR_VOS_MASK  (3u << 14)
/* VOS encodings of the H72x/H73x (RM0468 6.8.6): VOS0 = 00, VOS3 = 01, VOS2 = 10, VOS1 = 11.
 * (Not the H7A3/B3 encoding, where VOS0 is 11.) */
#define PWR_VOS0 0u
#define PWR_VOS1 3u
#define PWR_VOS2 2u
#define PWR_VOS3 1u

/* FLASH (RM0468 4.9) */
#define FLASH_ACR     0x00u          /* LATENCY [3:0], WRHIGHFREQ [5:4] */
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_WRHIGHFREQ_SHIFT 4u
#define FLASH_OPTSR2_CUR 0x70u
#define FLASH_OPTSR2_CPUFREQ_BOOST (1u << 2)   /* set: CPU may run above 520 MHz (TCM ECC off) */
/* Programming delay (WRHIGHFREQ) for a read latency on H72x/H73x: RM0468 Table 16 pairs
 * 0/1/2/3 wait states with WRHIGHFREQ 00/01/10/11 in every VOS range. */
#define FLASH_WRHIGHFREQ_FOR(ws) ((ws) > 3u ? 3u : (ws))

/* The core clock above which the CPUFREQ_BOOST option bit is required (DS13313 Table 23,
 * RM0468 4.9.x: 520 MHz without boost, 550 MHz with it). */
#define H7_MAX_HZ_WITHOUT_BOOST 520000000u

#endif /* MCS_REGS_H7_H */
