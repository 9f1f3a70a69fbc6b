/*
 * Tests for src/core/bech32.c: every test vector of BIP-350 (valid and invalid
 * bech32m strings, valid and invalid segwit addresses) and of BIP-173 (valid
 * and invalid bech32 strings, valid and invalid segwit addresses, whose v1+
 * entries BIP-350 turned invalid), plus bit conversion, encoder argument
 * checks, substitution detection and random input.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bech32.h"
#include "err.h"
#include "hex.h"

static void lowercase(char *out, const char *in)
{
    size_t i = 0;
    for (; in[i]; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
    out[i] = '\0';
}

/* Decodes, checks the variant, re-encodes and compares case-insensitively. */
static void check_valid(const char *s, bech32_encoding_t want)
{
    bech32_encoding_t enc = BECH32_ENCODING_NONE;
    char hrp[BECH32_MAX_HRP_LEN + 1];
    uint8_t data[BECH32_MAX_DATA_LEN];
    size_t dlen = sizeof data;
    const char *reason = NULL;
    int rc = bech32_decode(&enc, hrp, sizeof hrp, data, &dlen, &reason, s);
    cr_assert_eq(rc, 0, "%s: %s", s, reason ? reason : "?");
    cr_assert_eq(enc, want, "%s: wrong variant", s);

    char again[BECH32_MAX_LEN + 1], low[BECH32_MAX_LEN + 1];
    cr_assert_eq(bech32_encode(again, sizeof again, hrp, data, dlen, enc), 0,
                 "%s", s);
    lowercase(low, s);
    cr_assert_str_eq(again, low);
}

static void check_invalid(const char *s, const char *want_reason)
{
    bech32_encoding_t enc = BECH32_ENCODING_NONE;
    char hrp[BECH32_MAX_HRP_LEN + 1] = "untouched";
    uint8_t data[BECH32_MAX_DATA_LEN];
    size_t dlen = sizeof data;
    const char *reason = NULL;
    int rc = bech32_decode(&enc, hrp, sizeof hrp, data, &dlen, &reason, s);
    cr_assert_eq(rc, ERR_PARSE, "accepted invalid string \"%s\"", s);
    cr_assert_not_null(reason);
    cr_assert(strstr(reason, want_reason) != NULL,
              "\"%s\": reason \"%s\", expected \"%s\"", s, reason, want_reason);
    cr_assert_str_eq(hrp, "untouched", "output written on failure");
    cr_assert_eq(dlen, sizeof data, "output written on failure");
}

/* ---- BIP-350: bech32m strings
 * ------------------------------------------------ */

static const char *bip350_valid[] = {
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioa"
    "ndnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
    "llllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
};

Test(bech32, bip350_valid_bech32m)
{
    for (size_t i = 0; i < sizeof bip350_valid / sizeof *bip350_valid; i++)
        check_valid(bip350_valid[i], BECH32_ENCODING_BECH32M);
}

static const struct {
    const char *s;
    const char *reason;
} bip350_invalid[] = {
    {"\x20"
     "1xj0phk",
     "out of range"},
    {"\x7f"
     "1g6xzxy",
     "out of range"},
    {"\x80"
     "1vctc34",
     "out of range"},
    {"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersb"
     "ioandnumber11d6pts4",
     "too long"},
    {"qyrz8wqd2c9m", "no separator"},
    {"1qyrz8wqd2c9m", "empty human-readable part"},
    {"y1b0jsk6g", "invalid data character"},
    {"lt1igcx5c0", "invalid data character"},
    {"in1muywd", "checksum too short"},
    {"mm1crxm3i", "invalid character in checksum"},
    {"au1s5cgom", "invalid character in checksum"},
    {"M1VUXWEZ", "bad checksum"}, /* checksum over the upper-case hrp */
    {"16plkw9", "empty human-readable part"},
    {"1p2gdwpf", "empty human-readable part"},
};

Test(bech32, bip350_invalid_bech32m)
{
    for (size_t i = 0; i < sizeof bip350_invalid / sizeof *bip350_invalid; i++)
        check_invalid(bip350_invalid[i].s, bip350_invalid[i].reason);
}

/* ---- BIP-173: bech32 strings
 * ------------------------------------------------- */

static const char *bip173_valid[] = {
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcha"
    "ractersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
    "qqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
};

