/*
 * catchup — the headers-first exchange with one peer, as a state machine
 * (see catchup.h).
 */
#include "catchup.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

_Static_assert(CHAIN_MAX_LOCATOR <= WIRE_MAX_LOCATOR,
               "a locator must fit in one GET_HEADERS");
_Static_assert(WIRE_MAX_BLOCKS <= WIRE_MAX_GET_BLOCKS,
               "a batch of blocks must fit in one GET_BLOCKS");

static int finish(catchup_t *c, buf_t *req, int rc)
{
    c->state = CATCHUP_DONE;
    buf_reset(req);
    return rc;
}

static int send_headers(catchup_t *c, buf_t *req, const chain_t *chain)
{
    if (c->rounds >= c->max_rounds)
        return finish(c, req, 0);
    c->rounds++;
    c->added_round = c->added;
    uint8_t locator[CHAIN_MAX_LOCATOR][32];
    size_t n = chain_get_locator(chain, locator, CHAIN_MAX_LOCATOR);
    wire_msg_t m;
    wire_msg_init(&m, WIRE_GET_HEADERS);
    m.u.get_headers.count = (uint16_t)n;
    m.u.get_headers.hashes = &locator[0][0];
    memset(m.u.get_headers.stop, 0, 32);
    buf_reset(req);
    int rc = wire_encode(req, c->network_id, &m);
    if (rc)
        return finish(c, req, rc);
    c->state = CATCHUP_HEADERS;
    return 0;
}

/* Asks for the next batch of wanted blocks still unknown; at the end of
 * the list, begins the next round -- unless this one added nothing. */
static int send_blocks(catchup_t *c, buf_t *req, const chain_t *chain)
{
    c->nasked = 0;
    for (; c->next < c->nwant && c->nasked < WIRE_MAX_BLOCKS; c->next++)
        if (!chain_get(chain, c->want[c->next])) /* gossip may have won */
            memcpy(c->asked[c->nasked++], c->want[c->next], 32);
    if (c->nasked == 0)
        return c->added == c->added_round ? finish(c, req, 0)
                                          : send_headers(c, req, chain);
    wire_msg_t m;
    wire_msg_init(&m, WIRE_GET_BLOCKS);
    m.u.get_blocks.count = (uint16_t)c->nasked;
    m.u.get_blocks.hashes = &c->asked[0][0];
    buf_reset(req);
    int rc = wire_encode(req, c->network_id, &m);
    if (rc)
        return finish(c, req, rc);
    c->state = CATCHUP_BLOCKS;
    return 0;
}

static int on_tip(catchup_t *c, buf_t *req, const chain_t *chain,
                  const wire_msg_t *m)
{
    uint256_t theirs;
    uint256_from_le(&theirs, m->u.tip.work);
    if (chain_get(chain, m->u.tip.tip) ||
        uint256_cmp(&theirs, &chain_tip(chain)->chain_work) <= 0)
        return finish(c, req, 0); /* nothing there for us */
    return send_headers(c, req, chain);
}

static int on_headers(catchup_t *c, buf_t *req, const char **fault,
                      const chain_t *chain, const wire_msg_t *m)
{
    c->nwant = c->next = 0;
    for (size_t i = 0; i < m->u.headers.count; i++) {
        block_header_t h;
        if (block_header_parse(&h, m->u.headers.headers + BLOCK_HEADER_SIZE * i,
                               BLOCK_HEADER_SIZE) != 0) {
            *fault = "a header that does not parse";
            return finish(c, req, ERR_PARSE);
        }
        block_compute_hash(c->want[c->nwant], &h);
        if (!chain_get(chain, c->want[c->nwant]))
            c->nwant++;
    }
    if (c->nwant == 0)
        return finish(c, req, 0); /* the peer has nothing new */
    return send_blocks(c, req, chain);
}

static bool was_asked(const catchup_t *c, const uint8_t hash[32])
{
    for (size_t i = 0; i < c->nasked; i++)
        if (memcmp(c->asked[i], hash, 32) == 0)
            return true;
    return false;
}

