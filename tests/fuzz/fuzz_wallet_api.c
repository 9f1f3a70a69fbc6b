/*
 * fuzz_wallet_api — the wallet service's request parsers
 * (wallet-web/wallet_api.c): what a web page, or anything else that can
 * reach the HTTP port, sends to POST /transaction/send and GET /blockchain,
 * and the paths it asks for static files.
 *
 * The first input byte picks the parser; the rest is its input.
 *   0  amount_parse_coins: checked against a plain reference parser
 *      (digits, optionally a point and 1..8 digits, at most MAX_MONEY);
 *   1  wallet_api_parse_amount on any JSON value: integers and coin strings
 *      as above, every other type refused;
 *   2  wallet_api_parse_send on the body: an accepted send has a recipient
 *      that decodes to its key, 0 < amount, amount + fee <= MAX_MONEY, and
 *      re-encoding it as JSON parses back to the same send; a refusal
 *      always says why;
 *   3  wallet_api_parse_chain_query on three NUL-separated parameters
 *      (a leading bitmask says which are present): accepted values are in
 *      their documented ranges and equal the decimal text;
 *   4  wallet_api_page_file: an accepted path names one of the page's
 *      files (a reference list here), as itself ("/" + the file) or as
 *      "/" or "/explorer"; nothing else of the web root is served.
 */
#include "fuzz.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>

#include "address.h"
#include "amount.h"
#include "err.h"
#include "tx.h"
#include "wallet_api.h"

/* The reference: ^[0-9]+(\.[0-9]{1,8})?$ and at most MAX_MONEY. */
static bool ref_coins(uint64_t *units, const char *s)
{
    const char *p = s;
    uint64_t whole = 0; /* saturates above MAX_MONEY, never overflows */
    size_t n = 0;
    for (; isdigit((unsigned char)*p); p++, n++)
        if (whole <= MAX_MONEY)
            whole = whole * 10 + (unsigned)(*p - '0');
    if (n == 0)
        return false;
    uint64_t frac = 0;
    if (*p == '.') {
        p++;
        size_t k = 0;
        for (; isdigit((unsigned char)*p); p++, k++)
            if (k < 8)
                frac = frac * 10 + (unsigned)(*p - '0');
        if (k == 0 || k > 8)
            return false;
        for (; k < 8; k++)
            frac *= 10;
    }
    if (*p)
        return false;
    if (whole > MAX_MONEY / COIN || whole * COIN + frac > MAX_MONEY)
        return false;
    *units = whole * COIN + frac;
    return true;
}

static void check_coins(const char *text)
{
    uint64_t units = 0xa5a5a5a5a5a5a5a5ULL, want = 0;
    const char *why = NULL;
    int rc = amount_parse_coins(&units, &why, text);
    bool ok = ref_coins(&want, text);
    FUZZ_CHECK((rc == 0) == ok);
    if (rc == 0) {
        FUZZ_CHECK(units == want);
    } else {
        FUZZ_CHECK(rc == ERR_ARG || rc == ERR_PARSE || rc == ERR_RANGE);
        FUZZ_CHECK(why && why[0]);
        FUZZ_CHECK(units == 0xa5a5a5a5a5a5a5a5ULL);
    }
}

static void check_amount(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!v)
        return;
    for (int allow_zero = 0; allow_zero < 2; allow_zero++) {
        uint64_t units = 0xa5a5a5a5a5a5a5a5ULL, want = 0;
        const char *why = NULL;
        int rc = wallet_api_parse_amount(&units, &why, v, allow_zero);
        bool ok = false;
        if (json_is_integer(v)) {
            json_int_t i = json_integer_value(v);
            want = (uint64_t)i;
            ok = i >= 0 && want <= MAX_MONEY && (want || allow_zero);
        } else if (json_is_string(v)) {
            ok = ref_coins(&want, json_string_value(v)) && (want || allow_zero);
        }
        /* A string with a NUL inside is parsed up to the NUL (C string):
         * accept either verdict there, but never a wrong value. */
        if (json_is_string(v) &&
            strlen(json_string_value(v)) != json_string_length(v)) {
            if (rc == 0)
                FUZZ_CHECK(ref_coins(&want, json_string_value(v)) &&
                           units == want);
            continue;
        }
        FUZZ_CHECK((rc == 0) == ok);
        if (rc == 0)
            FUZZ_CHECK(units == want);
        else
            FUZZ_CHECK(why && why[0] && units == 0xa5a5a5a5a5a5a5a5ULL);
    }
    json_decref(v);
}