Test(bech32, bip173_valid_bech32)
{
    for (size_t i = 0; i < sizeof bip173_valid / sizeof *bip173_valid; i++)
        check_valid(bip173_valid[i], BECH32_ENCODING_BECH32);
}

static const struct {
    const char *s;
    const char *reason;
} bip173_invalid[] = {
    {"\x20"
     "1nwldj5",
     "out of range"},
    {"\x7f"
     "1axkwrx",
     "out of range"},
    {"\x80"
     "1eym55h",
     "out of range"},
    {"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedc"
     "haractersbio1569pvx",
     "too long"},
    {"pzry9x0s0muk", "no separator"},
    {"1pzry9x0s0muk", "empty human-readable part"},
    {"x1b4n0q5v", "invalid data character"},
    {"li1dgmt3", "checksum too short"},
    {"de1lg7wt\xff", "out of range"},
    {"A1G7SGD8", "bad checksum"},
    {"10a06t8", "empty human-readable part"},
    {"1qzzfhee", "empty human-readable part"},
};

Test(bech32, bip173_invalid_bech32)
{
    for (size_t i = 0; i < sizeof bip173_invalid / sizeof *bip173_invalid; i++)
        check_invalid(bip173_invalid[i].s, bip173_invalid[i].reason);
}

Test(bech32, long_vectors_sit_at_the_90_character_limit)
{
    /* The vectors above that test the limit must be exactly at it (or one
     * past it), or they would test nothing. */
    cr_assert_eq(strlen(bip350_valid[2]), 90);
    cr_assert_eq(strlen(bip350_valid[4]), 90);
    cr_assert_eq(strlen(bip173_valid[2]), 90);
    cr_assert_eq(strlen(bip173_valid[4]), 90);
    cr_assert_eq(strlen(bip350_invalid[3].s), 91);
    cr_assert_eq(strlen(bip173_invalid[3].s), 91);
}

/* ---- segwit addresses
 * --------------------------------------------------------- */

/* The scriptPubKey of a witness output: OP_n, push length, program. */
static void script_pubkey_hex(char *out, int version, const uint8_t *prog,
                              size_t len)
{
    uint8_t spk[2 + BECH32_SEGWIT_MAX_PROGRAM];
    spk[0] = version ? (uint8_t)(0x50 + version) : 0;
    spk[1] = (uint8_t)len;
    memcpy(spk + 2, prog, len);
    hex_encode(out, spk, len + 2);
}

static void check_segwit_valid(const char *addr, const char *spk_hex)
{
    char hrp[BECH32_MAX_HRP_LEN + 1];
    lowercase(hrp, addr);
    *strrchr(hrp, '1') = '\0';

    int version = -1;
    uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
    size_t plen = sizeof prog;
    const char *reason = NULL;
    int rc = bech32_segwit_decode(&version, prog, &plen, &reason, hrp, addr);
    cr_assert_eq(rc, 0, "%s: %s", addr, reason ? reason : "?");
    char got[2 * (2 + BECH32_SEGWIT_MAX_PROGRAM) + 1];
    script_pubkey_hex(got, version, prog, plen);
    cr_assert_str_eq(got, spk_hex, "%s", addr);

    char again[BECH32_MAX_LEN + 1], low[BECH32_MAX_LEN + 1];
    cr_assert_eq(
        bech32_segwit_encode(again, sizeof again, hrp, version, prog, plen), 0);
    lowercase(low, addr);
    cr_assert_str_eq(again, low);
}

static void check_segwit_invalid(const char *addr)
{
    static const char *hrps[] = {"bc", "tb"};
    for (size_t i = 0; i < 2; i++) {
        int version = -1;
        uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
        size_t plen = sizeof prog;
        const char *reason = NULL;
        int rc =
            bech32_segwit_decode(&version, prog, &plen, &reason, hrps[i], addr);
        cr_assert_eq(rc, ERR_PARSE, "accepted %s for %s", addr, hrps[i]);
        cr_assert_not_null(reason);
        cr_assert_eq(version, -1);
        cr_assert_eq(plen, sizeof prog);
    }
}

