/*
 * test_attack — every builder of src/adversary/attack.c, offered to an honest
 * regtest chain and mempool the way a node offers gossip, is refused with
 * exactly the reason its kind names; the mutated or tampered copy of a valid
 * block does not poison the real one; the inbox flood is one replayed
 * transfer many times over, and silent-sybils asks for registrations, not
 * sends. (The orphan storm is test_attack_storm.c's; the world both offer
 * to is attack_rig.h.)
 */
#include "attack.h"
#include "err.h"
#include "fixtures.h"

#include "attack_rig.h"
#include "mempool.h"
#include "state.h"
#include "template.h"
#include "wire.h"

#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

/* The miner's next nonce on the chain. */
static uint64_t account_nonce_of(const aw_world_t *w)
{
    account_t a;
    state_get(chain_state(w->c), &a, w->miner.pub);
    return a.nonce;
}

/*
 * Offers a NEW_TXS frame's items as node.c's handle_new_txs does: an item
 * whose claimed txid the mempool holds is dropped ("known"); otherwise it
 * must parse ("malformed") and be what its txid claims ("bad-txid") before
 * the mempool judges it. Each item is judged on its own.
 * Out: why[i] for each of the frame's items (at most max); returns the
 * frame's item count.
 */
static size_t offer_txs(aw_world_t *w, const char **why, size_t max,
                        const wire_msg_t *m)
{
    cr_assert_eq(m->type, WIRE_NEW_TXS);
    for (size_t i = 0; i < m->u.txs.count && i < max; i++) {
        const wire_txitem_t *item = &m->u.txs.items[i];
        tx_t tx;
        uint8_t txid[32];
        if (mempool_has(w->m, item->txid)) {
            why[i] = "known";
            continue;
        }
        if (tx_parse_bytes(&tx, item->tx.data, item->tx.len) != 0) {
            why[i] = "malformed";
            continue;
        }
        tx_compute_txid(txid, &tx);
        if (memcmp(txid, item->txid, 32) != 0) {
            why[i] = "bad-txid";
            continue;
        }
        why[i] = NULL;
        if (mempool_add(w->m, &why[i], chain_state(w->c), &tx) == 0)
            why[i] = "accepted";
    }
    return m->u.txs.count;
}

/* Offers an item as a node offers gossip; returns the refusal reason, or
 * "accepted" (for a NEW_TXS frame: its first item's refusal, or "accepted"
 * when every item was taken or known). */
static const char *offer(aw_world_t *w, const attack_item_t *it)
{
    if (it->channel == ATTACK_REQUEST || it->type == 0) {
        wire_msg_t m;
        if (wire_decode(&m, params_regtest()->network_id, it->bytes.data,
                        it->bytes.len) != 0)
            return "malformed";
        if (m.type == WIRE_NEW_TXS && it->channel == ATTACK_GOSSIP) {
            const char *why[WIRE_MAX_TX_BATCH];
            size_t n = offer_txs(w, why, WIRE_MAX_TX_BATCH, &m);
            wire_msg_clear(&m);
            for (size_t i = 0; i < n; i++)
                if (strcmp(why[i], "accepted") && strcmp(why[i], "known"))
                    return why[i];
            return "accepted";
        }
        bool request = m.type == WIRE_GET_HEADERS || m.type == WIRE_GET_BLOCKS;
        wire_msg_clear(&m);
        return request && it->channel == ATTACK_REQUEST ? "rate-limited"
                                                        : "decoded";
    }
    const char *why = NULL;
    if (it->type == WIRE_NEW_TX) {
        tx_t tx;
        if (tx_parse_bytes(&tx, it->bytes.data, it->bytes.len) != 0)
            return "malformed";
        int rc = mempool_add(w->m, &why, chain_state(w->c), &tx);
        return rc == 0 ? "accepted" : why;
    }
    block_t b;
    if (block_parse(&b, it->bytes.data, it->bytes.len) != 0)
        return "malformed";
    int rc;
    if (chain_is_stale_fork(w->c, &b.header)) {
        why = "stale-fork";
        rc = ERR_INVALID;
    } else {
        rc = chain_add_block(w->c, &why, &b);
    }
    block_deinit(&b);
    return rc == 0 ? "accepted" : why;
}

