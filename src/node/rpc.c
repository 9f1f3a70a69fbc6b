/*
 * rpc — the node's JSON queries (see rpc.h for the method table).
 *
 * Each method reads the node's state on the request thread, under the node
 * lock, through what node_impl.h shows of it, and builds a reply (but for
 * rpc_status_busy, which reads only what needs no lock: the main loop's
 * record, constants and the thread-safe p2p module); none waits
 * on anything but `generate`, which mines regtest blocks (a couple of hashes
 * each) on the spot, and `verifychain`, which validates the whole best chain
 * again.
 */
#include "rpc.h"
#include "address.h"
#include "err.h"
#include "hex.h"
#include "json_view.h"
#include "memory.h"
#include "node_impl.h"
#include "rpc_explorer.h"
#include "rpc_history.h"
#include "stratum_server.h"
#include "testswitch.h"

#include <stdlib.h>
#include <string.h>

json_t *rpc_error(int code, const char *message)
{
    return json_pack("{s:{s:i,s:s}}", "error", "code", code, "message",
                     message ? message : err_str(code));
}

static json_t *ok(json_t *result)
{
    return result ? json_pack("{s:o}", "result", result)
                  : rpc_error(ERR_NOMEM, "out of memory");
}

static json_t *tally_json(const seen_tally_t *t)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < t->n; i++)
        json_object_set_new(o, t->reason[i],
                            json_integer((json_int_t)t->count[i]));
    return o;
}

static json_t *hash_json(const uint8_t h[32])
{
    char hex[65];
    hex_from_hash(hex, h);
    return json_string(hex);
}

/* Reads params.address into key; on failure returns the error reply. */
static json_t *param_address(node_t *n, uint8_t key[32], const json_t *params)
{
    const char *text = json_string_value(json_object_get(params, "address"));
    if (!text)
        return rpc_error(ERR_ARG, "missing \"address\"");
    const char *why = NULL;
    if (address_decode(key, &why, node_params(n)->hrp, text) != 0)
        return rpc_error(ERR_ARG, why ? why : "bad address");
    return NULL;
}

static json_t *param_hash(uint8_t h[32], const json_t *params, const char *name)
{
    const char *text = json_string_value(json_object_get(params, name));
    if (!text)
        return rpc_error(ERR_ARG, "missing hash");
    if (hex_to_hash(h, text) != 0)
        return rpc_error(ERR_ARG, "a hash is 64 hex characters");
    return NULL;
}

/* The main loop's turn record (loopwatch.h): atomics, no lock needed. */
static json_t *main_loop_json(node_t *n)
{
    loopwatch_view_t v;
    loopwatch_read(node_watch(n), &v, node_now_ms());
    return json_pack("{s:I,s:I,s:s}", "turn_age_ms", (json_int_t)v.turn_age_ms,
                     "longest_turn_ms", (json_int_t)v.longest_turn_ms, "where",
                     v.where ? v.where : "?");
}

/* status's "stratum": the totals, or null without --stratum. */
static json_t *m_stratum_summary(node_t *n)
{
    stratum_server_t *s = node_stratum(n);
    json_t *r = s ? stratum_server_json(s, false) : NULL;
    return r ? r : json_null();
}

/* The Stratum server's totals and its workers (no lock needed). */
static json_t *m_stratum(node_t *n)
{
    stratum_server_t *s = node_stratum(n);
    if (!s)
        return rpc_error(ERR_UNSUPPORTED,
                         "this node serves no Stratum (start it with "
                         "--stratum HOST:PORT)");
    json_t *r = stratum_server_json(s, true);
    return r ? ok(r) : rpc_error(ERR_NOMEM, NULL);
}

json_t *rpc_status_busy(node_t *n)
{
    char id[17];
    snprintf(id, sizeof id, "%016llx",
             (unsigned long long)p2p_node_id(node_p2p(n)));
    return ok(json_pack(
        "{s:s,s:s,s:s,s:I,s:I,s:b,s:o,s:o}", "network", node_params(n)->name,
        "node_id", id, "gossip", p2p_gossip_endpoint(node_p2p(n)), "uptime",
        (json_int_t)node_uptime_s(n), "peers",
        (json_int_t)p2p_peers(node_p2p(n), NULL, 0), "busy", 1, "main_loop",
        main_loop_json(n), "stratum", m_stratum_summary(n)));
}

