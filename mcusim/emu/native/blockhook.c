/*
 * blockhook.c - the emulator's per-block hook, in C for speed.
 *
 * Registered with libunicorn's uc_hook_add(UC_HOOK_BLOCK) on the Python binding's engine
 * (see mcusim/emu/native/__init__.py). At every translated-block entry it:
 *   1. charges the taken-branch penalty of the previous block when that block ended in a
 *      conditional branch and execution did not fall through;
 *   2. stops the run (uc_emu_stop, before the block executes) when the cycle or instruction
 *      deadline is reached, when a masked interrupt became unmasked, or when a block that moves
 *      SP would take it below the stack limit;
 *   3. adds the block's static cost (cycles, instructions), counts its executions (profile)
 *      and records it in a ring of the last blocks (fault reports);
 *   4. detects a block re-entering itself many times in a row (spin), for hang detection;
 *   5. stops once the results block's magic word holds its final value (read from host
 *      memory: a Unicorn write hook on that word would slow every store by ~90 %).
 * A block seen for the first time is costed by a Python callback (capstone decode, cycle table).
 * Built with the host gcc at first use; no libunicorn headers needed: the few libunicorn
 * functions used are passed in as pointers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define F_COND_BRANCH 1u   /* ends with a conditional branch (penalty when taken) */
#define F_MOVES_SP 2u      /* contains push/sub sp: check the stack limit before it runs */

typedef struct {
    uint32_t addr, size;
    uint32_t n_insn, cost;
    uint32_t taken_extra, flags;
    uint32_t sp_drop, pad;
    uint64_t count, taken;
} blk_t;

enum {
    STOP_NONE = 0, STOP_DEADLINE = 1, STOP_INSN = 2, STOP_SPIN = 3,
    STOP_STACK = 4, STOP_IRQ = 5, STOP_MISS_FAIL = 6, STOP_MAGIC = 7,
};

#define RING 32
#define REG_SP 12
#define REG_PRIMASK 123
#define REG_BASEPRI 124
#define REG_FAULTMASK 125

typedef int (*emu_stop_fn)(void *uc);
typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*miss_fn)(uint32_t addr, uint32_t size, blk_t *entry);

typedef struct {
    uint64_t cycles, insns;
    uint64_t cycle_deadline, insn_deadline;
    uint64_t block_start_cycles;        /* cycles before the current block */
    uint32_t cur_addr, stop_reason;
    int64_t prev;                       /* index of the previous block, -1 none */
    uint32_t spin_addr, spin_count, spin_limit, stack_limit;
    uint32_t sp_min, irq_poll;
    uint32_t poll_primask, poll_basepri, poll_faultmask, ring_pos;
    uint32_t ring[RING];
    blk_t *table;
    uint32_t capacity, used;
    emu_stop_fn emu_stop;
    reg_read_fn reg_read;
    miss_fn miss;
    void *uc;
    volatile uint32_t *magic_ptr;       /* host address of the results block's magic word */
    uint32_t magic_value, pad;
} state_t;

static inline uint32_t hash32(uint32_t a) {
    a ^= a >> 16; a *= 0x7feb352dU; a ^= a >> 15; a *= 0x846ca68bU; a ^= a >> 16;
    return a;
}

int mcs_init(state_t *st, uint32_t capacity) {
    st->table = (blk_t *)calloc(capacity, sizeof(blk_t));
    if (!st->table) return -1;
    st->capacity = capacity;
    st->used = 0;
    st->prev = -1;
    return 0;
}

void mcs_free(state_t *st) {
    free(st->table);
    st->table = 0;
}

static int grow(state_t *st) {
    uint32_t cap = st->capacity * 2, i;
    blk_t *t = (blk_t *)calloc(cap, sizeof(blk_t));
    if (!t) return -1;
    for (i = 0; i < st->capacity; i++) {
        blk_t *e = &st->table[i];
        if (!e->size) continue;
        uint32_t j = hash32(e->addr ^ (e->size << 24)) & (cap - 1);
        while (t[j].size) j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    free(st->table);
    st->table = t;
    st->capacity = cap;
    st->prev = -1;
    return 0;
}

static int64_t lookup(state_t *st, uint32_t addr, uint32_t size) {
    uint32_t mask = st->capacity - 1;
    uint32_t j = hash32(addr ^ (size << 24)) & mask;
    for (;;) {
        blk_t *e = &st->table[j];
        if (e->size == size && e->addr == addr) return j;
        if (!e->size) break;
        j = (j + 1) & mask;
    }
    if ((st->used + 1) * 2 > st->capacity) {
        if (grow(st)) return -1;
        return lookup(st, addr, size);
    }
    blk_t *e = &st->table[j];
    memset(e, 0, sizeof(*e));
    e->addr = addr;
    e->size = size;
    if (st->miss(addr, size, e)) { e->size = 0; return -1; }
    st->used++;
    return j;
}

void mcs_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data) {
    state_t *st = (state_t *)user_data;
    uint32_t addr = (uint32_t)address;
    if (st->prev >= 0) {
        blk_t *p = &st->table[st->prev];
        if ((p->flags & F_COND_BRANCH) && addr != p->addr + p->size) {
            st->cycles += p->taken_extra;
            p->taken++;
        }
        st->prev = -1;
    }
    if (st->cycles >= st->cycle_deadline) { st->stop_reason = STOP_DEADLINE; st->emu_stop(uc); return; }
    if (st->insns >= st->insn_deadline) { st->stop_reason = STOP_INSN; st->emu_stop(uc); return; }
    if (st->magic_ptr && *st->magic_ptr == st->magic_value) {
        st->stop_reason = STOP_MAGIC; st->emu_stop(uc); return;
    }
    if (st->irq_poll) {
        uint32_t pm = 0, bp = 0, fm = 0;
        st->reg_read(uc, REG_PRIMASK, &pm);
        st->reg_read(uc, REG_BASEPRI, &bp);
        st->reg_read(uc, REG_FAULTMASK, &fm);
        if (pm != st->poll_primask || bp != st->poll_basepri || fm != st->poll_faultmask) {
            st->stop_reason = STOP_IRQ; st->emu_stop(uc); return;
        }
    }
    int64_t i = lookup(st, addr, size);
    if (i < 0) { st->stop_reason = STOP_MISS_FAIL; st->emu_stop(uc); return; }
    blk_t *b = &st->table[i];
    if (b->flags & F_MOVES_SP) {
        uint32_t sp = 0;
        st->reg_read(uc, REG_SP, &sp);
        uint32_t low = sp - b->sp_drop;
        if (low < st->sp_min) st->sp_min = low;
        if (low < st->stack_limit && sp >= st->stack_limit) {
            st->cur_addr = addr; st->stop_reason = STOP_STACK; st->emu_stop(uc); return;
        }
    }
    if (addr == st->spin_addr) {
        if (++st->spin_count >= st->spin_limit) {
            st->spin_count = 0; st->cur_addr = addr;
            st->stop_reason = STOP_SPIN; st->emu_stop(uc); return;
        }
    } else {
        st->spin_addr = addr;
        st->spin_count = 0;
    }
    st->block_start_cycles = st->cycles;
    st->cur_addr = addr;
    st->cycles += b->cost;
    st->insns += b->n_insn;
    b->count++;
    st->prev = i;
    st->ring[st->ring_pos++ & (RING - 1)] = addr;
}
