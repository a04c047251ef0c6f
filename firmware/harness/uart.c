/*
 * uart.c - the ST-LINK virtual-COM UART: TX only, 8N1, polling, no interrupts. Instance,
 * pins and alternate function come from the board data (mcs_board.h); the baud-rate
 * divisor is computed at run time from the kernel clock the clock set-up reports:
 * USART (oversampling 16): BRR = f_ck / baud (RM0456 67.5.8, RM0468 53.5.7, RM0440 37.5.7);
 * LPUART: BRR = 256 * f_ck / baud (RM0440 38.4.7). Every wait is bounded: if the UART never
 * reports TXE, output is dropped for the rest of the run instead of hanging.
 */
#include "mcs_harness.h"

static int uart_ready;   /* 0 until initialised, -1 after a TX timeout */

static void pin_af(uint32_t gpio_base, uint32_t port_index, uint32_t pin, uint32_t af, int pull_up)
{
    mcs_rcc_enable(MCS_RCC_GPIO_EN_REG, port_index);
    uint32_t shift2 = 2u * pin;
    uint32_t afr = pin < 8u ? GPIO_AFRL : GPIO_AFRH;
    uint32_t shift4 = 4u * (pin & 7u);
    GPIO_REG(gpio_base, afr) = (GPIO_REG(gpio_base, afr) & ~(0xFu << shift4)) | (af << shift4);
    GPIO_REG(gpio_base, GPIO_OTYPER) &= ~(1u << pin);
    GPIO_REG(gpio_base, GPIO_OSPEEDR) = (GPIO_REG(gpio_base, GPIO_OSPEEDR) & ~(3u << shift2)) |
                                        (2u << shift2);
    GPIO_REG(gpio_base, GPIO_PUPDR) = (GPIO_REG(gpio_base, GPIO_PUPDR) & ~(3u << shift2)) |
                                      ((pull_up ? 1u : 0u) << shift2);
    GPIO_REG(gpio_base, GPIO_MODER) = (GPIO_REG(gpio_base, GPIO_MODER) & ~(3u << shift2)) |
                                      (GPIO_MODE_ALTERNATE << shift2);
}

void mcs_uart_init(uint32_t kernel_hz)
{
    mcs_rcc_enable(MCS_CAT(MCS_RCC_EN_, MCS_UART_INSTANCE));
    pin_af(MCS_UART_TX_GPIO_BASE, MCS_UART_TX_PORT_INDEX, MCS_UART_TX_PIN, MCS_UART_AF, 0);
    pin_af(MCS_UART_RX_GPIO_BASE, MCS_UART_RX_PORT_INDEX, MCS_UART_RX_PIN, MCS_UART_AF, 1);

    UART_REG(UART_CR1) = 0u;          /* disabled, 8 data bits, no parity, FIFO off */
    UART_REG(UART_CR2) = 0u;          /* 1 stop bit */
    UART_REG(UART_CR3) = 0u;
    UART_REG(UART_PRESC) = 0u;        /* kernel clock not divided */
#if MCS_UART_IS_LPUART
    UART_REG(UART_BRR) = (uint32_t)((256ull * kernel_hz + MCS_UART_BAUD / 2u) / MCS_UART_BAUD);
#else
    UART_REG(UART_BRR) = (kernel_hz + MCS_UART_BAUD / 2u) / MCS_UART_BAUD;
#endif
    UART_REG(UART_CR1) = UART_CR1_TE | UART_CR1_RE;
    UART_REG(UART_CR1) |= UART_CR1_UE;
    uart_ready = 1;
}

void mcs_putc(char c)
{
    if (uart_ready != 1) {
        return;
    }
    if (!mcs_wait(MCS_ADDR(UART_REG(UART_ISR)), UART_ISR_TXE, UART_ISR_TXE)) {
        uart_ready = -1;
        return;
    }
    UART_REG(UART_TDR) = (uint8_t)c;
}

void mcs_uart_flush(void)
{
    if (uart_ready == 1) {
        (void)mcs_wait(MCS_ADDR(UART_REG(UART_ISR)), UART_ISR_TC, UART_ISR_TC);
    }
}