/* The process's resident size and the allocator's figures (memory.h), in
 * KiB: what the node holds (in_use) apart from what the allocator keeps. */
static json_t *memory_json(void)
{
    memory_view_t v;
    memory_read(&v);
    return json_pack("{s:I,s:I,s:I,s:I}", "rss_kib",
                     (json_int_t)(v.rss_bytes / 1024), "in_use_kib",
                     (json_int_t)(v.in_use_bytes / 1024), "free_kib",
                     (json_int_t)(v.free_bytes / 1024), "mapped_kib",
                     (json_int_t)(v.mapped_bytes / 1024));
}

static json_t *m_status(node_t *n)
{
    const chain_node_t *tip = chain_tip(node_chain(n));
    char work[65];
    uint256_to_hex(work, &tip->chain_work);
    uint256_t limit, target;
    double difficulty = 0;
    if (block_bits_to_target(&limit, node_params(n)->pow_limit_bits) == 0 &&
        block_bits_to_target(&target, tip->block.header.bits) == 0)
        difficulty = uint256_to_double(&limit) / uint256_to_double(&target);
    char bits[9];
    snprintf(bits, sizeof bits, "%08x", tip->block.header.bits);
    node_stats_t st;
    node_stats(n, &st);
    json_t *requests = json_object();
    if (requests && st.requests_limited)
        json_object_set_new(requests, "rate-limited",
                            json_integer((json_int_t)st.requests_limited));
    if (requests && st.requests_malformed)
        json_object_set_new(requests, "malformed",
                            json_integer((json_int_t)st.requests_malformed));
    json_t *refused =
        json_pack("{s:o,s:o}", "blocks", tally_json(&node_seen(n)->blocks),
                  "transactions", tally_json(&node_seen(n)->txs));
    char id[17];
    snprintf(id, sizeof id, "%016llx",
             (unsigned long long)p2p_node_id(node_p2p(n)));
    json_t *r = ok(json_pack(
        "{s:s,s:i,s:o,s:s,s:i,s:i,s:f,s:b,s:i,s:s,s:f,s:s,s:i,s:i,s:s,s:s,"
        "s:i,s:o}",
        "network", node_params(n)->name, "height", (json_int_t)tip->height,
        "tip", hash_json(tip->hash), "work", work, "peers",
        (json_int_t)p2p_peers(node_p2p(n), NULL, 0), "mempool",
        (json_int_t)mempool_count(node_mempool(n)), "hashrate", st.hashrate,
        "mining", st.mining, "threads", (json_int_t)st.threads, "kernel",
        st.kernel, "difficulty", difficulty, "bits", bits, "orphans",
        (json_int_t)chain_orphan_count(node_chain(n)), "forks",
        (json_int_t)chain_get_forks(node_chain(n), NULL, 0), "node_id", id,
        "gossip", p2p_gossip_endpoint(node_p2p(n)), "uptime",
        (json_int_t)node_uptime_s(n), "refused", refused));
    char key[IDENTITY_HEX_LEN + 1];
    identity_key_hex(key, p2p_key(node_p2p(n)));
    if (r)
        json_object_set_new(json_object_get(r, "result"), "key",
                            json_string(key));
    if (r)
        json_object_set_new(json_object_get(r, "result"), "stratum",
                            m_stratum_summary(n));
    if (r && requests)
        json_object_set_new(json_object_get(r, "result"), "requests_refused",
                            requests);
    else
        json_decref(requests);
    /* Transaction relay: how many this node passed on, in how many NEW_TXS
     * frames, and how many of its peers' it dropped by txid alone. */
    json_t *relay =
        json_pack("{s:I,s:I,s:I}", "txs", (json_int_t)st.txs_relayed, "frames",
                  (json_int_t)st.tx_frames_relayed, "known_dropped",
                  (json_int_t)st.txs_known_dropped);
    if (r && relay)
        json_object_set_new(json_object_get(r, "result"), "tx_relay", relay);
    else
        json_decref(relay);
    json_t *memory = memory_json();
    if (r && memory)
        json_object_set_new(json_object_get(r, "result"), "memory", memory);
    else
        json_decref(memory);
    json_t *loop = main_loop_json(n);
    if (r && loop) {
        json_object_set_new(json_object_get(r, "result"), "busy", json_false());
        json_object_set_new(json_object_get(r, "result"), "main_loop", loop);
    } else {
        json_decref(loop);
    }
    return r;
}