Test(attack, every_kind_refused_with_its_reason)
{
    aw_world_t w;
    aw_init(&w);
    size_t nkinds;
    const attack_kind_t *kinds = attack_kinds(&nkinds);
    cr_assert_geq(nkinds, 31);
    uint32_t height = chain_height(w.c);
    for (size_t k = 0; k < nkinds; k++) {
        if (kinds[k].valid || !attack_refused(&kinds[k]))
            continue; /* refuses nothing: see the orphan_storm and
                         silent_sybils tests */
        attack_out_t out = {0};
        int rc = attack_build(&kinds[k], &w.env, &out);
        cr_assert_eq(rc, 0, "%s: build failed (%d)", kinds[k].name, rc);
        bool seen = false;
        for (size_t i = 0; i < out.count; i++) {
            const char *got = offer(&w, &out.items[i]);
            cr_assert_str_eq(got, out.items[i].reason, "%s item %zu: %s",
                             kinds[k].name, i, got);
            seen |= strcmp(got, kinds[k].reason) == 0;
        }
        cr_assert(seen, "%s: no item refused as %s", kinds[k].name,
                  kinds[k].reason);
        attack_out_clear(&out);
        cr_assert_eq(chain_height(w.c), height, "%s moved the tip",
                     kinds[k].name);
    }
    /* Twice round: nothing a first refusal remembered changes the reason. */
    for (size_t k = 0; k < nkinds; k++) {
        if (kinds[k].valid || !attack_refused(&kinds[k]))
            continue;
        attack_out_t out = {0};
        cr_assert_eq(attack_build(&kinds[k], &w.env, &out), 0);
        for (size_t i = 0; i < out.count; i++)
            cr_assert_str_eq(offer(&w, &out.items[i]), out.items[i].reason,
                             "%s, second round", kinds[k].name);
        attack_out_clear(&out);
    }
    aw_deinit(&w);
}

Test(attack, names_are_unique_and_found)
{
    size_t n;
    const attack_kind_t *kinds = attack_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(attack_find(kinds[i].name), &kinds[i]);
        cr_assert_not_null(kinds[i].reason);
    }
    cr_assert_null(attack_find("no-such-kind"));
}

Test(attack, money_kinds_wait_for_funds)
{
    chain_t *c = fx_chain(NULL);
    fx_key_t adv;
    fx_key(&adv, 9);
    attack_env_t env = {
        .params = params_regtest(), .chain = c, .now = (int64_t)time(NULL)};
    memcpy(env.secret, adv.secret, 32);
    memcpy(env.pub, adv.pub, 32);
    attack_out_t out = {0};
    cr_assert_eq(attack_build(attack_find("blk-double-spend"), &env, &out),
                 ERR_NOT_FOUND);
    cr_assert_eq(attack_build(attack_find("blk-replay"), &env, &out),
                 ERR_NOT_FOUND);
    cr_assert_eq(attack_build(attack_find("txs-bad-txid"), &env, &out),
                 ERR_NOT_FOUND);
    cr_assert_eq(attack_build(attack_find("txs-mixed"), &env, &out),
                 ERR_NOT_FOUND);
    cr_assert_eq(attack_build(attack_find("blk-stale-fork"), &env, &out),
                 ERR_NOT_FOUND, "needs a chain longer than the prune depth");
    cr_assert_eq(out.count, 0);
    chain_free(&c);
}

