/*
 * node_accept — the paths by which a block or a transaction enters the node
 * (a peer's gossip, sync's fetches, the cli and wallets, the miner's pool
 * and Stratum miners), and the chain's callbacks, through which the
 * mempool, relay, the event log and the store follow the chain.
 */
#include "err.h"
#include "hex.h"
#include "log.h"
#include "node_state.h"
#include "score.h"
#include "template.h"

#include <string.h>

/* ---- chain callbacks ----------------------------------------------------- */

static void on_connected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_connected(n->mempool, &cn->block, chain_state(n->chain));
}

static void on_disconnected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_disconnected(n->mempool, &cn->block, chain_state(n->chain));
    if (!n->loading)
        relay_note_returned(&n->relay, &cn->block);
    events_on_disconnected(&n->events, cn);
}

/* A discarded side branch's transfer that the best chain lacks goes back to
 * the mempool and, when taken, out to peers that may never have seen it. */
static void on_discarded(void *ctx, const tx_t *tx)
{
    node_t *n = ctx;
    if (mempool_add(n->mempool, NULL, chain_state(n->chain), tx) == 0 &&
        !n->loading) {
        uint8_t txid[32];
        tx_compute_txid(txid, tx);
        relay_tx(&n->relay, tx, txid);
        mining_mempool_changed(&n->mining);
        events_on_tx_returned(&n->events);
    }
}

static void on_tip(void *ctx, const chain_node_t *tip)
{
    node_t *n = ctx;
    if (mempool_in_reorg(n->mempool))
        mempool_revalidate(n->mempool, chain_state(n->chain));
    events_on_tip(&n->events, tip, relay_returned(&n->relay, n->mempool));
    mining_tip_changed(&n->mining);
    if (!n->loading)
        persist_tip_changed(n->store, tip);
}

static int on_added(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    if (n->loading)
        return 0;
    int rc = persist_block_added(n->store, cn);
    if (rc == 0)
        events_on_added(&n->events, cn, chain_tip(n->chain));
    return rc;
}

static void on_removed(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    if (!n->loading)
        persist_block_removed(n->store, cn);
    events_on_removed(&n->events, cn);
}

/* ---- blocks and transactions --------------------------------------------- */

/*
 * Offers a block to the chain. Where it came from decides the rest:
 *   peer 0           made here: relayed (serialised) when accepted;
 *   peer, gossip     a peer's NEW_BLOCK: judged stale-fork or not first,
 *                    relayed as the frame it came in, and an orphan queues
 *                    a fetch from that peer;
 *   peer, no gossip  fetched by sync: not relayed, and an orphan starts
 *                    nothing (the exchange under way goes on).
 * A consensus refusal is counted and scores the peer.
 */
int node_accept_block(node_t *n, const char **reason, const block_t *b,
                      uint64_t peer, const p2p_msg_t *gossip)
{
    const char *why = NULL;
    if (gossip && chain_is_stale_fork(n->chain, &b->header)) {
        /* Gossip only: blocks fetched by sync may build a heavier branch
         * from however deep a fork point. */
        why = "stale-fork";
        seen_tally(&n->seen.blocks, why);
        events_block_refused(&n->events, EVENT_BLOCK_REFUSED, n->chain, b, why,
                             peer);
        node_misbehaving(n, peer, SCORE_STALE_FORK, why);
        if (reason)
            *reason = why;
        return ERR_INVALID;
    }
    events_call_begin(&n->events, peer, !peer && !gossip);
    int rc = chain_add_block(n->chain, &why, b);
    events_call_end(&n->events);
    if (reason)
        *reason = why;
    uint8_t hash[32];
    block_compute_hash(hash, &b->header);
    if (rc == 0) {
        seen_block_accepted(&n->seen, hash);
        if (gossip)
            relay_block_frame(&n->relay, gossip->data, gossip->len);
        else if (!peer)
            relay_block(&n->relay, b);
    } else if (rc == ERR_ORPHAN) {
        seen_tally(&n->seen.blocks, "orphan");
        events_block_refused(&n->events, EVENT_BLOCK_ORPHAN, n->chain, b,
                             "orphan", peer);
        if (gossip && peer)
            node_want(n, peer, SYNC_BLOCKS, hash, false);
    } else if (rc == ERR_INVALID) {
        seen_tally(&n->seen.blocks, why);
        events_block_refused(&n->events, EVENT_BLOCK_REFUSED, n->chain, b, why,
                             peer);
        char hex[65];
        hex_from_hash(hex, hash);
        log_info("node", "refused block %.16s... from %s: %s", hex,
                 peer ? "a peer" : "local", why ? why : "?");
        if (peer && why && strcmp(why, "time-too-new") != 0)
            node_misbehaving(n, peer, SCORE_BAD_BLOCK, why);
    }
    return rc;
}