static json_t *m_getblock(node_t *n, const json_t *params)
{
    const chain_node_t *x = NULL;
    json_t *h = json_object_get(params, "height");
    if (json_is_integer(h)) {
        json_int_t v = json_integer_value(h);
        if (v < 0 || v > UINT32_MAX)
            return rpc_error(ERR_ARG, "height out of range");
        x = chain_at_height(node_chain(n), (uint32_t)v);
    } else {
        uint8_t hash[32];
        json_t *e = param_hash(hash, params, "hash");
        if (e)
            return e;
        x = chain_get(node_chain(n), hash);
    }
    if (!x)
        return rpc_error(ERR_NOT_FOUND, "no such block");
    json_t *b =
        json_view_block(&x->block, x->height, node_params(n)->hrp, true);
    if (b) {
        json_object_set_new(b, "mainChain", json_boolean(x->in_main));
        json_object_set_new(
            b, "confirmations",
            json_integer(
                x->in_main ? chain_height(node_chain(n)) - x->height + 1 : 0));
        uint64_t us = seen_block_received_us(node_seen(n), x->hash);
        if (us)
            json_object_set_new(b, "received", json_integer((json_int_t)us));
    }
    return ok(b);
}

static json_t *m_getchain(node_t *n, const json_t *params)
{
    json_int_t from = 0, limit = 100;
    json_t *f = json_object_get(params, "from"),
           *l = json_object_get(params, "limit");
    if (f && !json_is_integer(f))
        return rpc_error(ERR_ARG, "\"from\" must be a height");
    if (l && !json_is_integer(l))
        return rpc_error(ERR_ARG, "\"limit\" must be a number");
    if (f)
        from = json_integer_value(f);
    if (l)
        limit = json_integer_value(l);
    if (from < 0 || limit < 1 || limit > 1000)
        return rpc_error(ERR_ARG, "from >= 0 and 1 <= limit <= 1000");
    bool newest_first = json_is_true(json_object_get(params, "newest_first"));
    json_t *arr = json_array();
    uint32_t height = chain_height(node_chain(n));
    for (json_int_t i = 0; arr && i < limit; i++) {
        json_int_t h = newest_first ? (json_int_t)height - from - i : from + i;
        if (h < 0 || h > height)
            break;
        const chain_node_t *x = chain_at_height(node_chain(n), (uint32_t)h);
        json_array_append_new(arr, json_view_block(&x->block, x->height,
                                                   node_params(n)->hrp, true));
    }
    return ok(arr);
}

typedef struct {
    const uint8_t *key;
    uint64_t in, out;
} pending_scan_t;

static bool scan_pending(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    (void)txid;
    pending_scan_t *s = ctx;
    if (memcmp(tx->sender, s->key, 32) == 0)
        s->out += tx->amount + tx->fee;
    if (memcmp(tx->recipient, s->key, 32) == 0)
        s->in += tx->amount;
    return true;
}

static json_t *m_balance(node_t *n, const json_t *params)
{
    uint8_t key[32];
    json_t *e = param_address(n, key, params);
    if (e)
        return e;
    account_t a;
    state_get(chain_state(node_chain(n)), &a, key);
    pending_scan_t s = {key, 0, 0};
    mempool_foreach(node_mempool(n), scan_pending, &s);
    uint64_t available = a.balance >= s.out ? a.balance - s.out : 0;
    return ok(json_pack("{s:O,s:I,s:I,s:I,s:I,s:I}", "address",
                        json_object_get(params, "address"), "confirmed",
                        (json_int_t)a.balance, "pending_incoming",
                        (json_int_t)s.in, "pending_outgoing", (json_int_t)s.out,
                        "available", (json_int_t)available, "nonce",
                        (json_int_t)mempool_next_nonce(
                            node_mempool(n), chain_state(node_chain(n)), key)));
}

static json_t *m_balance_after(node_t *n, const json_t *params)
{
    uint8_t key[32], txid[32];
    json_t *e = param_address(n, key, params);
    if (!e)
        e = param_hash(txid, params, "txid");
    if (e)
        return e;
    uint64_t bal;
    if (chain_balance_after_tx(node_chain(n), &bal, key, txid) != 0)
        return rpc_error(ERR_NOT_FOUND,
                         "no such transaction on the best chain");
    return ok(json_pack(
        "{s:O,s:O,s:I}", "address", json_object_get(params, "address"), "txid",
        json_object_get(params, "txid"), "balance", (json_int_t)bal));
}

