/*
 * mcs_results.h - the results block the host reads back from RAM.
 *
 * The harness defines one `mcs_results_t mcs_results` in the `.noinit` RAM section (not
 * zeroed at reset). The host finds it through the ELF symbol `mcs_results`: the emulator
 * stops when `magic` is written, the board path (pyOCD) polls `magic` over SWD. Layout
 * version MCS_RESULTS_VERSION; decoder: mcusim/results.py. All fields little-endian.
 *
 * `data` holds, in this order, 32-bit aligned:
 *   uint32_t cycles_per_sample[n_samples];
 *   uint32_t cycles_per_layer[n_layers];   summed over all samples
 *   uint8_t  outputs[n_samples * output_bytes];  each sample's outputs, in graph order,
 *                                           each output padded to 4 bytes
 * n_samples or n_layers are reduced, and status set to MCS_ERR_NO_SPACE, when the block is
 * too small (MCS_RESULTS_DATA_BYTES, set by the build).
 */
#ifndef MCS_RESULTS_H
#define MCS_RESULTS_H

#include <stdint.h>

#define MCS_RESULTS_MAGIC 0x5253434Du   /* "MCSR" in memory */
#define MCS_RESULTS_VERSION 1u

#ifndef MCS_RESULTS_DATA_BYTES
#define MCS_RESULTS_DATA_BYTES 4096u
#endif

typedef struct {
    volatile uint32_t magic;      /* MCS_RESULTS_MAGIC, written last */
    uint32_t version;             /* MCS_RESULTS_VERSION */
    int32_t status;               /* mcs_status_t */
    uint32_t clock_hz;            /* core clock the firmware configured */
    uint32_t n_samples;           /* inferences run */
    uint32_t n_layers;            /* entries in cycles_per_layer */
    uint32_t output_bytes;        /* bytes of outputs per sample (padded) */
    uint32_t output_crc32;        /* CRC-32 (IEEE) of the whole outputs area */
    uint32_t cycles_init;         /* mcs_model_init() */
    uint32_t cycles_total_lo;     /* all mcs_model_run() calls, 64-bit */
    uint32_t cycles_total_hi;
    uint32_t data_bytes;          /* capacity of data[] */
    uint32_t data[MCS_RESULTS_DATA_BYTES / 4];
} mcs_results_t;

extern mcs_results_t mcs_results;

#endif /* MCS_RESULTS_H */
