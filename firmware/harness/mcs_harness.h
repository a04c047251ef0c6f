/*
 * mcs_harness.h - internal interfaces of the mcusim harness (not part of the model API).
 *
 * mcs_board.h is generated per build from the board data (mcusim/build.py): clock tree,
 * peripheral bases, UART and LED pins. Everything hardware-specific below reads it.
 */
#ifndef MCS_HARNESS_H
#define MCS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "mcs_board.h"
#include "mcs_regs_core.h"
#include "mcs_regs_gpio_uart.h"

#define MCS_STR_(x) #x
#define MCS_STR(x) MCS_STR_(x)
#define MCS_CAT_(a, b) a##b
#define MCS_CAT(a, b) MCS_CAT_(a, b)

/* Outcome of the clock set-up (clock_<family>.c). */
typedef struct {
    uint32_t cpu_hz;          /* core clock actually configured (what DWT counts) */
    uint32_t uart_kernel_hz;  /* clock feeding the virtual-COM UART */
    const char *failed_step;  /* 0 on success; else the ready flag that timed out */
    uint32_t boost_missing;   /* H7: 1 if the CPUFREQ_BOOST option bit was not set */
} mcs_clock_t;

/* Configures the family's clock tree from mcs_board.h (or keeps the reset clock when
 * MCS_RESET_CLOCK is 1). On a timeout, switches back to the reset clock and reports it. */
void mcs_clock_init(mcs_clock_t *out);

/* Busy-waits until (*reg & mask) == want, at most MCS_WAIT_LIMIT polls. Returns 1 if met. */
int mcs_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want);
#define MCS_WAIT_LIMIT (MCS_RESET_CLOCK_HZ / 16u)   /* >= ~60 ms at any clock */
#define MCS_ADDR(reg) (&(reg))

/* Busy-waits about `us` microseconds at core clock `hz` (no timer needed). */
void mcs_delay_us(uint32_t us, uint32_t hz);

/* Chip caches outside the core (U5 ICACHE, G4 ART), from the board data (clock_<family>.c). */
void mcs_chip_caches_init(void);

/* Cortex-M7 L1 caches (cache_m7.c): invalidate then enable; clean a range to RAM. */
void mcs_l1_cache_enable(void);
void mcs_dcache_clean(const void *addr, size_t bytes);

/* DWT cycle counter (timing.c). */
void mcs_cycles_init(void);
static inline uint32_t mcs_cycles(void) { return DWT_CYCCNT; }
void mcs_layers_reset(void);
uint32_t mcs_layer_cycles(uint32_t layer);

/* User LED: the timing pulse (led.c). */
void mcs_led_init(void);
void mcs_led_on(void);
void mcs_led_off(void);

/* Virtual-COM UART, TX only, polling (uart.c) and the printf-free formatter (fmt.c). */
void mcs_uart_init(uint32_t kernel_hz);
void mcs_putc(char c);
void mcs_uart_flush(void);
void mcs_puts(const char *s);
void mcs_put_u32(uint32_t v);
void mcs_put_i32(int32_t v);
void mcs_put_hex(uint32_t v);
void mcs_put_u64(uint64_t v);

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32) (crc32.c). */
uint32_t mcs_crc32(const void *data, size_t len);

/* Enables a peripheral clock: RCC register offset and bit (from mcs_regs_<family>.h). */
static inline void mcs_rcc_enable(uint32_t reg_offset, uint32_t bit)
{
    MCS_REG32(MCS_PERIPH_RCC_BASE + reg_offset) |= 1u << bit;
    (void)MCS_REG32(MCS_PERIPH_RCC_BASE + reg_offset);   /* read back: clock is on */
}

#endif /* MCS_HARNESS_H */