Test(attack, work_over_budget_is_skipped)
{
    chain_t *c = fx_chain(NULL);
    attack_env_t env = {
        .params = params_regtest(), .chain = c, .now = (int64_t)time(NULL)};
    block_t b;
    cr_assert_eq(template_build(&b, c, chain_tip(c), env.pub, NULL, 0,
                                (uint32_t)env.now, 1),
                 0);
    b.header.bits = 0x1d00ffff; /* Bitcoin's first difficulty */
    cr_assert_eq(attack_solve(&b, 1u << 20), ERR_RANGE);
    b.header.bits = params_regtest()->pow_limit_bits;
    cr_assert_eq(attack_solve(&b, 1u << 20), 0);
    cr_assert(block_check_pow(&b.header));
    block_deinit(&b);
    chain_free(&c);
}

/* The duplicated-transaction mutation of a fresh block with three
 * transactions keeps its merkle root and hash. Seen first, it must be
 * refused without marking the hash bad, so the real block still gets in. */
Test(attack, mutation_does_not_poison_the_real_block)
{
    aw_world_t w;
    aw_init(&w);
    tx_t txs[2];
    fx_transfer(&txs[0], params_regtest(), &w.miner, w.user.pub, COIN, 1,
                account_nonce_of(&w));
    fx_transfer(&txs[1], params_regtest(), &w.miner, w.user.pub, COIN, 1,
                account_nonce_of(&w) + 1);
    block_t real, mutated, tampered;
    fx_block(&real, w.c, chain_tip(w.c), w.miner.pub, txs, 2, 77);
    cr_assert_eq(block_copy(&mutated, &real), 0);
    tx_t last = real.txs[2];
    cr_assert_eq(block_add_tx(&mutated, &last), 0);
    uint8_t h1[32], h2[32];
    block_compute_hash(h1, &real.header);
    block_compute_hash(h2, &mutated.header);
    cr_assert_eq(memcmp(h1, h2, 32), 0, "same header, same hash");
    cr_assert_eq(block_copy(&tampered, &real), 0);
    tampered.txs[1].amount++;

    const char *why = NULL;
    cr_assert_eq(chain_add_block(w.c, &why, &mutated), ERR_INVALID);
    cr_assert_str_eq(why, "bad-txns-duplicate");
    cr_assert_eq(chain_add_block(w.c, &why, &tampered), ERR_INVALID);
    cr_assert_str_eq(why, "bad-txnmrklroot");
    cr_assert_eq(chain_add_block(w.c, &why, &real), 0, "poisoned: %s", why);
    cr_assert_eq(memcmp(chain_tip(w.c)->hash, h1, 32), 0);

    /* Once the real block is in, copies are judged against it. */
    cr_assert_eq(chain_add_block(w.c, &why, &mutated), ERR_INVALID);
    cr_assert_str_eq(why, "bad-txns-duplicate");
    cr_assert_eq(chain_add_block(w.c, &why, &tampered), ERR_INVALID);
    cr_assert_str_eq(why, "bad-txnmrklroot");
    cr_assert_eq(chain_add_block(w.c, &why, &real), ERR_DUPLICATE);
    cr_assert_str_eq(why, "duplicate");
    block_deinit(&real);
    block_deinit(&mutated);
    block_deinit(&tampered);
    aw_deinit(&w);
}

Test(attack, stale_fork_only_deep_and_unknown)
{
    aw_world_t w;
    aw_init(&w);
    uint32_t tip = chain_height(w.c);
    block_t near, deep;
    fx_block(&near, w.c, chain_at_height(w.c, tip - 6), w.miner.pub, NULL, 0,
             1);
    fx_block(&deep, w.c, chain_at_height(w.c, tip - 7), w.miner.pub, NULL, 0,
             2);
    cr_assert_not(chain_is_stale_fork(w.c, &near.header));
    cr_assert(chain_is_stale_fork(w.c, &deep.header));
    cr_assert_not(chain_is_stale_fork(w.c, &chain_tip(w.c)->block.header),
                  "a block we have is a duplicate, not a stale fork");
    /* Consensus still takes it (sync may need it for a heavier branch). */
    cr_assert_eq(chain_add_block(w.c, NULL, &deep), 0);
    block_deinit(&near);
    block_deinit(&deep);
    aw_deinit(&w);
}

