/*
 * fmt.c - a tiny printf-free formatter over mcs_putc: strings, unsigned/signed decimal,
 * 64-bit decimal and 32-bit hexadecimal. No libc, no buffers beyond the stack.
 */
#include "mcs_harness.h"

void mcs_puts(const char *s)
{
    while (s && *s) {
        mcs_putc(*s++);
    }
}

void mcs_put_u64(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u && i > 0);
    mcs_puts(&buf[i]);
}

void mcs_put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u && i > 0);
    mcs_puts(&buf[i]);
}

void mcs_put_i32(int32_t v)
{
    if (v < 0) {
        mcs_putc('-');
        mcs_put_u32((uint32_t)(-(v + 1)) + 1u);
    } else {
        mcs_put_u32((uint32_t)v);
    }
}

void mcs_put_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    mcs_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        mcs_putc(digits[(v >> shift) & 0xFu]);
    }
}
