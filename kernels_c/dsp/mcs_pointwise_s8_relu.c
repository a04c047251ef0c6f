/* mcs_pointwise_s8_relu.c - mcs_pointwise_s8 for layers with act_min >= output_zp
 * (ReLU, ReLU6): the same file compiled with MCS_DSP_RQ_RELU 1, whose requantization
 * epilogues drop the round-half-away-from-zero sign term that such a clamp makes irrelevant
 * (one instruction per output; the proof is at MCS_DSP_RQ_RELU in mcs_dsp_s8.h). Other calls
 * take the file's exact C paths. Bit-exact with kernels_c/reference/mcs_pointwise_s8.c. */
#define MCS_DSP_RQ_RELU 1
#define mcs_pointwise_s8 mcs_pointwise_s8_relu
#define mcs_pointwise_s8_get_buffer_size mcs_pointwise_s8_relu_get_buffer_size
#include "mcs_pointwise_s8.c"