static json_t *m_tx(node_t *n, const json_t *params)
{
    uint8_t txid[32];
    json_t *e = param_hash(txid, params, "txid");
    if (e)
        return e;
    json_t *r = json_pack("{s:O}", "txid", json_object_get(params, "txid"));
    if (!r)
        return rpc_error(ERR_NOMEM, NULL);
    const chain_node_t *where;
    size_t index;
    const tx_t *pending = mempool_get(node_mempool(n), txid);
    const char *rejected = seen_tx_refusal(node_seen(n), txid);
    if (chain_find_tx(node_chain(n), &where, &index, txid) == 0) {
        json_object_set_new(r, "status", json_string("confirmed"));
        json_object_set_new(
            r, "tx",
            json_view_tx(&where->block.txs[index], node_params(n)->hrp));
        json_object_set_new(r, "height", json_integer(where->height));
        json_object_set_new(r, "block", hash_json(where->hash));
        json_object_set_new(
            r, "confirmations",
            json_integer(chain_height(node_chain(n)) - where->height + 1));
    } else if (pending) {
        json_object_set_new(r, "status", json_string("pending"));
        json_object_set_new(r, "tx",
                            json_view_tx(pending, node_params(n)->hrp));
    } else if (rejected) {
        json_object_set_new(r, "status", json_string("rejected"));
        json_object_set_new(r, "reason", json_string(rejected));
    } else {
        json_object_set_new(r, "status", json_string("unknown"));
    }
    return ok(r);
}

static bool list_tx(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    (void)txid;
    json_t *arr = ((json_t **)ctx)[0];
    const char *hrp = json_string_value(((json_t **)ctx)[1]);
    json_array_append_new(arr, json_view_tx(tx, hrp));
    return true;
}

static json_t *m_mempool(node_t *n)
{
    json_t *ctx[2] = {json_array(), json_string(node_params(n)->hrp)};
    if (ctx[0] && ctx[1])
        mempool_foreach(node_mempool(n), list_tx, ctx);
    json_decref(ctx[1]);
    return ok(ctx[0]);
}

static json_t *m_peers(node_t *n)
{
    p2p_peer_info_t *peers = calloc(P2P_MAX_PEERS, sizeof *peers);
    json_t *arr = json_array();
    if (!peers || !arr) {
        free(peers);
        json_decref(arr);
        return rpc_error(ERR_NOMEM, NULL);
    }
    size_t count = p2p_peers(node_p2p(n), peers, P2P_MAX_PEERS);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++) {
        char id[17], key[IDENTITY_HEX_LEN + 1];
        snprintf(id, sizeof id, "%016llx",
                 (unsigned long long)peers[i].peer.id);
        identity_key_hex(key, peers[i].peer.key);
        const p2p_peer_info_t *p = &peers[i];
        json_t *age = p->last_answer_age_ms < 0
                          ? json_null()
                          : json_integer(p->last_answer_age_ms / 1000);
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:I,s:I,s:b,s:o}", "id", id,
                      "key", key, "req", p->peer.req, "gossip", p->peer.gossip,
                      "connected", p->connected, "banned", p->banned, "score",
                      p->score, "messages", (json_int_t)p->messages,
                      "bad_messages", (json_int_t)p->bad_messages, "responsive",
                      !p->unresponsive, "last_answer_age_s", age);
        /* Its share of the inbox: frames waiting now, frames dropped. */
        json_object_set_new(o, "queued", json_integer((json_int_t)p->queued));
        json_object_set_new(o, "dropped", json_integer((json_int_t)p->dropped));
        /* Not answering: how long until it is asked again (p2p.h). */
        json_object_set_new(o, "backoff_ms",
                            json_integer((json_int_t)p->backoff_ms));
        json_array_append_new(arr, o);
    }
    free(peers);
    return ok(arr);
}

