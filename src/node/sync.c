/*
 * sync — locator, headers, blocks (see sync.h).
 */
#include "sync.h"
#include "err.h"
#include "log.h"
#include "node_impl.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* At most one sync per peer this often: orphans from a peer between two
 * syncs wait in the orphan pool and are usually resolved by the next one. */
#define SYNC_MIN_INTERVAL_MS 1000
/* A peer that did not answer is not asked again for this long. */
#define SYNC_SILENT_HOLD_MS 30000

/* Sends one request and decodes the reply, which must be of type want;
 * the main loop is then in phase `then` (loopwatch.h). */
static int ask(node_t *n, wire_msg_t *reply, uint8_t **raw, uint64_t peer,
               const wire_msg_t *req, uint16_t want, const char *then)
{
    *raw = NULL;
    if (node_peer_blocked(n, peer))
        return ERR_NET; /* a test partition cuts this peer off */
    buf_t out;
    buf_init(&out);
    int rc = wire_encode(&out, n->params->network_id, req);
    size_t len = 0;
    if (rc == 0) {
        /* Waiting on the peer: let the request thread answer meanwhile
         * (the peer may be asking us something right now). */
        loopwatch_at(&n->watch, "sync: waiting for a peer");
        pthread_mutex_unlock(&n->lock);
        rc = p2p_request(n->p2p, raw, &len, peer, out.data, out.len);
        loopwatch_at(&n->watch, "sync: taking the node lock");
        pthread_mutex_lock(&n->lock);
        loopwatch_at(&n->watch, then);
    }
    buf_deinit(&out);
    if (rc)
        return rc;
    rc = wire_decode(reply, n->params->network_id, *raw, len);
    if (rc == 0 && reply->type == WIRE_ERROR) {
        /* The peer's own refusal ("busy": its main loop holds its lock;
         * "rate-limited"): an answer, not misbehaviour. */
        wire_msg_clear(reply);
        free(*raw);
        *raw = NULL;
        return ERR_FULL;
    }
    if (rc == 0 && reply->type != want) {
        wire_msg_clear(reply);
        rc = ERR_PARSE;
    }
    if (rc) {
        p2p_misbehaving(n->p2p, peer, 10, "malformed reply");
        free(*raw);
        *raw = NULL;
    }
    return rc;
}

/* Fetches and adds the given blocks. */
static int fetch_blocks(node_t *n, uint64_t peer, const uint8_t (*hashes)[32],
                        size_t count, uint64_t *added)
{
    wire_msg_t req;
    wire_msg_init(&req, WIRE_GET_BLOCKS);
    req.u.get_blocks.count = (uint16_t)count;
    req.u.get_blocks.hashes = (const uint8_t *)hashes;
    wire_msg_t reply;
    uint8_t *raw;
    int rc = ask(n, &reply, &raw, peer, &req, WIRE_BLOCKS,
                 "sync: blocks from a peer");
    if (rc)
        return rc;
    if (reply.u.list.count == 0)
        rc = ERR_NOT_FOUND; /* the peer pruned or reorganised meanwhile */
    for (size_t i = 0; rc == 0 && i < reply.u.list.count; i++) {
        block_t b;
        if (block_parse(&b, reply.u.list.items[i].data,
                        reply.u.list.items[i].len) != 0) {
            p2p_misbehaving(n->p2p, peer, 50, "unparsable block in sync");
            rc = ERR_INVALID;
            break;
        }
        const char *why = NULL;
        int r = node_accept_block(n, &why, &b, peer, false);
        block_deinit(&b);
        if (r == 0) {
            if (added)
                (*added)++;
        } else if (r == ERR_INVALID) {
            rc = ERR_INVALID; /* node_accept_block scored the peer */
        } else if (r != ERR_DUPLICATE && r != ERR_ORPHAN) {
            rc = r;
        }
    }
    wire_msg_clear(&reply);
    free(raw);
    return rc;
}

/* The slot of a peer in the hold table, taking the one held longest ago
 * when the peer has none. */
static size_t hold_slot(node_t *n, uint64_t peer)
{
    size_t oldest = 0;
    for (size_t i = 0; i < NODE_SYNC_SLOTS; i++) {
        if (n->sync_hold[i].peer == peer)
            return i;
        if (n->sync_hold[i].until < n->sync_hold[oldest].until)
            oldest = i;
    }
    n->sync_hold[oldest].peer = peer;
    n->sync_hold[oldest].until = 0;
    return oldest;
}

/* True when the node may ask peer now. */
static bool peer_ready(node_t *n, uint64_t peer)
{
    for (size_t i = 0; i < NODE_SYNC_SLOTS; i++)
        if (n->sync_hold[i].peer == peer)
            return node_now_ms() >= n->sync_hold[i].until;
    return true;
}

/* Asks nothing of peer for the next ms milliseconds. */
static void hold_peer(node_t *n, uint64_t peer, uint64_t ms)
{
    n->sync_hold[hold_slot(n, peer)].until = node_now_ms() + ms;
}

/* After a peer failed to answer, the main loop must not wait on it again
 * soon: a peer that gossips orphans and never answers would otherwise stall
 * the loop for the whole request timeout, again and again. */
