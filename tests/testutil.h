/*
 * testutil — helpers shared by the unit tests (linked into every test
 * binary through the Makefile's TEST_HELPERS): deterministic BIP-340 keys
 * and signed transfers.
 *
 * Keys are derived from a small integer seed, so a test names its actors
 * ("key 1 pays key 2") and gets the same keys on every run. Signing uses
 * libsecp256k1 directly over tx_sighash(), the message tx_verify_signature()
 * checks, so these helpers do not depend on the wallet's key code.
 *
 * Failures of libsecp256k1 (which cannot happen with valid seeds) abort():
 * the helpers stay independent of the test framework.
 *
 * Not thread-safe (a lazily created, process-wide signing context); tests
 * run one per process.
 */
#ifndef PICKAXE_TESTUTIL_H
#define PICKAXE_TESTUTIL_H

#include <stdint.h>

#include "tx.h"

typedef struct {
    uint8_t seckey[32];
    uint8_t pub[32]; /* x-only public key: a sender or recipient */
} testutil_key_t;

/* Out: k, the key derived from seed (SHA-256 of "pickaxe-test-key" || seed,
 * re-hashed until valid). */
void testutil_key(testutil_key_t *k, uint32_t seed);

/* Signs tx (a transfer whose sender is k->pub) for network_id, in place. */
void testutil_sign(tx_t *tx, const testutil_key_t *k,
                   const uint8_t network_id[32]);

/* Out: tx, a transfer from `from` to `to`, signed for network_id. */
void testutil_transfer(tx_t *tx, const testutil_key_t *from,
                       const uint8_t to[32], uint64_t amount, uint64_t fee,
                       uint64_t nonce, const uint8_t network_id[32]);

#endif
