/*
 * Fault injection for the chain (src/core/chain*.c): each allocation the
 * library makes fails in turn, and the failure must come back as an error
 * (NULL from chain_new, ERR_NOMEM from chain_add_block), never as a crash,
 * a leak (the sanitizer build checks those) or a chain that disagrees with
 * itself: after each fault, offering the same blocks again without faults
 * must end at the same tip and the same accounts as a run that never failed.
 * In the sanitizer build each test also ends with a leak check of its own
 * (a leak found at the exit of a test's process is reported, not failed).
 *
 * The library's malloc, calloc and realloc reach the wrappers below through
 * the linker's --wrap (Makefile, FAULT_TESTS); allocations inside OpenSSL,
 * libsecp256k1 and Criterion do not.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define NO_LEAKS() (__lsan_do_recoverable_leak_check() == 0)
#else
#define NO_LEAKS() true
#endif

/* ---- failing allocations ------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* Allocations left before the one that fails; negative: none fails. */
static atomic_long fault_in = -1;
static atomic_bool fault_hit;

static bool fail_now(void)
{
    if (atomic_load(&fault_in) < 0)
        return false;
    if (atomic_fetch_sub(&fault_in, 1) != 0)
        return false;
    atomic_store(&fault_hit, true);
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

/* The k-th allocation from now on fails (k = 0: the next one). */
static void fault_arm(long k)
{
    atomic_store(&fault_hit, false);
    atomic_store(&fault_in, k);
}

static void fault_disarm(void)
{
    atomic_store(&fault_in, -1);
}

/* ---- the scenario ------------------------------------------------------- */

static fx_key_t alice, bob, miner;

static void setup(void)
{
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    fx_key(&miner, 3);
}

TestSuite(chain_faults, .init = setup, .timeout = 120);

/* Regtest with the demo network's moving-window retarget, so that the bits
 * a block needs are computed (and, in blocks one second apart, are not the
 * limit): a shortage of memory must not make up other bits. */
static params_t retarget_params(void)
{
    params_t p = *params_regtest();
    p.retarget = true;
    p.target_spacing = 2;
    p.retarget_window = 4;
    return p;
}

static chain_config_t config(const params_t *p)
{
    return (chain_config_t){.params = p, .sig_threads = 1};
}

#define MAX_BLOCKS 24

typedef struct {
    block_t blocks[MAX_BLOCKS]; /* in the order they are offered */
    size_t n;
} scenario_t;

static const chain_node_t *keep(scenario_t *s, chain_t *c,
                                const chain_node_t *parent,
                                const uint8_t *payee, const tx_t *txs,
                                size_t ntx, uint64_t extra)
{
    cr_assert_lt(s->n, MAX_BLOCKS);
    block_t *b = &s->blocks[s->n++];
    fx_block(b, c, parent, payee, txs, ntx, extra);
    cr_assert_eq(chain_add_block(c, NULL, b), 0);
    uint8_t hash[32];
    block_compute_hash(hash, &b->header);
    return chain_get(c, hash);
}

/*
 * A main branch with a transfer, a heavier side branch that forks below it
 * (a reorg, delivered newest first so it waits as orphans), a block refused
 * for good and its child, and enough blocks on top that the old branch is
 * pruned with its transfer handed back.
 */
static void build(scenario_t *s, const params_t *p)
{
    chain_config_t cfg = config(p);
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    s->n = 0;
    const chain_node_t *g = chain_tip(c);
    const chain_node_t *a1 = keep(s, c, g, alice.pub, NULL, 0, 1);
    const chain_node_t *a2 = keep(s, c, a1, alice.pub, NULL, 0, 2);
    tx_t pay;
    fx_transfer(&pay, p, &alice, bob.pub, 5 * COIN, 1000, 0);
    const chain_node_t *a3 = keep(s, c, a2, miner.pub, &pay, 1, 3);
    keep(s, c, a3, miner.pub, NULL, 0, 4);

    /* The side branch, built now and offered newest first. */
    block_t side[4];
    const chain_node_t *parent = a1;
    for (int i = 0; i < 4; i++) {
        tx_t other;
        fx_transfer(&other, p, &alice, miner.pub, 7 * COIN, 2000, 0);
        fx_block(&side[i], c, parent, bob.pub, &other, i == 1 ? 1 : 0,
                 (uint64_t)(10 + i));
        cr_assert_eq(chain_add_block(c, NULL, &side[i]), 0);
        uint8_t hash[32];
        block_compute_hash(hash, &side[i].header);
        parent = chain_get(c, hash);
    }
    for (int i = 3; i >= 0; i--)
        s->blocks[s->n++] = side[i];

    /* Refused for good (more than alice has), and a child of it. */
    tx_t greedy;
    fx_transfer(&greedy, p, &alice, bob.pub, 1000 * COIN, 0, 1);
    block_t *bad = &s->blocks[s->n++];
    fx_block(bad, c, parent, miner.pub, &greedy, 1, 20);
    cr_assert_eq(chain_add_block(c, NULL, bad), ERR_INVALID);
    block_t *child = &s->blocks[s->n++];
    fx_block(child, c, parent, miner.pub, NULL, 0, 21);
    block_compute_hash(child->header.prev_hash, &bad->header);
    child->txs[0].height++;
    fx_reseal(child);

    /* On top of the side branch until the old one is pruned. */
    for (uint64_t i = 0; i < CHAIN_PRUNE_DEPTH + 1; i++)
        parent = keep(s, c, parent, miner.pub, NULL, 0, 30 + i);
    cr_assert_eq(chain_get_forks(c, NULL, 0), 1, "the old branch is pruned");
    chain_free(&c);
}

static void scenario_free(scenario_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        block_deinit(&s->blocks[i]);
}

/* Offers every block; under faults any refusal is allowed but a crash. */
static void offer_all(chain_t *c, const scenario_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        int rc = chain_add_block(c, NULL, &s->blocks[i]);
        cr_assert(rc == 0 || rc == ERR_NOMEM || rc == ERR_ORPHAN ||
                      rc == ERR_INVALID || rc == ERR_DUPLICATE,
                  "block %zu: rc %d", i, rc);
    }
}

