/*
 * Tests for wallet-web/wallet_api_parse.c: amount fields (coins as
 * strings, base units as integers, the same refusals as the cli's), the
 * send body's checks (every field, every kind of bad input, the size
 * limit) and /blockchain's query (the files served are
 * test_wallet_api_http.c's).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "amount.h"
#include "err.h"
#include "wallet.h"
#include "wallet_api.h"

/* ---- coins and amounts ------------------------------------------------------
 */

Test(wallet_api_parse, amount_fields)
{
    uint64_t u;
    const char *why;
    json_t *v = json_integer(5);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), 0);
    cr_assert_eq(u, 5);
    json_decref(v);

    v = json_string("0.5");
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), 0);
    cr_assert_eq(u, COIN / 2);
    json_decref(v);

    v = json_integer(0);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    cr_assert(strstr(why, "more than zero"));
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, true), 0);
    cr_assert_eq(u, 0);
    json_decref(v);

    v = json_integer(-1);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, true), ERR_ARG);
    cr_assert(strstr(why, "positive"));
    json_decref(v);

    v = json_integer((json_int_t)MAX_MONEY + 1);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_RANGE);
    json_decref(v);

    v = json_real(1.5);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    cr_assert(strstr(why, "whole number"), "%s", why);
    json_decref(v);

    v = json_true();
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    json_decref(v);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, NULL, false), ERR_ARG);
}

/* ---- send bodies
 * ---------------------------------------------------------------- */

static char bob[ADDRESS_MAX_LEN];

static void make_bob(void)
{
    wallet_t *w = wallet_new_random();
    cr_assert(w);
    cr_assert_eq(
        wallet_get_public_key_str(w, ADDRESS_HRP_REGTEST, bob, sizeof bob), 0);
    wallet_free(&w);
}

/* Parses a body template in which each "%s" stands for Bob's address. */
static int parse(wallet_api_send_t *s, char *why, const char *tmpl)
{
    char body[WALLET_API_MAX_BODY * 2];
    size_t n = 0;
    for (const char *p = tmpl; *p && n + sizeof bob < sizeof body;) {
        if (p[0] == '%' && p[1] == 's') {
            memcpy(body + n, bob, strlen(bob));
            n += strlen(bob);
            p += 2;
        } else {
            body[n++] = *p++;
        }
    }
    body[n] = '\0';
    return wallet_api_parse_send(s, why, WALLET_API_ERR_MAX,
                                 ADDRESS_HRP_REGTEST, body, n);
}

Test(wallet_api_parse, send_body_accepted, .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX] = "";
    cr_assert_eq(parse(&s, why, "{\"recipient\": \"%s\", \"amount\": 150}"), 0,
                 "%s", why);
    cr_assert_str_eq(s.recipient, bob);
    cr_assert_eq(s.amount, 150);
    cr_assert_eq(s.fee, AMOUNT_DEFAULT_FEE);
    cr_assert(s.sign);

    cr_assert_eq(parse(&s, why,
                       "{\"recipient\": \"%s\", \"amount\": \"2.5\", "
                       "\"fee\": 0, \"sign\": false}"),
                 0, "%s", why);
    cr_assert_eq(s.amount, 250000000);
    cr_assert_eq(s.fee, 0);
    cr_assert(!s.sign);
}

