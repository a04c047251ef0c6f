/*
 * fixture_runtime.c - TEST FIXTURE runtime standing in for ST's closed NetworkRuntime library.
 * Our own code: runs the fixture network (dense layers, float math) in the activations buffer.
 */
#include <math.h>
#include <string.h>

#include "ai_fixture_runtime.h"

#define FIXTURE_MAGIC 0xA1FACADEu

ai_size ai_buffer_get_size(const ai_buffer *buffer, const ai_bool with_padding)
{
    (void)with_padding;
    return buffer ? buffer->size : 0;
}

ai_size ai_buffer_get_byte_size(const ai_size count, const ai_buffer_format fmt)
{
    return count * (ai_size)((AI_BUFFER_FMT_GET_BITS(fmt) + 7) / 8);
}

ai_bool ai_platform_fixture_init(ai_fixture_network *net, ai_handle activations)
{
    if (!net || !activations) {
        return false;
    }
    net->activations = (ai_u8 *)activations;
    net->magic = FIXTURE_MAGIC;
    net->error.type = AI_ERROR_NONE;
    net->error.code = 0;
    return true;
}

static float load_element(const ai_buffer *buf, ai_u32 i)
{
    ai_buffer_format fmt = AI_BUFFER_FORMAT(buf);
    if (fmt == AI_BUFFER_FORMAT_FLOAT) {
        return ((const float *)buf->data)[i];
    }
    float scale = AI_BUFFER_META_INFO_INTQ_GET_SCALE(buf->meta_info, 0);
    ai_i32 zp = AI_BUFFER_META_INFO_INTQ_GET_ZEROPOINT(buf->meta_info, 0);
    ai_i32 q = (fmt == AI_BUFFER_FORMAT_U8) ? (ai_i32)((const ai_u8 *)buf->data)[i]
                                             : (ai_i32)((const ai_i8 *)buf->data)[i];
    return scale * (float)(q - zp);
}

static void store_element(ai_buffer *buf, ai_u32 i, float v)
{
    ai_buffer_format fmt = AI_BUFFER_FORMAT(buf);
    if (fmt == AI_BUFFER_FORMAT_FLOAT) {
        ((float *)buf->data)[i] = v;
        return;
    }
    float scale = AI_BUFFER_META_INFO_INTQ_GET_SCALE(buf->meta_info, 0);
    ai_i32 zp = AI_BUFFER_META_INFO_INTQ_GET_ZEROPOINT(buf->meta_info, 0);
    ai_i32 q = (ai_i32)lrintf(v / scale) + zp;
    if (fmt == AI_BUFFER_FORMAT_U8) {
        q = q < 0 ? 0 : (q > 255 ? 255 : q);
        ((ai_u8 *)buf->data)[i] = (ai_u8)q;
    } else {
        q = q < -128 ? -128 : (q > 127 ? 127 : q);
        ((ai_i8 *)buf->data)[i] = (ai_i8)q;
    }
}

ai_i32 ai_platform_fixture_process(ai_fixture_network *net, const ai_buffer *in, ai_buffer *out)
{
    if (!net || net->magic != FIXTURE_MAGIC || !in || !out || !in->data || !out->data) {
        if (net) {
            net->error.type = AI_ERROR_INVALID_INPUT;
        }
        return 0;
    }
    /* Two ping-pong float vectors at the start of the activations buffer. */
    ai_u32 width = 0;
    for (ai_u32 l = 0; l < net->n_layers; l++) {
        if (net->layers[l].n_in > width) width = net->layers[l].n_in;
        if (net->layers[l].n_out > width) width = net->layers[l].n_out;
    }
    float *a = (float *)net->activations;
    float *b = a + width;
    for (ai_u32 i = 0; i < net->layers[0].n_in; i++) {
        a[i] = load_element(in, i);
    }
    for (ai_u32 l = 0; l < net->n_layers; l++) {
        const ai_fixture_dense *d = &net->layers[l];
        for (ai_u32 o = 0; o < d->n_out; o++) {
            float acc = d->bias[o];
            const float *w = d->weights + (size_t)o * d->n_in;
            for (ai_u32 i = 0; i < d->n_in; i++) {
                acc += w[i] * a[i];
            }
            b[o] = (d->relu && acc < 0.0f) ? 0.0f : acc;
        }
        float *t = a;
        a = b;
        b = t;
    }
    for (ai_u32 o = 0; o < net->layers[net->n_layers - 1].n_out; o++) {
        store_element(out, o, a[o]);
    }
    return 1;
}
