/*
 * The consensus library on its own: this program is compiled with only
 * src/core/ on its include path and linked with only libpickaxe-core.a,
 * OpenSSL and libsecp256k1 (see the Makefile), so it fails to build when
 * the core grows a dependency on another layer or library. It uses the
 * library as a reader of the code would: a regtest chain, a signed
 * transfer, a mined block, the balances after it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "address.h"
#include "chain.h"
#include "err.h"
#include "keys.h"
#include "params.h"
#include "template.h"
#include "tx.h"

static void mine_on_tip(chain_t *c, const uint8_t miner[32], const tx_t *txs,
                        size_t n)
{
    block_t b;
    const chain_node_t *tip = chain_tip(c);
    cr_assert_eq(template_build(&b, c, tip, miner, txs, n,
                                tip->block.header.time + 1, 0),
                 0);
    cr_assert_eq(template_solve(&b), 0);
    const char *why = NULL;
    cr_assert_eq(chain_add_block(c, &why, &b), 0, "refused: %s",
                 why ? why : "-");
    block_deinit(&b);
}

Test(core_alone, a_chain_a_transfer_and_balances)
{
    const params_t *p = params_regtest();
    chain_config_t cfg = {.params = p, .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);

    uint8_t alice_secret[32], alice[32], bob_secret[32], bob[32];
    memset(alice_secret, 0x11, 32);
    memset(bob_secret, 0x22, 32);
    cr_assert_eq(keys_pubkey_from_secret(alice, alice_secret), 0);
    cr_assert_eq(keys_pubkey_from_secret(bob, bob_secret), 0);

    mine_on_tip(c, alice, NULL, 0);
    tx_t t;
    tx_init_transfer(&t, alice, bob, 3 * COIN, 1000, 0);
    cr_assert_eq(tx_sign_with_secret(&t, alice_secret, p->network_id), 0);
    mine_on_tip(c, bob, &t, 1);

    account_t a, b;
    state_get(chain_state(c), &a, alice);
    state_get(chain_state(c), &b, bob);
    uint64_t subsidy = params_block_subsidy(p, 1);
    cr_assert_eq(chain_height(c), 2);
    cr_assert_eq(a.balance, subsidy - 3 * COIN - 1000);
    cr_assert_eq(a.nonce, 1);
    cr_assert_eq(b.balance, params_block_subsidy(p, 2) + 1000 + 3 * COIN);

    char addr[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(addr, sizeof addr, p->hrp, bob), 0);
    uint8_t back[32];
    cr_assert_eq(address_decode(back, NULL, p->hrp, addr), 0);
    cr_assert_arr_eq(back, bob, 32);
    chain_free(&c);
}
