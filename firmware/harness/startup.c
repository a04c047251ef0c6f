/*
 * startup.c - vector table and reset handler, in C, for every mcusim board.
 *
 * Reset_Handler (ARMv7-M ARM DDI0403E B1.5.5 reset behaviour; the core loads SP and PC from
 * the vector table): clears the results magic, enables the FPU (CPACR CP10/CP11 full
 * access), points VTOR at our table, sets MSPLIM on ARMv8-M (the M33 faults on stack
 * overflow), copies .data from flash, zeroes .bss and the model arena, paints the unused
 * stack with 0xDEADBEEF (the emulator and a debugger measure the stack peak as the lowest
 * word that changed), enables the Cortex-M7 L1 caches, then calls main().
 *
 * Vector table: 16 system entries then MCS_IRQ_COUNT interrupt entries (the chip's count,
 * from the board data), all weak aliases of mcs_default_handler, which records a fault in
 * the results block so the host sees it.
 */
#include "mcs_harness.h"
#include "mcs_model.h"
#include "mcs_results.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;
extern uint32_t __mcs_arena_start, __mcs_arena_end;
extern uint32_t _estack, __stack_limit;

int main(void);
void Reset_Handler(void);
void mcs_default_handler(void);

#define WEAK_ALIAS __attribute__((weak, alias("mcs_default_handler")))
void NMI_Handler(void) WEAK_ALIAS;
void HardFault_Handler(void) WEAK_ALIAS;
void MemManage_Handler(void) WEAK_ALIAS;
void BusFault_Handler(void) WEAK_ALIAS;
void UsageFault_Handler(void) WEAK_ALIAS;
void SecureFault_Handler(void) WEAK_ALIAS;
void SVC_Handler(void) WEAK_ALIAS;
void DebugMon_Handler(void) WEAK_ALIAS;
void PendSV_Handler(void) WEAK_ALIAS;
void SysTick_Handler(void) WEAK_ALIAS;
void Default_IRQHandler(void) WEAK_ALIAS;

#if defined(__ARM_ARCH_8M_MAIN__)
#define SECURE_FAULT_ENTRY SecureFault_Handler   /* ARMv8-M: exception 7 */
#else
#define SECURE_FAULT_ENTRY 0                     /* ARMv7-M: reserved */
#endif

typedef void (*mcs_vector_t)(void);

__attribute__((section(".isr_vector"), used))
const mcs_vector_t mcs_vectors[16 + MCS_IRQ_COUNT] = {
    [0] = (mcs_vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7] = SECURE_FAULT_ENTRY,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 ... 16 + MCS_IRQ_COUNT - 1] = Default_IRQHandler,
};

#define STACK_PAINT 0xDEADBEEFu

/* Plain word loops: no calls to memcpy/memset before .data/.bss exist. */
__attribute__((noreturn, optimize("no-tree-loop-distribute-patterns")))
void Reset_Handler(void)
{
    mcs_results.magic = 0u;   /* a stale block from the previous run must not look finished */

    SCB_CPACR |= SCB_CPACR_CP10_CP11_FULL;
    mcs_dsb();
    mcs_isb();
    SCB_VTOR = (uint32_t)(uintptr_t)mcs_vectors;
#if defined(__ARM_ARCH_8M_MAIN__)
    __asm volatile("msr msplim, %0" ::"r"((uint32_t)(uintptr_t)&__stack_limit));
#endif

    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    for (uint32_t *dst = &__mcs_arena_start; dst < &__mcs_arena_end;) {
        *dst++ = 0u;
    }
    /* Paint the stack below this frame (keep 64 bytes of margin under the current SP). */
    uint32_t *paint_end = (uint32_t *)((mcs_get_sp() - 64u) & ~3u);
    for (volatile uint32_t *p = &__stack_limit; p < paint_end;) {
        *p++ = STACK_PAINT;
    }

    mcs_l1_cache_enable();
    (void)main();
    for (;;) {
        mcs_wfi();
    }
}

/* Any exception without a handler: record the fault in the results block, say which one on
 * the UART, and stop. The host sees status MCS_ERR_FAULT with magic set. */
void mcs_default_handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    mcs_results.status = MCS_ERR_FAULT;
    mcs_results.version = MCS_RESULTS_VERSION;
    mcs_puts("\r\nmcs: fault: exception ");
    mcs_put_u32(ipsr & 0x1FFu);
    mcs_puts(" CFSR=");
    mcs_put_hex(SCB_CFSR);
    mcs_puts(" HFSR=");
    mcs_put_hex(SCB_HFSR);
    mcs_puts(" BFAR=");
    mcs_put_hex(SCB_BFAR);
    mcs_puts("\r\n");
    mcs_dsb();
    mcs_dcache_clean(&mcs_results, sizeof(mcs_results));
    mcs_results.magic = MCS_RESULTS_MAGIC;
    mcs_dsb();
    mcs_dcache_clean(&mcs_results, sizeof(mcs_results));
    for (;;) {
        mcs_wfi();
    }
}
