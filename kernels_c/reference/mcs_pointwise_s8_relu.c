/* mcs_pointwise_s8_relu.c - mcs_pointwise_s8 under the name the compiler gives
 * layers with act_min >= output_zp (the DSP version of this file is the one that differs):
 * the same portable code. */
#define mcs_pointwise_s8 mcs_pointwise_s8_relu
#define mcs_pointwise_s8_get_buffer_size mcs_pointwise_s8_relu_get_buffer_size
#include "mcs_pointwise_s8.c"
