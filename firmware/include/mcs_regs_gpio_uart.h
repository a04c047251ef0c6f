/*
 * mcs_regs_gpio_uart.h - GPIO and U(S)ART/LPUART registers, written for this project.
 *
 * The three families mcusim supports share these register layouts:
 *   GPIO:  RM0456 (STM32U5) section 13.4, RM0468 (STM32H723/733/725/735/730) section 11.4,
 *          RM0440 (STM32G4) section 9.4.
 *   USART: RM0456 section 67.8, RM0468 section 53.7, RM0440 section 37.8; the LPUART
 *          (RM0440 section 38.7) has the same offsets for every register used here.
 * Peripheral base addresses come from the board data (generated mcs_board.h).
 */
#ifndef MCS_REGS_GPIO_UART_H
#define MCS_REGS_GPIO_UART_H

#include "mcs_regs_core.h"

/* GPIO register offsets */
#define GPIO_MODER   0x00u   /* 2 bits per pin: 00 input, 01 output, 10 alternate, 11 analog */
#define GPIO_OTYPER  0x04u
#define GPIO_OSPEEDR 0x08u
#define GPIO_PUPDR   0x0Cu
#define GPIO_IDR     0x10u
#define GPIO_ODR     0x14u
#define GPIO_BSRR    0x18u   /* write 1 << pin to set, 1 << (pin + 16) to reset */
#define GPIO_AFRL    0x20u   /* 4 bits per pin, pins 0..7 */
#define GPIO_AFRH    0x24u   /* pins 8..15 */
#define GPIO_MODE_OUTPUT    1u
#define GPIO_MODE_ALTERNATE 2u

#define GPIO_REG(base, off) MCS_REG32((base) + (off))

/* U(S)ART / LPUART register offsets */
#define UART_CR1   0x00u
#define UART_CR2   0x04u
#define UART_CR3   0x08u
#define UART_BRR   0x0Cu
#define UART_ISR   0x1Cu
#define UART_ICR   0x20u
#define UART_TDR   0x28u
#define UART_PRESC 0x2Cu
#define UART_CR1_UE (1u << 0)
#define UART_CR1_RE (1u << 2)
#define UART_CR1_TE (1u << 3)
#define UART_ISR_TC  (1u << 6)
#define UART_ISR_TXE (1u << 7)   /* TXE (FIFO off) / TXFNF (FIFO on) */

#define UART_REG(off) MCS_REG32(MCS_UART_BASE + (off))

#endif /* MCS_REGS_GPIO_UART_H */
