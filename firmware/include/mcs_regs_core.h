/*
 * mcs_regs_core.h - Cortex-M core registers used by the mcusim harness, written for this
 * project (no CMSIS). Addresses and bits: ARMv7-M Architecture Reference Manual (DDI0403E,
 * B3.2 "System Control Space", C1.6 "Debug system registers", B3.2.20 cache maintenance)
 * and ARMv8-M Architecture Reference Manual (DDI0553, D1.2) for the Cortex-M33; they are
 * identical for the registers below.
 */
#ifndef MCS_REGS_CORE_H
#define MCS_REGS_CORE_H

#include <stdint.h>

#define MCS_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block (DDI0403E B3.2.2, Table B3-4) */
#define SCB_CPUID   MCS_REG32(0xE000ED00u)
#define SCB_VTOR    MCS_REG32(0xE000ED08u)
#define SCB_CCR     MCS_REG32(0xE000ED14u)
#define SCB_CFSR    MCS_REG32(0xE000ED28u)
#define SCB_HFSR    MCS_REG32(0xE000ED2Cu)
#define SCB_MMFAR   MCS_REG32(0xE000ED34u)
#define SCB_BFAR    MCS_REG32(0xE000ED38u)
#define SCB_CPACR   MCS_REG32(0xE000ED88u)
#define SCB_CCR_DC  (1u << 16)          /* data cache enable (B3.2.8) */
#define SCB_CCR_IC  (1u << 17)          /* instruction cache enable */
#define SCB_CPACR_CP10_CP11_FULL (0xFu << 20)   /* CP10/CP11 full access (B3.2.20) */

/* Cache identification and maintenance (DDI0403E B3.2.3, B2.2.7, Table B3-5) */
#define SCB_CLIDR   MCS_REG32(0xE000ED78u)
#define SCB_CTR     MCS_REG32(0xE000ED7Cu)
#define SCB_CCSIDR  MCS_REG32(0xE000ED80u)
#define SCB_CSSELR  MCS_REG32(0xE000ED84u)
#define SCB_ICIALLU MCS_REG32(0xE000EF50u)  /* invalidate all I-cache to PoU */
#define SCB_DCIMVAC MCS_REG32(0xE000EF5Cu)  /* invalidate D-cache line by address */
#define SCB_DCISW   MCS_REG32(0xE000EF60u)  /* invalidate D-cache line by set/way */
#define SCB_DCCMVAC MCS_REG32(0xE000EF68u)  /* clean D-cache line by address to PoC */
#define SCB_DCCISW  MCS_REG32(0xE000EF74u)  /* clean+invalidate by set/way */
/* CCSIDR fields: LineSize [2:0] = log2(words per line) - 2, Associativity [12:3] = ways - 1,
 * NumSets [27:13] = sets - 1. */
#define CCSIDR_LINESIZE(x) ((x) & 0x7u)
#define CCSIDR_WAYS(x)     ((((x) >> 3) & 0x3FFu) + 1u)
#define CCSIDR_SETS(x)     ((((x) >> 13) & 0x7FFFu) + 1u)

/* Debug: DEMCR (DDI0403E C1.6.5) and DWT (C1.8) */
#define DEMCR        MCS_REG32(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL     MCS_REG32(0xE0001000u)
#define DWT_CYCCNT   MCS_REG32(0xE0001004u)
#define DWT_LAR      MCS_REG32(0xE0001FB0u)   /* CoreSight lock access (Cortex-M7 TRM 3.4) */
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_LAR_KEY  0xC5ACCE55u

static inline void mcs_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void mcs_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }
static inline void mcs_wfi(void) { __asm volatile("wfi"); }
static inline void mcs_nop(void) { __asm volatile("nop"); }

static inline uint32_t mcs_get_sp(void)
{
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

#endif /* MCS_REGS_CORE_H */