static json_t *m_submit(node_t *n, const json_t *params)
{
    const char *hex = json_string_value(json_object_get(params, "hex"));
    if (!hex)
        return rpc_error(ERR_ARG, "missing \"hex\" (a serialized transaction)");
    uint8_t raw[TX_MAX_SIZE];
    size_t len = strlen(hex) / 2;
    tx_t tx;
    if (strlen(hex) % 2 || len > sizeof raw || hex_decode(raw, len, hex) != 0 ||
        tx_parse_bytes(&tx, raw, len) != 0)
        return rpc_error(ERR_PARSE, "malformed transaction");
    const char *why = NULL;
    int rc = node_accept_tx(n, &why, &tx, NULL, 0);
    if (rc != 0 && rc != ERR_DUPLICATE)
        return rpc_error(rc, why);
    uint8_t txid[32];
    tx_compute_txid(txid, &tx);
    return ok(json_pack("{s:o}", "txid", hash_json(txid)));
}

static json_t *m_generate(node_t *n, const json_t *params)
{
    if (strcmp(node_params(n)->name, "regtest") != 0)
        return rpc_error(ERR_UNSUPPORTED, "generate works on regtest only");
    json_t *c = json_object_get(params, "count");
    json_int_t count = c ? json_integer_value(c) : 1;
    if ((c && !json_is_integer(c)) || count < 1 || count > 1000)
        return rpc_error(ERR_ARG, "count must be 1..1000");
    uint8_t key[32];
    if (json_object_get(params, "address")) {
        json_t *e = param_address(n, key, params);
        if (e)
            return e;
    } else if (!node_miner_key(n, key)) {
        return rpc_error(ERR_ARG, "no address given and no miner address set");
    }
    json_t *hashes = json_array();
    if (!hashes)
        return rpc_error(ERR_NOMEM, NULL);
    json_int_t made = 0;
    uint32_t height = 0;
    const char *why = NULL;
    int rc = 0;
    for (; made < count; made++) {
        uint8_t h[32];
        height = chain_height(node_chain(n)) + 1;
        rc = node_generate_block(n, &why, h, key);
        if (rc)
            break;
        json_array_append_new(hashes, hash_json(h));
    }
    if (rc == 0)
        return ok(json_pack("{s:o,s:I,s:I}", "hashes", hashes, "asked", count,
                            "made", made));
    /* Stopped early. The blocks made so far are on the chain: their hashes
     * go back with the reason, so nothing made is lost to the caller. */
    char msg[160];
    if (why && strcmp(why, "not-stored") == 0)
        snprintf(msg, sizeof msg,
                 "the node could not store block %" JSON_INTEGER_FORMAT
                 " (height %u): %s",
                 made + 1, height,
                 rc == ERR_FULL ? "disk full" : "store write failed");
    else
        snprintf(msg, sizeof msg,
                 "could not make block %" JSON_INTEGER_FORMAT
                 " (height %u): %s",
                 made + 1, height, why ? why : err_str(rc));
    if (made == 0) {
        json_decref(hashes);
        return rpc_error(rc, msg);
    }
    return ok(json_pack("{s:o,s:I,s:I,s:{s:i,s:s}}", "hashes", hashes, "asked",
                        count, "made", made, "error", "code", rc, "message",
                        msg));
}

/* Checks the whole best chain again from genesis, as a newcomer would. */
static json_t *m_verifychain(node_t *n)
{
    const chain_node_t **nodes = NULL;
    size_t count = 0;
    if (chain_get_longest_chain(node_chain(n), &nodes, &count) != 0)
        return rpc_error(ERR_NOMEM, NULL);
    const block_t **blocks = malloc((count ? count : 1) * sizeof *blocks);
    if (!blocks) {
        free(nodes);
        return rpc_error(ERR_NOMEM, NULL);
    }
    for (size_t i = 0; i < count; i++)
        blocks[i] = &nodes[i]->block;
    const char *why = NULL;
    uint32_t bad = 0;
    bool valid =
        chain_is_valid_chain(node_params(n), blocks, count, &why, &bad);
    free(blocks);
    free(nodes);
    json_t *r = json_pack("{s:b,s:I,s:o}", "valid", valid, "height",
                          (json_int_t)chain_height(node_chain(n)), "tip",
                          hash_json(chain_tip(node_chain(n))->hash));
    if (r && !valid) {
        json_object_set_new(r, "reason", json_string(why ? why : "invalid"));
        json_object_set_new(r, "bad_height", json_integer(bad));
    }
    return ok(r);
}