Test(wallet_api_parse, send_body_refused_naming_the_problem, .init = make_bob)
{
    static const struct {
        const char *body;
        int rc;
        const char *phrase;
    } bad[] = {
        {"not json", ERR_PARSE, "not JSON"},
        {"{\"recipient\": \"%s\", \"amount\": 1", ERR_PARSE, "not JSON"},
        {"[1, 2]", ERR_ARG, "JSON object"},
        {"\"%s\"", ERR_ARG, "JSON object"},
        {"{\"amount\": 1}", ERR_ARG, "\"recipient\" is missing"},
        {"{\"recipient\": 7, \"amount\": 1}", ERR_ARG, "\"recipient\" must be"},
        {"{\"recipient\": \"%s\"}", ERR_ARG, "\"amount\" is missing"},
        {"{\"recipient\": \"%s\", \"amount\": null}", ERR_ARG, "\"amount\""},
        {"{\"recipient\": \"%s\", \"amount\": [1]}", ERR_ARG, "\"amount\""},
        {"{\"recipient\": \"%s\", \"amount\": 0}", ERR_ARG, "more than zero"},
        {"{\"recipient\": \"%s\", \"amount\": \"0\"}", ERR_ARG,
         "more than zero"},
        {"{\"recipient\": \"%s\", \"amount\": -5}", ERR_ARG, "positive"},
        {"{\"recipient\": \"%s\", \"amount\": \"-5\"}", ERR_ARG, "positive"},
        {"{\"recipient\": \"%s\", \"amount\": 1.5}", ERR_ARG, "whole number"},
        {"{\"recipient\": \"%s\", \"amount\": \"0.000000001\"}", ERR_RANGE,
         "8 decimal"},
        {"{\"recipient\": \"%s\", \"amount\": 99999999999999999999999}",
         ERR_PARSE, "too large"},
        {"{\"recipient\": \"%s\", \"amount\": 2100000000000001}", ERR_RANGE,
         "21,000,000"},
        {"{\"recipient\": \"%s\", \"amount\": 2100000000000000, \"fee\": 1}",
         ERR_RANGE, "amount plus fee"},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"fee\": -1}", ERR_ARG,
         "\"fee\" must be positive"},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"fee\": \"x\"}", ERR_PARSE,
         "\"fee\""},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"sign\": \"no\"}", ERR_ARG,
         "\"sign\" must be true or false"},
        {"{\"recipient\": \"%s\", \"ammount\": 1}", ERR_ARG,
         "unknown field \"ammount\""},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"amount\": 2}", ERR_PARSE,
         "not JSON"},
        {"{\"recipient\": \"px1qqqq\", \"amount\": 1}", ERR_ARG,
         "\"recipient\": "},
        {"{\"recipient\": \"\", \"amount\": 1}", ERR_ARG, "empty address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wallet_api_send_t s;
        char why[WALLET_API_ERR_MAX] = "";
        cr_assert_eq(parse(&s, why, bad[i].body), bad[i].rc, "%s -> %s",
                     bad[i].body, why);
        cr_assert(strstr(why, bad[i].phrase), "%s: \"%s\" lacks \"%s\"",
                  bad[i].body, why, bad[i].phrase);
    }
}

Test(wallet_api_parse, send_address_errors_are_address_decodes,
     .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    char body[300];
    /* One mistyped character breaks the checksum. */
    char typo[ADDRESS_MAX_LEN];
    snprintf(typo, sizeof typo, "%s", bob);
    size_t i = strlen(typo) - 3;
    typo[i] = typo[i] == 'q' ? 'p' : 'q';
    snprintf(body, sizeof body, "{\"recipient\": \"%s\", \"amount\": 1}", typo);
    cr_assert_eq(
        wallet_api_parse_send(&s, why, sizeof why, "pxrt", body, strlen(body)),
        ERR_ARG);
    cr_assert(strstr(why, "checksum"), "%s", why);
    /* Bob's regtest address is refused on the demo network. */
    snprintf(body, sizeof body, "{\"recipient\": \"%s\", \"amount\": 1}", bob);
    cr_assert_eq(
        wallet_api_parse_send(&s, why, sizeof why, "px", body, strlen(body)),
        ERR_ARG);
    cr_assert(strstr(why, "wrong network prefix"), "%s", why);
}

Test(wallet_api_parse, send_body_size_limit, .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    char *body = malloc(WALLET_API_MAX_BODY + 2);
    cr_assert(body);
    int n = snprintf(body, WALLET_API_MAX_BODY + 2,
                     "{\"recipient\": \"%s\", \"amount\": 1}", bob);
    /* Pad with spaces (still valid JSON) up to the limit: accepted. */
    memset(body + n, ' ', WALLET_API_MAX_BODY - (size_t)n);
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body,
                                       WALLET_API_MAX_BODY),
                 0, "%s", why);
    body[WALLET_API_MAX_BODY] = ' ';
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body,
                                       WALLET_API_MAX_BODY + 1),
                 ERR_RANGE);
    cr_assert(strstr(why, "larger than 4096 bytes"), "%s", why);
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body, 0),
                 ERR_PARSE);
    cr_assert(strstr(why, "empty"), "%s", why);
    free(body);
}

/* ---- /blockchain queries ------------------------------------------------- */

Test(wallet_api_parse, chain_query)
{
    wallet_api_chain_query_t q;
    char why[WALLET_API_ERR_MAX];
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, NULL, NULL, NULL), 0);
    cr_assert(!q.by_height);
    cr_assert_eq(q.page, 1);
    cr_assert_eq(q.limit, WALLET_API_PAGE_DEFAULT);
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, "3", "20", NULL), 0);
    cr_assert_eq(q.page, 3);
    cr_assert_eq(q.limit, 20);
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, NULL, "5", "0"), 0);
    cr_assert(q.by_height);
    cr_assert_eq(q.from, 0);

    static const char *const bad[][3] = {
        {"0", NULL, NULL},  {"-1", NULL, NULL},          {"x", NULL, NULL},
        {NULL, "0", NULL},  {NULL, "101", NULL},         {NULL, "1.5", NULL},
        {NULL, NULL, "-3"}, {NULL, NULL, "99999999999"}, {"1", NULL, "4"},
        {"", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(wallet_api_parse_chain_query(
                         &q, why, sizeof why, bad[i][0], bad[i][1], bad[i][2]),
                     ERR_ARG, "case %zu", i);
}