/* Builds one attack of a kind and decodes its one NEW_TXS frame. */
static attack_item_t *build_txs(aw_world_t *w, attack_out_t *out, wire_msg_t *m,
                                const char *kind)
{
    cr_assert_eq(attack_build(attack_find(kind), &w->env, out), 0, "%s", kind);
    cr_assert_eq(out->count, 1, "%s: one frame", kind);
    attack_item_t *it = &out->items[0];
    cr_assert_eq(it->channel, ATTACK_GOSSIP);
    cr_assert_eq(it->type, 0, "%s: a whole frame, sent as is", kind);
    cr_assert_eq(wire_decode(m, params_regtest()->network_id, it->bytes.data,
                             it->bytes.len),
                 0, "%s: the frame must decode, or no node sees its items",
                 kind);
    cr_assert_eq(m->type, WIRE_NEW_TXS);
    return it;
}

/* A valid transfer behind a txid that is not its own: refused by the claim
 * check alone (offered without its lie, the same transfer is taken). */
Test(attack, txs_bad_txid_is_a_valid_transfer_under_another_id)
{
    aw_world_t w;
    aw_init(&w);
    attack_out_t out = {0};
    wire_msg_t m;
    attack_item_t *it = build_txs(&w, &out, &m, "txs-bad-txid");
    cr_assert_eq(m.u.txs.count, 1);
    tx_t tx;
    cr_assert_eq(
        tx_parse_bytes(&tx, m.u.txs.items[0].tx.data, m.u.txs.items[0].tx.len),
        0);
    uint8_t real[32];
    tx_compute_txid(real, &tx);
    cr_assert_neq(memcmp(real, m.u.txs.items[0].txid, 32), 0,
                  "the claim must not be the transfer's txid");
    cr_assert_eq(memcmp(real, it->id, 32), 0, "the id kept is the real one");
    cr_assert_eq(memcmp(tx.sender, w.env.pub, 32), 0);

    const char *why[1];
    cr_assert_eq(offer_txs(&w, why, 1, &m), 1);
    cr_assert_str_eq(why[0], "bad-txid");
    cr_assert_not(mempool_has(w.m, real));
    const char *reason = NULL;
    cr_assert_eq(mempool_add(w.m, &reason, chain_state(w.c), &tx), 0,
                 "valid but for the claim: %s", reason);
    wire_msg_clear(&m);
    attack_out_clear(&out);
    aw_deinit(&w);
}

/* Garbage of about a transfer's length, in a frame that decodes: both
 * shapes (a kind that does not exist, a transfer cut short) fail to parse. */
Test(attack, txs_malformed_item_does_not_parse)
{
    aw_world_t w;
    aw_init(&w);
    bool bad_kind = false, short_transfer = false;
    for (int round = 0; round < 8; round++) {
        attack_out_t out = {0};
        wire_msg_t m;
        build_txs(&w, &out, &m, "txs-malformed");
        cr_assert_eq(m.u.txs.count, 1);
        const wire_blob_t *b = &m.u.txs.items[0].tx;
        cr_assert_leq(b->len, TX_TRANSFER_SIZE);
        cr_assert_geq(b->len, TX_TRANSFER_SIZE - 64);
        tx_t tx;
        cr_assert_neq(tx_parse_bytes(&tx, b->data, b->len), 0,
                      "round %d: garbage parsed", round);
        bad_kind |= b->data[0] > TX_TRANSFER;
        short_transfer |=
            b->data[0] == TX_TRANSFER && b->len < TX_TRANSFER_SIZE;
        const char *why[1];
        cr_assert_eq(offer_txs(&w, why, 1, &m), 1);
        cr_assert_str_eq(why[0], "malformed");
        wire_msg_clear(&m);
        attack_out_clear(&out);
    }
    cr_assert(bad_kind && short_transfer, "both shapes of garbage are sent");
    aw_deinit(&w);
}

