/*
 * Tests for src/core/address.c: a known answer (BIP-350's v1 address of the
 * generator's x coordinate), round trips on both networks, every refusal
 * reason, and that every single-character typo and every swap of adjacent
 * characters is refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "address.h"
#include "bech32.h"
#include "err.h"
#include "hex.h"
#include "keys.h"

/* x of the secp256k1 generator: a valid x-only key. */
static const char *gx =
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

static void key(uint8_t out[32], const char *hex)
{
    cr_assert_eq(hex_decode(out, 32, hex), 0);
}

static void expect_refused(const char *hrp, const char *text, const char *want)
{
    uint8_t pk[32];
    memset(pk, 0xaa, sizeof pk);
    const char *reason = NULL;
    cr_assert_eq(address_decode(pk, &reason, hrp, text), ERR_PARSE,
                 "accepted \"%s\"", text);
    cr_assert_not_null(reason);
    cr_assert_str_eq(reason, want, "\"%s\"", text);
    for (int i = 0; i < 32; i++)
        cr_assert_eq(pk[i], 0xaa, "key written on failure");
}

Test(address, known_answer_matches_bip350_vector)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "bc", pk), 0);
    cr_assert_str_eq(
        out, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
}

Test(address, round_trip_on_both_networks)
{
    const char *hrps[] = {ADDRESS_HRP_DEMO, ADDRESS_HRP_REGTEST};
    for (int n = 0; n < 2; n++) {
        for (int i = 0; i < 10; i++) {
            keys_keypair_t kp;
            cr_assert_eq(keys_keypair_generate(&kp), 0);
            uint8_t pk[32], back[32];
            keys_keypair_xonly(pk, &kp);
            keys_keypair_wipe(&kp);
            char out[ADDRESS_MAX_LEN];
            cr_assert_eq(address_encode(out, sizeof out, hrps[n], pk), 0);
            cr_assert_eq(strlen(out), strlen(hrps[n]) + 60);
            cr_assert_eq(strncmp(out, hrps[n], strlen(hrps[n])), 0);
            cr_assert_eq(out[strlen(hrps[n])], '1');
            cr_assert_eq(out[strlen(hrps[n]) + 1], 'p'); /* version 1 */
            const char *reason = NULL;
            cr_assert_eq(address_decode(back, &reason, hrps[n], out), 0,
                         "%s: %s", out, reason);
            cr_assert_arr_eq(back, pk, 32);
        }
    }
}

Test(address, upper_case_is_accepted)
{
    uint8_t pk[32], back[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    cr_assert_eq(address_decode(back, NULL, "px", out), 0);
    cr_assert_arr_eq(back, pk, 32);
}

Test(address, encode_buffer_and_hrp_checks)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, 63, "px", pk), 0); /* 62 chars + NUL */
    cr_assert_eq(address_encode(out, 62, "px", pk), ERR_RANGE);
    cr_assert_eq(address_encode(out, sizeof out, "PX", pk), ERR_ARG);
    cr_assert_eq(address_encode(out, sizeof out, "", pk), ERR_ARG);
}

Test(address, wrong_network_prefix)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "pxrt", pk), 0);
    expect_refused("px", out, "wrong network prefix");
    cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
    expect_refused("pxrt", out, "wrong network prefix");
    /* A Bitcoin address is for another network too. */
    expect_refused("px",
                   "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqz"
                   "k5jj0",
                   "wrong network prefix");
    expect_refused("px", "1p0xlxvlhemja6c4dqv", "wrong network prefix");
}

Test(address, bad_checksum)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
    out[10] = out[10] == 'q' ? 'p' : 'q';
    expect_refused("px", out, "bad checksum (mistyped character?)");

    /* Version 1 with a bech32 (not bech32m) checksum. */
    uint8_t data[1 + 52];
    size_t n = 52;
    data[0] = 1;
    cr_assert_eq(bech32_convert_bits(data + 1, &n, 5, pk, 32, 8, true), 0);
    cr_assert_eq(bech32_encode(out, sizeof out, "px", data, n + 1,
                               BECH32_ENCODING_BECH32),
                 0);
    expect_refused("px", out, "bad checksum (mistyped character?)");
}

