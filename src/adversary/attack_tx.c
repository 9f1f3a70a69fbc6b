/*
 * attack_tx — builders of invalid transactions (NEW_TX gossip) and of
 * NEW_TXS batches that lie (attack_impl.h).
 *
 * NEW_TXS carries each transaction behind the txid its sender claims, so a
 * receiver can drop one it holds after a lookup, before parsing anything.
 * A receiver that does parse an item must check the claim, refuse an item
 * that is no transaction, and judge every item on its own: one bad item
 * does not make the frame's others bad. The batch kinds send a whole frame
 * (type 0), built here because a blob cannot say what they lie about.
 */
#include "attack_impl.h"
#include "err.h"
#include "wire.h"

#include <string.h>

/* ---- transactions ---------------------------------------------------- */

/* A transfer from a miner's account, signed by nobody who owns it. */
int attack_tx_bad_sig(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    int rc = attack_stolen_transfer(env, &tx);
    return rc ? rc : attack_push_tx(out, &tx, "bad-txns-sig");
}

int attack_tx_unsigned(attack_env_t *env, attack_out_t *out)
{
    uint8_t victim[32];
    account_t a;
    if (!attack_find_rich(env, victim, &a)) {
        memcpy(victim, env->pub, 32);
        a = attack_account(env, env->pub);
    }
    tx_t tx;
    tx_init_transfer(&tx, victim, env->pub, 1 + env->seq++ % 1000, 1, a.nonce);
    return attack_push_tx(out, &tx, "bad-txns-unsigned");
}

/* Correctly signed by a key that owns nothing. */
int attack_tx_overspend(attack_env_t *env, attack_out_t *out)
{
    uint8_t pub[32], secret[32];
    attack_random_key(pub, secret);
    tx_t tx;
    tx_init_transfer(&tx, pub, env->pub, COIN, 1, 0);
    int rc = tx_sign_with_secret(&tx, secret, env->params->network_id);
    explicit_bzero(secret, sizeof secret);
    return rc ? ERR_NOMEM
              : attack_push_tx(out, &tx, "bad-txns-insufficient-funds");
}

/* A confirmed transfer, sent again. */
int attack_tx_replay(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    if (!attack_find_transfer(env, &tx, NULL))
        return ERR_NOT_FOUND;
    return attack_push_tx(out, &tx, "bad-txns-nonce-replay");
}

/* ---- transaction batches (NEW_TXS) ----------------------------------- */

/* Appends one NEW_TXS frame of n items, sent as is. Out: *item. */
static int push_txs(attack_item_t **item, attack_out_t *out,
                    const attack_env_t *env, const wire_txitem_t *items,
                    size_t n, const char *reason)
{
    attack_item_t *it = attack_push(out, ATTACK_GOSSIP, 0, reason);
    if (!it)
        return ERR_NOMEM;
    wire_msg_t m;
    wire_msg_init(&m, WIRE_NEW_TXS);
    m.u.txs.count = (uint16_t)n;
    m.u.txs.items = items;
    if (wire_encode(&it->bytes, env->params->network_id, &m) != 0)
        return ERR_NOMEM;
    *item = it;
    return 0;
}

/* A valid transfer of our own behind the txid of another one (the same
 * transfer with one unit more): only checking the claim stops it. */
int attack_txs_bad_txid(attack_env_t *env, attack_out_t *out)
{
    if (!attack_funded(env))
        return ERR_NOT_FOUND;
    account_t a = attack_account(env, env->pub);
    uint8_t to[32], s[32];
    attack_random_key(to, s);
    tx_t tx;
    int rc = attack_our_transfer(env, &tx, to, 1 + env->seq++ % 1000, a.nonce);
    if (rc)
        return rc;
    tx_t other = tx;
    other.amount++;
    uint8_t claim[32];
    tx_compute_txid(claim, &other);
    buf_t raw;
    buf_init(&raw);
    wire_txitem_t item = {.txid = claim};
    attack_item_t *it = NULL;
    rc = tx_serialize(&raw, &tx) ? ERR_NOMEM : 0;
    if (rc == 0) {
        item.tx.data = raw.data;
        item.tx.len = raw.len;
        rc = push_txs(&it, out, env, &item, 1, "bad-txid");
    }
    if (rc == 0)
        tx_compute_txid(it->id, &tx); /* the transfer that must stay out */
    buf_deinit(&raw);
    return rc;
}

/* Bytes of about a transfer's length that are no transaction (a kind
 * that does not exist, or a transfer cut short), behind a made-up txid. */
int attack_txs_malformed(attack_env_t *env, attack_out_t *out)
{
    uint8_t junk[TX_TRANSFER_SIZE], claim[32];
    attack_random_bytes(junk, sizeof junk);
    attack_random_bytes(claim, sizeof claim);
    size_t len = sizeof junk;
    if (env->seq++ % 2) {
        junk[0] = (uint8_t)(TX_TRANSFER + 1 + junk[0] % (255 - TX_TRANSFER));
    } else {
        junk[0] = TX_TRANSFER;
        len -= 1 + env->seq % 64;
    }
    wire_txitem_t item = {.txid = claim, .tx = {junk, len}};
    attack_item_t *it;
    return push_txs(&it, out, env, &item, 1, "malformed");
}

/* One frame, each item behind its true txid: a miner's coins taken with a
 * made-up signature (as tx-bad-sig), then a valid transfer of our own (one
 * unit to ourselves: the same txid until it is confirmed). The bad item
 * comes first, so a receiver that gave up on the frame at it would never
 * take the valid one. */
int attack_txs_mixed(attack_env_t *env, attack_out_t *out)
{
    if (!attack_funded(env))
        return ERR_NOT_FOUND;
    tx_t txs[2];
    int rc = attack_stolen_transfer(env, &txs[0]);
    if (rc == 0)
        rc = attack_our_transfer(env, &txs[1], env->pub, 1,
                                 attack_account(env, env->pub).nonce);
    if (rc)
        return rc;
    uint8_t ids[2][32];
    buf_t raw[2];
    wire_txitem_t items[2];
    for (int i = 0; i < 2; i++) {
        buf_init(&raw[i]);
        tx_compute_txid(ids[i], &txs[i]);
        if (tx_serialize(&raw[i], &txs[i]) != 0)
            rc = ERR_NOMEM;
        items[i] = (wire_txitem_t){ids[i], {raw[i].data, raw[i].len}};
    }
    attack_item_t *it = NULL;
    if (rc == 0)
        rc = push_txs(&it, out, env, items, 2, "bad-txns-sig");
    if (rc == 0) {
        memcpy(it->id, ids[0], 32);
        memcpy(it->valid_id, ids[1], 32);
    }
    env->seq++;
    buf_deinit(&raw[0]);
    buf_deinit(&raw[1]);
    return rc;
}
