/*
 * Tests for src/node/mining.c with a real one-thread pool on regtest (about
 * every other hash wins, so solutions come at once): a job made on the tip
 * turns into blocks the chain accepts; once the tip has moved on, the
 * pool's solutions for the old job are counted stale and never returned;
 * the mempool's change waits MINING_REFRESH_MS, the tip's does not; an
 * idle mining_t (not mining) is harmless and still builds templates.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fixtures.h"
#include "log.h"
#include "mining.h"

static const uint8_t MINER[32] = {0x42};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The next block from the pool, waiting (generously) for one. */
static bool next_block(mining_t *m, block_t *b, const chain_t *c)
{
    for (int i = 0; i < 500; i++) {
        if (mining_next_block(m, b, c) == 0)
            return true;
        sleep_ms(10);
    }
    return false;
}

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

Test(mining, solutions_on_the_tip_become_blocks, .init = quiet, .timeout = 30)
{
    chain_t *c = fx_chain(NULL);
    mempool_t *mp = mempool_new(params_regtest()->network_id, 100);
    cr_assert_not_null(mp);
    mining_t m;
    cr_assert_eq(mining_init(&m, true, 1, "generic", MINER), 0);
    cr_assert(mining_active(&m));
    cr_assert_eq(mining_threads(&m), 1);
    mining_refresh(&m, c, mp, 1000, true);
    for (uint32_t height = 1; height <= 3; height++) {
        block_t b;
        cr_assert(next_block(&m, &b, c), "no block at height %u", height);
        const char *why = NULL;
        cr_assert_eq(chain_add_block(c, &why, &b), 0, "%s", why ? why : "");
        cr_assert_eq(memcmp(b.txs[0].recipient, MINER, 32), 0);
        block_deinit(&b);
        cr_assert_eq(chain_height(c), height);
        mining_tip_changed(&m); /* as the chain's callback would */
        mining_refresh(&m, c, mp, 1000 + height, false);
    }
    mining_deinit(&m);
    mempool_free(&mp);
    chain_free(&c);
}

Test(mining, solutions_for_an_old_tip_are_stale, .init = quiet, .timeout = 30)
{
    chain_t *c = fx_chain(NULL);
    mempool_t *mp = mempool_new(params_regtest()->network_id, 100);
    mining_t m;
    cr_assert_eq(mining_init(&m, true, 1, "generic", MINER), 0);
    mining_refresh(&m, c, mp, 1000, true);
    /* A peer's block wins the race; no new job yet. */
    fx_extend(c, chain_tip(c), (const uint8_t[32]){7}, NULL, 0, 1);
    block_t b;
    for (int i = 0; m.stale == 0; i++) {
        cr_assert(i < 500, "no solution came");
        cr_assert_eq(mining_next_block(&m, &b, c), ERR_NOT_FOUND,
                     "a block on an old tip was returned");
        sleep_ms(10);
    }
    /* A job on the new tip gives blocks again. */
    mining_tip_changed(&m);
    mining_refresh(&m, c, mp, 2000, false);
    cr_assert(next_block(&m, &b, c));
    cr_assert_eq(memcmp(b.header.prev_hash, chain_tip(c)->hash, 32), 0);
    block_deinit(&b);
    mining_deinit(&m);
    mempool_free(&mp);
    chain_free(&c);
}

Test(mining, a_mempool_change_waits_a_tip_change_does_not, .init = quiet)
{
    chain_t *c = fx_chain(NULL);
    mempool_t *mp = mempool_new(params_regtest()->network_id, 100);
    mining_t m;
    cr_assert_eq(mining_init(&m, false, 0, NULL, MINER), 0);
    cr_assert(!mining_active(&m));
    cr_assert_str_eq(mining_kernel(&m), "none");
    mining_refresh(&m, c, mp, 1000, true);
    cr_assert_eq(m.job_ms, 1000);
    mining_mempool_changed(&m);
    mining_refresh(&m, c, mp, 1000 + MINING_REFRESH_MS - 1, false);
    cr_assert_eq(m.job_ms, 1000, "too soon for a mempool change");
    mining_refresh(&m, c, mp, 1000 + MINING_REFRESH_MS, false);
    cr_assert_eq(m.job_ms, 1000 + MINING_REFRESH_MS);
    mining_tip_changed(&m);
    mining_refresh(&m, c, mp, 1000 + MINING_REFRESH_MS + 1, false);
    cr_assert_eq(m.job_ms, 1000 + MINING_REFRESH_MS + 1, "a tip change: now");
    /* Idle: no solutions, but templates for `generate`. */
    block_t b;
    cr_assert_eq(mining_next_block(&m, &b, c), ERR_NOT_FOUND);
    cr_assert_eq(mining_template(&b, c, mp, MINER, 0), 0);
    cr_assert_eq(memcmp(b.header.prev_hash, chain_tip(c)->hash, 32), 0);
    block_deinit(&b);
    mining_deinit(&m);
    mempool_free(&mp);
    chain_free(&c);
}
