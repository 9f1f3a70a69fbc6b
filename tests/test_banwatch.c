/*
 * Tests for src/adversary/banwatch.c: the adversary asks each peer for its
 * peer list and finds itself by node id -- listed as banned by any peer
 * means banned; listed as connected counts; a reply that is not a REPLY,
 * not JSON, or lists only others is read as "not listed"; a silent peer
 * is passed over.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "banwatch.h"
#include "bytes.h"
#include "p2p.h"
#include "wire.h"

#include "p2p_rig.h"

static const uint8_t NET[32] = {0xba, 0x2};

TestSuite(banwatch, .init = pr_quiet, .timeout = 30);

/* A REPLY frame of json text. */
static void reply_of(pr_responder_t *r, const char *json)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(wire_encode_blob(&b, NET, WIRE_REPLY, json, strlen(json)), 0);
    pr_responder_set(r, b.data, b.len);
    buf_deinit(&b);
}

/* The peers' answer listing `id` with these flags. */
static void listing(char *out, size_t len, const char *id, bool connected,
                    bool banned)
{
    snprintf(out, len,
             "{\"result\":[{\"id\":\"0000000000000abc\",\"connected\":true},"
             "{\"id\":\"%s\",\"connected\":%s,\"banned\":%s}]}",
             id, connected ? "true" : "false", banned ? "true" : "false");
}

Test(banwatch, finds_itself_in_the_peers_lists)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    cfg.request_timeout_ms = 300;
    cfg.request_retries = 0;
    p2p_t *p = p2p_new(&cfg);
    cr_assert_not_null(p);
    char me[17];
    snprintf(me, sizeof me, "%016llx", (unsigned long long)p2p_node_id(p));

    enum { N = 4 };
    pr_responder_t peers[N];
    for (int i = 0; i < N; i++) {
        pr_responder_start(&peers[i]);
        wire_peer_t w;
        memset(&w, 0, sizeof w);
        memcpy(w.key, peers[i].key.pub, sizeof w.key);
        w.id = wire_key_id(w.key);
        strcpy(w.req, server_endpoint(peers[i].srv));
        snprintf(w.gossip, sizeof w.gossip, "tcp://127.0.0.1:%d", 1 + i);
        cr_assert_eq(p2p_add_peer(p, &w), 0);
    }
    char text[256];
    listing(text, sizeof text, me, true, false);
    reply_of(&peers[0], text);            /* connected */
    pr_responder_set(&peers[1], "no", 2); /* not a frame */
    listing(text, sizeof text, "00000000deadbeef", false, true);
    reply_of(&peers[2], text); /* somebody else is banned */
    /* peers[3] stays silent */
    size_t connected = 99, asked = 0;
    cr_assert_not(banwatch_look(p, NET, &connected, &asked, NULL, NULL));
    cr_assert_eq(asked, N);
    cr_assert_eq(connected, 1);

    /* Not JSON inside a REPLY, and JSON without a result: not listed. */
    reply_of(&peers[1], "{not json");
    reply_of(&peers[2], "{\"error\":{\"code\":-9}}");
    cr_assert_not(banwatch_look(p, NET, &connected, &asked, NULL, NULL));
    cr_assert_eq(connected, 1);

    /* One peer lists us as banned: banned. */
    listing(text, sizeof text, me, false, true);
    reply_of(&peers[2], text);
    cr_assert(banwatch_look(p, NET, &connected, &asked, NULL, NULL));
    cr_assert_eq(connected, 1);

    p2p_free(&p);
    for (int i = 0; i < N; i++)
        pr_responder_stop(&peers[i]);
}
