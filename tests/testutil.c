/*
 * testutil — deterministic keys and signed transfers for the tests (see
 * testutil.h).
 */
#include "testutil.h"
#include "bytes.h"
#include "sha256.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdlib.h>
#include <string.h>

static secp256k1_context *ctx(void)
{
    static secp256k1_context *c;
    if (!c && !(c = secp256k1_context_create(SECP256K1_CONTEXT_NONE)))
        abort();
    return c;
}

void testutil_key(testutil_key_t *k, uint32_t seed)
{
    uint8_t in[20] = "pickaxe-test-key";
    le32_put(in + 16, seed);
    sha256(k->seckey, in, sizeof in);
    while (!secp256k1_ec_seckey_verify(ctx(), k->seckey))
        sha256(k->seckey, k->seckey, 32);
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xpub;
    if (!secp256k1_keypair_create(ctx(), &kp, k->seckey) ||
        !secp256k1_keypair_xonly_pub(ctx(), &xpub, NULL, &kp) ||
        !secp256k1_xonly_pubkey_serialize(ctx(), k->pub, &xpub))
        abort();
}

void testutil_sign(tx_t *tx, const testutil_key_t *k,
                   const uint8_t network_id[32])
{
    uint8_t msg[32];
    secp256k1_keypair kp;
    tx_sighash(msg, tx, network_id);
    /* No auxiliary randomness: signatures are deterministic, which keeps
     * test runs reproducible. */
    if (!secp256k1_keypair_create(ctx(), &kp, k->seckey) ||
        !secp256k1_schnorrsig_sign32(ctx(), tx->sig, msg, &kp, NULL))
        abort();
}

void testutil_transfer(tx_t *tx, const testutil_key_t *from,
                       const uint8_t to[32], uint64_t amount, uint64_t fee,
                       uint64_t nonce, const uint8_t network_id[32])
{
    tx_init_transfer(tx, from->pub, to, amount, fee, nonce);
    testutil_sign(tx, from, network_id);
}
