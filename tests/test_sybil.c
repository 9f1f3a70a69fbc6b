/*
 * Tests for src/adversary/sybil.c: each silent peer added is registered at
 * a live tracker, so an honest p2p joined there learns it like any peer and
 * subscribes to its gossip; a request to it is never answered, tended or
 * not; the set knows its own ids; freeing the set makes them leave.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "p2p.h"
#include "p2p_rig.h"
#include "sock.h"
#include "sybil.h"
#include "tracker_rig.h"

#define NET tr_net

/* Waits until p lists peer id as connected (want) or not at all (!want). */
static bool wait_peer(p2p_t *p, uint64_t id, bool want, int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    while (sock_now_ms() < deadline) {
        p2p_peer_info_t info;
        bool there = p2p_peer(p, &info, id) == 0 && info.connected;
        if (there == want)
            return true;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return false;
}

Test(sybil, registered_listed_silent_and_gone_when_freed, .timeout = 30)
{
    log_set_level(LOG_ERROR);
    tracker_config_t tcfg;
    tracker_config_init(&tcfg, NET);
    tcfg.status_ms = 0;
    tr_live_t t;
    tr_start(&t, &tcfg, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

    p2p_config_t cfg;
    pr_config(&cfg, NET);
    strcpy(cfg.tracker, t.req);
    strcpy(cfg.tracker_pub, t.pub);
    cfg.request_timeout_ms = 300;
    cfg.request_retries = 0;
    pr_node_t honest;
    pr_start(&honest, &cfg, 1, PR_ANSWER);
    cr_assert_eq(p2p_join_network(honest.p), 0);

    sybil_t *s = sybil_new(NET, t.req, "127.0.0.1");
    cr_assert_not_null(s);
    cr_assert_eq(sybil_add(s), 0);
    cr_assert_eq(sybil_add(s), 0);
    cr_assert_eq(sybil_count(s), 2);
    uint64_t a = sybil_id(s, 0), b = sybil_id(s, 1);
    cr_assert(a && b && a != b);
    cr_assert(sybil_has(s, a) && sybil_has(s, b));
    cr_assert_not(sybil_has(s, p2p_node_id(honest.p)));
    cr_assert_eq(sybil_id(s, 2), 0);

    /* An honest node learns them from the tracker, as any peer. */
    cr_assert(wait_peer(honest.p, a, true, 10000), "a not listed");
    cr_assert(wait_peer(honest.p, b, true, 10000), "b not listed");

    /* Its endpoint takes the request, and never answers. */
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    uint8_t *reply = NULL;
    size_t len = 0;
    cr_assert_eq(p2p_request(honest.p, &reply, &len, a, req.data, req.len),
                 ERR_TIMEOUT);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(honest.p, &info, a), 0);
    cr_assert(info.unresponsive && info.backoff_ms > 0);
    /* Tending takes the request in and drops it: still no answer. */
    sybil_tend(s);
    sybil_tend(NULL); /* harmless */
    nanosleep(&(struct timespec){0, (long)(info.backoff_ms + 50) * 1000000L},
              NULL);
    reply = NULL;
    cr_assert_eq(p2p_request(honest.p, &reply, &len, a, req.data, req.len),
                 ERR_TIMEOUT, "a tended sybil answered");
    cr_assert_null(reply);
    buf_deinit(&req);

    /* Freed: they leave. */
    sybil_free(&s);
    cr_assert_null(s);
    sybil_free(&s); /* harmless */
    cr_assert(wait_peer(honest.p, a, false, 10000), "a still listed");
    cr_assert(wait_peer(honest.p, b, false, 10000), "b still listed");

    pr_stop(&honest);
    tr_halt(&t);
}
