/*
 * sha256 — SHA-256 and double SHA-256 through OpenSSL's EVP interface.
 *
 * This is the reference hash of the consensus code (block ids, txids, merkle
 * trees, signature messages). The miner has its own batched kernels and checks
 * them against this one. Thread-safe: each thread uses its own cached digest
 * context.
 */
#ifndef PICKAXE_SHA256_H
#define PICKAXE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* out = SHA256(data). Aborts only if OpenSSL itself is broken. */
void sha256(uint8_t out[SHA256_LEN], const void *data, size_t len);

/* out = SHA256(SHA256(data)). out may alias data. */
void sha256d(uint8_t out[SHA256_LEN], const void *data, size_t len);

/* out = SHA256(SHA256(a || b)), the merkle tree's inner node. */
void sha256d_pair(uint8_t out[SHA256_LEN], const uint8_t a[SHA256_LEN],
                  const uint8_t b[SHA256_LEN]);

/* Incremental hashing over several pieces. */
typedef struct sha256_stream sha256_stream_t;
/* Returns a new stream, or NULL when out of memory. */
sha256_stream_t *sha256_stream_new(void);
void sha256_stream_update(sha256_stream_t *s, const void *data, size_t len);
/* Writes the digest and resets the stream for reuse. */
void sha256_stream_final(sha256_stream_t *s, uint8_t out[SHA256_LEN]);
/* Frees *s (NULL is harmless) and clears the pointer. */
void sha256_stream_free(sha256_stream_t **s);

#endif
