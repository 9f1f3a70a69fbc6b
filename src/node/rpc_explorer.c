/*
 * rpc_explorer — chaintips, tree and events (see rpc_explorer.h): the
 * chain_tree.h views and the event log as JSON.
 *
 * Every answer is bounded: a tree window of at most RPC_TREE_MAX heights
 * (its side branches are short: pruning keeps them so), at most
 * RPC_EVENTS_MAX events, RPC_PRUNED_TIPS pruned tips.
 */
#include "rpc_explorer.h"
#include "address.h"
#include "chain_tree.h"
#include "err.h"
#include "events.h"
#include "hex.h"
#include "json_view.h"
#include "node_impl.h"
#include "reasons.h"
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *ok(json_t *result)
{
    return result ? json_pack("{s:o}", "result", result)
                  : rpc_error(ERR_NOMEM, "out of memory");
}

static json_t *hash_json(const uint8_t h[32])
{
    char hex[65];
    hex_from_hash(hex, h);
    return json_string(hex);
}

static void set(json_t *o, const char *key, json_t *v)
{
    json_object_set_new(o, key, v);
}

static void set_int(json_t *o, const char *key, uint64_t v)
{
    set(o, key, json_integer((json_int_t)v));
}

static json_t *bits_json(uint32_t bits)
{
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", bits);
    return json_string(hex);
}

static json_t *peer_json(uint64_t peer)
{
    char id[17];
    snprintf(id, sizeof id, "%016llx", (unsigned long long)peer);
    return json_string(id);
}

/* ---- chaintips ----------------------------------------------------------- */

static json_t *tip_json(const chain_tip_info_t *t)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    set(o, "hash", hash_json(t->tip->hash));
    set_int(o, "height", t->tip->height);
    set_int(o, "branchlen", t->branch_len);
    set(o, "status",
        json_string(t->status == CHAIN_TIP_ACTIVE ? "active" : "valid-fork"));
    set(o, "fork", hash_json(t->fork->hash));
    set_int(o, "fork_height", t->fork->height);
    if (t->status != CHAIN_TIP_ACTIVE)
        set_int(o, "prune_in", t->prune_in);
    return o;
}

/* The held tips (active, valid-fork) appended to arr. */
static int held_tips(json_t *arr, const chain_t *c)
{
    size_t count = chain_tips(c, NULL, 0);
    chain_tip_info_t *tips = malloc(count * sizeof *tips);
    if (!tips)
        return ERR_NOMEM;
    count = chain_tips(c, tips, count);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(arr, tip_json(&tips[i]));
    free(tips);
    return 0;
}

static json_t *m_chaintips(node_t *n)
{
    json_t *arr = json_array();
    if (!arr || held_tips(arr, node_chain(n)) != 0) {
        json_decref(arr);
        return rpc_error(ERR_NOMEM, NULL);
    }
    /* Pruned branches, newest first, from what the log still holds. */
    const events_t *ev = node_events(n);
    size_t listed = 0;
    for (uint64_t s = events_last(ev); listed < RPC_PRUNED_TIPS; s--) {
        const event_t *e = events_get(ev, s);
        if (!e)
            break;
        if (e->kind != EVENT_BRANCH_PRUNED)
            continue;
        listed++;
        const chain_node_t *fork = chain_get(node_chain(n), e->parent);
        json_t *o = json_pack(
            "{s:o,s:I,s:I,s:s,s:o,s:I,s:I}", "hash", hash_json(e->hash),
            "height", (json_int_t)e->height, "branchlen", (json_int_t)e->count,
            "status", "pruned", "fork", hash_json(e->parent), "txs_returned",
            (json_int_t)e->txs, "time_ms", (json_int_t)e->time_ms);
        if (o && fork)
            set_int(o, "fork_height", fork->height);
        json_array_append_new(arr, o);
    }
    return ok(arr);
}

/* ---- tree ---------------------------------------------------------------- */

static int param_height(uint32_t *out, const json_t *params, const char *name,
                        bool *given)
{
    json_t *v = json_object_get(params, name);
    *given = v != NULL;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > UINT32_MAX)
        return ERR_ARG;
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

static json_t *block_entry(node_t *n, const chain_tree_entry_t *e)
{
    const chain_node_t *x = e->node;
    const block_header_t *h = &x->block.header;
    json_t *o = json_object();
    if (!o)
        return NULL;
    char work[65];
    uint256_to_hex(work, &x->chain_work);
    set(o, "hash", hash_json(x->hash));
    set(o, "parent", hash_json(h->prev_hash));
    set_int(o, "height", x->height);
    set_int(o, "time", h->time);
    set(o, "bits", bits_json(h->bits));
    set_int(o, "version", h->version);
    set(o, "merkleRoot", hash_json(h->merkle_root));
    set_int(o, "nonce", h->nonce);
    set_int(o, "txs", x->block.tx_count);
    const tx_t *cb = x->block.tx_count ? &x->block.txs[0] : NULL;
    char addr[ADDRESS_MAX_LEN];
    if (cb && cb->kind == TX_COINBASE &&
        address_encode(addr, sizeof addr, node_params(n)->hrp, cb->recipient) ==
            0)
        set(o, "miner", json_string(addr));
    set(o, "work", json_string(work));
    set(o, "best", json_boolean(x->in_main));
    set(o, "branch", hash_json(e->branch_tip->hash));
    uint64_t us = seen_block_received_us(node_seen(n), x->hash);
    if (us)
        set_int(o, "received", us / 1000);
    return o;
}

