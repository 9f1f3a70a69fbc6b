/*
 * Tests for src/core/amount.c: coins read exactly, every malformed amount
 * refused with its reason and nothing written, and formatting that reads back.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "amount.h"
#include "err.h"
#include "tx.h"

Test(amount, coins_parse_exactly)
{
    static const struct {
        const char *text;
        uint64_t units;
    } good[] = {
        {"1", COIN},
        {"0", 0},
        {"1.5", 150000000},
        {"0.1", 10000000},
        {"0.00000001", 1},
        {"12.34567891", 1234567891},
        {"007.50", 750000000},
        {"21000000", MAX_MONEY},
        {"21000000.00000000", MAX_MONEY},
        {"20999999.99999999", MAX_MONEY - 1},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t u = 0;
        const char *why = NULL;
        cr_assert_eq(amount_parse_coins(&u, &why, good[i].text), 0, "%s: %s",
                     good[i].text, why);
        cr_assert_eq(u, good[i].units, "%s", good[i].text);
    }
}

Test(amount, coins_refused_with_reasons)
{
    static const struct {
        const char *text;
        int rc;
        const char *phrase;
    } bad[] = {
        {"", ERR_PARSE, "not a number"},
        {"abc", ERR_PARSE, "not a number"},
        {"1.", ERR_PARSE, "not a number"},
        {".5", ERR_PARSE, "not a number"},
        {"1e5", ERR_PARSE, "not a number"},
        {" 1", ERR_PARSE, "not a number"},
        {"1 ", ERR_PARSE, "not a number"},
        {"0x10", ERR_PARSE, "not a number"},
        {"1,5", ERR_PARSE, "not a number"},
        {"+1", ERR_PARSE, "not a number"},
        {"-1", ERR_ARG, "positive"},
        {"1.123456789", ERR_RANGE, "8 decimal"},
        {"21000000.00000001", ERR_RANGE, "21,000,000"},
        {"21000001", ERR_RANGE, "21,000,000"},
        {"99999999999999999999999999", ERR_RANGE, "21,000,000"},
        {"18446744073709551617", ERR_RANGE, "21,000,000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t u = 77;
        const char *why = NULL;
        cr_assert_eq(amount_parse_coins(&u, &why, bad[i].text), bad[i].rc,
                     "\"%s\"", bad[i].text);
        cr_assert(why && strstr(why, bad[i].phrase), "\"%s\": %s", bad[i].text,
                  why);
        cr_assert_eq(u, 77, "output written on failure");
    }
}

Test(amount, format_with_and_without_trailing_zeros)
{
    static const struct {
        uint64_t units;
        const char *full, *brief;
    } cases[] = {
        {0, "0.00000000", "0"},
        {1, "0.00000001", "0.00000001"},
        {COIN, "1.00000000", "1"},
        {150000000, "1.50000000", "1.5"},
        {374849980000, "3748.49980000", "3748.4998"},
        {MAX_MONEY, "21000000.00000000", "21000000"},
        {UINT64_MAX, "184467440737.09551615", "184467440737.09551615"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char a[AMOUNT_TEXT_MAX], b[AMOUNT_TEXT_MAX];
        cr_assert_str_eq(amount_format(a, cases[i].units), cases[i].full);
        cr_assert_str_eq(amount_format_short(b, cases[i].units),
                         cases[i].brief);
        uint64_t back = 0;
        if (cases[i].units <= MAX_MONEY) {
            cr_assert_eq(amount_parse_coins(&back, NULL, a), 0);
            cr_assert_eq(back, cases[i].units);
            cr_assert_eq(amount_parse_coins(&back, NULL, b), 0);
            cr_assert_eq(back, cases[i].units);
        }
    }
}
