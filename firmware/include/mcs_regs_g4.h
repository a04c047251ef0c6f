/*
 * mcs_regs_g4.h - STM32G4 RCC, PWR and FLASH registers used by the harness, written for this
 * project from RM0440 Rev 8 (STM32G4 reference manual):
 *   RCC section 7.4, PWR section 6.4, FLASH section 5.7.
 * Base addresses come from the board data: MCS_PERIPH_RCC_BASE etc.
 */
#ifndef MCS_REGS_G4_H
#define MCS_REGS_G4_H

#include "mcs_regs_core.h"

#define RCC_REG(off)   MCS_REG32(MCS_PERIPH_RCC_BASE + (off))
#define PWR_REG(off)   MCS_REG32(MCS_PERIPH_PWR_BASE + (off))
#define FLASH_REG(off) MCS_REG32(MCS_PERIPH_FLASH_BASE + (off))

/* RCC (RM0440 7.4) */
#define RCC_CR        0x00u
#define RCC_CR_HSION    (1u << 8)
#define RCC_CR_HSIRDY   (1u << 10)
#define RCC_CR_HSEON    (1u << 16)
#define RCC_CR_HSERDY   (1u << 17)
#define RCC_CR_HSEBYP   (1u << 18)
#define RCC_CR_PLLON    (1u << 24)
#define RCC_CR_PLLRDY   (1u << 25)
#define RCC_CFGR      0x08u          /* SW [1:0], SWS [3:2], HPRE [7:4], PPRE1 [10:8], PPRE2 [13:11] */
#define RCC_CFGR_SW_MASK   0x3u
#define RCC_CFGR_SWS_SHIFT 2u
#define RCC_CFGR_HPRE_SHIFT  4u
#define RCC_CFGR_PPRE1_SHIFT 8u
#define RCC_CFGR_PPRE2_SHIFT 11u
#define RCC_SW_HSI16  1u
#define RCC_SW_HSE    2u
#define RCC_SW_PLL    3u
#define RCC_PLLCFGR   0x0Cu
#define RCC_PLLCFGR_SRC_SHIFT 0u     /* 10 HSI16, 11 HSE */
#define RCC_PLLSRC_HSI16 2u
#define RCC_PLLSRC_HSE   3u
#define RCC_PLLCFGR_M_SHIFT   4u     /* M - 1 */
#define RCC_PLLCFGR_N_SHIFT   8u     /* N */
#define RCC_PLLCFGR_PEN  (1u << 16)
#define RCC_PLLCFGR_QEN  (1u << 20)
#define RCC_PLLCFGR_Q_SHIFT   21u    /* 00 /2, 01 /4, 10 /6, 11 /8 */
#define RCC_PLLCFGR_REN  (1u << 24)
#define RCC_PLLCFGR_R_SHIFT   25u    /* 00 /2, 01 /4, 10 /6, 11 /8 */
#define RCC_PLLCFGR_PDIV_SHIFT 27u   /* P: 2..31 */
#define RCC_AHB2ENR   0x4Cu          /* GPIOxEN: bit = port index (A = 0) */
#define RCC_APB1ENR1  0x58u
#define RCC_APB1ENR1_PWREN (1u << 28)
#define RCC_APB1ENR2  0x5Cu
#define RCC_APB2ENR   0x60u

#define MCS_RCC_GPIO_EN_REG   RCC_AHB2ENR
#define MCS_RCC_EN_USART1     RCC_APB2ENR, 14u
#define MCS_RCC_EN_USART2     RCC_APB1ENR1, 17u
#define MCS_RCC_EN_USART3     RCC_APB1ENR1, 18u
#define MCS_RCC_EN_UART4      RCC_APB1ENR1, 19u
#define MCS_RCC_EN_UART5      RCC_APB1ENR1, 20u
#define MCS_RCC_EN_LPUART1    RCC_APB1ENR2, 0u

/* PWR (RM0440 6.4) */
#define PWR_CR1       0x00u
#define PWR_CR1_VOS_SHIFT 9u          /* 01 range 1, 10 range 2 */
#define PWR_CR1_VOS_MASK  (3u << 9)
#define PWR_SR2       0x14u
#define PWR_SR2_VOSF  (1u << 10)      /* set while the regulator changes range */
#define PWR_CR5       0x80u
#define PWR_CR5_R1MODE (1u << 8)      /* 0: range 1 boost mode (170 MHz), 1: normal (reset) */

/* FLASH (RM0440 5.7.1) */
#define FLASH_ACR     0x00u
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN   (1u << 9)
#define FLASH_ACR_DCEN   (1u << 10)

#endif /* MCS_REGS_G4_H */
