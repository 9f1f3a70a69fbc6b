/*
 * chain_rig — the chain tests' shared fixture (see chain_rig.h).
 */
#include "chain_rig.h"

#include <criterion/criterion.h>

#include "err.h"
#include "state.h"

fx_key_t ch_alice, ch_bob, ch_carol, ch_miner;

void ch_setup(void)
{
    fx_key(&ch_alice, 1);
    fx_key(&ch_bob, 2);
    fx_key(&ch_carol, 3);
    fx_key(&ch_miner, 4);
}

uint64_t ch_balance(const chain_t *c, const uint8_t key[32])
{
    account_t a;
    state_get(chain_state(c), &a, key);
    return a.balance;
}

chain_t *ch_funded_chain(int blocks, const chain_callbacks_t *cb)
{
    chain_t *c = fx_chain(cb);
    for (int i = 0; i < blocks; i++)
        fx_extend(c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    return c;
}

void ch_expect_refused(chain_t *c, const block_t *b, const char *reason)
{
    const char *why = NULL;
    int rc = chain_add_block(c, &why, b);
    cr_assert_eq(rc, ERR_INVALID, "expected %s, got rc %d (%s)", reason, rc,
                 why ? why : "-");
    cr_assert_str_eq(why, reason);
}
