/*
 * sha256 — SHA-256 through OpenSSL EVP (see sha256.h).
 *
 * The digest algorithm is fetched once per process and each thread keeps one
 * EVP_MD_CTX, so a hash costs no allocation after the first in a thread.
 * OpenSSL failures here can only mean a broken library, which no caller could
 * recover from, so they abort with a message.
 */
#include "sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sha256_stream {
    EVP_MD_CTX *ctx;
};

static EVP_MD *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local EVP_MD_CTX *thread_ctx;
static pthread_key_t ctx_key;

static void die(const char *what)
{
    fprintf(stderr, "pickaxe: OpenSSL %s failed\n", what);
    abort();
}

static void free_thread_ctx(void *p)
{
    EVP_MD_CTX_free(p);
}

static void md_init(void)
{
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!md_sha256)
        die("SHA256 fetch");
    if (pthread_key_create(&ctx_key, free_thread_ctx) != 0)
        die("thread key");
}

static const EVP_MD *md(void)
{
    pthread_once(&md_once, md_init);
    return md_sha256;
}

static EVP_MD_CTX *ctx_for_thread(void)
{
    if (!thread_ctx) {
        md();
        thread_ctx = EVP_MD_CTX_new();
        if (!thread_ctx)
            die("context allocation");
        /* Registered so the context is freed when the thread exits. */
        pthread_setspecific(ctx_key, thread_ctx);
    }
    return thread_ctx;
}

static void hash2(uint8_t out[SHA256_LEN], const void *a, size_t alen,
                  const void *b, size_t blen)
{
    EVP_MD_CTX *c = ctx_for_thread();
    unsigned int n = 0;
    if (EVP_DigestInit_ex(c, md(), NULL) != 1 ||
        EVP_DigestUpdate(c, a, alen) != 1 ||
        (blen && EVP_DigestUpdate(c, b, blen) != 1) ||
        EVP_DigestFinal_ex(c, out, &n) != 1 || n != SHA256_LEN)
        die("SHA256");
}

void sha256(uint8_t out[SHA256_LEN], const void *data, size_t len)
{
    hash2(out, data, len, NULL, 0);
}

void sha256d(uint8_t out[SHA256_LEN], const void *data, size_t len)
{
    uint8_t t[SHA256_LEN];
    hash2(t, data, len, NULL, 0);
    hash2(out, t, SHA256_LEN, NULL, 0);
}

void sha256d_pair(uint8_t out[SHA256_LEN], const uint8_t a[SHA256_LEN],
                  const uint8_t b[SHA256_LEN])
{
    uint8_t t[SHA256_LEN];
    hash2(t, a, SHA256_LEN, b, SHA256_LEN);
    hash2(out, t, SHA256_LEN, NULL, 0);
}

sha256_stream_t *sha256_stream_new(void)
{
    sha256_stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || EVP_DigestInit_ex(s->ctx, md(), NULL) != 1) {
        EVP_MD_CTX_free(s->ctx);
        free(s);
        return NULL;
    }
    return s;
}

void sha256_stream_update(sha256_stream_t *s, const void *data, size_t len)
{
    if (EVP_DigestUpdate(s->ctx, data, len) != 1)
        die("SHA256 update");
}

void sha256_stream_final(sha256_stream_t *s, uint8_t out[SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 ||
        EVP_DigestInit_ex(s->ctx, md(), NULL) != 1)
        die("SHA256 final");
}

void sha256_stream_free(sha256_stream_t **s)
{
    if (!s || !*s)
        return;
    EVP_MD_CTX_free((*s)->ctx);
    free(*s);
    *s = NULL;
}