typedef struct {
    uint8_t tip[32];
    uint32_t height;
    account_t alice, bob, miner;
    size_t accounts;
} outcome_t;

static outcome_t outcome(const chain_t *c)
{
    outcome_t o;
    memset(&o, 0, sizeof o);
    memcpy(o.tip, chain_tip(c)->hash, 32);
    o.height = chain_height(c);
    state_get(chain_state(c), &o.alice, alice.pub);
    state_get(chain_state(c), &o.bob, bob.pub);
    state_get(chain_state(c), &o.miner, miner.pub);
    o.accounts = state_count(chain_state(c));
    return o;
}

static void run_every_fault(const params_t *p)
{
    scenario_t s;
    build(&s, p);
    chain_config_t cfg = config(p);
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    offer_all(c, &s);
    outcome_t want = outcome(c);
    chain_free(&c);

    long k = 0;
    for (;; k++) {
        cr_assert_lt(k, 100000, "the faults never ran out");
        fault_arm(k);
        c = chain_new(&cfg);
        if (c)
            offer_all(c, &s);
        fault_disarm();
        bool hit = atomic_load(&fault_hit);
        if (!c) {
            cr_assert(hit, "chain_new failed without a fault");
            continue;
        }
        /* The same blocks again, nothing failing now. */
        offer_all(c, &s);
        outcome_t got = outcome(c);
        cr_assert_arr_eq(got.tip, want.tip, 32,
                         "fault %ld: another tip (height %u, not %u)", k,
                         got.height, want.height);
        cr_assert_eq(got.height, want.height, "fault %ld", k);
        cr_assert_eq(memcmp(&got.alice, &want.alice, sizeof got.alice), 0,
                     "fault %ld: alice's account differs", k);
        cr_assert_eq(memcmp(&got.bob, &want.bob, sizeof got.bob), 0,
                     "fault %ld: bob's account differs", k);
        cr_assert_eq(memcmp(&got.miner, &want.miner, sizeof got.miner), 0,
                     "fault %ld: the miner's account differs", k);
        cr_assert_eq(got.accounts, want.accounts, "fault %ld", k);
        chain_free(&c);
        if (!hit)
            break; /* the whole run took fewer than k allocations */
    }
    cr_assert_gt(k, 100, "only %ld allocations: the wrappers are not used", k);
    scenario_free(&s);
    cr_assert(NO_LEAKS(), "a failed allocation leaked memory (see above)");
}

Test(chain_faults, every_allocation_failure_is_an_error_on_regtest)
{
    run_every_fault(params_regtest());
}

Test(chain_faults, every_allocation_failure_is_an_error_with_retargeting)
{
    params_t p = retarget_params();
    run_every_fault(&p);
}

/*
 * When the memory of refused hashes is full it starts afresh; a failure to
 * allocate the fresh one keeps the old (it once left the chain without one,
 * and the next block offered crashed it).
 */
Test(chain_faults, a_full_memory_of_refusals_survives_a_failed_renewal)
{
    chain_t *c = fx_chain(NULL);
    block_t bad;
    tx_t greedy;
    fx_transfer(&greedy, params_regtest(), &alice, bob.pub, COIN, 0, 0);
    fx_block(&bad, c, chain_tip(c), miner.pub, &greedy, 1, 0);
    cr_assert_eq(chain_add_block(c, NULL, &bad), ERR_INVALID);
    /* Children of a refused block are refused and remembered without any
     * proof of work: a cheap way to fill the memory. */
    block_t child;
    fx_block(&child, c, chain_tip(c), miner.pub, NULL, 0, 1);
    block_compute_hash(child.header.prev_hash, &bad.header);
    const char *why = NULL;
    for (uint32_t i = 0; i + 1 < CHAIN_MAX_INVALID; i++) {
        child.header.nonce = i;
        cr_assert_eq(chain_add_block(c, &why, &child), ERR_INVALID);
    }
    cr_assert_str_eq(why, "bad-prevblk");
    /* The memory is full (the block and its children): the next refusal
     * would renew it, and that allocation fails. */
    child.header.nonce = CHAIN_MAX_INVALID;
    fault_arm(0);
    cr_assert_eq(chain_add_block(c, &why, &child), ERR_INVALID);
    fault_disarm();
    cr_assert(atomic_load(&fault_hit));
    /* The chain still works: refusals are still known, blocks still added. */
    child.header.nonce = 1;
    cr_assert_eq(chain_add_block(c, &why, &child), ERR_INVALID);
    cr_assert_str_eq(why, "bad-prevblk");
    fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 2);
    cr_assert_eq(chain_height(c), 1);
    block_deinit(&bad);
    block_deinit(&child);
    chain_free(&c);
    cr_assert(NO_LEAKS(), "memory leaked (see above)");
}
