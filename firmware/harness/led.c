/*
 * led.c - the board's user LED, driven as the timing pulse: on (lit) for exactly the
 * duration of each mcs_model_run call, so an oscilloscope on MCS_LED_PROBE measures one
 * inference per pulse. Pin and polarity come from the board data (mcs_board.h).
 */
#include "mcs_harness.h"

#define LED_SET_MASK   (1u << MCS_LED_PIN)
#define LED_RESET_MASK (1u << (MCS_LED_PIN + 16u))

void mcs_led_init(void)
{
    mcs_rcc_enable(MCS_RCC_GPIO_EN_REG, MCS_LED_PORT_INDEX);
    mcs_led_off();
    uint32_t shift = 2u * MCS_LED_PIN;
    GPIO_REG(MCS_LED_GPIO_BASE, GPIO_OTYPER) &= ~(1u << MCS_LED_PIN);        /* push-pull */
    GPIO_REG(MCS_LED_GPIO_BASE, GPIO_OSPEEDR) |= 3u << shift;                 /* very high */
    GPIO_REG(MCS_LED_GPIO_BASE, GPIO_MODER) =
        (GPIO_REG(MCS_LED_GPIO_BASE, GPIO_MODER) & ~(3u << shift)) | (GPIO_MODE_OUTPUT << shift);
}

void mcs_led_on(void)
{
    GPIO_REG(MCS_LED_GPIO_BASE, GPIO_BSRR) = MCS_LED_ACTIVE_HIGH ? LED_SET_MASK : LED_RESET_MASK;
}

void mcs_led_off(void)
{
    GPIO_REG(MCS_LED_GPIO_BASE, GPIO_BSRR) = MCS_LED_ACTIVE_HIGH ? LED_RESET_MASK : LED_SET_MASK;
}
