/*
 * mining — templates, jobs and solutions (see mining.h).
 */
#include "mining.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "template.h"

int mining_init(mining_t *m, bool mine, unsigned threads, const char *impl,
                const uint8_t miner_key[32])
{
    memset(m, 0, sizeof *m);
    if (miner_key)
        memcpy(m->miner_key, miner_key, 32);
    if (!mine)
        return 0;
    m->pool = pool_new(threads, impl && impl[0] ? impl : "auto");
    return m->pool ? 0 : ERR_UNSUPPORTED;
}

static void job_release(mining_job_t *j)
{
    if (j->live) {
        block_deinit(&j->tpl);
        job_parts_deinit(&j->parts);
    }
    memset(j, 0, sizeof *j);
}

void mining_deinit(mining_t *m)
{
    pool_free(&m->pool);
    for (int k = 0; k < 2; k++)
        job_release(&m->jobs[k]);
}

void mining_pause(mining_t *m)
{
    if (m->pool)
        pool_pause(m->pool);
}

void mining_tip_changed(mining_t *m)
{
    m->tip_changed = true;
}

void mining_mempool_changed(mining_t *m)
{
    m->mempool_changed = true;
}

int mining_template(block_t *tpl, const chain_t *chain,
                    const mempool_t *mempool, const uint8_t miner[32],
                    uint64_t extra_nonce)
{
    size_t room = BLOCK_MAX_SIZE - BLOCK_HEADER_SIZE - 4 - TX_COINBASE_SIZE;
    size_t max = room / TX_TRANSFER_SIZE;
    tx_t *txs = malloc(max * sizeof *txs);
    if (!txs)
        return ERR_NOMEM;
    size_t count = 0;
    int rc = mempool_select(mempool, txs, &count, NULL, chain_state(chain), max,
                            room);
    if (rc == 0)
        rc = template_build(tpl, chain, chain_tip(chain), miner, txs, count,
                            (uint32_t)time(NULL), extra_nonce);
    free(txs);
    return rc;
}

static uint64_t random_extra_nonce(uint64_t fallback)
{
    uint64_t extra;
    if (getrandom(&extra, sizeof extra, 0) != (ssize_t)sizeof extra)
        extra = fallback;
    return extra;
}

void mining_refresh(mining_t *m, const chain_t *chain, const mempool_t *mempool,
                    uint64_t now_ms, bool force)
{
    if (!force && !m->tip_changed &&
        !(m->mempool_changed && now_ms - m->job_ms >= MINING_REFRESH_MS))
        return;
    m->tip_changed = false;
    m->mempool_changed = false;
    m->job_ms = now_ms;
    if (!m->pool)
        return;
    mining_job_t next = {0};
    if (mining_template(&next.tpl, chain, mempool, m->miner_key,
                        random_extra_nonce(now_ms)) != 0) {
        log_warn("node", "could not build a block template");
        return;
    }
    pool_job_t job;
    next.job_id = ++m->next_job_id;
    if (job_from_template(&job, &next.parts, &next.tpl, next.job_id) != 0) {
        block_deinit(&next.tpl);
        log_warn("node", "could not make a mining job");
        return;
    }
    next.live = true;
    job_release(&m->jobs[1]);
    m->jobs[1] = m->jobs[0];
    m->jobs[0] = next;
    if (pool_set_job(m->pool, &job) != 0)
        log_warn("node", "the miner refused the job");
}

int mining_next_block(mining_t *m, block_t *block, const chain_t *chain)
{
    pool_solution_t sol;
    while (m->pool && pool_next_solution(m->pool, &sol, 0) == 0) {
        mining_job_t *j = NULL;
        for (int k = 0; k < 2; k++)
            if (m->jobs[k].live && m->jobs[k].job_id == sol.job_id)
                j = &m->jobs[k];
        /* A job older than the previous one, or one whose parent is no
         * longer the tip (our own block or a peer's got there first). */
        if (!j ||
            memcmp(j->tpl.header.prev_hash, chain_tip(chain)->hash, 32) != 0) {
            m->stale++;
            continue;
        }
        if (job_apply_solution(block, &j->tpl, &sol) != 0) {
            log_warn("node", "a solution did not match its job");
            continue;
        }
        return 0;
    }
    return ERR_NOT_FOUND;
}

void mining_set_notify(mining_t *m, void (*notify)(void *ctx), void *ctx)
{
    if (m->pool)
        pool_set_notify(m->pool, notify, ctx);
}

uint64_t mining_due_ms(const mining_t *m)
{
    if (!m->pool)
        return UINT64_MAX; /* no job to make: the flags wait harmlessly */
    if (m->tip_changed)
        return 0;
    if (m->mempool_changed)
        return m->job_ms + MINING_REFRESH_MS;
    return UINT64_MAX;
}

bool mining_active(const mining_t *m)
{
    return m->pool != NULL;
}

unsigned mining_threads(const mining_t *m)
{
    return m->pool ? pool_threads(m->pool) : 0;
}

const char *mining_kernel(const mining_t *m)
{
    return m->pool ? pool_kernel(m->pool) : "none";
}

double mining_hashrate(const mining_t *m)
{
    return m->pool ? pool_hashrate(m->pool) : 0.0;
}
