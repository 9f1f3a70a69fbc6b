/*
 * sha256_openssl — the reference kernel: OpenSSL's EVP SHA-256, one nonce at
 * a time, used as the yardstick the other kernels are measured against.
 *
 * It is given the same head start a careful single-stream miner would take:
 * the context after the first 64 header bytes is kept and copied for each
 * nonce (EVP_MD_CTX_copy_ex), so each nonce costs the second block of the
 * first hash plus the second hash, all inside OpenSSL (which uses SHA-NI or
 * AVX2 itself where the CPU has them). No early exit: every hash is full.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "kernel_impl.h"

static void die(const char *what)
{
    fprintf(stderr, "pickaxe: OpenSSL %s failed\n", what);
    abort();
}

/* Fetched once: an implicit fetch (EVP_sha256()) would look the algorithm
 * up in the provider store, under a lock, on every EVP_DigestInit_ex, which
 * costs time and makes threads contend. */
static EVP_MD *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

uint64_t sha256_openssl_scan(const kernel_job_t *job, uint32_t start,
                             uint64_t count, kernel_hit_fn fn, void *arg)
{
    pthread_once(&md_once, md_fetch);
    const EVP_MD *md = md_sha256;
    if (!md)
        die("SHA256 fetch");
    EVP_MD_CTX *mid = EVP_MD_CTX_new(), *c = EVP_MD_CTX_new();
    if (!mid || !c || EVP_DigestInit_ex(mid, md, NULL) != 1 ||
        EVP_DigestUpdate(mid, job->header, 64) != 1)
        die("context setup");
    uint8_t tail[16], h1[32], h2[32];
    memcpy(tail, job->header + 64, 12);
    uint64_t done = count;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t nonce = (uint32_t)(start + i);
        unsigned int n;
        le32_put(tail + 12, nonce);
        if (EVP_MD_CTX_copy_ex(c, mid) != 1 ||
            EVP_DigestUpdate(c, tail, sizeof tail) != 1 ||
            EVP_DigestFinal_ex(c, h1, &n) != 1 ||
            EVP_DigestInit_ex(c, md, NULL) != 1 ||
            EVP_DigestUpdate(c, h1, sizeof h1) != 1 ||
            EVP_DigestFinal_ex(c, h2, &n) != 1)
            die("SHA256");
        if (kernel_hash_meets(h2, job->target) && !fn(arg, nonce, h2)) {
            done = i + 1;
            break;
        }
    }
    EVP_MD_CTX_free(c);
    EVP_MD_CTX_free(mid);
    return done;
}
