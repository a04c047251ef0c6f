/*
 * mcs_regs_u5.h - STM32U5 RCC, PWR, FLASH and ICACHE registers used by the harness, written
 * for this project from RM0456 Rev 4 (STM32U5 reference manual):
 *   RCC   section 11.8 (register map Table 11.8.x), PWR section 10.10, FLASH section 7.9,
 *   ICACHE section 8.7.
 * Base addresses (non-secure aliases) come from the board data: MCS_PERIPH_RCC_BASE etc.
 */
#ifndef MCS_REGS_U5_H
#define MCS_REGS_U5_H

#include "mcs_regs_core.h"

#define RCC_REG(off)   MCS_REG32(MCS_PERIPH_RCC_BASE + (off))
#define PWR_REG(off)   MCS_REG32(MCS_PERIPH_PWR_BASE + (off))
#define FLASH_REG(off) MCS_REG32(MCS_PERIPH_FLASH_BASE + (off))

/* RCC (RM0456 11.8) */
#define RCC_CR        0x00u
#define RCC_CR_MSISON   (1u << 0)
#define RCC_CR_MSISRDY  (1u << 2)
#define RCC_CR_HSION    (1u << 8)
#define RCC_CR_HSIRDY   (1u << 10)
#define RCC_CR_HSEON    (1u << 16)
#define RCC_CR_HSERDY   (1u << 17)
#define RCC_CR_HSEBYP   (1u << 18)
#define RCC_CR_PLL1ON   (1u << 24)
#define RCC_CR_PLL1RDY  (1u << 25)
#define RCC_CFGR1     0x1Cu          /* SW [1:0], SWS [3:2] */
#define RCC_CFGR1_SW_MASK   0x3u
#define RCC_CFGR1_SWS_SHIFT 2u
#define RCC_SW_MSIS   0u
#define RCC_SW_HSI16  1u
#define RCC_SW_HSE    2u
#define RCC_SW_PLL1   3u
#define RCC_CFGR2     0x20u          /* HPRE [3:0], PPRE1 [6:4], PPRE2 [10:8] */
#define RCC_CFGR3     0x24u          /* PPRE3 [6:4] */
#define RCC_PLL1CFGR  0x28u
#define RCC_PLL1CFGR_SRC_SHIFT    0u   /* 01 MSIS, 10 HSI16, 11 HSE */
#define RCC_PLL1CFGR_RGE_SHIFT    2u   /* 00: 4-8 MHz, 11: 8-16 MHz */
#define RCC_PLL1CFGR_M_SHIFT      8u   /* M - 1 */
#define RCC_PLL1CFGR_MBOOST_SHIFT 12u  /* 0: /1, n: /(2n) for n = 1..8 */
#define RCC_PLL1CFGR_PEN          (1u << 16)
#define RCC_PLL1CFGR_QEN          (1u << 17)
#define RCC_PLL1CFGR_REN          (1u << 18)
#define RCC_PLL1SRC_MSIS  1u
#define RCC_PLL1SRC_HSI16 2u
#define RCC_PLL1SRC_HSE   3u
#define RCC_PLL1DIVR  0x34u          /* N-1 [8:0], P-1 [15:9], Q-1 [22:16], R-1 [30:24] */
#define RCC_AHB2ENR1  0x8Cu          /* GPIOxEN: bit = port index (A = 0) */
#define RCC_AHB3ENR   0x94u
#define RCC_AHB3ENR_PWREN (1u << 2)
#define RCC_APB1ENR1  0x9Cu
#define RCC_APB2ENR   0xA4u
#define RCC_APB3ENR   0xA8u

/* Peripheral clock enables of the UARTs a board may wire to the ST-LINK (RM0456 11.8.29-33) */
#define MCS_RCC_GPIO_EN_REG   RCC_AHB2ENR1
#define MCS_RCC_EN_USART1     RCC_APB2ENR, 14u
#define MCS_RCC_EN_USART2     RCC_APB1ENR1, 17u
#define MCS_RCC_EN_USART3     RCC_APB1ENR1, 18u
#define MCS_RCC_EN_UART4      RCC_APB1ENR1, 19u
#define MCS_RCC_EN_UART5      RCC_APB1ENR1, 20u
#define MCS_RCC_EN_LPUART1    RCC_APB3ENR, 6u

/* PWR (RM0456 10.10) */
#define PWR_CR3       0x08u
#define PWR_CR3_REGSEL (1u << 1)       /* 0: LDO, 1: SMPS */
#define PWR_VOSR      0x0Cu
#define PWR_VOSR_BOOSTRDY (1u << 14)
#define PWR_VOSR_VOSRDY   (1u << 15)
#define PWR_VOSR_VOS_SHIFT 16u          /* 00 range 4 ... 11 range 1 */
#define PWR_VOSR_VOS_MASK  (3u << 16)
#define PWR_VOSR_BOOSTEN  (1u << 18)
#define PWR_SVMSR     0x3Cu
#define PWR_SVMSR_REGS      (1u << 1)   /* regulator in use: 1 = SMPS */
#define PWR_SVMSR_ACTVOSRDY (1u << 15)

/* FLASH (RM0456 7.9.1) */
#define FLASH_ACR     0x00u
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)

/* ICACHE (RM0456 8.7.1) */
#define ICACHE_CR     0x00u
#define ICACHE_CR_EN     (1u << 0)
#define ICACHE_CR_WAYSEL (1u << 2)     /* 1: 2-way (reset), 0: direct-mapped */
#define ICACHE_SR     0x04u
#define ICACHE_SR_BUSYF  (1u << 0)

#endif /* MCS_REGS_U5_H */
