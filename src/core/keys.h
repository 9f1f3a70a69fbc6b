/*
 * keys — secp256k1 keys and BIP-340 Schnorr signatures.
 *
 * pickaxe signs with libsecp256k1's schnorrsig module. Public keys are BIP-340
 * x-only keys (32 bytes: the x coordinate of a point whose y is even), secret
 * keys are 32-byte big-endian scalars in 1..n-1, signatures are 64 bytes.
 *
 * One secp256k1 context serves the whole process. It is created on first use
 * (under pthread_once), randomized once with 32 bytes from getrandom(2) as
 * blinding against side channels, and never modified afterwards; every call
 * below only reads it, so all of them are thread-safe.
 *
 * A keys_keypair_t holds a secret key. Whoever owns one wipes it with
 * keys_keypair_wipe() (explicit_bzero) when done; secret byte arrays passed
 * in and out are the caller's to wipe. Signing adds 32 fresh random bytes of
 * auxiliary data (BIP-340's aux_rand) to every signature, and checks the
 * signature it made before returning it.
 */
#ifndef PICKAXE_KEYS_H
#define PICKAXE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include "err.h"

#define KEYS_SECRET_LEN 32
#define KEYS_PUBKEY_LEN 32
#define KEYS_SIG_LEN 64

/* A secret key with its public key, as libsecp256k1 caches them. */
typedef struct keys_keypair {
    secp256k1_keypair kp; /* secret; see keys_keypair_wipe() */
} keys_keypair_t;

/**
 * The process-wide context, created and randomized on first call.
 *
 * Returns: a context that must only be used read-only (never randomized or
 *          destroyed by the caller); never NULL (aborts if libsecp256k1
 *          cannot allocate it at start-up).
 * Thread safety: thread-safe.
 */
const secp256k1_context *keys_context(void);

/**
 * Fills a buffer from the kernel's random generator (getrandom(2), which
 * blocks only until the generator is first seeded at boot).
 *
 * Returns: 0; ERR_IO when getrandom fails (out is then unspecified).
 * Out:     out  len random bytes.
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int keys_random(uint8_t *out, size_t len);

/**
 * Checks a secret key: 32 bytes whose big-endian value is in 1..n-1.
 *
 * Returns: true when valid.
 * Thread safety: thread-safe.
 */
bool keys_secret_is_valid(const uint8_t seckey[KEYS_SECRET_LEN]);

/**
 * Makes a new random secret key.
 *
 * Returns: 0; ERR_IO when no randomness is available.
 * Out:     seckey  the secret (the caller wipes it); written only on success.
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int keys_generate_secret(uint8_t seckey[KEYS_SECRET_LEN]);

/**
 * Builds a keypair from a secret key.
 *
 * Returns: 0; ERR_INVALID when the secret is 0 or not below the curve order.
 * Out:     kp      the keypair (wiped on failure).
 * In:      seckey  32 bytes (borrowed; not wiped: the caller owns it).
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int
keys_keypair_from_secret(keys_keypair_t *kp,
                         const uint8_t seckey[KEYS_SECRET_LEN]);

/**
 * Builds a keypair from a new random secret key.
 *
 * Returns: 0; ERR_IO when no randomness is available.
 * Out:     kp  the keypair (wiped on failure).
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int keys_keypair_generate(keys_keypair_t *kp);

/* Wipes a keypair (explicit_bzero). NULL is harmless. Thread-safe. */
void keys_keypair_wipe(keys_keypair_t *kp);

/**
 * Copies out a keypair's secret key, e.g. to store it in a keystore.
 *
 * Out:     seckey  32 bytes (the caller wipes them).
 * In:      kp      a keypair made by this module.
 * Thread safety: thread-safe.
 */
void keys_keypair_secret(uint8_t seckey[KEYS_SECRET_LEN],
                         const keys_keypair_t *kp);

/**
 * A keypair's x-only public key.
 *
 * Out:     pubkey  32 bytes.
 * In:      kp      a keypair made by this module.
 * Thread safety: thread-safe.
 */
void keys_keypair_xonly(uint8_t pubkey[KEYS_PUBKEY_LEN],
                        const keys_keypair_t *kp);

/**
 * The x-only public key of a secret key.
 *
 * Returns: 0; ERR_INVALID when the secret is out of range.
 * Out:     pubkey  32 bytes, written only on success.
 * In:      seckey  32 bytes (borrowed).
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int
keys_pubkey_from_secret(uint8_t pubkey[KEYS_PUBKEY_LEN],
                        const uint8_t seckey[KEYS_SECRET_LEN]);

/**
 * Checks that 32 bytes are a valid x-only public key: an x coordinate below
 * the field size that lies on the curve.
 *
 * Returns: true when valid.
 * Thread safety: thread-safe.
 */
bool keys_xonly_is_valid(const uint8_t pubkey[KEYS_PUBKEY_LEN]);

/**
 * Signs a 32-byte message (BIP-340) with fresh auxiliary randomness.
 *
 * Returns: 0; ERR_IO when no randomness is available; ERR_CRYPTO when
 *          libsecp256k1 fails or the new signature does not verify.
 * Out:     sig  64 bytes, written only on success.
 * In:      kp   the signer's keypair (borrowed).
 *          msg  the 32-byte message, normally a tagged hash.
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int keys_sign(uint8_t sig[KEYS_SIG_LEN], const keys_keypair_t *kp,
                            const uint8_t msg[32]);

/**
 * Signs a 32-byte message (BIP-340) with the given auxiliary data. With the
 * same key, message and aux the signature is always the same, which is what
 * known-answer tests need; everything else should call keys_sign().
 *
 * Returns: 0; ERR_CRYPTO as keys_sign().
 * Out:     sig  64 bytes, written only on success.
 * In:      kp, msg as keys_sign(); aux  32 bytes of auxiliary data.
 * Thread safety: thread-safe.
 */
PX_MUST_CHECK int keys_sign_with_aux(uint8_t sig[KEYS_SIG_LEN],
                                     const keys_keypair_t *kp,
                                     const uint8_t msg[32],
                                     const uint8_t aux[32]);

/**
 * Verifies a BIP-340 signature of a 32-byte message.
 *
 * Returns: true only when pubkey is a valid x-only key and sig is a valid
 *          signature of msg under it.
 * Thread safety: thread-safe.
 */
bool keys_verify(const uint8_t sig[KEYS_SIG_LEN], const uint8_t msg[32],
                 const uint8_t pubkey[KEYS_PUBKEY_LEN]);

#endif
