/*
 * rpc_history — an address's transactions, pending and confirmed (see
 * rpc_history.h).
 */
#include "rpc_history.h"
#include "address.h"
#include "err.h"
#include "hex.h"
#include "json_view.h"
#include "node_impl.h"
#include "rpc.h"

#include <string.h>

/* The pending transfers of one address that fall on the page asked for. */
typedef struct {
    const uint8_t *key;
    size_t skip, max; /* the page's window over the pending ones */
    size_t count;     /* every matching one */
    const tx_t *on_page[RPC_HISTORY_MAX];
    size_t n;
} pending_page_t;

static bool collect_pending(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    (void)txid;
    pending_page_t *p = ctx;
    if (memcmp(tx->sender, p->key, 32) != 0 &&
        memcmp(tx->recipient, p->key, 32) != 0)
        return true;
    if (p->count >= p->skip && p->n < p->max)
        p->on_page[p->n++] = tx;
    p->count++;
    return true;
}

/* A transaction as history shows it: json_view's fields, and which way it
 * went for this address. */
static json_t *item(const tx_t *tx, const uint8_t key[32], const char *hrp,
                    const char *status)
{
    json_t *o = json_view_tx(tx, hrp);
    if (!o)
        return NULL;
    bool in = memcmp(tx->recipient, key, 32) == 0;
    bool out = tx->kind == TX_TRANSFER && memcmp(tx->sender, key, 32) == 0;
    const char *way = in && out ? "self" : in ? "in" : "out";
    json_object_set_new(o, "direction", json_string(way));
    json_object_set_new(o, "status", json_string(status));
    return o;
}

static json_t *confirmed_item(node_t *n, const tx_t *tx, const uint8_t key[32],
                              const chain_node_t *where)
{
    json_t *o = item(tx, key, node_params(n)->hrp, "confirmed");
    if (!o)
        return NULL;
    char hex[HEX_HASH_LEN + 1];
    hex_from_hash(hex, where->hash);
    json_object_set_new(o, "height", json_integer(where->height));
    json_object_set_new(o, "block", json_string(hex));
    json_object_set_new(o, "time",
                        json_integer((json_int_t)where->block.header.time));
    json_object_set_new(
        o, "confirmations",
        json_integer(chain_height(node_chain(n)) - where->height + 1));
    return o;
}

/* Reads page and limit (both optional); on failure returns the error. */
static json_t *page_params(json_int_t *page, json_int_t *limit,
                           const json_t *params)
{
    json_t *p = json_object_get(params, "page");
    json_t *l = json_object_get(params, "limit");
    *page = 1;
    *limit = RPC_HISTORY_LIMIT;
    if ((p && !json_is_integer(p)) || (l && !json_is_integer(l)))
        return rpc_error(ERR_ARG, "\"page\" and \"limit\" must be numbers");
    if (p)
        *page = json_integer_value(p);
    if (l)
        *limit = json_integer_value(l);
    if (*page < 1 || *page > 1000000000 || *limit < 1 ||
        *limit > RPC_HISTORY_MAX)
        return rpc_error(ERR_ARG, "page >= 1 and 1 <= limit <= 100");
    return NULL;
}

json_t *rpc_history(node_t *n, const json_t *params)
{
    const char *text = json_string_value(json_object_get(params, "address"));
    if (!text)
        return rpc_error(ERR_ARG, "missing \"address\"");
    uint8_t key[32];
    const char *why = NULL;
    if (address_decode(key, &why, node_params(n)->hrp, text) != 0)
        return rpc_error(ERR_ARG, why ? why : "bad address");
    json_int_t page, limit;
    json_t *e = page_params(&page, &limit, params);
    if (e)
        return e;
    size_t skip = (size_t)(page - 1) * (size_t)limit;

    pending_page_t pend;
    memset(&pend, 0, sizeof pend);
    pend.key = key;
    pend.skip = skip;
    pend.max = (size_t)limit;
    mempool_foreach(node_mempool(n), collect_pending, &pend);

    /* The confirmed part of the page starts where the pending ones end. */
    size_t cskip = skip > pend.count ? skip - pend.count : 0;
    size_t room = (size_t)limit - pend.n;
    addrindex_pos_t pos[RPC_HISTORY_MAX];
    size_t got = 0, confirmed = 0;
    const chain_t *c = node_chain(n);
    int rc = addrindex_query(node_addrindex(n), pos, &got, &confirmed, c, key,
                             cskip, room);
    if (rc)
        return rpc_error(rc, NULL);

    json_t *items = json_array();
    const char *hrp = node_params(n)->hrp;
    for (size_t i = 0; items && i < pend.n; i++)
        json_array_append_new(items,
                              item(pend.on_page[i], key, hrp, "pending"));
    for (size_t i = 0; items && i < got; i++) {
        const chain_node_t *where = chain_at_height(c, pos[i].height);
        json_array_append_new(
            items,
            confirmed_item(n, &where->block.txs[pos[i].index], key, where));
    }
    json_int_t total = (json_int_t)(pend.count + confirmed);
    json_t *r = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "address", text, "total", total,
        "pending", (json_int_t)pend.count, "page", page, "limit", limit,
        "pages", total ? (total + limit - 1) / limit : 1, "items", items);
    return r ? json_pack("{s:o}", "result", r)
             : rpc_error(ERR_NOMEM, "out of memory");
}