static int on_blocks(catchup_t *c, buf_t *req, const char **fault,
                     const chain_t *chain, const wire_msg_t *m)
{
    if (m->u.list.count == 0)
        return finish(c, req, ERR_NOT_FOUND);
    for (size_t i = 0; i < m->u.list.count; i++) {
        block_t b;
        if (block_parse(&b, m->u.list.items[i].data, m->u.list.items[i].len) !=
            0) {
            *fault = "a block that does not parse";
            return finish(c, req, ERR_PARSE);
        }
        uint8_t hash[32];
        block_compute_hash(hash, &b.header);
        if (!was_asked(c, hash)) {
            block_deinit(&b);
            *fault = "a block we did not ask for";
            return finish(c, req, ERR_PARSE);
        }
        int r = c->on_block(c->ctx, &b);
        block_deinit(&b);
        if (r == 0)
            c->added++;
        else if (r != ERR_DUPLICATE && r != ERR_ORPHAN)
            return finish(c, req, r);
    }
    return send_blocks(c, req, chain);
}

int catchup_begin(catchup_t *c, buf_t *req, const uint8_t network_id[32],
                  const chain_t *chain, bool ask_tip, unsigned max_rounds,
                  catchup_block_fn on_block, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->state = CATCHUP_DONE;
    if (!on_block || max_rounds == 0)
        return ERR_ARG;
    c->want = malloc((size_t)WIRE_MAX_HEADERS * sizeof *c->want);
    if (!c->want)
        return ERR_NOMEM;
    memcpy(c->network_id, network_id, 32);
    c->on_block = on_block;
    c->ctx = ctx;
    c->max_rounds = max_rounds;
    int rc;
    if (ask_tip) {
        buf_reset(req);
        rc = wire_encode_empty(req, network_id, WIRE_GET_TIP);
        if (rc == 0)
            c->state = CATCHUP_TIP;
    } else {
        rc = send_headers(c, req, chain);
    }
    if (rc)
        catchup_deinit(c);
    return rc;
}

int catchup_reply(catchup_t *c, buf_t *req, const char **fault,
                  const chain_t *chain, const wire_msg_t *reply)
{
    const char *dummy;
    if (!fault)
        fault = &dummy;
    *fault = NULL;
    if (c->state == CATCHUP_DONE)
        return ERR_ARG;
    if (reply->type == WIRE_ERROR)
        return finish(c, req, ERR_FULL);
    static const uint16_t expected[] = {
        [CATCHUP_TIP] = WIRE_TIP,
        [CATCHUP_HEADERS] = WIRE_HEADERS,
        [CATCHUP_BLOCKS] = WIRE_BLOCKS,
    };
    if (reply->type != expected[c->state]) {
        *fault = "a reply of another type than asked";
        return finish(c, req, ERR_PARSE);
    }
    switch (c->state) {
    case CATCHUP_TIP:
        return on_tip(c, req, chain, reply);
    case CATCHUP_HEADERS:
        return on_headers(c, req, fault, chain, reply);
    default:
        return on_blocks(c, req, fault, chain, reply);
    }
}

bool catchup_done(const catchup_t *c)
{
    return c->state == CATCHUP_DONE;
}

uint64_t catchup_added(const catchup_t *c)
{
    return c->added;
}

void catchup_deinit(catchup_t *c)
{
    free(c->want);
    c->want = NULL;
    c->nwant = c->next = c->nasked = 0;
    c->state = CATCHUP_DONE;
}

int catchup_run(p2p_t *p, uint64_t *added, const char **fault,
                const chain_t *chain, uint64_t peer, bool ask_tip,
                unsigned max_rounds, catchup_block_fn on_block, void *ctx)
{
    const char *dummy;
    if (!fault)
        fault = &dummy;
    *fault = NULL;
    if (added)
        *added = 0;
    catchup_t c;
    buf_t req;
    buf_init(&req);
    int rc = catchup_begin(&c, &req, p2p_network_id(p), chain, ask_tip,
                           max_rounds, on_block, ctx);
    while (rc == 0 && !catchup_done(&c)) {
        uint8_t *raw;
        size_t len;
        rc = p2p_request(p, &raw, &len, peer, req.data, req.len);
        if (rc)
            break;
        wire_msg_t m;
        rc = wire_decode(&m, p2p_network_id(p), raw, len);
        if (rc == 0) {
            rc = catchup_reply(&c, &req, fault, chain, &m);
            wire_msg_clear(&m);
        } else {
            *fault = "a reply that does not decode";
            rc = ERR_PARSE;
        }
        free(raw);
    }
    if (added)
        *added = c.added;
    catchup_deinit(&c);
    buf_deinit(&req);
    return rc;
}