Test(address, wrong_version)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 0, pk, 32), 0);
    expect_refused("px", out, "wrong version");
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 2, pk, 32), 0);
    expect_refused("px", out, "wrong version");
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 16, pk, 32), 0);
    expect_refused("px", out, "wrong version");
}

Test(address, wrong_length)
{
    uint8_t pk[40] = {0};
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 1, pk, 20), 0);
    expect_refused("px", out, "wrong length");
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 1, pk, 33), 0);
    expect_refused("px", out, "wrong length");
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "px", 1, pk, 31), 0);
    expect_refused("px", out, "wrong length");
    /* Too short to hold even a version and a checksum. */
    expect_refused("px", "px1qqqq", "wrong length");
}

Test(address, mixed_case_and_bad_characters)
{
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
    char t[ADDRESS_MAX_LEN];

    /* One upper-case letter in the data part. */
    strcpy(t, out);
    char *letter = t + 3;
    while (*letter < 'a' || *letter > 'z')
        letter++;
    *letter = (char)(*letter - 32);
    expect_refused("px", t, "mixed case");
    /* An upper-case prefix with a lower-case rest. */
    strcpy(t, out);
    t[0] = 'P';
    expect_refused("px", t, "mixed case");

    const char not_in_alphabet[] = {'b', 'i', 'o', '1'};
    for (size_t k = 0; k < sizeof not_in_alphabet; k++) {
        strcpy(t, out);
        t[30] = not_in_alphabet[k];
        /* A '1' moves the separator, so the prefix is then wrong. */
        expect_refused("px", t,
                       not_in_alphabet[k] == '1' ? "wrong network prefix"
                                                 : "bad character");
    }
    strcpy(t, out);
    t[30] = ' ';
    expect_refused("px", t, "bad character");
    t[30] = (char)0xc3; /* a UTF-8 lead byte */
    expect_refused("px", t, "bad character");
}

Test(address, empty_long_and_separator)
{
    expect_refused("px", "", "empty address");
    char t[100];
    memset(t, 'q', 91);
    t[91] = '\0';
    t[2] = '1';
    t[0] = 'p';
    t[1] = 'x';
    expect_refused("px", t, "address too long");
    expect_refused("px", "pxqqqqqqqqqqqqq", "missing separator");
}

Test(address, not_a_valid_public_key)
{
    uint8_t pk[32];
    /* BIP-340 vector 5's key is not on the curve; vector 14's exceeds the
     * field size. */
    const char *bad[] = {
        "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
    };
    for (int i = 0; i < 2; i++) {
        key(pk, bad[i]);
        char out[ADDRESS_MAX_LEN];
        cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
        expect_refused("px", out, "not a valid public key");
    }
}

Test(address, every_single_character_typo_is_refused)
{
    static const char alphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    uint8_t pk[32];
    key(pk, gx);
    char out[ADDRESS_MAX_LEN], t[ADDRESS_MAX_LEN];
    cr_assert_eq(address_encode(out, sizeof out, "px", pk), 0);
    size_t len = strlen(out);
    size_t tried = 0;
    for (size_t pos = 0; pos < len; pos++) {
        for (int k = 0; k < 32; k++) {
            if (alphabet[k] == out[pos])
                continue;
            strcpy(t, out);
            t[pos] = alphabet[k];
            uint8_t got[32];
            cr_assert_neq(address_decode(got, NULL, "px", t), 0,
                          "typo accepted: %s", t);
            tried++;
        }
    }
    cr_assert_gt(tried, 61 * 30);
    /* Swapping two adjacent, different characters. */
    for (size_t pos = 0; pos + 1 < len; pos++) {
        if (out[pos] == out[pos + 1])
            continue;
        strcpy(t, out);
        t[pos] = out[pos + 1];
        t[pos + 1] = out[pos];
        uint8_t got[32];
        cr_assert_neq(address_decode(got, NULL, "px", t), 0,
                      "swap accepted: %s", t);
    }
}
