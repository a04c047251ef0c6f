/*
 * mcs_model.h - the fixed model API between the mcusim harness and a model.
 *
 * Everything that runs inside the harness implements exactly this: mcusim's generated
 * model.c, the ST Edge AI adapter (st_import/) and the self-test firmware. The harness
 * (firmware/harness/main.c) calls mcs_model_info() once, mcs_model_init() once, then
 * mcs_model_run() once per sample, timing each call with the DWT cycle counter and
 * pulsing the board's user LED around it.
 *
 * Per-layer timing: the model calls mcs_layer_begin(i) / mcs_layer_end(i) around layer i
 * (0 <= i < info->n_layers). The harness accumulates the cycles of each layer.
 */
#ifndef MCS_MODEL_H
#define MCS_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCS_MAX_DIMS 6

/* Element types of model inputs and outputs. */
typedef enum {
    MCS_DTYPE_F32 = 0,
    MCS_DTYPE_S8 = 1,
    MCS_DTYPE_U8 = 2,
    MCS_DTYPE_S16 = 3,
    MCS_DTYPE_S32 = 4,
} mcs_dtype_t;

/* Status codes; 0 is success. Strings: mcs_status_str() in the harness. */
#define MCS_STATUS_LIST(X)                                   \
    X(MCS_OK, 0, "ok")                                       \
    X(MCS_ERR_INIT, 1, "model init failed")                  \
    X(MCS_ERR_RUN, 2, "model run failed")                    \
    X(MCS_ERR_CHECK, 3, "self-check mismatch")               \
    X(MCS_ERR_NO_SPACE, 4, "results block too small")        \
    X(MCS_ERR_BAD_INPUT, 5, "input size does not match model") \
    X(MCS_ERR_FAULT, 6, "CPU fault (exception handler reached)")

typedef enum {
#define MCS_STATUS_ENUM(name, value, text) name = value,
    MCS_STATUS_LIST(MCS_STATUS_ENUM)
#undef MCS_STATUS_ENUM
} mcs_status_t;

/* One model input or output tensor, in the layout the model reads/writes it. */
typedef struct {
    const char *name;        /* ONNX name of the tensor */
    uint32_t dtype;          /* mcs_dtype_t */
    uint32_t ndim;
    uint32_t shape[MCS_MAX_DIMS];
    uint32_t size_bytes;
    float scale;             /* quantized dtypes: real = scale * (q - zero_point) */
    int32_t zero_point;
} mcs_tensor_info_t;

typedef struct {
    const char *name;        /* model name */
    const char *hash;        /* hex digest of the model file it was generated from */
    uint32_t n_inputs;
    uint32_t n_outputs;
    uint32_t n_layers;       /* layers reporting mcs_layer_begin/end */
    const mcs_tensor_info_t *inputs;
    const mcs_tensor_info_t *outputs;
    const char *const *layer_names;  /* n_layers entries, may be 0 */
    uint32_t arena_bytes;    /* working memory the model uses (activations) */
} mcs_model_info_t;

const mcs_model_info_t *mcs_model_info(void);

/* Prepare the model (weights, arena). Returns MCS_OK or an mcs_status_t. */
int mcs_model_init(void);

/* One inference. inputs[i] / outputs[i] point to buffers of inputs[i].size_bytes /
 * outputs[i].size_bytes, aligned to 8 bytes. Returns MCS_OK or an mcs_status_t. */
int mcs_model_run(const void *const inputs[], void *const outputs[]);

/* Provided by the harness; called by the model around each layer. */
void mcs_layer_begin(uint32_t layer);
void mcs_layer_end(uint32_t layer);

#ifdef __cplusplus
}
#endif
#endif /* MCS_MODEL_H */
