/*
 * main.c - the mcusim harness: sets the clock, starts the cycle counter, LED and UART,
 * then runs the model through the fixed API (mcs_model.h) on the embedded test inputs
 * (mcs_inputs.h), times mcs_model_init, every mcs_model_run and every layer with the DWT
 * cycle counter, pulses the LED around each run, and fills the results block
 * (mcs_results.h) that the emulator or the board path reads back. `magic` is written last.
 */
#include "mcs_harness.h"
#include "mcs_inputs.h"
#include "mcs_model.h"
#include "mcs_results.h"

/* Without a generated inputs source, these weak references stay 0: one sample of zeros. */
#pragma weak mcs_test_n_samples
#pragma weak mcs_test_input_data

#ifndef MCS_INPUT_BUFFER_BYTES
#define MCS_INPUT_BUFFER_BYTES 1024u
#endif
#ifndef MCS_OUTPUT_BUFFER_BYTES
#define MCS_OUTPUT_BUFFER_BYTES 1024u
#endif
#ifndef MCS_MAX_TENSORS
#define MCS_MAX_TENSORS 8u
#endif
#ifndef MCS_MAX_LAYERS
#define MCS_MAX_LAYERS 256u
#endif

mcs_results_t mcs_results __attribute__((section(".noinit"), aligned(8)));

/* Model inputs and outputs live in the fastest RAM, next to the model's arena. */
static uint64_t input_buf[MCS_INPUT_BUFFER_BYTES / 8u] __attribute__((section(".mcs_arena")));
static uint64_t output_buf[MCS_OUTPUT_BUFFER_BYTES / 8u] __attribute__((section(".mcs_arena")));

static const char *const status_text[] = {
#define MCS_STATUS_TEXT(name, value, text) [value] = text,
    MCS_STATUS_LIST(MCS_STATUS_TEXT)
#undef MCS_STATUS_TEXT
};

const char *mcs_status_str(int status)
{
    if (status >= 0 && (uint32_t)status < sizeof(status_text) / sizeof(status_text[0]) &&
        status_text[status]) {
        return status_text[status];
    }
    return "unknown status";
}

static uint32_t pad(uint32_t n, uint32_t to) { return (n + to - 1u) & ~(to - 1u); }

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        dst[i] = src ? src[i] : 0u;
    }
}

static void set_status(int st)
{
    if (mcs_results.status == MCS_OK) {
        mcs_results.status = st;
    }
}

