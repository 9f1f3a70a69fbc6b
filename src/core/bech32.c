/*
 * bech32 — BIP-173/BIP-350 strings and segwit-style addresses (see
 * bech32.h).
 *
 * The checksum is the BCH code of BIP-173: the hrp is expanded to its high
 * bits, a zero, and its low bits, then the polymod over that and the data is
 * 1 for bech32 and 0x2bc830a3 for bech32m. Decoding checks the whole string
 * (length, case, character range, separator, alphabet) before the checksum,
 * so each refusal names the first rule the string breaks.
 */
#include "bech32.h"
#include "err.h"

#include <string.h>

#define BECH32M_CONST 0x2bc830a3u
#define CHECKSUM_LEN 6

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* Reverse of charset for lower-case letters and digits; -1 elsewhere. */
static int charset_rev(char c)
{
    const char *p = c ? strchr(charset, c) : NULL;
    return p ? (int)(p - charset) : -1;
}

static uint32_t polymod_step(uint32_t pre)
{
    uint8_t b = (uint8_t)(pre >> 25);
    return ((pre & 0x1ffffffu) << 5) ^ (-((b >> 0) & 1u) & 0x3b6a57b2u) ^
           (-((b >> 1) & 1u) & 0x26508e6du) ^ (-((b >> 2) & 1u) & 0x1ea119fau) ^
           (-((b >> 3) & 1u) & 0x3d4233ddu) ^ (-((b >> 4) & 1u) & 0x2a1462b3u);
}

/* Polymod of the expanded hrp (lower case, hrp_len characters) alone. */
static uint32_t polymod_hrp(const char *hrp, size_t hrp_len)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk) ^ ((uint8_t)hrp[i] >> 5);
    chk = polymod_step(chk);
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk) ^ ((uint8_t)hrp[i] & 31);
    return chk;
}

static uint32_t encoding_const(bech32_encoding_t enc)
{
    return enc == BECH32_ENCODING_BECH32M ? BECH32M_CONST : 1u;
}

int bech32_encode(char *out, size_t out_len, const char *hrp,
                  const uint8_t *data, size_t data_len, bech32_encoding_t enc)
{
    if (enc != BECH32_ENCODING_BECH32 && enc != BECH32_ENCODING_BECH32M)
        return ERR_ARG;
    size_t hrp_len = strlen(hrp);
    if (hrp_len < 1 || hrp_len > BECH32_MAX_HRP_LEN ||
        data_len > BECH32_MAX_LEN - hrp_len - 1 - CHECKSUM_LEN)
        return ERR_ARG;
    for (size_t i = 0; i < hrp_len; i++) {
        unsigned char c = (unsigned char)hrp[i];
        if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
            return ERR_ARG;
    }
    for (size_t i = 0; i < data_len; i++)
        if (data[i] > 31)
            return ERR_ARG;
    size_t total = hrp_len + 1 + data_len + CHECKSUM_LEN;
    if (out_len < total + 1)
        return ERR_RANGE;

    uint32_t chk = polymod_hrp(hrp, hrp_len);
    for (size_t i = 0; i < data_len; i++)
        chk = polymod_step(chk) ^ data[i];
    for (int i = 0; i < CHECKSUM_LEN; i++)
        chk = polymod_step(chk);
    chk ^= encoding_const(enc);

    char *p = out;
    memcpy(p, hrp, hrp_len);
    p += hrp_len;
    *p++ = '1';
    for (size_t i = 0; i < data_len; i++)
        *p++ = charset[data[i]];
    for (int i = 0; i < CHECKSUM_LEN; i++)
        *p++ = charset[(chk >> (5 * (CHECKSUM_LEN - 1 - i))) & 31];
    *p = '\0';
    return 0;
}

static int refuse(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return ERR_PARSE;
}

bech32_shape_t bech32_shape(const char *str, size_t *hrp_len)
{
    size_t len = strlen(str);
    if (len > BECH32_MAX_LEN)
        return BECH32_SHAPE_TOO_LONG;
    bool lower = false, upper = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (c < 33 || c > 126)
            return BECH32_SHAPE_BAD_CHAR;
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper)
        return BECH32_SHAPE_MIXED_CASE;
    const char *sep = strrchr(str, '1');
    if (!sep)
        return BECH32_SHAPE_NO_SEPARATOR;
    *hrp_len = (size_t)(sep - str);
    return BECH32_SHAPE_OK;
}