/* A frame of a made-up signature, then a valid transfer: each behind its
 * true txid; the bad one is refused as bad-txns-sig and the valid one,
 * after it in the same frame, is still taken. Sent again, the valid one is
 * known and the bad one refused again. */
Test(attack, txs_mixed_valid_item_survives_the_bad_one)
{
    aw_world_t w;
    aw_init(&w);
    for (int round = 0; round < 2; round++) {
        attack_out_t out = {0};
        wire_msg_t m;
        attack_item_t *it = build_txs(&w, &out, &m, "txs-mixed");
        cr_assert_eq(m.u.txs.count, 2);
        for (size_t i = 0; i < 2; i++) {
            tx_t tx;
            uint8_t txid[32];
            cr_assert_eq(tx_parse_bytes(&tx, m.u.txs.items[i].tx.data,
                                        m.u.txs.items[i].tx.len),
                         0);
            tx_compute_txid(txid, &tx);
            cr_assert_eq(memcmp(txid, m.u.txs.items[i].txid, 32), 0,
                         "item %zu is under its true txid", i);
            cr_assert_eq(memcmp(txid, i ? it->valid_id : it->id, 32), 0);
        }
        const char *why[2];
        cr_assert_eq(offer_txs(&w, why, 2, &m), 2);
        cr_assert_str_eq(why[0], "bad-txns-sig");
        cr_assert_str_eq(why[1], round == 0 ? "accepted" : "known");
        cr_assert(mempool_has(w.m, it->valid_id));
        cr_assert_not(mempool_has(w.m, it->id));
        wire_msg_clear(&m);
        attack_out_clear(&out);
    }
    aw_deinit(&w);
}

Test(attack, the_inbox_flood_is_one_replayed_transfer_many_times)
{
    aw_world_t w;
    aw_init(&w);
    const attack_kind_t *k = attack_find("inbox-flood");
    cr_assert_not_null(k);
    cr_assert(attack_refused(k) && k->same_hash);
    attack_out_t out = {0};
    cr_assert_eq(attack_build(k, &w.env, &out), 0);
    cr_assert_eq(out.count, ATTACK_INBOX_FLOOD);
    for (size_t i = 0; i < out.count; i++) {
        const attack_item_t *it = &out.items[i];
        cr_assert_eq(it->channel, ATTACK_GOSSIP);
        cr_assert_eq(it->type, WIRE_NEW_TX);
        cr_assert_eq(memcmp(it->id, out.items[0].id, 32), 0, "one transfer");
        cr_assert_eq(it->bytes.len, out.items[0].bytes.len);
        cr_assert_lt(it->bytes.len, 256, "a small frame");
    }
    attack_out_clear(&out);
    aw_deinit(&w);
}

Test(attack, silent_sybils_ask_for_registrations_and_are_no_refusal)
{
    aw_world_t w;
    aw_init(&w);
    const attack_kind_t *k = attack_find("silent-sybils");
    cr_assert_not_null(k);
    cr_assert_not(attack_refused(k));
    cr_assert_str_eq(k->reason, ATTACK_UNRESPONSIVE);
    attack_out_t out = {0};
    cr_assert_eq(attack_build(k, &w.env, &out), 0);
    cr_assert_eq(out.count, ATTACK_SYBILS_PER_BUILD);
    for (size_t i = 0; i < out.count; i++) {
        cr_assert_eq(out.items[i].channel, ATTACK_SYBIL);
        cr_assert_eq(out.items[i].bytes.len, 0, "nothing to send");
    }
    attack_out_clear(&out);
    size_t n;
    const attack_kind_t *all = attack_kinds(&n);
    for (size_t i = 0; i < n; i++)
        cr_assert(attack_refused(&all[i]) || &all[i] == k, "%s is no refusal",
                  all[i].name);
    aw_deinit(&w);
}
