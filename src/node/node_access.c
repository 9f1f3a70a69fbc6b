/*
 * node_access — what the node's parts see of it (node_impl.h): the lock,
 * the read-only handles, the counters, the test switches; and two helpers
 * the node's own files share (node_state.h).
 */
#include "err.h"
#include "node_state.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

void node_lock(node_t *n)
{
    pthread_mutex_lock(&n->lock);
}

void node_unlock(node_t *n)
{
    pthread_mutex_unlock(&n->lock);
    /* What the caller did under the lock may want a turn (the main loop
     * sleeps until its next timer otherwise). */
    p2p_wake(n->p2p);
}

int node_lock_within(node_t *n, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* pthread_mutex_timedlock's */
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&n->lock, &until) == 0 ? 0 : ERR_TIMEOUT;
}

const params_t *node_params(const node_t *n)
{
    return n->params;
}

p2p_t *node_p2p(node_t *n)
{
    return n->p2p;
}

const loopwatch_t *node_watch(const node_t *n)
{
    return &n->watch;
}

uint64_t node_uptime_s(const node_t *n)
{
    return (node_now_ms() - n->started_ms) / 1000;
}

stratum_server_t *node_stratum(node_t *n)
{
    return n->stratum;
}

const chain_t *node_chain(const node_t *n)
{
    return n->chain;
}

const mempool_t *node_mempool(const node_t *n)
{
    return n->mempool;
}

addrindex_t *node_addrindex(node_t *n)
{
    return n->addrindex;
}

void node_stats(node_t *n, node_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (n->serve)
        serve_counts(n->serve, &out->requests_limited,
                     &out->requests_malformed);
    out->blocks_relayed = n->relay.blocks;
    out->txs_relayed = n->relay.txs;
    out->tx_frames_relayed = n->relay.tx_frames;
    out->txs_known_dropped = n->txs_known_dropped;
    out->mining = mining_active(&n->mining);
    out->threads = mining_threads(&n->mining);
    out->kernel = mining_kernel(&n->mining);
    out->hashrate = mining_hashrate(&n->mining);
}

const seen_t *node_seen(const node_t *n)
{
    return &n->seen;
}

const events_t *node_events(const node_t *n)
{
    return &n->events;
}

/* Scores a peer's misbehaviour; a ban goes to the event log. */
bool node_misbehaving(node_t *n, uint64_t peer, int points, const char *why)
{
    bool banned = p2p_misbehaving(n->p2p, peer, points, why);
    if (banned)
        events_peer_banned(&n->events, peer, why);
    return banned;
}

bool node_miner_key(const node_t *n, uint8_t key[32])
{
    if (n->cfg.has_miner_key)
        memcpy(key, n->cfg.miner_key, 32);
    return n->cfg.has_miner_key;
}

/* Queues a sync want, unless a test partition cuts the peer off. */
void node_want(node_t *n, uint64_t peer, sync_kind_t kind,
               const uint8_t hash[32], bool once)
{
    if (!testswitch_cut(&n->switches, peer))
        sync_want(&n->sync, peer, kind, hash, once, node_now_ms());
}

int node_partition(node_t *n, const uint64_t *ids, size_t count)
{
    uint64_t healed[TESTSWITCH_MAX_CUT];
    size_t n_healed = 0;
    int rc = testswitch_partition(&n->switches, healed, &n_healed, ids, count);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++)
        sync_forget(&n->sync, ids[i]);
    /* Healing: the gossip dropped meanwhile is lost, so the main loop
     * catches up with the peers let back in at its next turns, rather than
     * at the next tip poll, seconds away. */
    for (size_t i = 0; i < n_healed; i++) {
        node_want(n, healed[i], SYNC_TIP, NULL, false);
        node_want(n, healed[i], SYNC_MEMPOOL, NULL, false);
    }
    return 0;
}

int node_stall(node_t *n, uint64_t ms)
{
    return testswitch_stall(&n->switches, ms);
}

bool node_test_switches(const node_t *n)
{
    return testswitch_enabled(&n->switches);
}
