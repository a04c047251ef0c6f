/*
 * crc32.c - CRC-32 as in IEEE 802.3 / zlib.crc32 (reflected polynomial 0xEDB88320, initial
 * value and final XOR 0xFFFFFFFF), four bits at a time with a 16-entry table. The host
 * (mcusim/results.py) checks the results block's output_crc32 with zlib.crc32.
 */
#include "mcs_harness.h"

static const uint32_t nibble_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t mcs_crc32(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble_table[crc & 0xFu];
        crc = (crc >> 4) ^ nibble_table[crc & 0xFu];
    }
    return crc ^ 0xFFFFFFFFu;
}
