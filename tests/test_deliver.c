/*
 * Tests for src/adversary/deliver.c: gossip items go out on the
 * adversary's own PUB socket, framed for the network (or as they are when
 * the item is a whole frame), as a subscriber sees them; request items go
 * to each known peer's request endpoint, as sent, on a connection of
 * their own each time (a new routing id), without waiting for answers.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attack.h"
#include "deliver.h"
#include "p2p.h"
#include "sock.h"
#include "wire.h"

#include "p2p_rig.h"

static const uint8_t NET[32] = {0xde, 0x11};

TestSuite(deliver, .init = pr_quiet, .timeout = 20);

static void item(attack_item_t *it, attack_channel_t ch, uint16_t type,
                 const void *bytes, size_t len)
{
    memset(it, 0, sizeof *it);
    it->channel = ch;
    it->type = type;
    buf_init(&it->bytes);
    cr_assert_eq(buf_put(&it->bytes, bytes, len), 0);
}

/* The next frame on sub (owned), or fails the test. */
static uint8_t *next_frame(void *sub, size_t *len)
{
    cr_assert_eq(sock_wait_readable(sub, 3000), 1, "nothing was published");
    uint8_t *data;
    cr_assert_eq(sock_recv(sub, &data, len, 0), 0);
    return data;
}

static unsigned requests_of(pr_responder_t *r)
{
    pthread_mutex_lock(&r->lock);
    unsigned n = r->requests;
    pthread_mutex_unlock(&r->lock);
    return n;
}

Test(deliver, gossip_is_published_and_requests_reach_every_peer)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    p2p_t *p = p2p_new(&cfg);
    cr_assert_not_null(p);
    pr_responder_t honest;
    pr_responder_start(&honest);
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    memcpy(w.key, honest.key.pub, sizeof w.key);
    w.id = wire_key_id(w.key);
    strcpy(w.req, server_endpoint(honest.srv));
    strcpy(w.gossip, "tcp://127.0.0.1:1");
    cr_assert_eq(p2p_add_peer(p, &w), 0);
    void *sub = pr_listen(p);

    uint8_t tx[TX_TRANSFER_SIZE];
    memset(tx, 0x33, sizeof tx);
    static const char raw[] = "a whole frame, sent as it is";
    buf_t get_tip;
    buf_init(&get_tip);
    cr_assert_eq(wire_encode_empty(&get_tip, NET, WIRE_GET_TIP), 0);
    attack_item_t items[4];
    item(&items[0], ATTACK_GOSSIP, WIRE_NEW_TX, tx, sizeof tx);
    item(&items[1], ATTACK_REQUEST, 0, get_tip.data, get_tip.len);
    item(&items[2], ATTACK_GOSSIP, 0, raw, sizeof raw);
    item(&items[3], ATTACK_REQUEST, 0, "junk", 4);
    attack_out_t out = {items, 4, 4};
    deliver_items(p, NET, &out, NULL, NULL);

    buf_t framed;
    buf_init(&framed);
    cr_assert_eq(wire_encode_blob(&framed, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    size_t len;
    uint8_t *got = next_frame(sub, &len);
    cr_assert_eq(len, framed.len);
    cr_assert_eq(memcmp(got, framed.data, len), 0, "not framed for the net");
    free(got);
    got = next_frame(sub, &len);
    cr_assert_eq(len, sizeof raw);
    cr_assert_eq(memcmp(got, raw, len), 0, "a whole frame was changed");
    free(got);

    uint64_t deadline = sock_now_ms() + 5000;
    while (requests_of(&honest) < 2 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    cr_assert_eq(requests_of(&honest), 2);
    pthread_mutex_lock(&honest.lock);
    cr_assert_eq(honest.last_len, 4);
    cr_assert_eq(memcmp(honest.last, "junk", 4), 0);
    cr_assert_eq(honest.senders, 1, "one connection per delivery");
    pthread_mutex_unlock(&honest.lock);

    /* Another delivery: another connection, another routing id. */
    deliver_items(p, NET, &out, NULL, NULL);
    deadline = sock_now_ms() + 5000;
    while (requests_of(&honest) < 4 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    pthread_mutex_lock(&honest.lock);
    cr_assert_eq(honest.requests, 4);
    cr_assert_eq(honest.senders, 2);
    pthread_mutex_unlock(&honest.lock);

    for (int i = 0; i < 4; i++)
        buf_deinit(&items[i].bytes);
    buf_deinit(&framed);
    buf_deinit(&get_tip);
    sock_close(&sub);
    p2p_free(&p);
    pr_responder_stop(&honest);
}
