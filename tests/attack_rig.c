/*
 * attack_rig — the attack tests' shared world (see attack_rig.h).
 */
#include "attack_rig.h"

#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "state.h"
#include "wire.h"

void aw_init(aw_world_t *w)
{
    memset(w, 0, sizeof *w);
    w->c = fx_chain(NULL);
    w->m = mempool_new(params_regtest()->network_id, 1000);
    cr_assert_not_null(w->m);
    fx_key(&w->miner, 1);
    fx_key(&w->user, 2);
    fx_key_t adv;
    fx_key(&adv, 3);
    w->env.params = params_regtest();
    w->env.chain = w->c;
    memcpy(w->env.secret, adv.secret, 32);
    memcpy(w->env.pub, adv.pub, 32);
    w->env.now = (int64_t)time(NULL);

    const chain_node_t *tip = chain_tip(w->c);
    for (int i = 0; i < 3; i++)
        tip = fx_extend(w->c, tip, w->user.pub, NULL, 0, 100 + i);
    tx_t t;
    fx_transfer(&t, params_regtest(), &w->user, w->miner.pub, 5 * COIN, 10, 0);
    tip = fx_extend(w->c, tip, w->miner.pub, &t, 1, 200);

    /* The adversary funds itself the way pickaxe-adversary does. */
    attack_out_t out = {0};
    cr_assert_eq(attack_build_funding(&w->env, &out), 0);
    block_t b;
    cr_assert_eq(
        block_parse(&b, out.items[0].bytes.data, out.items[0].bytes.len), 0);
    cr_assert_eq(chain_add_block(w->c, NULL, &b), 0);
    block_deinit(&b);
    attack_out_clear(&out);
    cr_assert_eq(attack_build_funding(&w->env, &out), 0);
    cr_assert_eq(out.items[0].type, WIRE_NEW_TX);
    tx_t spend;
    cr_assert_eq(
        tx_parse_bytes(&spend, out.items[0].bytes.data, out.items[0].bytes.len),
        0);
    cr_assert_eq(mempool_add(w->m, NULL, chain_state(w->c), &spend), 0,
                 "the funding transfer is valid");
    attack_out_clear(&out);
    tip = fx_extend(w->c, chain_tip(w->c), w->miner.pub, &spend, 1, 300);
    cr_assert(attack_funded(&w->env));
    cr_assert_eq(attack_build_funding(&w->env, &out), ERR_DUPLICATE);

    for (int i = 0; i < 8; i++)
        tip = fx_extend(w->c, tip, w->miner.pub, NULL, 0, 400 + i);
    mempool_free(&w->m);
    w->m = mempool_new(params_regtest()->network_id, 1000);
}

void aw_deinit(aw_world_t *w)
{
    mempool_free(&w->m);
    chain_free(&w->c);
}
