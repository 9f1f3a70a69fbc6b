/*
 * fuzz_bech32 — bech32_decode, bech32_segwit_decode and bech32_convert_bits
 * (src/core/bech32.c) on arbitrary text, and their encoders on arbitrary data.
 *
 * Properties:
 *   - a string that decodes encodes back (same hrp, data and variant) to
 *     itself in lower case; so does a segwit address;
 *   - decoding with one symbol too little room is ERR_RANGE and writes
 *     nothing; failures write nothing and give a reason;
 *   - encoding arbitrary hrp and data either refuses or gives a string
 *     that decodes back to them;
 *   - regrouping bytes into 5-bit symbols and back is the identity.
 * The first input byte picks the mode; the rest is the text or the data.
 */
#include "fuzz.h"

#include <stdbool.h>

#include "bech32.h"
#include "err.h"

static void decode_text(const char *text)
{
    char lower[BECH32_MAX_LEN + 2];
    size_t n = strlen(text);
    bech32_encoding_t enc = BECH32_ENCODING_NONE;
    char hrp[BECH32_MAX_HRP_LEN + 1];
    uint8_t d[BECH32_MAX_DATA_LEN];
    size_t dlen = sizeof d;
    const char *why = NULL;
    memset(hrp, 0x5a, sizeof hrp);
    int rc = bech32_decode(&enc, hrp, sizeof hrp, d, &dlen, &why, text);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_PARSE && why != NULL);
        FUZZ_CHECK(enc == BECH32_ENCODING_NONE && dlen == sizeof d);
        FUZZ_CHECK((unsigned char)hrp[0] == 0x5a);
        return;
    }
    FUZZ_CHECK(n <= BECH32_MAX_LEN);
    memcpy(lower, text, n + 1);
    fuzz_lower(lower);
    FUZZ_CHECK(enc == BECH32_ENCODING_BECH32 || enc == BECH32_ENCODING_BECH32M);
    FUZZ_CHECK(strlen(hrp) >= 1 && strlen(hrp) + 1 + dlen + 6 == n);
    for (size_t i = 0; i < dlen; i++)
        FUZZ_CHECK(d[i] < 32);

    char again[BECH32_MAX_LEN + 1];
    FUZZ_CHECK(bech32_encode(again, sizeof again, hrp, d, dlen, enc) == 0);
    FUZZ_CHECK(strcmp(again, lower) == 0);
    /* An encoder given one byte too few refuses. */
    FUZZ_CHECK(bech32_encode(again, n, hrp, d, dlen, enc) == ERR_RANGE);

    /* Too little room for the data or the hrp: ERR_RANGE, nothing written. */
    if (dlen > 0) {
        uint8_t small[BECH32_MAX_DATA_LEN];
        size_t slen = dlen - 1;
        bech32_encoding_t e2 = BECH32_ENCODING_NONE;
        memset(small, 0x5a, sizeof small);
        FUZZ_CHECK(bech32_decode(&e2, hrp, sizeof hrp, small, &slen, NULL,
                                 text) == ERR_RANGE);
        FUZZ_CHECK(slen == dlen - 1 && e2 == BECH32_ENCODING_NONE);
        for (size_t i = 0; i < sizeof small; i++)
            FUZZ_CHECK(small[i] == 0x5a);
    }
    char h2[BECH32_MAX_HRP_LEN + 1];
    size_t full = sizeof d;
    FUZZ_CHECK(bech32_decode(&enc, h2, strlen(hrp), d, &full, NULL, text) ==
               ERR_RANGE);

    /* As a segwit address of its own hrp. */
    int version = -1;
    uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
    size_t plen = sizeof prog;
    why = NULL;
    rc = bech32_segwit_decode(&version, prog, &plen, &why, hrp, text);
    if (rc == 0) {
        FUZZ_CHECK(version >= 0 && version <= 16);
        FUZZ_CHECK(plen >= BECH32_SEGWIT_MIN_PROGRAM &&
                   plen <= BECH32_SEGWIT_MAX_PROGRAM);
        FUZZ_CHECK((version == 0) == (enc == BECH32_ENCODING_BECH32));
        FUZZ_CHECK(bech32_segwit_encode(again, sizeof again, hrp, version, prog,
                                        plen) == 0);
        FUZZ_CHECK(strcmp(again, lower) == 0);
        size_t tight = plen - 1;
        FUZZ_CHECK(bech32_segwit_decode(&version, prog, &tight, NULL, hrp,
                                        text) == ERR_RANGE);
    } else {
        FUZZ_CHECK(rc == ERR_PARSE && why != NULL);
        FUZZ_CHECK(version == -1 && plen == sizeof prog);
    }
}

/* Encodes an hrp and symbols taken from the input, then decodes. */
static void encode_data(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    size_t hlen = data[0] % (BECH32_MAX_HRP_LEN + 2);
    bech32_encoding_t enc = (bech32_encoding_t)(data[1] % 3);
    data += 2;
    size -= 2;
    if (hlen > size)
        hlen = size;
    /* The hrp is a C string: it ends at a NUL among its bytes, if any. */
    char hrp[BECH32_MAX_HRP_LEN + 2];
    memcpy(hrp, data, hlen);
    hrp[hlen] = '\0';
    const uint8_t *sym = data + hlen;
    size_t n = size - hlen;
    char out[BECH32_MAX_LEN + 1];
    int rc = bech32_encode(out, sizeof out, hrp, sym, n, enc);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_ARG || rc == ERR_RANGE);
        return;
    }
    FUZZ_CHECK(strlen(out) == strlen(hrp) + 1 + n + 6);
    bech32_encoding_t e2;
    char h2[BECH32_MAX_HRP_LEN + 1];
    uint8_t d2[BECH32_MAX_DATA_LEN];
    size_t d2len = sizeof d2;
    FUZZ_CHECK(bech32_decode(&e2, h2, sizeof h2, d2, &d2len, NULL, out) == 0);
    FUZZ_CHECK(e2 == enc && strcmp(h2, hrp) == 0 && d2len == n);
    FUZZ_CHECK(n == 0 || memcmp(d2, sym, n) == 0);
}

/* Bytes to 5-bit symbols and back, and arbitrary widths. */
static void convert(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    int from = 1 + (data[0] & 7), to = 1 + ((data[0] >> 3) & 7);
    bool pad = data[0] & 0x40;
    data++;
    size--;
    if (size > 64)
        size = 64;
    uint8_t sym[64 * 8 + 1], back[65];
    size_t slen = sizeof sym, blen = sizeof back;
    FUZZ_CHECK(bech32_convert_bits(sym, &slen, 5, data, size, 8, true) == 0);
    FUZZ_CHECK(slen == (size * 8 + 4) / 5);
    FUZZ_CHECK(bech32_convert_bits(back, &blen, 8, sym, slen, 5, false) == 0);
    FUZZ_CHECK(blen == size && memcmp(back, data, size) == 0);

    size_t olen = sizeof sym;
    int rc = bech32_convert_bits(sym, &olen, to, data, size, from, pad);
    FUZZ_CHECK(rc == 0 || rc == ERR_PARSE || rc == ERR_RANGE);
    if (rc == 0) {
        FUZZ_CHECK(olen <= sizeof sym);
        for (size_t i = 0; i < olen; i++)
            FUZZ_CHECK(sym[i] >> to == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    switch (mode % 3) {
    case 0: {
        char *text = fuzz_cstr(data, size);
        if (text)
            decode_text(text);
        free(text);
        break;
    }
    case 1:
        encode_data(data, size);
        break;
    default:
        convert(data, size);
        break;
    }
    return 0;
}
