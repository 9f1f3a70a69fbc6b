/*
 * fuzz_address — address_decode (src/core/address.c): the recipient a person
 * types into the wallet page or the cli, checked by the wallet service and
 * by the node's "balance" query.
 *
 * Properties:
 *   - an accepted address is a valid x-only key that encodes back to the
 *     input in lower case, for the network's hrp;
 *   - address_decode agrees with the generic decoder: it accepts exactly the
 *     version-1, 32-byte segwit addresses of the hrp (bech32m) that carry a
 *     valid key, with the same key; its own prechecks refuse nothing more;
 *   - a refusal writes no key and always gives one of the documented
 *     reasons.
 * The first input byte picks the network (regtest "pxrt" or demo "px").
 */
#include "fuzz.h"

#include <stdbool.h>

#include "address.h"
#include "bech32.h"
#include "err.h"
#include "keys.h"

static const char *const REASONS[] = {
    "empty address",
    "address too long",
    "mixed case",
    "bad character",
    "missing separator",
    "wrong network prefix",
    "bad checksum (mistyped character?)",
    "wrong version",
    "wrong length",
    "not a valid public key",
};

static bool documented(const char *why)
{
    for (size_t i = 0; i < sizeof REASONS / sizeof REASONS[0]; i++)
        if (why && strcmp(why, REASONS[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *hrp = data[0] & 1 ? ADDRESS_HRP_DEMO : ADDRESS_HRP_REGTEST;
    char *text = fuzz_cstr(data + 1, size - 1);
    if (!text)
        return 0;

    uint8_t key[32], untouched[32];
    memset(untouched, 0x5a, sizeof untouched);
    memcpy(key, untouched, sizeof key);
    const char *why = NULL;
    int rc = address_decode(key, &why, hrp, text);

    int version = -1;
    uint8_t prog[BECH32_SEGWIT_MAX_PROGRAM];
    size_t plen = sizeof prog;
    bool generic =
        bech32_segwit_decode(&version, prog, &plen, NULL, hrp, text) == 0 &&
        version == ADDRESS_VERSION && plen == 32 && keys_xonly_is_valid(prog);

    if (rc == 0) {
        FUZZ_CHECK(generic);
        FUZZ_CHECK(memcmp(key, prog, 32) == 0);
        FUZZ_CHECK(keys_xonly_is_valid(key));
        char again[ADDRESS_MAX_LEN];
        FUZZ_CHECK(address_encode(again, sizeof again, hrp, key) == 0);
        fuzz_lower(text);
        FUZZ_CHECK(strcmp(again, text) == 0);
    } else {
        FUZZ_CHECK(rc == ERR_PARSE);
        FUZZ_CHECK(documented(why));
        FUZZ_CHECK(memcmp(key, untouched, sizeof key) == 0);
        FUZZ_CHECK(!generic);
    }
    free(text);
    return 0;
}
