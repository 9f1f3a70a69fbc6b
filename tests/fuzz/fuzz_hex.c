/*
 * fuzz_hex — hex_decode, hex_decode_alloc and hex_to_hash (src/core/hex.c) on
 * arbitrary text. Hex reaches the node from users (rpc "submit", hashes in
 * queries) and the wallet page.
 *
 * Properties: the three decoders agree with each other and with a plain
 * definition of hex; what decodes encodes back to the input in lower case
 * (hashes byte-reversed); a refused input leaves the output untouched.
 */
#include "fuzz.h"

#include <stdbool.h>

#include "err.h"
#include "hex.h"

static bool is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
              (*s >= 'A' && *s <= 'F')))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    size_t n = strlen(text);
    bool valid = n % 2 == 0 && is_hex(text);
    char *lower = strdup(text);
    char *again = malloc(n + 2);
    if (!lower || !again)
        goto out;
    fuzz_lower(lower);

    uint8_t *bytes = NULL;
    size_t blen = 0;
    int rc = hex_decode_alloc(&bytes, &blen, text);
    FUZZ_CHECK((rc == 0) == valid);
    if (rc == 0) {
        FUZZ_CHECK(blen == n / 2);
        hex_encode(again, bytes, blen);
        FUZZ_CHECK(strcmp(again, lower) == 0);
    } else {
        FUZZ_CHECK(rc == ERR_PARSE);
        FUZZ_CHECK(bytes == NULL && blen == 0);
    }

    /* hex_decode with the exact length agrees with hex_decode_alloc; with
     * any other length it refuses and writes nothing. */
    size_t cap = n / 2 + 1;
    uint8_t *out = malloc(cap);
    if (out) {
        memset(out, 0xa5, cap);
        rc = hex_decode(out, n / 2, text);
        FUZZ_CHECK((rc == 0) == valid);
        if (rc == 0)
            FUZZ_CHECK(memcmp(out, bytes, blen) == 0);
        else
            for (size_t i = 0; i < n / 2; i++)
                FUZZ_CHECK(out[i] == 0xa5);
        FUZZ_CHECK(out[n / 2] == 0xa5);
        if (n % 2 == 0 && n >= 2) {
            memset(out, 0xa5, cap);
            FUZZ_CHECK(hex_decode(out, n / 2 - 1, text) == ERR_PARSE);
            for (size_t i = 0; i < cap; i++)
                FUZZ_CHECK(out[i] == 0xa5);
        }
        free(out);
    }

    uint8_t hash[32];
    memset(hash, 0xa5, sizeof hash);
    rc = hex_to_hash(hash, text);
    FUZZ_CHECK((rc == 0) == (valid && n == 64));
    if (rc == 0) {
        char shown[HEX_HASH_LEN + 1];
        hex_from_hash(shown, hash);
        FUZZ_CHECK(strcmp(shown, lower) == 0);
        for (int i = 0; i < 32; i++)
            FUZZ_CHECK(hash[i] == bytes[31 - i]);
    } else {
        for (int i = 0; i < 32; i++)
            FUZZ_CHECK(hash[i] == 0xa5);
    }
    free(bytes);
out:
    free(again);
    free(lower);
    free(text);
    return 0;
}
