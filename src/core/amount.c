/*
 * amount — coins as people write them (see amount.h).
 */
#include "amount.h"
#include "err.h"
#include "tx.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int amount_parse_coins(uint64_t *units, const char **why, const char *text)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    const char *p = text;
    if (*p == '-') {
        *why = "must be positive";
        return ERR_ARG;
    }
    if (!isdigit((unsigned char)*p)) {
        *why = "is not a number of coins (such as \"1.5\")";
        return ERR_PARSE;
    }
    /* The whole part: 21,000,000 coins at most, so 9 digits can be read
     * without overflow before the range check refuses them. */
    uint64_t whole = 0;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) {
        if (digits < 19)
            whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > 0 || digits > 0)
            digits++;
        p++;
    }
    uint64_t frac = 0;
    if (*p == '.') {
        p++;
        size_t n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n == 8) {
                *why = "has more than 8 decimal places (1 base unit is "
                       "0.00000001 coin)";
                return ERR_RANGE;
            }
            frac = frac * 10 + (uint64_t)(*p - '0');
            n++;
            p++;
        }
        if (n == 0) {
            *why = "is not a number of coins (such as \"1.5\")";
            return ERR_PARSE;
        }
        for (; n < 8; n++)
            frac *= 10;
    }
    if (*p) {
        *why = "is not a number of coins (such as \"1.5\")";
        return ERR_PARSE;
    }
    if (digits > 9 || whole > MAX_MONEY / COIN ||
        whole * COIN + frac > MAX_MONEY) {
        *why = "is more than the 21,000,000 coins that can ever exist";
        return ERR_RANGE;
    }
    *units = whole * COIN + frac;
    return 0;
}

const char *amount_format(char out[AMOUNT_TEXT_MAX], uint64_t units)
{
    snprintf(out, AMOUNT_TEXT_MAX, "%" PRIu64 ".%08" PRIu64,
             (uint64_t)(units / COIN), (uint64_t)(units % COIN));
    return out;
}

const char *amount_format_short(char out[AMOUNT_TEXT_MAX], uint64_t units)
{
    amount_format(out, units);
    size_t n = strlen(out);
    while (out[n - 1] == '0')
        out[--n] = '\0';
    if (out[n - 1] == '.')
        out[--n] = '\0';
    return out;
}
