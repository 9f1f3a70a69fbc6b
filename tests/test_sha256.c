/*
 * Tests for src/core/sha256.c: NIST FIPS 180-4 example vectors (SHA-256 of
 * "abc", the 448-bit two-block message, one million 'a') and double SHA-256 of
 * a real Bitcoin header.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hex.h"
#include "sha256.h"

static void expect_hex(const uint8_t *digest, const char *want)
{
    char got[65];
    hex_encode(got, digest, 32);
    cr_assert_str_eq(got, want);
}

Test(sha256, nist_abc)
{
    uint8_t d[32];
    sha256(d, "abc", 3);
    expect_hex(
        d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, nist_empty)
{
    uint8_t d[32];
    sha256(d, "", 0);
    expect_hex(
        d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, nist_two_blocks)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t d[32];
    sha256(d, m, strlen(m));
    expect_hex(
        d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, nist_million_a_streamed)
{
    sha256_stream_t *s = sha256_stream_new();
    cr_assert_not_null(s);
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 1000; i++)
        sha256_stream_update(s, chunk, sizeof chunk);
    uint8_t d[32];
    sha256_stream_final(s, d);
    expect_hex(
        d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    sha256_stream_free(&s);
    cr_assert_null(s);
    sha256_stream_free(&s); /* NULL is harmless */
}

Test(sha256, double_sha256_of_bitcoin_genesis_header)
{
    const char *hdr =
        "0100000000000000000000000000000000000000000000000000000000000000"
        "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
        "4b1e5e4a29ab5f49ffff001d1dac2b7c";
    uint8_t raw[80], d[32];
    cr_assert_eq(hex_decode(raw, 80, hdr), 0);
    sha256d(d, raw, 80);
    char shown[65];
    hex_from_hash(shown, d);
    cr_assert_str_eq(
        shown,
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}

Test(sha256, pair_equals_concatenation)
{
    uint8_t a[32], b[32], ab[64], x[32], y[32];
    for (int i = 0; i < 32; i++) {
        a[i] = (uint8_t)i;
        b[i] = (uint8_t)(255 - i);
    }
    memcpy(ab, a, 32);
    memcpy(ab + 32, b, 32);
    sha256d_pair(x, a, b);
    sha256d(y, ab, 64);
    cr_assert_arr_eq(x, y, 32);
}