static json_t *m_tree(node_t *n, const json_t *params)
{
    const chain_t *c = node_chain(n);
    uint32_t best = chain_height(c);
    uint32_t from = 0, to = 0;
    bool has_from, has_to;
    if (param_height(&from, params, "from", &has_from) != 0 ||
        param_height(&to, params, "to", &has_to) != 0)
        return rpc_error(ERR_ARG, "\"from\" and \"to\" are heights");
    json_t *cnt = json_object_get(params, "count");
    if (cnt && (!json_is_integer(cnt) || json_integer_value(cnt) < 1 ||
                json_integer_value(cnt) > RPC_TREE_MAX))
        return rpc_error(ERR_ARG, "\"count\" is 1..500 heights");
    uint32_t span = cnt ? (uint32_t)json_integer_value(cnt) : RPC_TREE_DEFAULT;
    if (!has_to)
        to = has_from && from <= UINT32_MAX - (span - 1) ? from + span - 1
                                                         : best;
    if (!has_from)
        from = to >= span - 1 ? to - (span - 1) : 0;
    if (from > to || to - from >= RPC_TREE_MAX)
        return rpc_error(ERR_ARG, "from <= to, at most 500 heights");
    chain_tree_entry_t *v = NULL;
    size_t count = 0;
    int rc = chain_tree_window(c, &v, &count, from, to);
    if (rc)
        return rpc_error(rc, NULL);
    json_t *blocks = json_array();
    for (size_t i = 0; blocks && i < count; i++)
        json_array_append_new(blocks, block_entry(n, &v[i]));
    free(v);
    json_t *tips = json_array();
    if (tips && held_tips(tips, c) != 0) {
        json_decref(tips);
        tips = NULL;
    }
    return ok(json_pack("{s:I,s:o,s:I,s:I,s:o,s:o}", "height", (json_int_t)best,
                        "tip", hash_json(chain_tip(c)->hash), "from",
                        (json_int_t)from, "to", (json_int_t)to, "blocks",
                        blocks, "tips", tips));
}

/* ---- events -------------------------------------------------------------- */

static json_t *header_json(const block_header_t *h)
{
    return json_pack(
        "{s:I,s:o,s:o,s:I,s:o,s:I}", "version", (json_int_t)h->version,
        "previousHash", hash_json(h->prev_hash), "merkleRoot",
        hash_json(h->merkle_root), "timestamp", (json_int_t)h->time, "bits",
        bits_json(h->bits), "nonce", (json_int_t)h->nonce);
}

static void add_reason(json_t *reasons, const char *reason)
{
    const char *s = reason_sentence(reason);
    if (reason && s && !json_object_get(reasons, reason))
        set(reasons, reason, json_string(s));
}

static json_t *event_json(const event_t *e, json_t *reasons)
{
    json_t *o =
        json_pack("{s:I,s:I,s:s}", "seq", (json_int_t)e->seq, "time_ms",
                  (json_int_t)e->time_ms, "kind", events_kind_name(e->kind));
    if (!o)
        return NULL;
    if (e->peer)
        set(o, "peer", peer_json(e->peer));
    if (e->reason) {
        set(o, "reason", json_string(e->reason));
        add_reason(reasons, e->reason);
    }
    switch (e->kind) {
    case EVENT_BLOCK_ACCEPTED:
        set(o, "hash", hash_json(e->hash));
        set(o, "parent", hash_json(e->parent));
        set_int(o, "height", e->height);
        set_int(o, "txs", e->txs);
        set(o, "best", json_boolean(e->best));
        set(o, "mined", json_boolean(e->mined));
        break;
    case EVENT_REORG:
        set(o, "tip", hash_json(e->hash));
        set(o, "old_tip", hash_json(e->parent));
        set_int(o, "fork_height", e->height);
        set_int(o, "disconnected", e->count);
        set_int(o, "connected", e->count2);
        set_int(o, "txs_returned", e->txs);
        break;
    case EVENT_BRANCH_PRUNED:
        set(o, "tip", hash_json(e->hash));
        set(o, "fork", hash_json(e->parent));
        set_int(o, "height", e->height);
        set_int(o, "blocks", e->count);
        set_int(o, "txs_returned", e->txs);
        break;
    case EVENT_BLOCK_REFUSED:
    case EVENT_BLOCK_ORPHAN:
        if (e->has_hash) {
            set(o, "hash", hash_json(e->hash));
            set(o, "parent", hash_json(e->parent));
            set_int(o, "txs", e->txs);
        }
        if (e->has_height)
            set_int(o, "height", e->height);
        if (e->has_header)
            set(o, "header", header_json(&e->header));
        break;
    case EVENT_TX_REFUSED:
        if (e->has_hash)
            set(o, "txid", hash_json(e->hash));
        break;
    default:
        break;
    }
    return o;
}

