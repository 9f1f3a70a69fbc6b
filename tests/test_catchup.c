/*
 * Tests for net/catchup.c: the headers-first exchange as a state machine,
 * driven by hand. A "peer" chain answers the requests catchup writes
 * (chain_peer_answer(), as a node's request thread would, with a cap on
 * headers per reply so that rounds can be counted), and "our" chain takes
 * the blocks. Covered: a
 * catch-up over several rounds; a tip that is not ahead ends the exchange
 * at once; the round bound; a refusal (ERROR) is ERR_FULL, not the peer's
 * fault; a reply of the wrong type, a block that does not parse and a
 * block not asked for are the peer's fault (ERR_PARSE with a reason); an
 * empty BLOCKS is ERR_NOT_FOUND; on_block's refusal ends the exchange.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "catchup.h"
#include "chain_peer.h"
#include "err.h"
#include "fixtures.h"
#include "log.h"

static const uint8_t *NET;

/* How the fake peer answers. */
typedef enum { HONEST, REFUSE, WRONG_TYPE, BAD_BLOCK, OTHER_BLOCK } peer_mode_t;

typedef struct {
    chain_t *chain;
    size_t max_headers; /* per HEADERS reply */
    peer_mode_t mode;
} peer_t;

/* Our side: blocks go to our chain; with refuse, each is refused. */
typedef struct {
    chain_t *chain;
    bool refuse;
    unsigned calls;
} ours_t;

static int take_block(void *ctx, const block_t *b)
{
    ours_t *o = ctx;
    o->calls++;
    if (o->refuse)
        return ERR_INVALID;
    const char *why = NULL;
    return chain_add_block(o->chain, &why, b);
}

/* A BLOCKS reply that is not what was asked: a block that does not parse,
 * or genesis (never asked for), in place of each block asked for. */
static void reply_bad_blocks(peer_t *p, buf_t *out, const wire_msg_t *req)
{
    /* A header and a transaction count with no transactions after it. */
    static uint8_t junk[WIRE_MIN_BLOCK_SIZE];
    junk[BLOCK_HEADER_SIZE] = 5;
    buf_t genesis;
    buf_init(&genesis);
    cr_assert_eq(
        block_serialize(&genesis, &chain_at_height(p->chain, 0)->block), 0);
    wire_blob_t items[WIRE_MAX_BLOCKS];
    uint16_t n = 0;
    for (; n < req->u.get_blocks.count && n < WIRE_MAX_BLOCKS; n++) {
        items[n].data = p->mode == BAD_BLOCK ? junk : genesis.data;
        items[n].len = p->mode == BAD_BLOCK ? sizeof junk : genesis.len;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_BLOCKS);
    r.u.list.count = n;
    r.u.list.items = items;
    cr_assert_eq(wire_encode(out, NET, &r), 0);
    buf_deinit(&genesis);
}

/* The peer's answer to a request frame, encoded into out. */
static void answer(peer_t *p, buf_t *out, const buf_t *req_frame)
{
    wire_msg_t req;
    cr_assert_eq(wire_decode(&req, NET, req_frame->data, req_frame->len), 0);
    buf_reset(out);
    if (p->mode == REFUSE)
        cr_assert_eq(wire_encode_error(out, NET, ERR_FULL, "rate-limited"), 0);
    else if (p->mode == WRONG_TYPE)
        cr_assert_eq(wire_encode_empty(out, NET, WIRE_ACK), 0);
    else if (req.type == WIRE_GET_BLOCKS && p->mode != HONEST)
        reply_bad_blocks(p, out, &req);
    else
        chain_peer_answer(out, p->chain, req_frame->data, req_frame->len, false,
                          p->max_headers, NULL, 0);
    wire_msg_clear(&req);
}

/* Runs an exchange to its end; returns its last code, counts requests. */
static int drive(catchup_t *c, peer_t *p, ours_t *o, bool ask_tip,
                 unsigned max_rounds, const char **fault, unsigned *requests)
{
    buf_t req, rep;
    buf_init(&req);
    buf_init(&rep);
    int rc = catchup_begin(c, &req, NET, o->chain, ask_tip, max_rounds,
                           take_block, o);
    *requests = 0;
    for (int guard = 0; rc == 0 && !catchup_done(c); guard++) {
        cr_assert(guard < 1000, "the exchange does not end");
        cr_assert_gt(req.len, 0);
        (*requests)++;
        answer(p, &rep, &req);
        wire_msg_t m;
        cr_assert_eq(wire_decode(&m, NET, rep.data, rep.len), 0);
        rc = catchup_reply(c, &req, fault, o->chain, &m);
        wire_msg_clear(&m);
    }
    cr_assert(catchup_done(c));
    buf_deinit(&req);
    buf_deinit(&rep);
    return rc;
}

