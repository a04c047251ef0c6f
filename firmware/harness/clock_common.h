/* clock_common.h - prescaler encodings shared by clock_<family>.c (see clock_common.c). */
#ifndef MCS_CLOCK_COMMON_H
#define MCS_CLOCK_COMMON_H

#include <stdint.h>

uint32_t mcs_hpre_bits(uint32_t div);
uint32_t mcs_ppre_bits(uint32_t div);

#endif /* MCS_CLOCK_COMMON_H */
