/*
 * attack_bytes — builders of what is not even a valid message
 * (attack_impl.h): blocks cut short, random bytes as a block or a whole
 * frame, and a flood of requests (and garbage) at each honest node's
 * request endpoint, which its rate limiter must absorb.
 */
#include "attack_impl.h"
#include "err.h"
#include "wire.h"

#include <string.h>

/* Request frames in one request flood. */
#define ATTACK_REQUEST_FLOOD 1500

/* The newest honest block cut short. */
int attack_blk_truncated(attack_env_t *env, attack_out_t *out)
{
    attack_item_t *it =
        attack_push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, "malformed");
    if (!it || block_serialize(&it->bytes, &chain_tip(env->chain)->block))
        return ERR_NOMEM;
    /* Keep at least what a frame needs to carry a block at all. */
    size_t min = WIRE_MIN_BLOCK_SIZE, len = it->bytes.len;
    it->bytes.len = min + (len - min) / 2; /* a block is longer than min */
    env->seq++;
    return 0;
}

/* Random bytes as a block, and random bytes as a whole frame. */
int attack_blk_random(attack_env_t *env, attack_out_t *out)
{
    uint8_t junk[512];
    attack_item_t *it =
        attack_push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, "malformed");
    size_t len = WIRE_MIN_BLOCK_SIZE + env->seq++ % 300;
    attack_random_bytes(junk, len);
    le32_put(junk + BLOCK_HEADER_SIZE, 0xfffffff0u); /* never a real count */
    if (!it || buf_put(&it->bytes, junk, len) != 0)
        return ERR_NOMEM;
    it = attack_push(out, ATTACK_GOSSIP, 0, "malformed");
    attack_random_bytes(junk, sizeof junk);
    if (!it || buf_put(&it->bytes, junk, 64 + env->seq % 400) != 0)
        return ERR_NOMEM;
    return 0;
}

/* Requests for everything, and garbage, to each node's request endpoint. */
int attack_flood_requests(attack_env_t *env, attack_out_t *out)
{
    const uint8_t *net = env->params->network_id;
    const chain_node_t *genesis = chain_at_height(env->chain, 0);
    uint8_t hashes[WIRE_MAX_BLOCKS][32];
    const chain_node_t *n = chain_tip(env->chain);
    for (int i = 0; i < WIRE_MAX_BLOCKS; i++) {
        memcpy(hashes[i], n->hash, 32);
        if (n->parent)
            n = n->parent;
    }
    for (int i = 0; i < ATTACK_REQUEST_FLOOD; i++) {
        attack_item_t *it = attack_push(out, ATTACK_REQUEST, 0, "rate-limited");
        if (!it)
            return ERR_NOMEM;
        wire_msg_t m;
        int rc;
        switch (i % 3) {
        case 0: /* every header from genesis: the most a node will send */
            wire_msg_init(&m, WIRE_GET_HEADERS);
            m.u.get_headers.count = 1;
            m.u.get_headers.hashes = genesis->hash;
            memset(m.u.get_headers.stop, 0, 32);
            rc = wire_encode(&it->bytes, net, &m);
            break;
        case 1: /* the newest blocks */
            wire_msg_init(&m, WIRE_GET_BLOCKS);
            m.u.get_blocks.count = WIRE_MAX_BLOCKS;
            m.u.get_blocks.hashes = &hashes[0][0];
            rc = wire_encode(&it->bytes, net, &m);
            break;
        default: { /* garbage */
            uint8_t junk[96];
            it->reason = "malformed"; /* when within the budget */
            attack_random_bytes(junk, sizeof junk);
            rc = buf_put(&it->bytes, junk, sizeof junk);
            break;
        }
        }
        if (rc)
            return ERR_NOMEM;
    }
    env->seq++;
    return 0;
}