static chain_t *peer_chain(unsigned height)
{
    chain_t *c = fx_chain(NULL);
    uint8_t miner[32] = {7};
    const chain_node_t *tip = chain_tip(c);
    for (unsigned i = 0; i < height; i++)
        tip = fx_extend(c, tip, miner, NULL, 0, i);
    return c;
}

static void setup(void)
{
    log_set_level(LOG_ERROR);
    NET = params_regtest()->network_id;
}

TestSuite(catchup, .init = setup);

Test(catchup, catches_up_over_several_rounds)
{
    peer_t p = {peer_chain(30), 7, HONEST};
    ours_t o = {fx_chain(NULL), false, 0};
    catchup_t c;
    const char *fault = NULL;
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, true, 100, &fault, &requests), 0);
    cr_assert_eq(chain_height(o.chain), 30);
    cr_assert_eq(catchup_added(&c), 30);
    cr_assert_eq(memcmp(chain_tip(o.chain)->hash, chain_tip(p.chain)->hash, 32),
                 0);
    /* 30 blocks at 7 headers a round: 5 rounds, and a sixth that finds
     * nothing new. */
    cr_assert_eq(c.rounds, 6);
    cr_assert_null(fault);
    catchup_deinit(&c);
    catchup_deinit(&c); /* harmless twice */
    chain_free(&p.chain);
    chain_free(&o.chain);
}

Test(catchup, a_tip_that_is_not_ahead_ends_it_at_once)
{
    peer_t p = {peer_chain(3), 100, HONEST};
    ours_t o = {peer_chain(3), false, 0}; /* the same blocks */
    catchup_t c;
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, true, 100, NULL, &requests), 0);
    cr_assert_eq(requests, 1, "GET_TIP alone");
    cr_assert_eq(o.calls, 0);
    catchup_deinit(&c);
    /* Without asking the tip, the locator shows there is nothing new. */
    cr_assert_eq(drive(&c, &p, &o, false, 100, NULL, &requests), 0);
    cr_assert_eq(requests, 1, "GET_HEADERS alone");
    catchup_deinit(&c);
    chain_free(&p.chain);
    chain_free(&o.chain);
}

Test(catchup, rounds_are_bounded)
{
    peer_t p = {peer_chain(20), 3, HONEST};
    ours_t o = {fx_chain(NULL), false, 0};
    catchup_t c;
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, false, 2, NULL, &requests), 0);
    cr_assert_eq(chain_height(o.chain), 6, "two rounds of three");
    cr_assert_eq(c.rounds, 2);
    catchup_deinit(&c);
    chain_free(&p.chain);
    chain_free(&o.chain);
}

Test(catchup, a_refusal_is_not_the_peers_fault)
{
    peer_t p = {peer_chain(5), 100, REFUSE};
    ours_t o = {fx_chain(NULL), false, 0};
    catchup_t c;
    const char *fault = "unset";
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, true, 10, &fault, &requests), ERR_FULL);
    cr_assert_null(fault);
    catchup_deinit(&c);
    chain_free(&p.chain);
    chain_free(&o.chain);
}

static void expect_fault(peer_mode_t mode, const char *text)
{
    peer_t p = {peer_chain(5), 100, mode};
    ours_t o = {fx_chain(NULL), false, 0};
    catchup_t c;
    const char *fault = NULL;
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, false, 10, &fault, &requests), ERR_PARSE);
    cr_assert(fault && strstr(fault, text), "fault %s", fault ? fault : "-");
    cr_assert_eq(chain_height(o.chain), 0);
    cr_assert_eq(o.calls, 0);
    catchup_deinit(&c);
    chain_free(&p.chain);
    chain_free(&o.chain);
}

Test(catchup, a_reply_that_is_not_what_was_asked_is_the_peers_fault)
{
    expect_fault(WRONG_TYPE, "another type");
    expect_fault(BAD_BLOCK, "does not parse");
    expect_fault(OTHER_BLOCK, "did not ask for");
}