static void check_send(const uint8_t *data, size_t size)
{
    const char *hrp = ADDRESS_HRP_REGTEST;
    wallet_api_send_t s, again;
    char why[WALLET_API_ERR_MAX];
    why[0] = '\0';
    int rc = wallet_api_parse_send(&s, why, sizeof why, hrp, (const char *)data,
                                   size);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_ARG || rc == ERR_PARSE || rc == ERR_RANGE);
        FUZZ_CHECK(why[0] != '\0');
        return;
    }
    FUZZ_CHECK(size <= WALLET_API_MAX_BODY);
    uint8_t key[32];
    FUZZ_CHECK(address_decode(key, NULL, hrp, s.recipient) == 0);
    FUZZ_CHECK(memcmp(key, s.recipient_key, 32) == 0);
    FUZZ_CHECK(s.amount > 0 && s.amount <= MAX_MONEY);
    FUZZ_CHECK(s.fee <= MAX_MONEY && s.amount + s.fee <= MAX_MONEY);

    json_t *j = json_pack("{s:s,s:I,s:I,s:b}", "recipient", s.recipient,
                          "amount", (json_int_t)s.amount, "fee",
                          (json_int_t)s.fee, "sign", s.sign);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return;
    FUZZ_CHECK(wallet_api_parse_send(&again, why, sizeof why, hrp, text,
                                     strlen(text)) == 0);
    FUZZ_CHECK(strcmp(again.recipient, s.recipient) == 0);
    FUZZ_CHECK(memcmp(again.recipient_key, s.recipient_key, 32) == 0);
    FUZZ_CHECK(again.amount == s.amount && again.fee == s.fee &&
               again.sign == s.sign);
    free(text);
}

/* Decimal text of at most 10 digits and its value, or false. */
static bool ref_uint(uint64_t *v, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return true;
}

static void check_chain_query(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    uint8_t present = data[0];
    char *text = fuzz_cstr(data + 1, size - 1);
    if (!text)
        return;
    /* Up to three NUL-separated strings; missing ones are empty. */
    const char *part[3];
    const char *p = text, *end = text + (size - 1);
    for (int i = 0; i < 3; i++) {
        part[i] = p <= end ? p : "";
        if (p <= end)
            p += strlen(p) + 1; /* text[size - 1] is a NUL: stops there */
    }
    const char *page = present & 1 ? part[0] : NULL;
    const char *limit = present & 2 ? part[1] : NULL;
    const char *from = present & 4 ? part[2] : NULL;
    wallet_api_chain_query_t q;
    char why[WALLET_API_ERR_MAX];
    why[0] = '\0';
    int rc =
        wallet_api_parse_chain_query(&q, why, sizeof why, page, limit, from);
    uint64_t v;
    bool ok = !(page && from) &&
              (!page || (ref_uint(&v, page) && v >= 1 && v <= 1000000000)) &&
              (!limit ||
               (ref_uint(&v, limit) && v >= 1 && v <= WALLET_API_PAGE_MAX)) &&
              (!from || (ref_uint(&v, from) && v <= UINT32_MAX));
    FUZZ_CHECK((rc == 0) == ok);
    if (rc == 0) {
        FUZZ_CHECK(q.by_height == (from != NULL));
        FUZZ_CHECK(q.limit >= 1 && q.limit <= WALLET_API_PAGE_MAX);
        FUZZ_CHECK(q.page >= 1);
        if (page)
            FUZZ_CHECK(ref_uint(&v, page) && q.page == v);
        if (limit)
            FUZZ_CHECK(ref_uint(&v, limit) && q.limit == v);
        else
            FUZZ_CHECK(q.limit == WALLET_API_PAGE_DEFAULT);
        if (from)
            FUZZ_CHECK(ref_uint(&v, from) && q.from == v);
    } else {
        FUZZ_CHECK(rc == ERR_ARG && why[0] != '\0');
    }
    free(text);
}

static void check_path(const char *path)
{
    static const char *const ref[] = {
        "wallet_ui.html",
        "explorer.html",
        "script.js",
        "style.css",
        "explorer.js",
        "explorer.css",
        "common.js",
        "vendor/bootstrap.min.css",
        "vendor/bootstrap.bundle.min.js",
    };
    const char *file, *type;
    if (!wallet_api_page_file(&file, &type, path))
        return;
    bool listed = false;
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        listed = listed || strcmp(file, ref[i]) == 0;
    FUZZ_CHECK(listed);
    FUZZ_CHECK(type && type[0]);
    bool as_itself = path[0] == '/' && strcmp(path + 1, file) == 0;
    bool as_alias =
        (strcmp(path, "/") == 0 && strcmp(file, "wallet_ui.html") == 0) ||
        (strcmp(path, "/explorer") == 0 && strcmp(file, "explorer.html") == 0);
    FUZZ_CHECK(as_itself || as_alias);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    char *text;
    switch (mode % 5) {
    case 0:
        if ((text = fuzz_cstr(data, size)) != NULL)
            check_coins(text);
        free(text);
        break;
    case 1:
        check_amount(data, size);
        break;
    case 2:
        check_send(data, size);
        break;
    case 3:
        check_chain_query(data, size);
        break;
    default:
        if ((text = fuzz_cstr(data, size)) != NULL)
            check_path(text);
        free(text);
        break;
    }
    return 0;
}
