/*
 * Tests for src/core/hex.c: encoding, strict decoding (exact length, odd
 * length, bad characters, upper case), outputs untouched on failure, and the
 * byte-reversed display of hashes checked against Bitcoin's genesis block id.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "sha256.h"

Test(hex, encode_known_values)
{
    char out[16];
    const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    hex_encode(out, b, sizeof b);
    cr_assert_str_eq(out, "00017f80abff");
    memset(out, 'x', sizeof out);
    hex_encode(out, b, 0);
    cr_assert_str_eq(out, "");
}

Test(hex, round_trip_every_byte_value)
{
    uint8_t all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char text[513];
    hex_encode(text, all, 256);
    cr_assert_eq(strlen(text), 512);
    cr_assert_eq(hex_decode(back, 256, text), 0);
    cr_assert_arr_eq(back, all, 256);
}

Test(hex, decode_accepts_upper_and_mixed_case)
{
    uint8_t out[3];
    cr_assert_eq(hex_decode(out, 3, "ABcdEf"), 0);
    cr_assert_eq(out[0], 0xab);
    cr_assert_eq(out[1], 0xcd);
    cr_assert_eq(out[2], 0xef);
}

Test(hex, decode_requires_exact_length)
{
    uint8_t out[4] = {0x11, 0x22, 0x33, 0x44};
    cr_assert_eq(hex_decode(out, 4, "0102030"), ERR_PARSE);    /* odd, short */
    cr_assert_eq(hex_decode(out, 4, "010203"), ERR_PARSE);     /* short */
    cr_assert_eq(hex_decode(out, 4, "0102030405"), ERR_PARSE); /* long */
    cr_assert_eq(hex_decode(out, 4, ""), ERR_PARSE);
    cr_assert_eq(out[0], 0x11);
    cr_assert_eq(out[3], 0x44);
    cr_assert_eq(hex_decode(out, 0, ""), 0);
    cr_assert_eq(hex_decode(out, 0, "00"), ERR_PARSE);
}

Test(hex, decode_refuses_bad_characters_and_writes_nothing)
{
    const char *bad[] = {"0g000000", "000000G0", "00 00000",     "0x000000",
                         "-1000000", "000000:0", "00000\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint8_t out[4] = {0x11, 0x22, 0x33, 0x44};
        cr_assert_eq(hex_decode(out, 4, bad[i]), ERR_PARSE, "%s", bad[i]);
        /* Valid leading bytes are not written either. */
        cr_assert_eq(out[0], 0x11, "%s", bad[i]);
        cr_assert_eq(out[2], 0x33, "%s", bad[i]);
    }
}

Test(hex, decode_alloc)
{
    uint8_t *p = NULL;
    size_t n = 99;
    cr_assert_eq(hex_decode_alloc(&p, &n, "deadBEEF"), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(p[0], 0xde);
    cr_assert_eq(p[3], 0xef);
    free(p);

    p = NULL;
    cr_assert_eq(hex_decode_alloc(&p, &n, ""), 0);
    cr_assert_eq(n, 0);
    free(p);

    p = NULL;
    n = 99;
    cr_assert_eq(hex_decode_alloc(&p, &n, "abc"), ERR_PARSE);
    cr_assert_eq(hex_decode_alloc(&p, &n, "zz"), ERR_PARSE);
    cr_assert_eq(hex_decode_alloc(&p, &n, "00zz"), ERR_PARSE);
    cr_assert_null(p);
    cr_assert_eq(n, 99);
}

Test(hex, hashes_are_shown_byte_reversed)
{
    uint8_t h[32];
    for (int i = 0; i < 32; i++)
        h[i] = (uint8_t)i;
    char text[HEX_HASH_LEN + 1];
    hex_from_hash(text, h);
    cr_assert_str_eq(text,
                     "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706"
                     "050403020100");
    uint8_t back[32];
    cr_assert_eq(hex_to_hash(back, text), 0);
    cr_assert_arr_eq(back, h, 32);
}

Test(hex, bitcoin_genesis_block_id)
{
    /* SHA256d of the genesis header, shown as Bitcoin shows block ids. */
    const char *hdr =
        "0100000000000000000000000000000000000000000000000000000000000000"
        "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
        "4b1e5e4a29ab5f49ffff001d1dac2b7c";
    uint8_t raw[80], hash[32], parsed[32];
    cr_assert_eq(hex_decode(raw, 80, hdr), 0);
    sha256d(hash, raw, 80);
    char text[HEX_HASH_LEN + 1];
    hex_from_hash(text, hash);
    const char *id =
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    cr_assert_str_eq(text, id);
    cr_assert_eq(hex_to_hash(parsed, id), 0);
    cr_assert_arr_eq(parsed, hash, 32);
    cr_assert_eq(parsed[0], 0x6f); /* stored order: the display's last byte */
}

Test(hex, hex_to_hash_refuses_bad_text)
{
    uint8_t h[32];
    memset(h, 0x5a, sizeof h);
    char text[70];
    memset(text, '0', 64);
    text[64] = '\0';
    text[63] = 'x';
    cr_assert_eq(hex_to_hash(h, text), ERR_PARSE);
    text[63] = '0';
    text[63] = '\0'; /* 63 characters */
    cr_assert_eq(hex_to_hash(h, text), ERR_PARSE);
    text[63] = '0';
    text[64] = '0';
    text[65] = '0';
    text[66] = '\0'; /* 66 characters */
    cr_assert_eq(hex_to_hash(h, text), ERR_PARSE);
    for (int i = 0; i < 32; i++)
        cr_assert_eq(h[i], 0x5a);
}
