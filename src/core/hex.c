/*
 * hex — hexadecimal text for bytes and hashes (see hex.h).
 */
#include "hex.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

static const char digits[] = "0123456789abcdef";

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(char *out, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

static int decode_into(uint8_t *out, const char *hex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ERR_PARSE;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int hex_decode(uint8_t *out, size_t out_len, const char *hex)
{
    if (strlen(hex) != 2 * out_len)
        return ERR_PARSE;
    uint8_t *tmp = malloc(out_len ? out_len : 1);
    if (!tmp)
        return ERR_NOMEM;
    int rc = decode_into(tmp, hex, out_len);
    if (rc == 0)
        memcpy(out, tmp, out_len);
    free(tmp);
    return rc;
}

int hex_decode_alloc(uint8_t **out, size_t *out_len, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2)
        return ERR_PARSE;
    uint8_t *p = malloc(n / 2 ? n / 2 : 1);
    if (!p)
        return ERR_NOMEM;
    int rc = decode_into(p, hex, n / 2);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    *out_len = n / 2;
    return 0;
}

void hex_from_hash(char out[HEX_HASH_LEN + 1], const uint8_t hash[32])
{
    uint8_t rev[32];
    for (int i = 0; i < 32; i++)
        rev[i] = hash[31 - i];
    hex_encode(out, rev, 32);
}

int hex_to_hash(uint8_t hash[32], const char *hex)
{
    uint8_t rev[32];
    int rc = hex_decode(rev, 32, hex);
    if (rc)
        return rc;
    for (int i = 0; i < 32; i++)
        hash[i] = rev[31 - i];
    return 0;
}
