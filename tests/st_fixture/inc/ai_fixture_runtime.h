/*
 * ai_fixture_runtime.h - TEST FIXTURE: the private interface between the fixture's
 * generated-looking network.c and the fixture runtime library (our code, compiled by the tests
 * into NetworkRuntime<ver>_<core>_GCC.a). A network is a chain of dense layers run in float;
 * int8 inputs/outputs are (de)quantized at the edges with the buffers' scale and zero point.
 */
#ifndef AI_FIXTURE_RUNTIME_H
#define AI_FIXTURE_RUNTIME_H

#include "ai_platform.h"

typedef struct {
    ai_u32 n_in;
    ai_u32 n_out;
    const ai_float *weights; /* [n_out][n_in] */
    const ai_float *bias;    /* [n_out] */
    ai_u32 relu;
} ai_fixture_dense;

typedef struct {
    ai_u32 magic;
    ai_u32 n_layers;
    const ai_fixture_dense *layers;
    ai_buffer *inputs;
    ai_buffer *outputs;
    ai_u8 *activations;
    ai_u32 activations_size;
    ai_error error;
} ai_fixture_network;

ai_bool ai_platform_fixture_init(ai_fixture_network *net, ai_handle activations);
ai_i32 ai_platform_fixture_process(ai_fixture_network *net, const ai_buffer *in, ai_buffer *out);

#endif
