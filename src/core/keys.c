/*
 * keys — secp256k1 keys and BIP-340 signatures (see keys.h).
 *
 * The context is made once and only read afterwards, which is what makes
 * every function here thread-safe: libsecp256k1 documents that a context may
 * be shared between threads as long as no call modifies it, and only
 * creation, randomization and destruction do. Temporary copies of secrets
 * on the stack are wiped before returning.
 */
#include "keys.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static secp256k1_context *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) {
        fprintf(stderr, "pickaxe: cannot create the secp256k1 context\n");
        abort();
    }
    /* Blinding protects signing against timing and power side channels; a
     * context without it still computes correct results, so a machine
     * without randomness keeps working (and warns). */
    uint8_t seed[32];
    if (keys_random(seed, sizeof seed) != 0 ||
        !secp256k1_context_randomize(ctx, seed))
        log_warn("keys", "could not randomize the secp256k1 context");
    explicit_bzero(seed, sizeof seed);
}

const secp256k1_context *keys_context(void)
{
    pthread_once(&ctx_once, ctx_init);
    return ctx;
}

int keys_random(uint8_t *out, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ERR_IO;
        }
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

bool keys_secret_is_valid(const uint8_t seckey[KEYS_SECRET_LEN])
{
    return secp256k1_ec_seckey_verify(keys_context(), seckey) == 1;
}

int keys_generate_secret(uint8_t seckey[KEYS_SECRET_LEN])
{
    uint8_t s[KEYS_SECRET_LEN];
    /* A random 256-bit value is out of range with probability ~2^-128; the
     * loop is for correctness, not expected to turn twice. */
    do {
        if (keys_random(s, sizeof s) != 0) {
            explicit_bzero(s, sizeof s);
            return ERR_IO;
        }
    } while (!keys_secret_is_valid(s));
    memcpy(seckey, s, sizeof s);
    explicit_bzero(s, sizeof s);
    return 0;
}

int keys_keypair_from_secret(keys_keypair_t *kp,
                             const uint8_t seckey[KEYS_SECRET_LEN])
{
    if (!secp256k1_keypair_create(keys_context(), &kp->kp, seckey)) {
        keys_keypair_wipe(kp);
        return ERR_INVALID;
    }
    return 0;
}

int keys_keypair_generate(keys_keypair_t *kp)
{
    uint8_t s[KEYS_SECRET_LEN];
    int rc = keys_generate_secret(s);
    if (rc == 0)
        rc = keys_keypair_from_secret(kp, s);
    else
        keys_keypair_wipe(kp);
    explicit_bzero(s, sizeof s);
    return rc;
}

void keys_keypair_wipe(keys_keypair_t *kp)
{
    if (kp)
        explicit_bzero(kp, sizeof *kp);
}

void keys_keypair_secret(uint8_t seckey[KEYS_SECRET_LEN],
                         const keys_keypair_t *kp)
{
    /* Cannot fail for a keypair made by secp256k1_keypair_create. */
    int ok = secp256k1_keypair_sec(keys_context(), seckey, &kp->kp);
    (void)ok;
}

void keys_keypair_xonly(uint8_t pubkey[KEYS_PUBKEY_LEN],
                        const keys_keypair_t *kp)
{
    secp256k1_xonly_pubkey xonly;
    if (!secp256k1_keypair_xonly_pub(keys_context(), &xonly, NULL, &kp->kp) ||
        !secp256k1_xonly_pubkey_serialize(keys_context(), pubkey, &xonly)) {
        /* Only an uninitialised keypair gets here: a programmer error. */
        fprintf(stderr, "pickaxe: keys_keypair_xonly on an invalid keypair\n");
        abort();
    }
}

int keys_pubkey_from_secret(uint8_t pubkey[KEYS_PUBKEY_LEN],
                            const uint8_t seckey[KEYS_SECRET_LEN])
{
    keys_keypair_t kp;
    int rc = keys_keypair_from_secret(&kp, seckey);
    if (rc == 0)
        keys_keypair_xonly(pubkey, &kp);
    keys_keypair_wipe(&kp);
    return rc;
}

bool keys_xonly_is_valid(const uint8_t pubkey[KEYS_PUBKEY_LEN])
{
    secp256k1_xonly_pubkey xonly;
    return secp256k1_xonly_pubkey_parse(keys_context(), &xonly, pubkey) == 1;
}

int keys_sign_with_aux(uint8_t sig[KEYS_SIG_LEN], const keys_keypair_t *kp,
                       const uint8_t msg[32], const uint8_t aux[32])
{
    const secp256k1_context *c = keys_context();
    uint8_t s[KEYS_SIG_LEN], pub[KEYS_PUBKEY_LEN];
    if (!secp256k1_schnorrsig_sign32(c, s, msg, &kp->kp, aux))
        return ERR_CRYPTO;
    /* BIP-340 recommends verifying a new signature: a fault during signing
     * could otherwise leak the key through the bad signature. */
    keys_keypair_xonly(pub, kp);
    if (!keys_verify(s, msg, pub))
        return ERR_CRYPTO;
    memcpy(sig, s, sizeof s);
    return 0;
}

int keys_sign(uint8_t sig[KEYS_SIG_LEN], const keys_keypair_t *kp,
              const uint8_t msg[32])
{
    uint8_t aux[32];
    if (keys_random(aux, sizeof aux) != 0)
        return ERR_IO;
    int rc = keys_sign_with_aux(sig, kp, msg, aux);
    explicit_bzero(aux, sizeof aux);
    return rc;
}

bool keys_verify(const uint8_t sig[KEYS_SIG_LEN], const uint8_t msg[32],
                 const uint8_t pubkey[KEYS_PUBKEY_LEN])
{
    const secp256k1_context *c = keys_context();
    secp256k1_xonly_pubkey xonly;
    if (!secp256k1_xonly_pubkey_parse(c, &xonly, pubkey))
        return false;
    return secp256k1_schnorrsig_verify(c, sig, msg, 32, &xonly) == 1;
}