static void after_request(node_t *n, uint64_t peer, int rc)
{
    if (rc == ERR_TIMEOUT || rc == ERR_NET)
        hold_peer(n, peer, SYNC_SILENT_HOLD_MS);
}

int sync_with_peer(node_t *n, uint64_t peer, uint64_t *added)
{
    if (added)
        *added = 0;
    if (n->syncing)
        return 0; /* an orphan met during a sync: the sync goes on anyway */
    if (!peer_ready(n, peer))
        return 0;
    hold_peer(n, peer, SYNC_MIN_INTERVAL_MS);
    n->syncing = true;
    uint64_t total = 0;
    int rc = 0;
    for (int round = 0; round < 10000 && rc == 0; round++) {
        uint8_t locator[CHAIN_MAX_LOCATOR][32];
        size_t nloc = chain_get_locator(n->chain, locator, CHAIN_MAX_LOCATOR);
        wire_msg_t req;
        wire_msg_init(&req, WIRE_GET_HEADERS);
        req.u.get_headers.count = (uint16_t)nloc;
        req.u.get_headers.hashes = (const uint8_t *)locator;
        memset(req.u.get_headers.stop, 0, 32);
        wire_msg_t reply;
        uint8_t *raw;
        rc = ask(n, &reply, &raw, peer, &req, WIRE_HEADERS,
                 "sync: headers from a peer");
        if (rc)
            break;
        size_t count = reply.u.headers.count;
        uint8_t(*want)[32] = malloc((count ? count : 1) * sizeof *want);
        size_t nwant = 0;
        for (size_t i = 0; want && i < count; i++) {
            block_header_t h;
            block_header_parse(&h, reply.u.headers.headers + 80 * i, 80);
            block_compute_hash(want[nwant], &h);
            if (!chain_get(n->chain, want[nwant]))
                nwant++;
        }
        wire_msg_clear(&reply);
        free(raw);
        if (!want) {
            rc = ERR_NOMEM;
            break;
        }
        uint64_t before = total;
        for (size_t i = 0; rc == 0 && i < nwant; i += WIRE_MAX_BLOCKS) {
            size_t k =
                nwant - i < WIRE_MAX_BLOCKS ? nwant - i : WIRE_MAX_BLOCKS;
            rc = fetch_blocks(n, peer, (const uint8_t(*)[32])want + i, k,
                              &total);
        }
        free(want);
        /* Done when the peer had nothing new, or nothing we could use. */
        if (nwant == 0 || total == before)
            break;
    }
    n->syncing = false;
    after_request(n, peer, rc);
    if (total)
        log_info("sync", "%llu blocks from peer %016llx, height now %u",
                 (unsigned long long)total, (unsigned long long)peer,
                 chain_height(n->chain));
    if (added)
        *added = total;
    return rc;
}

int sync_poll_peer(node_t *n, uint64_t peer)
{
    if (!peer_ready(n, peer))
        return 0;
    wire_msg_t req;
    wire_msg_init(&req, WIRE_GET_TIP);
    wire_msg_t reply;
    uint8_t *raw;
    int rc = ask(n, &reply, &raw, peer, &req, WIRE_TIP, "sync: a peer's tip");
    after_request(n, peer, rc);
    if (rc)
        return rc;
    uint256_t theirs;
    uint256_from_le(&theirs, reply.u.tip.work);
    bool known = chain_get(n->chain, reply.u.tip.tip) != NULL;
    wire_msg_clear(&reply);
    free(raw);
    if (!known && uint256_cmp(&theirs, &chain_tip(n->chain)->chain_work) > 0)
        rc = sync_with_peer(n, peer, NULL);
    return rc;
}

int sync_mempool_from_peer(node_t *n, uint64_t peer, uint64_t *added)
{
    if (added)
        *added = 0;
    if (!peer_ready(n, peer))
        return ERR_TIMEOUT; /* it did not answer a moment ago */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_GET_MEMPOOL);
    wire_msg_t reply;
    uint8_t *raw;
    int rc = ask(n, &reply, &raw, peer, &req, WIRE_MEMPOOL,
                 "sync: a peer's pending transactions");
    after_request(n, peer, rc);
    if (rc)
        return rc;
    uint64_t count = 0;
    for (size_t i = 0; i < reply.u.list.count; i++) {
        tx_t tx;
        uint8_t txid[32];
        if (tx_parse_bytes(&tx, reply.u.list.items[i].data,
                           reply.u.list.items[i].len) != 0) {
            p2p_misbehaving(n->p2p, peer, 10, "unparsable mempool entry");
            break;
        }
        tx_compute_txid(txid, &tx);
        if (!mempool_has(n->mempool, txid) &&
            node_accept_tx(n, NULL, &tx, txid, peer) == 0)
            count++;
    }
    wire_msg_clear(&reply);
    free(raw);
    node_flush_relay(n);
    if (count)
        log_info("sync", "%llu pending transactions from peer %016llx",
                 (unsigned long long)count, (unsigned long long)peer);
    if (added)
        *added = count;
    return 0;
}