/* Reads a peer id as `status` and `peers` show it (16 hex digits). */
static int parse_peer_id(uint64_t *id, const char *text)
{
    char *end;
    if (!text || strlen(text) != 16)
        return ERR_ARG;
    unsigned long long v = strtoull(text, &end, 16);
    if (*end || v == 0)
        return ERR_ARG;
    *id = v;
    return 0;
}

/* The test partition switch (testswitch.h, regtest only). */
static json_t *m_partition(node_t *n, const json_t *params)
{
    if (!node_test_switches(n))
        return rpc_error(ERR_UNSUPPORTED, "partition works on regtest only");
    json_t *list = json_object_get(params, "block_peers");
    if (!json_is_array(list) || json_array_size(list) > TESTSWITCH_MAX_CUT)
        return rpc_error(ERR_ARG, "\"block_peers\" must be an array of at "
                                  "most 64 peer ids");
    uint64_t ids[TESTSWITCH_MAX_CUT];
    size_t count = json_array_size(list);
    for (size_t i = 0; i < count; i++)
        if (parse_peer_id(&ids[i],
                          json_string_value(json_array_get(list, i))) != 0)
            return rpc_error(ERR_ARG, "a peer id is 16 hex digits, as "
                                      "`peers` shows it");
    int rc = node_partition(n, ids, count);
    if (rc)
        return rpc_error(rc, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < count; i++) {
        char id[17];
        snprintf(id, sizeof id, "%016llx", (unsigned long long)ids[i]);
        json_array_append_new(arr, json_string(id));
    }
    return ok(json_pack("{s:o}", "blocked", arr));
}

/* The stuck-main-loop switch (testswitch.h, regtest only). */
static json_t *m_stall(node_t *n, const json_t *params)
{
    if (!node_test_switches(n))
        return rpc_error(ERR_UNSUPPORTED, "stall works on regtest only");
    json_t *ms = json_object_get(params, "ms");
    json_int_t v = json_is_integer(ms) ? json_integer_value(ms) : 0;
    if (v < 1 || node_stall(n, (uint64_t)v) != 0)
        return rpc_error(ERR_ARG, "\"ms\" must be 1..60000");
    return ok(json_pack("{s:I}", "stall_ms", (json_int_t)v));
}

json_t *rpc_handle(node_t *n, const json_t *request)
{
    const char *method = json_string_value(json_object_get(request, "method"));
    if (!json_is_object(request) || !method)
        return rpc_error(ERR_ARG,
                         "a query is {\"method\": ..., \"params\": {...}}");
    json_t *params = json_object_get(request, "params");
    json_t *empty = NULL;
    if (!params)
        params = empty = json_object();
    if (!json_is_object(params)) {
        json_decref(empty);
        return rpc_error(ERR_ARG, "\"params\" must be an object");
    }
    json_t *r;
    if (strcmp(method, "status") == 0)
        r = m_status(n);
    else if (strcmp(method, "getblock") == 0)
        r = m_getblock(n, params);
    else if (strcmp(method, "getchain") == 0)
        r = m_getchain(n, params);
    else if (strcmp(method, "balance") == 0)
        r = m_balance(n, params);
    else if (strcmp(method, "balance_after") == 0)
        r = m_balance_after(n, params);
    else if (strcmp(method, "history") == 0)
        r = rpc_history(n, params);
    else if (strcmp(method, "tx") == 0)
        r = m_tx(n, params);
    else if (strcmp(method, "mempool") == 0)
        r = m_mempool(n);
    else if (strcmp(method, "peers") == 0)
        r = m_peers(n);
    else if (strcmp(method, "submit") == 0)
        r = m_submit(n, params);
    else if (strcmp(method, "generate") == 0)
        r = m_generate(n, params);
    else if (strcmp(method, "verifychain") == 0)
        r = m_verifychain(n);
    else if (strcmp(method, "partition") == 0)
        r = m_partition(n, params);
    else if (strcmp(method, "stall") == 0)
        r = m_stall(n, params);
    else if (rpc_explorer_has(method))
        r = rpc_explorer(n, method, params);
    else if (strcmp(method, "stratum") == 0)
        r = m_stratum(n);
    else
        r = rpc_error(ERR_ARG, "unknown method");
    json_decref(empty);
    return r;
}