Test(catchup, a_refused_block_ends_the_exchange)
{
    peer_t p = {peer_chain(5), 100, HONEST};
    ours_t o = {fx_chain(NULL), true, 0};
    catchup_t c;
    unsigned requests;
    cr_assert_eq(drive(&c, &p, &o, false, 10, NULL, &requests), ERR_INVALID);
    cr_assert_eq(o.calls, 1, "nothing offered after the refusal");
    catchup_deinit(&c);
    chain_free(&p.chain);
    chain_free(&o.chain);
}

Test(catchup, no_blocks_in_reply_is_not_found)
{
    chain_t *peer = peer_chain(5);
    ours_t o = {fx_chain(NULL), false, 0};
    catchup_t c;
    buf_t req, rep;
    buf_init(&req);
    buf_init(&rep);
    cr_assert_eq(
        catchup_begin(&c, &req, NET, o.chain, false, 10, take_block, &o), 0);
    peer_t p = {peer, 100, HONEST};
    answer(&p, &rep, &req); /* HEADERS */
    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, NET, rep.data, rep.len), 0);
    cr_assert_eq(catchup_reply(&c, &req, NULL, o.chain, &m), 0);
    wire_msg_clear(&m);
    buf_reset(&rep);
    wire_msg_t empty;
    wire_msg_init(&empty, WIRE_BLOCKS);
    cr_assert_eq(wire_encode(&rep, NET, &empty), 0);
    cr_assert_eq(wire_decode(&m, NET, rep.data, rep.len), 0);
    cr_assert_eq(catchup_reply(&c, &req, NULL, o.chain, &m), ERR_NOT_FOUND);
    cr_assert(catchup_done(&c));
    cr_assert_eq(req.len, 0, "nothing more to send");
    cr_assert_eq(catchup_reply(&c, &req, NULL, o.chain, &m), ERR_ARG);
    wire_msg_clear(&m);
    catchup_deinit(&c);
    buf_deinit(&req);
    buf_deinit(&rep);
    chain_free(&peer);
    chain_free(&o.chain);
}

Test(catchup, bad_arguments)
{
    chain_t *ours = fx_chain(NULL);
    catchup_t c;
    buf_t req;
    buf_init(&req);
    cr_assert_eq(catchup_begin(&c, &req, NET, ours, false, 0, take_block, NULL),
                 ERR_ARG);
    cr_assert_eq(catchup_begin(&c, &req, NET, ours, false, 1, NULL, NULL),
                 ERR_ARG);
    buf_deinit(&req);
    chain_free(&ours);
}

/* catchup_run: the whole exchange over p2p_request(), as the adversary
 * follows the chain. */
Test(catchup, run_waits_for_each_reply_over_p2p, .timeout = 20)
{
    chain_t *theirs = peer_chain(12);
    chain_peer_t peer;
    chain_peer_start(&peer, theirs, 300);
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    cfg.request_timeout_ms = 300;
    cfg.request_retries = 0;
    p2p_t *p2p = p2p_new(&cfg);
    cr_assert_not_null(p2p);
    wire_peer_t w = chain_peer_wire(&peer);
    cr_assert_eq(p2p_add_peer(p2p, &w), 0);
    ours_t o = {fx_chain(NULL), false, 0};
    uint64_t added = 99;
    const char *fault = NULL;
    cr_assert_eq(catchup_run(p2p, &added, &fault, o.chain, w.id, true, 100,
                             take_block, &o),
                 0);
    cr_assert_eq(added, 12);
    cr_assert_eq(chain_height(o.chain), 12);
    /* Nothing new: one GET_TIP, and done. */
    unsigned tips = atomic_load(&peer.asked[CP_TIP]);
    cr_assert_eq(catchup_run(p2p, &added, NULL, o.chain, w.id, true, 100,
                             take_block, &o),
                 0);
    cr_assert_eq(added, 0);
    cr_assert_eq(atomic_load(&peer.asked[CP_TIP]), tips + 1);
    /* A silent peer: the request's timeout, not a hang. */
    atomic_store(&peer.silent, true);
    cr_assert_eq(catchup_run(p2p, &added, NULL, o.chain, w.id, false, 100,
                             take_block, &o),
                 ERR_TIMEOUT);
    cr_assert_eq(catchup_run(p2p, &added, NULL, o.chain, 0x1234, false, 100,
                             take_block, &o),
                 ERR_NOT_FOUND);
    p2p_free(&p2p);
    chain_peer_stop(&peer);
    chain_free(&theirs);
    chain_free(&o.chain);
}