static const struct {
    const char *addr;
    const char *spk;
} bip350_segwit_valid[] = {
    {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
     "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
    {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
    {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5n"
     "d6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b"
     "3a323f1433bd6"},
    {"BC1SW50QGDZ25J", "6002751e"},
    {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
     "5210751e76e8199196d454941c45d1b3a323"},
    {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
    {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
    {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
};

Test(bech32, bip350_valid_segwit_addresses)
{
    for (size_t i = 0;
         i < sizeof bip350_segwit_valid / sizeof *bip350_segwit_valid; i++)
        check_segwit_valid(bip350_segwit_valid[i].addr,
                           bip350_segwit_valid[i].spk);
}

static const char *bip350_segwit_invalid[] = {
    /* Invalid human-readable part */
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    /* Invalid checksums (Bech32 instead of Bech32m) */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    /* Invalid checksums (Bech32m instead of Bech32) */
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    /* Invalid character in checksum */
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    /* Invalid witness version */
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    /* Invalid program length (1 byte) */
    "bc1pw5dgrnzv",
    /* Invalid program length (41 bytes) */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253z"
    "geav",
    /* Invalid program length for witness version 0 (per BIP141) */
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    /* Mixed case */
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    /* zero padding of more than 4 bits */
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    /* Non-zero padding in 8-to-5 conversion */
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    /* Empty data section */
    "bc1gmk9yu",
};

Test(bech32, bip350_invalid_segwit_addresses)
{
    for (size_t i = 0;
         i < sizeof bip350_segwit_invalid / sizeof *bip350_segwit_invalid; i++)
        check_segwit_invalid(bip350_segwit_invalid[i]);
}

Test(bech32, bip350_invalid_segwit_reasons)
{
    /* The rule each vector breaks is the one reported. */
    const struct {
        const char *hrp, *addr, *reason;
    } cases[] = {
        {"bc", bip350_segwit_invalid[0], "wrong human-readable part"},
        {"bc", bip350_segwit_invalid[1], "must use bech32m"},
        {"bc", bip350_segwit_invalid[4], "must use bech32"},
        {"bc", bip350_segwit_invalid[6], "invalid character in checksum"},
        {"bc", bip350_segwit_invalid[7], "invalid witness version"},
        {"bc", bip350_segwit_invalid[8], "invalid program length"},
        {"bc", bip350_segwit_invalid[9], "invalid program length"},
        {"bc", bip350_segwit_invalid[10], "for witness version 0"},
        {"tb", bip350_segwit_invalid[11], "mixed case"},
        {"bc", bip350_segwit_invalid[12], "invalid padding"},
        {"tb", bip350_segwit_invalid[13], "invalid padding"},
        {"bc", bip350_segwit_invalid[14], "empty data section"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int v;
        uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
        size_t plen = sizeof prog;
        const char *reason = NULL;
        cr_assert_eq(bech32_segwit_decode(&v, prog, &plen, &reason,
                                          cases[i].hrp, cases[i].addr),
                     ERR_PARSE);
        cr_assert(strstr(reason, cases[i].reason) != NULL,
                  "%s: got \"%s\", expected \"%s\"", cases[i].addr, reason,
                  cases[i].reason);
    }
}

Test(bech32, bip173_valid_v0_segwit_addresses)
{
    check_segwit_valid("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                       "0014751e76e8199196d454941c45d1b3a323f1433bd6");
    check_segwit_valid(
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262");
    check_segwit_valid(
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433");
}

Test(bech32, bip173_v1plus_addresses_are_invalid_after_bip350)
{
    /* BIP-173 listed these as valid; with bech32 checksums on v1+ programs
     * they are refused now, while their strings remain valid bech32. */
    static const char *old[] = {
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7"
        "grplx",
        "BC1SW50QA3JX3S",
        "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
    };
    for (size_t i = 0; i < 3; i++) {
        check_valid(old[i], BECH32_ENCODING_BECH32);
        check_segwit_invalid(old[i]);
    }
}

Test(bech32, bip173_invalid_segwit_addresses)
{
    static const char *bad[] = {
        "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
        "bc1rw5uspcuh",
        "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw"
        "5rljs90",
        "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
        "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
        "bc1gmk9yu",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check_segwit_invalid(bad[i]);
}

/* ---- encoder arguments and bit conversion
 * ------------------------------------ */

Test(bech32, encode_refuses_bad_arguments)
{
    char out[BECH32_MAX_LEN + 1];
    uint8_t data[BECH32_MAX_LEN] = {0};
    cr_assert_eq(
        bech32_encode(out, sizeof out, "", data, 1, BECH32_ENCODING_BECH32M),
        ERR_ARG);
    cr_assert_eq(
        bech32_encode(out, sizeof out, "Px", data, 1, BECH32_ENCODING_BECH32M),
        ERR_ARG);
    cr_assert_eq(
        bech32_encode(out, sizeof out, "p x", data, 1, BECH32_ENCODING_BECH32M),
        ERR_ARG);
    cr_assert_eq(
        bech32_encode(out, sizeof out, "px", data, 1, BECH32_ENCODING_NONE),
        ERR_ARG);
    data[0] = 32;
    cr_assert_eq(
        bech32_encode(out, sizeof out, "px", data, 1, BECH32_ENCODING_BECH32M),
        ERR_ARG);
    data[0] = 0;
    /* 2 + 1 + 82 + 6 = 91 characters: one too many; 81 fits exactly. */
    cr_assert_eq(
        bech32_encode(out, sizeof out, "px", data, 82, BECH32_ENCODING_BECH32M),
        ERR_ARG);
    cr_assert_eq(
        bech32_encode(out, sizeof out, "px", data, 81, BECH32_ENCODING_BECH32M),
        0);
    cr_assert_eq(strlen(out), 90);
    /* Output buffer one byte short of the string and its NUL. */
    cr_assert_eq(
        bech32_encode(out, 90, "px", data, 81, BECH32_ENCODING_BECH32M),
        ERR_RANGE);
    /* Empty data: "px" + "1" + six checksum characters. */
    cr_assert_eq(bech32_encode(out, 9, "px", NULL, 0, BECH32_ENCODING_BECH32M),
                 ERR_RANGE);
    cr_assert_eq(bech32_encode(out, 10, "px", NULL, 0, BECH32_ENCODING_BECH32M),
                 0);
    cr_assert_eq(strlen(out), 9);
}

Test(bech32, decode_reports_small_buffers)
{
    char hrp[3];
    uint8_t data[4];
    size_t dlen = sizeof data;
    bech32_encoding_t enc;
    cr_assert_eq(bech32_decode(&enc, hrp, sizeof hrp, data, &dlen, NULL,
                               "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx"),
                 ERR_RANGE);
}

/* Found by tests/fuzz/fuzz_address (tests/fuzz/corpus/address/crash-*): a
 * string of at most 90 characters whose last '1' comes after the 84th
 * character has an hrp longer than BECH32_MAX_HRP_LEN, and the decoder used
 * to copy that hrp into its 84-byte scratch buffer before noticing that too
 * little was left for a checksum: a stack overflow of up to 6 bytes. It must
 * be refused, and the ASan build of this test would catch the overflow. */
Test(bech32, hrp_longer_than_83_characters_is_refused)
{
    for (size_t hlen = BECH32_MAX_HRP_LEN + 1; hlen < BECH32_MAX_LEN; hlen++) {
        char s[BECH32_MAX_LEN + 1];
        memset(s, 'a', hlen);
        s[hlen] = '1';
        memset(s + hlen + 1, 'q', BECH32_MAX_LEN - hlen - 1);
        s[BECH32_MAX_LEN] = '\0';
        check_invalid(s, "checksum too short");
        int v = -1;
        uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
        size_t plen = sizeof prog;
        const char *reason = NULL;
        cr_assert_eq(bech32_segwit_decode(&v, prog, &plen, &reason, "bc", s),
                     ERR_PARSE);
        cr_assert_not_null(reason);
    }
}

Test(bech32, convert_bits_round_trip_and_padding)
{
    uint8_t bytes[32], five[52], back[32];
    for (int i = 0; i < 32; i++)
        bytes[i] = (uint8_t)(i * 37 + 11);
    size_t n5 = sizeof five, n8 = sizeof back;
    cr_assert_eq(bech32_convert_bits(five, &n5, 5, bytes, 32, 8, true), 0);
    cr_assert_eq(n5, 52); /* ceil(256 / 5) */
    for (size_t i = 0; i < n5; i++)
        cr_assert_lt(five[i], 32);
    cr_assert_eq(bech32_convert_bits(back, &n8, 8, five, n5, 5, false), 0);
    cr_assert_eq(n8, 32);
    cr_assert_arr_eq(back, bytes, 32);

    /* Non-zero padding bits are refused. */
    uint8_t tweaked[52];
    memcpy(tweaked, five, sizeof tweaked);
    tweaked[51] ^= 1; /* 256 = 51*5 + 1: the last symbol has 4 padding bits */
    n8 = sizeof back;
    cr_assert_eq(bech32_convert_bits(back, &n8, 8, tweaked, 52, 5, false),
                 ERR_PARSE);
    /* Five bytes are exactly eight symbols; a ninth, zero symbol would be
     * five bits of padding, more than the four allowed. */
    uint8_t nine[9];
    size_t n9 = 8;
    cr_assert_eq(bech32_convert_bits(nine, &n9, 5, bytes, 5, 8, true), 0);
    cr_assert_eq(n9, 8);
    nine[8] = 0;
    n8 = sizeof back;
    cr_assert_eq(bech32_convert_bits(back, &n8, 8, nine, 8, 5, false), 0);
    cr_assert_eq(n8, 5);
    n8 = sizeof back;
    cr_assert_eq(bech32_convert_bits(back, &n8, 8, nine, 9, 5, false),
                 ERR_PARSE);
    /* An input value wider than from_bits is refused. */
    uint8_t wide[2] = {31, 32};
    n8 = sizeof back;
    cr_assert_eq(bech32_convert_bits(back, &n8, 8, wide, 2, 5, false),
                 ERR_PARSE);
    /* Too small an output is reported, and nothing is written. */
    uint8_t small[10];
    memset(small, 0xaa, sizeof small);
    n5 = sizeof small;
    cr_assert_eq(bech32_convert_bits(small, &n5, 5, bytes, 32, 8, true),
                 ERR_RANGE);
    for (size_t i = 0; i < sizeof small; i++)
        cr_assert_eq(small[i], 0xaa);
    cr_assert_eq(bech32_convert_bits(small, &n5, 9, bytes, 1, 8, true),
                 ERR_ARG);
}

Test(bech32, segwit_encode_refuses_bad_programs)
{
    char out[BECH32_MAX_LEN + 1];
    uint8_t prog[41] = {0};
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 17, prog, 32),
                 ERR_ARG);
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 0, prog, 21),
                 ERR_ARG);
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 1, prog, 1),
                 ERR_ARG);
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 1, prog, 41),
                 ERR_ARG);
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 1, prog, 40), 0);
    cr_assert_eq(bech32_segwit_encode(out, sizeof out, "bc", 16, prog, 2), 0);
}

