/* mcs_depthwise_conv2d_s8_relu.c - mcs_depthwise_conv2d_s8 under the name the compiler gives layers with
 * act_min >= output_zp (kernels_c/dsp/mcs_depthwise_conv2d_s8_relu.c is the one that differs): the same
 * portable code. */
#define mcs_depthwise_conv2d_s8 mcs_depthwise_conv2d_s8_relu
#define mcs_depthwise_conv2d_s8_get_buffer_size mcs_depthwise_conv2d_s8_relu_get_buffer_size
#include "mcs_depthwise_conv2d_s8.c"