static json_t *tally_json(const seen_tally_t *t, json_t *reasons)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < t->n; i++) {
        set_int(o, t->reason[i], t->count[i]);
        add_reason(reasons, t->reason[i]);
    }
    return o;
}

static json_t *m_events(node_t *n, const json_t *params)
{
    json_t *s = json_object_get(params, "since"),
           *m = json_object_get(params, "max");
    if ((s && (!json_is_integer(s) || json_integer_value(s) < 0)) ||
        (m && (!json_is_integer(m) || json_integer_value(m) < 1 ||
               json_integer_value(m) > RPC_EVENTS_MAX)))
        return rpc_error(ERR_ARG, "\"since\" is a sequence number, \"max\" "
                                  "1..1000");
    uint64_t since = s ? (uint64_t)json_integer_value(s) : 0;
    size_t max = m ? (size_t)json_integer_value(m) : RPC_EVENTS_DEFAULT;
    const events_t *ev = node_events(n);
    const event_t **got = malloc(max * sizeof *got);
    json_t *list = json_array(), *reasons = json_object(),
           *counts = json_object();
    if (!got || !list || !reasons || !counts) {
        free(got);
        json_decref(list);
        json_decref(reasons);
        json_decref(counts);
        return rpc_error(ERR_NOMEM, NULL);
    }
    uint64_t missed = 0;
    size_t count = events_since(ev, got, max, since, &missed);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, event_json(got[i], reasons));
    free(got);
    for (int k = 0; k < EVENT_KINDS; k++)
        set_int(counts, events_kind_name((event_kind_t)k), ev->counts[k]);
    const seen_t *seen = node_seen(n);
    json_t *refused =
        json_pack("{s:o,s:o}", "blocks", tally_json(&seen->blocks, reasons),
                  "transactions", tally_json(&seen->txs, reasons));
    const chain_t *c = node_chain(n);
    return ok(json_pack(
        "{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "first",
        (json_int_t)events_first(ev), "last", (json_int_t)events_last(ev),
        "missed", (json_int_t)missed, "height", (json_int_t)chain_height(c),
        "tip", hash_json(chain_tip(c)->hash), "events", list, "counts", counts,
        "refused", refused, "reasons", reasons));
}

/* ---- refusedblock -------------------------------------------------------- */

static json_t *m_refusedblock(node_t *n, const json_t *params)
{
    json_t *s = json_object_get(params, "seq");
    if (!json_is_integer(s) || json_integer_value(s) < 1)
        return rpc_error(ERR_ARG, "\"seq\" is an event number");
    uint64_t seq = (uint64_t)json_integer_value(s);
    const events_t *ev = node_events(n);
    const event_t *e = events_get(ev, seq);
    const event_detail_t *d = events_detail(ev, seq);
    if (!e || e->kind != EVENT_BLOCK_REFUSED || !d)
        return rpc_error(ERR_NOT_FOUND, "no refused block with its "
                                        "transactions kept under that number");
    json_t *txs = json_array();
    for (uint32_t i = 0; txs && i < d->count; i++)
        json_array_append_new(txs,
                              json_view_tx(&d->txs[i], node_params(n)->hrp));
    json_t *r =
        json_pack("{s:I,s:o,s:s,s:I,s:o}", "seq", (json_int_t)seq, "hash",
                  hash_json(e->hash), "reason", e->reason ? e->reason : "?",
                  "tx_count", (json_int_t)e->txs, "transactions", txs);
    const char *said = reason_sentence(e->reason);
    if (r && said)
        set(r, "sentence", json_string(said));
    return ok(r);
}

bool rpc_explorer_has(const char *method)
{
    return strcmp(method, "chaintips") == 0 || strcmp(method, "tree") == 0 ||
           strcmp(method, "events") == 0 || strcmp(method, "refusedblock") == 0;
}

json_t *rpc_explorer(node_t *n, const char *method, const json_t *params)
{
    if (strcmp(method, "chaintips") == 0)
        return m_chaintips(n);
    if (strcmp(method, "tree") == 0)
        return m_tree(n, params);
    if (strcmp(method, "events") == 0)
        return m_events(n, params);
    if (strcmp(method, "refusedblock") == 0)
        return m_refusedblock(n, params);
    return rpc_error(ERR_ARG, "unknown method");
}