/* ---- error detection
 * ----------------------------------------------------------- */

Test(bech32, every_single_substitution_is_detected)
{
    /* BCH distance guarantees detection of any one substituted character. */
    static const char alphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const char *good =
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
    char s[BECH32_MAX_LEN + 1];
    size_t len = strlen(good);
    for (size_t pos = 3; pos < len; pos++) {
        for (int k = 0; k < 32; k++) {
            if (alphabet[k] == good[pos])
                continue;
            memcpy(s, good, len + 1);
            s[pos] = alphabet[k];
            char hrp[8];
            uint8_t data[BECH32_MAX_DATA_LEN];
            size_t dlen = sizeof data;
            bech32_encoding_t enc;
            cr_assert_eq(
                bech32_decode(&enc, hrp, sizeof hrp, data, &dlen, NULL, s),
                ERR_PARSE, "substitution accepted: %s", s);
        }
    }
}

Test(bech32, random_strings_never_crash)
{
    srand(350);
    for (int i = 0; i < 20000; i++) {
        char s[100];
        int len = rand() % 96;
        for (int j = 0; j < len; j++) {
            /* Mostly valid characters, so some strings get deep. */
            static const char pool[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l1QPbc";
            s[j] = rand() % 8 ? pool[rand() % (sizeof pool - 1)]
                              : (char)(1 + rand() % 255);
        }
        s[len] = '\0';
        char hrp[BECH32_MAX_HRP_LEN + 1];
        uint8_t data[BECH32_MAX_DATA_LEN];
        size_t dlen = sizeof data;
        bech32_encoding_t enc;
        const char *reason = NULL;
        int rc = bech32_decode(&enc, hrp, sizeof hrp, data, &dlen, &reason, s);
        cr_assert(rc == 0 || (rc == ERR_PARSE && reason != NULL));
        int v;
        uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
        size_t plen = sizeof prog;
        rc = bech32_segwit_decode(&v, prog, &plen, &reason, "bc", s);
        cr_assert(rc == 0 || (rc == ERR_PARSE && reason != NULL));
    }
}