int node_accept_tx(node_t *n, const char **reason, const tx_t *tx,
                   const uint8_t txid[32], uint64_t peer)
{
    const char *why = NULL;
    int rc = mempool_add(n->mempool, &why, chain_state(n->chain), tx);
    if (reason)
        *reason = why;
    if (rc == ERR_DUPLICATE)
        return rc;
    uint8_t id[32];
    if (!txid) {
        tx_compute_txid(id, tx);
        txid = id;
    }
    if (rc == 0) {
        relay_tx(&n->relay, tx, txid);
        mining_mempool_changed(&n->mining);
        return 0;
    }
    seen_tx_refused(&n->seen, txid, why);
    events_tx_refused(&n->events, txid, why, peer);
    if (peer && why &&
        (strcmp(why, "bad-txns-sig") == 0 ||
         strcmp(why, "bad-txns-unsigned") == 0 ||
         strcmp(why, "mempool-coinbase") == 0))
        node_misbehaving(n, peer, SCORE_BAD_TX, why);
    return rc;
}

void node_flush_relay(node_t *n)
{
    relay_flush(&n->relay);
}

int node_generate_block(node_t *n, const char **reason, uint8_t hash[32],
                        const uint8_t miner[32])
{
    block_t b;
    int rc = mining_template(&b, n->chain, n->mempool, miner, 0);
    if (rc)
        return rc;
    rc = template_solve(&b);
    if (rc == 0) {
        block_compute_hash(hash, &b.header);
        rc = node_accept_block(n, reason, &b, 0, NULL);
    }
    block_deinit(&b);
    return rc;
}

/* What sync fetched: blocks as fetched blocks, transactions as gossip
 * would bring them (those already pending cost a lookup). */
int node_sync_block(void *ctx, const block_t *b, uint64_t peer)
{
    return node_accept_block(ctx, NULL, b, peer, NULL);
}

int node_sync_tx(void *ctx, const tx_t *tx, const uint8_t txid[32],
                 uint64_t peer)
{
    node_t *n = ctx;
    if (mempool_has(n->mempool, txid))
        return ERR_DUPLICATE;
    return node_accept_tx(n, NULL, tx, txid, peer);
}

/* A solved block, from the pool or a Stratum miner (who: for the log). */
static int take_block(node_t *n, block_t *b, const char *who)
{
    uint8_t hash[32];
    block_compute_hash(hash, &b->header);
    const char *why = NULL;
    int rc = node_accept_block(n, &why, b, 0, NULL);
    block_deinit(b);
    if (rc == 0) {
        char hex[65];
        hex_from_hash(hex, hash);
        log_info("node", "mined block %u %s%s", chain_height(n->chain), hex,
                 who);
    } else if (rc != ERR_DUPLICATE) {
        log_warn("node", "our own block was refused: %s", why ? why : "?");
    }
    return rc;
}

/* The pool's solutions and the Stratum miners' blocks, as blocks. */
void node_take_solutions(node_t *n)
{
    for (int i = 0; i < NODE_BATCH; i++) {
        block_t b;
        if (mining_next_block(&n->mining, &b, n->chain) != 0)
            break;
        take_block(n, &b, "");
        /* Workers leave the solved job at once. */
        if (!n->catching_up)
            mining_refresh(&n->mining, n->chain, n->mempool, node_now_ms(),
                           false);
    }
    int worker;
    block_t b;
    for (int i = 0;
         n->stratum && i < NODE_BATCH &&
         stratum_server_next_block(n->stratum, &b, &worker, n->chain) == 0;
         i++)
        stratum_server_block_done(n->stratum, worker,
                                  take_block(n, &b, " (stratum miner)") == 0);
}

chain_callbacks_t node_chain_callbacks(node_t *n)
{
    return (chain_callbacks_t){.ctx = n,
                               .block_connected = on_connected,
                               .block_disconnected = on_disconnected,
                               .tx_discarded = on_discarded,
                               .tip_changed = on_tip,
                               .block_added = on_added,
                               .block_removed = on_removed};
}
