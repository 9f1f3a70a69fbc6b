/*
 * address — pickaxe addresses over bech32m (see address.h).
 *
 * Decoding checks the text in the order a person reads it (length, characters,
 * case, separator, network prefix) before the checksum, so the reason given
 * is the most useful one: an address for another network says so instead of
 * reporting a checksum failure, and only a typo in the data part is reported
 * as a bad checksum. The key is checked last, against the curve.
 */
#include "address.h"
#include "bech32.h"
#include "err.h"
#include "keys.h"

#include <stdbool.h>
#include <string.h>

int address_encode(char *out, size_t out_len, const char *hrp,
                   const uint8_t pubkey[32])
{
    return bech32_segwit_encode(out, out_len, hrp, ADDRESS_VERSION, pubkey, 32);
}

static int refuse(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return ERR_PARSE;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The rules bech32_decode() applies first (bech32_shape), in the
 * address's own words, then the network prefix and the alphabet. */
static int precheck(const char **reason, const char *hrp, const char *text)
{
    if (!text[0])
        return refuse(reason, "empty address");
    size_t hlen = 0;
    switch (bech32_shape(text, &hlen)) {
    case BECH32_SHAPE_OK:
        break;
    case BECH32_SHAPE_TOO_LONG:
        return refuse(reason, "address too long");
    case BECH32_SHAPE_BAD_CHAR:
        return refuse(reason, "bad character");
    case BECH32_SHAPE_MIXED_CASE:
        return refuse(reason, "mixed case");
    case BECH32_SHAPE_NO_SEPARATOR:
        return refuse(reason, "missing separator");
    }
    const char *sep = text + hlen;
    if (hlen == 0 || hlen != strlen(hrp))
        return refuse(reason, "wrong network prefix");
    for (size_t i = 0; i < hlen; i++)
        if (lower(text[i]) != hrp[i])
            return refuse(reason, "wrong network prefix");
    static const char alphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    for (const char *p = sep + 1; *p; p++)
        if (!strchr(alphabet, lower(*p)))
            return refuse(reason, "bad character");
    /* Version symbol plus checksum is the least a decodable address has. */
    if (strlen(sep + 1) < 1 + 6)
        return refuse(reason, "wrong length");
    return 0;
}

int address_decode(uint8_t pubkey[32], const char **reason, const char *hrp,
                   const char *text)
{
    int rc = precheck(reason, hrp, text);
    if (rc)
        return rc;

    bech32_encoding_t enc;
    char h[BECH32_MAX_HRP_LEN + 1];
    uint8_t data[BECH32_MAX_DATA_LEN];
    size_t dlen = sizeof data;
    if (bech32_decode(&enc, h, sizeof h, data, &dlen, NULL, text) != 0)
        return refuse(reason, "bad checksum (mistyped character?)");
    if (data[0] != ADDRESS_VERSION)
        return refuse(reason, "wrong version");
    /* A version-1 string with a bech32 checksum is BIP-350 invalid. */
    if (enc != BECH32_ENCODING_BECH32M)
        return refuse(reason, "bad checksum (mistyped character?)");

    uint8_t prog[BECH32_MAX_DATA_LEN];
    size_t plen = sizeof prog;
    if (bech32_convert_bits(prog, &plen, 8, data + 1, dlen - 1, 5, false) ||
        plen != 32)
        return refuse(reason, "wrong length");
    if (!keys_xonly_is_valid(prog))
        return refuse(reason, "not a valid public key");
    memcpy(pubkey, prog, 32);
    return 0;
}