int bech32_decode(bech32_encoding_t *enc, char *hrp, size_t hrp_len,
                  uint8_t *data, size_t *data_len, const char **reason,
                  const char *str)
{
    size_t hlen = 0;
    switch (bech32_shape(str, &hlen)) {
    case BECH32_SHAPE_OK:
        break;
    case BECH32_SHAPE_TOO_LONG:
        return refuse(reason, "too long (more than 90 characters)");
    case BECH32_SHAPE_BAD_CHAR:
        return refuse(reason, "character out of range");
    case BECH32_SHAPE_MIXED_CASE:
        return refuse(reason, "mixed case");
    case BECH32_SHAPE_NO_SEPARATOR:
        return refuse(reason, "no separator '1'");
    }
    if (hlen == 0)
        return refuse(reason, "empty human-readable part");
    const char *sep = str + hlen;
    size_t dlen = strlen(str) - hlen - 1;

    /* Lower-case copies of the hrp and the symbols, checked before the sum.
     * The hrp is not yet known to fit BECH32_MAX_HRP_LEN: only the checksum
     * length check below implies it, so h holds any hrp of a string within
     * BECH32_MAX_LEN (an 84-byte h overflowed on "aaa...a1qqqqq"). */
    char h[BECH32_MAX_LEN];
    uint8_t d[BECH32_MAX_LEN];
    for (size_t i = 0; i < hlen; i++) {
        char c = str[i];
        h[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    h[hlen] = '\0';
    for (size_t i = 0; i < dlen; i++) {
        char c = sep[1 + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        int v = charset_rev(c);
        if (v < 0)
            return refuse(reason, i + CHECKSUM_LEN >= dlen
                                      ? "invalid character in checksum"
                                      : "invalid data character");
        d[i] = (uint8_t)v;
    }
    if (dlen < CHECKSUM_LEN)
        return refuse(reason, "checksum too short");

    uint32_t chk = polymod_hrp(h, hlen);
    for (size_t i = 0; i < dlen; i++)
        chk = polymod_step(chk) ^ d[i];
    bech32_encoding_t found = chk == 1u              ? BECH32_ENCODING_BECH32
                              : chk == BECH32M_CONST ? BECH32_ENCODING_BECH32M
                                                     : BECH32_ENCODING_NONE;
    if (found == BECH32_ENCODING_NONE)
        return refuse(reason, "bad checksum");

    if (hrp_len < hlen + 1 || *data_len < dlen - CHECKSUM_LEN)
        return ERR_RANGE;
    *enc = found;
    memcpy(hrp, h, hlen + 1);
    if (dlen > CHECKSUM_LEN)
        memcpy(data, d, dlen - CHECKSUM_LEN);
    *data_len = dlen - CHECKSUM_LEN;
    return 0;
}

int bech32_convert_bits(uint8_t *out, size_t *out_len, int to_bits,
                        const uint8_t *in, size_t in_len, int from_bits,
                        bool pad)
{
    if (from_bits < 1 || from_bits > 8 || to_bits < 1 || to_bits > 8)
        return ERR_ARG;
    const uint32_t maxv = (1u << to_bits) - 1;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    /* First pass validates and counts, so out is written only on success. */
    for (int pass = 0; pass < 2; pass++) {
        acc = 0;
        bits = 0;
        n = 0;
        for (size_t i = 0; i < in_len; i++) {
            if (in[i] >> from_bits)
                return ERR_PARSE;
            acc = (acc << from_bits | in[i]) & 0xffffu;
            bits += from_bits;
            while (bits >= to_bits) {
                bits -= to_bits;
                if (pass)
                    out[n] = (uint8_t)((acc >> bits) & maxv);
                n++;
            }
        }
        if (pad) {
            if (bits) {
                if (pass)
                    out[n] = (uint8_t)((acc << (to_bits - bits)) & maxv);
                n++;
            }
        } else if (bits >= from_bits || ((acc << (to_bits - bits)) & maxv)) {
            return ERR_PARSE;
        }
        if (!pass && n > *out_len)
            return ERR_RANGE;
    }
    *out_len = n;
    return 0;
}

int bech32_segwit_encode(char *out, size_t out_len, const char *hrp,
                         int version, const uint8_t *program, size_t prog_len)
{
    if (version < 0 || version > 16 || prog_len < BECH32_SEGWIT_MIN_PROGRAM ||
        prog_len > BECH32_SEGWIT_MAX_PROGRAM ||
        (version == 0 && prog_len != 20 && prog_len != 32))
        return ERR_ARG;
    uint8_t data[1 + (BECH32_SEGWIT_MAX_PROGRAM * 8 + 4) / 5];
    size_t n = sizeof data - 1;
    data[0] = (uint8_t)version;
    int rc = bech32_convert_bits(data + 1, &n, 5, program, prog_len, 8, true);
    if (rc)
        return rc;
    return bech32_encode(out, out_len, hrp, data, n + 1,
                         version == 0 ? BECH32_ENCODING_BECH32
                                      : BECH32_ENCODING_BECH32M);
}

int bech32_segwit_decode(int *version, uint8_t *program, size_t *prog_len,
                         const char **reason, const char *hrp, const char *addr)
{
    bech32_encoding_t enc;
    char h[BECH32_MAX_HRP_LEN + 1];
    uint8_t data[BECH32_MAX_DATA_LEN];
    size_t dlen = sizeof data;
    int rc = bech32_decode(&enc, h, sizeof h, data, &dlen, reason, addr);
    if (rc)
        return rc;
    if (strcmp(h, hrp) != 0)
        return refuse(reason, "wrong human-readable part");
    if (dlen == 0)
        return refuse(reason, "empty data section");
    if (data[0] > 16)
        return refuse(reason, "invalid witness version");

    uint8_t prog[BECH32_MAX_DATA_LEN * 5 / 8];
    size_t plen = sizeof prog;
    if (bech32_convert_bits(prog, &plen, 8, data + 1, dlen - 1, 5, false))
        return refuse(reason, "invalid padding");
    if (plen < BECH32_SEGWIT_MIN_PROGRAM || plen > BECH32_SEGWIT_MAX_PROGRAM)
        return refuse(reason, "invalid program length");
    if (data[0] == 0 && plen != 20 && plen != 32)
        return refuse(reason, "invalid program length for witness version 0");
    if ((data[0] == 0) != (enc == BECH32_ENCODING_BECH32))
        return refuse(reason, data[0] == 0
                                  ? "witness version 0 must use bech32"
                                  : "witness version 1+ must use bech32m");
    if (*prog_len < plen)
        return ERR_RANGE;
    *version = data[0];
    memcpy(program, prog, plen);
    *prog_len = plen;
    return 0;
}