int main(void)
{
    mcs_clock_t clk;
    mcs_results_t *r = &mcs_results;

    mcs_chip_caches_init();
    mcs_clock_init(&clk);
    mcs_cycles_init();
    mcs_led_init();
    mcs_uart_init(clk.uart_kernel_hz);

    mcs_puts("\r\nmcusim harness: board " MCS_BOARD_NAME " (" MCS_CHIP_TITLE ", " MCS_CORE_NAME
             "), clock ");
    mcs_put_u32(clk.cpu_hz);
    mcs_puts(" Hz\r\n");
    if (clk.failed_step) {
        mcs_puts("mcs: clock: ");
        mcs_puts(clk.failed_step);
        mcs_puts(" timed out; running on the reset clock\r\n");
    }
    if (clk.boost_missing) {
        mcs_puts("mcs: clock: CPUFREQ_BOOST option bit clear; limited to 520 MHz\r\n");
    }

    r->version = MCS_RESULTS_VERSION;
    r->status = MCS_OK;
    r->clock_hz = clk.cpu_hz;
    r->n_samples = 0u;
    r->n_layers = 0u;
    r->output_bytes = 0u;
    r->output_crc32 = 0u;
    r->cycles_init = 0u;
    r->cycles_total_lo = 0u;
    r->cycles_total_hi = 0u;
    r->data_bytes = sizeof(r->data);

    const mcs_model_info_t *info = mcs_model_info();
    const void *inputs[MCS_MAX_TENSORS];
    void *outputs[MCS_MAX_TENSORS];
    uint32_t in_bytes = 0u, out_buf_bytes = 0u, out_bytes = 0u;
    uint32_t n_samples = &mcs_test_n_samples != 0 ? mcs_test_n_samples : 1u;
    const uint8_t *in_data = &mcs_test_n_samples != 0 ? mcs_test_input_data : 0;
    uint32_t n_layers = 0u;

    if (!info || info->n_inputs > MCS_MAX_TENSORS || info->n_outputs > MCS_MAX_TENSORS) {
        set_status(MCS_ERR_INIT);
        n_samples = 0u;
    } else {
        mcs_puts("model: ");
        mcs_puts(info->name);
        mcs_puts(", ");
        mcs_put_u32(info->n_layers);
        mcs_puts(" layers, ");
        mcs_put_u32(n_samples);
        mcs_puts(" samples\r\n");
        for (uint32_t i = 0; i < info->n_inputs; i++) {
            inputs[i] = (const uint8_t *)input_buf + in_bytes;
            in_bytes += pad(info->inputs[i].size_bytes, 8u);
        }
        for (uint32_t i = 0; i < info->n_outputs; i++) {
            outputs[i] = (uint8_t *)output_buf + out_buf_bytes;
            out_buf_bytes += pad(info->outputs[i].size_bytes, 8u);
            out_bytes += pad(info->outputs[i].size_bytes, 4u);
        }
        if (in_bytes > sizeof(input_buf) || out_buf_bytes > sizeof(output_buf)) {
            set_status(MCS_ERR_BAD_INPUT);
            n_samples = 0u;
        }
        n_layers = info->n_layers < MCS_MAX_LAYERS ? info->n_layers : MCS_MAX_LAYERS;
    }

    /* What fits in data[]: cycles per sample, cycles per layer, outputs per sample. */
    uint32_t cap = sizeof(r->data);
    if (4u * n_layers > cap) {
        n_layers = cap / 4u;
        set_status(MCS_ERR_NO_SPACE);
    }
    uint32_t per_sample = 4u + out_bytes;
    uint32_t max_samples = (cap - 4u * n_layers) / per_sample;
    if (n_samples > max_samples) {
        n_samples = max_samples;
        set_status(MCS_ERR_NO_SPACE);
    }
    uint32_t *cycles_per_sample = &r->data[0];
    uint32_t *cycles_per_layer = &r->data[n_samples];
    uint8_t *out_area = (uint8_t *)&r->data[n_samples + n_layers];
    r->n_layers = n_layers;
    r->output_bytes = out_bytes;

    if (info && r->status == MCS_OK) {
        uint32_t t0 = mcs_cycles();
        int st = mcs_model_init();
        r->cycles_init = mcs_cycles() - t0;
        if (st != MCS_OK) {
            set_status(st);
            n_samples = 0u;
        }
    }

    mcs_layers_reset();
    uint64_t total = 0u;
    uint32_t done = 0u;
    for (uint32_t s = 0; s < n_samples; s++) {
        const uint8_t *sample = in_data ? in_data + (size_t)s * in_bytes : 0;
        copy_bytes((uint8_t *)input_buf, sample, in_bytes);

        mcs_led_on();
        uint32_t t0 = mcs_cycles();
        int st = mcs_model_run(inputs, outputs);
        uint32_t t1 = mcs_cycles();
        mcs_led_off();

        cycles_per_sample[s] = t1 - t0;
        total += t1 - t0;
        uint8_t *dst = out_area + (size_t)s * out_bytes;
        for (uint32_t i = 0; i < info->n_outputs; i++) {
            uint32_t n = info->outputs[i].size_bytes;
            copy_bytes(dst, (const uint8_t *)outputs[i], n);
            copy_bytes(dst + n, 0, pad(n, 4u) - n);
            dst += pad(n, 4u);
        }
        done = s + 1u;
        if (st != MCS_OK) {
            set_status(st);
            break;
        }
    }
    for (uint32_t l = 0; l < n_layers; l++) {
        cycles_per_layer[l] = mcs_layer_cycles(l);
    }
    if (done < n_samples) {
        /* Stopped early: move the layer cycles and outputs down so data[] stays packed. */
        uint32_t *layers_dst = &r->data[done];
        for (uint32_t l = 0; l < n_layers; l++) {
            layers_dst[l] = cycles_per_layer[l];
        }
        uint8_t *out_dst = (uint8_t *)&r->data[done + n_layers];
        for (uint32_t i = 0; i < done * out_bytes; i++) {
            out_dst[i] = out_area[i];
        }
        out_area = out_dst;
    }
    r->n_samples = done;
    r->cycles_total_lo = (uint32_t)total;
    r->cycles_total_hi = (uint32_t)(total >> 32);
    r->output_crc32 = mcs_crc32(out_area, (size_t)done * out_bytes);

    mcs_puts("mcs: status=");
    mcs_put_i32(r->status);
    mcs_puts(" (");
    mcs_puts(mcs_status_str(r->status));
    mcs_puts(") samples=");
    mcs_put_u32(r->n_samples);
    mcs_puts(" init_cycles=");
    mcs_put_u32(r->cycles_init);
    mcs_puts(" run_cycles=");
    mcs_put_u64(total);
    if (r->n_samples) {
        mcs_puts(" per_sample=");
        mcs_put_u64(total / r->n_samples);
    }
    mcs_puts(" crc32=");
    mcs_put_hex(r->output_crc32);
    mcs_puts("\r\n");
    mcs_uart_flush();

    /* Everything else first, then magic: the emulator stops on this write. */
    mcs_dsb();
    mcs_dcache_clean(r, sizeof(*r));
    r->magic = MCS_RESULTS_MAGIC;
    mcs_dsb();
    mcs_dcache_clean(r, sizeof(*r));
    for (;;) {
        mcs_wfi();
    }
}
