/*
 * mcs_inputs.h - test inputs embedded in the firmware.
 *
 * `mcusim compile --inputs data.npz` generates a source defining these. Layout of
 * mcs_test_input_data: sample-major; inside one sample, each model input in order
 * (mcs_model_info()->inputs), each padded to a multiple of 8 bytes.
 * Without such a source, the harness's weak defaults run one sample of zeros.
 */
#ifndef MCS_INPUTS_H
#define MCS_INPUTS_H

#include <stdint.h>

extern const uint32_t mcs_test_n_samples;
extern const uint8_t mcs_test_input_data[];

#endif /* MCS_INPUTS_H */
