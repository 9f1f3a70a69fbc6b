/*
 * wallet_api_parse — the wallet service's request parsing (wallet_api.h,
 * "request parsing"): send bodies, amount fields, /blockchain's query. No
 * sockets and no state, so the unit tests and the fuzz harness call these
 * directly. Amount strings are read by amount.h, so their refusals say what
 * pickaxe-cli's say, after the field's name.
 */
#include "wallet_api.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "err.h"
#include "wallet_api_impl.h"

int wallet_api_parse_amount(uint64_t *units, const char **why, const json_t *v,
                            bool allow_zero)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    uint64_t u;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) {
            *why = "must be positive";
            return ERR_ARG;
        }
        if ((uint64_t)i > MAX_MONEY) {
            *why = "is more than the 21,000,000 coins that can ever exist";
            return ERR_RANGE;
        }
        u = (uint64_t)i;
    } else if (json_is_string(v)) {
        int rc = amount_parse_coins(&u, why, json_string_value(v));
        if (rc)
            return rc;
    } else {
        *why = json_is_real(v)
                   ? "must be a whole number of base units (1 coin = "
                     "100000000) or a string of coins such as \"1.5\"; "
                     "fractions as JSON numbers are not exact"
                   : "must be a number of base units or a string of coins";
        return ERR_ARG;
    }
    if (u == 0 && !allow_zero) {
        *why = "must be more than zero";
        return ERR_ARG;
    }
    *units = u;
    return 0;
}

static void put_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

int wallet_api_parse_send(wallet_api_send_t *out, char *why, size_t why_len,
                          const char *hrp, const char *body, size_t len)
{
    if (len > WALLET_API_MAX_BODY) {
        put_why(why, why_len, "the request body is larger than %d bytes",
                WALLET_API_MAX_BODY);
        return ERR_RANGE;
    }
    if (!body || len == 0) {
        put_why(why, why_len,
                "the request body is empty; send a JSON object "
                "{\"recipient\", \"amount\", \"fee\"?, \"sign\"?}");
        return ERR_PARSE;
    }
    json_error_t jerr;
    json_t *j =
        json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j) {
        if (strstr(jerr.text, "too big"))
            put_why(why, why_len,
                    "a number in the body is too large (amounts are at most "
                    "21,000,000 coins)");
        else
            put_why(why, why_len, "the request body is not JSON: %s",
                    jerr.text);
        return ERR_PARSE;
    }
    int rc = ERR_ARG;
    wallet_api_send_t s;
    memset(&s, 0, sizeof s);
    s.fee = AMOUNT_DEFAULT_FEE;
    s.sign = true;
    const char *key;
    json_t *v;
    const char *phrase = NULL;
    if (!json_is_object(j)) {
        put_why(why, why_len, "the request body must be a JSON object");
        goto done;
    }
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "recipient") && strcmp(key, "amount") &&
            strcmp(key, "fee") && strcmp(key, "sign")) {
            put_why(why, why_len,
                    "unknown field \"%.40s\" (expected recipient, amount, "
                    "fee, sign)",
                    key);
            goto done;
        }
    }
    v = json_object_get(j, "recipient");
    if (!v) {
        put_why(why, why_len, "\"recipient\" is missing");
        goto done;
    }
    if (!json_is_string(v)) {
        put_why(why, why_len, "\"recipient\" must be a string (an address)");
        goto done;
    }
    const char *addr = json_string_value(v);
    if (strlen(addr) >= sizeof s.recipient) {
        put_why(why, why_len, "\"recipient\": address too long");
        goto done;
    }
    if (address_decode(s.recipient_key, &phrase, hrp, addr) != 0) {
        put_why(why, why_len, "\"recipient\": %s",
                phrase ? phrase : "not a valid address");
        goto done;
    }
    memcpy(s.recipient, addr, strlen(addr) + 1);
    v = json_object_get(j, "amount");
    if (!v) {
        put_why(why, why_len, "\"amount\" is missing");
        goto done;
    }
    rc = wallet_api_parse_amount(&s.amount, &phrase, v, false);
    if (rc) {
        put_why(why, why_len, "\"amount\" %s", phrase);
        goto done;
    }
    v = json_object_get(j, "fee");
    if (v) {
        rc = wallet_api_parse_amount(&s.fee, &phrase, v, true);
        if (rc) {
            put_why(why, why_len, "\"fee\" %s", phrase);
            goto done;
        }
    }
    rc = ERR_ARG;
    if (s.amount + s.fee > MAX_MONEY) { /* both <= MAX_MONEY: no overflow */
        put_why(why, why_len,
                "amount plus fee is more than the 21,000,000 coins that can "
                "ever exist");
        rc = ERR_RANGE;
        goto done;
    }
    v = json_object_get(j, "sign");
    if (v) {
        if (!json_is_boolean(v)) {
            put_why(why, why_len, "\"sign\" must be true or false");
            goto done;
        }
        s.sign = json_is_true(v);
    }
    *out = s;
    rc = 0;
done:
    json_decref(j);
    return rc;
}

bool wallet_api_parse_u32(uint32_t *out, const char *s, uint32_t min,
                          uint32_t max)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

int wallet_api_parse_chain_query(wallet_api_chain_query_t *q, char *why,
                                 size_t why_len, const char *page,
                                 const char *limit, const char *from)
{
    wallet_api_chain_query_t r = {false, 0, 1, WALLET_API_PAGE_DEFAULT};
    if (page && from) {
        put_why(why, why_len, "give either \"page\" or \"from\", not both");
        return ERR_ARG;
    }
    if (page && !wallet_api_parse_u32(&r.page, page, 1, 1000000000)) {
        put_why(why, why_len, "\"page\" must be a whole number from 1");
        return ERR_ARG;
    }
    if (limit &&
        !wallet_api_parse_u32(&r.limit, limit, 1, WALLET_API_PAGE_MAX)) {
        put_why(why, why_len, "\"limit\" must be a whole number from 1 to %d",
                WALLET_API_PAGE_MAX);
        return ERR_ARG;
    }
    if (from) {
        if (!wallet_api_parse_u32(&r.from, from, 0, UINT32_MAX)) {
            put_why(why, why_len, "\"from\" must be a block height");
            return ERR_ARG;
        }
        r.by_height = true;
    }
    *q = r;
    return 0;
}

bool wallet_api_is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}
