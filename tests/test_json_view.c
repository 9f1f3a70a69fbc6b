/*
 * Tests for src/node/json_view.c: the seed's field names and values for blocks
 * and both kinds of transaction, and raw hex that parses back to the block.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "fixtures.h"
#include "hex.h"
#include "json_view.h"

Test(json_view, block_has_the_seed_fields)
{
    chain_t *c = fx_chain(NULL);
    fx_key_t alice, bob;
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    const chain_node_t *n1 = fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 5 * COIN, 300, 0);
    const chain_node_t *n2 = fx_extend(c, n1, bob.pub, &t, 1, 7);

    json_t *j = json_view_block(&n2->block, n2->height, "pxrt", true);
    cr_assert_not_null(j);
    char hash[65];
    hex_from_hash(hash, n2->hash);
    cr_assert_str_eq(json_string_value(json_object_get(j, "blockId")), hash);
    cr_assert_str_eq(json_string_value(json_object_get(j, "hash")), hash);
    hex_from_hash(hash, n1->hash);
    cr_assert_str_eq(json_string_value(json_object_get(j, "previousHash")),
                     hash);
    cr_assert_eq(json_integer_value(json_object_get(j, "previousBlockIndex")),
                 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "blockHeight")), 2);
    cr_assert_eq(json_integer_value(json_object_get(j, "nonce")),
                 n2->block.header.nonce);
    cr_assert_eq(json_integer_value(json_object_get(j, "timestamp")),
                 n2->block.header.time);
    cr_assert_str_eq(json_string_value(json_object_get(j, "bits")), "207fffff");
    hex_from_hash(hash, n2->block.header.merkle_root);
    cr_assert_str_eq(json_string_value(json_object_get(j, "merkleRoot")), hash);

    json_t *data = json_object_get(j, "data");
    cr_assert_eq(json_array_size(data), 2);
    json_t *cb = json_array_get(data, 0), *tr = json_array_get(data, 1);
    cr_assert_str_eq(json_string_value(json_object_get(cb, "type")),
                     "coinbase");
    cr_assert_eq(json_integer_value(json_object_get(cb, "height")), 2);
    cr_assert_eq(json_integer_value(json_object_get(cb, "extraNonce")), 7);
    cr_assert_eq(json_integer_value(json_object_get(cb, "amount")),
                 50 * COIN + 300);
    char addr[100];
    cr_assert_eq(address_encode(addr, sizeof addr, "pxrt", bob.pub), 0);
    cr_assert_str_eq(json_string_value(json_object_get(cb, "to")), addr);
    cr_assert_str_eq(json_string_value(json_object_get(tr, "type")),
                     "transfer");
    cr_assert_str_eq(json_string_value(json_object_get(tr, "to")), addr);
    cr_assert_eq(address_encode(addr, sizeof addr, "pxrt", alice.pub), 0);
    cr_assert_str_eq(json_string_value(json_object_get(tr, "from")), addr);
    cr_assert_eq(json_integer_value(json_object_get(tr, "amount")), 5 * COIN);
    cr_assert_eq(json_integer_value(json_object_get(tr, "fee")), 300);
    cr_assert_eq(json_integer_value(json_object_get(tr, "nonce")), 0);
    cr_assert_eq(strlen(json_string_value(json_object_get(tr, "signature"))),
                 128);
    uint8_t txid[32];
    tx_compute_txid(txid, &t);
    hex_from_hash(hash, txid);
    cr_assert_str_eq(json_string_value(json_object_get(tr, "txid")), hash);

    /* raw parses back to the same block. */
    uint8_t *raw;
    size_t len;
    cr_assert_eq(hex_decode_alloc(&raw, &len,
                                  json_string_value(json_object_get(j, "raw"))),
                 0);
    block_t back;
    cr_assert_eq(block_parse(&back, raw, len), 0);
    uint8_t h2[32];
    block_compute_hash(h2, &back.header);
    cr_assert_arr_eq(h2, n2->hash, 32);
    cr_assert_eq(back.tx_count, 2);
    block_deinit(&back);
    free(raw);
    json_decref(j);
    chain_free(&c);
}

Test(json_view, genesis_and_unsigned_transfer)
{
    chain_t *c = fx_chain(NULL);
    const chain_node_t *g = chain_tip(c);
    json_t *j = json_view_block(&g->block, 0, "pxrt", false);
    cr_assert_not_null(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "previousBlockIndex")),
                 -1);
    cr_assert_null(json_object_get(j, "raw"));
    /* The genesis coinbase pays a key that is not a curve point: hex. */
    const char *to = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "data"), 0), "to"));
    cr_assert_eq(strlen(to), 64);
    json_decref(j);

    fx_key_t a;
    fx_key(&a, 9);
    tx_t t;
    tx_init_transfer(&t, a.pub, a.pub, 1, 0, 0);
    json_t *tj = json_view_tx(&t, "pxrt");
    cr_assert_str_eq(json_string_value(json_object_get(tj, "signature")), "");
    json_decref(tj);
    chain_free(&c);
}
