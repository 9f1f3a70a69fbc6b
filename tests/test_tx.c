/*
 * Tests for src/core/tx.c: the wire layout written out by hand from tx.h, round
 * trips, strict parsing (every truncation, unknown kinds, trailing bytes,
 * random input), txid / leaf hash / sighash against independent
 * computations, and signatures: valid only on their network, broken by
 * tampering with any field, refused when unsigned or from a bad key.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "hex.h"
#include "keys.h"
#include "sha256.h"
#include "tx.h"

static uint8_t net_a[32], net_b[32];

static void fill(uint8_t *p, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(start + i);
}

static void setup_nets(void)
{
    fill(net_a, 32, 0xa0);
    fill(net_b, 32, 0xb0);
}

/* Serializes into a fixed array; returns the length. */
static size_t ser(uint8_t out[TX_MAX_SIZE], const tx_t *tx)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(tx_serialize(&b, tx), 0);
    cr_assert_leq(b.len, TX_MAX_SIZE);
    size_t n = b.len;
    memcpy(out, b.data, n);
    buf_deinit(&b);
    return n;
}

static void sample_coinbase(tx_t *tx)
{
    uint8_t to[32];
    fill(to, 32, 0x20);
    tx_init_coinbase(tx, 0x01020304, 0x1112131415161718ULL, to, 50 * COIN);
}

static void sample_transfer(tx_t *tx)
{
    uint8_t from[32], to[32];
    fill(from, 32, 0x40);
    fill(to, 32, 0x60);
    tx_init_transfer(tx, from, to, 0x0102030405060708ULL, 0x1112131415161718ULL,
                     0x2122232425262728ULL);
    fill(tx->sig, 64, 0x80);
}

/* ---- layout and round trips -------------------------------------------------
 */

Test(tx, coinbase_layout_is_the_documented_one)
{
    tx_t tx;
    sample_coinbase(&tx);
    uint8_t b[TX_MAX_SIZE];
    cr_assert_eq(ser(b, &tx), TX_COINBASE_SIZE);
    cr_assert_eq(tx_size(&tx), TX_COINBASE_SIZE);
    char hex[2 * TX_MAX_SIZE + 1];
    hex_encode(hex, b, TX_COINBASE_SIZE);
    cr_assert_str_eq(hex, "00"                               /* kind */
                          "04030201"                         /* height */
                          "1817161514131211"                 /* extra-nonce */
                          "202122232425262728292a2b2c2d2e2f" /* recipient */
                          "303132333435363738393a3b3c3d3e3f"
                          "00f2052a01000000"); /* 50 coins */
    /* The extra-nonce sits where mining jobs expect it. */
    cr_assert_eq(le64_get(b + TX_COINBASE_EXTRANONCE_OFFSET),
                 0x1112131415161718ULL);
}

Test(tx, transfer_layout_is_the_documented_one)
{
    tx_t tx;
    sample_transfer(&tx);
    uint8_t b[TX_MAX_SIZE];
    cr_assert_eq(ser(b, &tx), TX_TRANSFER_SIZE);
    cr_assert_eq(tx_size(&tx), TX_TRANSFER_SIZE);
    cr_assert_eq(b[0], TX_TRANSFER);
    cr_assert_eq(b[1], 0x40);
    cr_assert_eq(b[32], 0x5f);
    cr_assert_eq(b[33], 0x60);
    cr_assert_eq(le64_get(b + 65), 0x0102030405060708ULL);
    cr_assert_eq(le64_get(b + 73), 0x1112131415161718ULL);
    cr_assert_eq(le64_get(b + 81), 0x2122232425262728ULL);
    cr_assert_eq(TX_TRANSFER_UNSIGNED_SIZE, 89);
    cr_assert_eq(b[89], 0x80);
    cr_assert_eq(b[152], 0xbf);
}

static void check_round_trip(const tx_t *tx)
{
    uint8_t b[TX_MAX_SIZE], b2[TX_MAX_SIZE];
    size_t n = ser(b, tx);
    tx_t back;
    cr_assert_eq(tx_parse_bytes(&back, b, n), 0);
    cr_assert_eq(back.kind, tx->kind);
    cr_assert_eq(back.amount, tx->amount);
    cr_assert_arr_eq(back.recipient, tx->recipient, 32);
    if (tx->kind == TX_COINBASE) {
        cr_assert_eq(back.height, tx->height);
        cr_assert_eq(back.extra_nonce, tx->extra_nonce);
    } else {
        cr_assert_arr_eq(back.sender, tx->sender, 32);
        cr_assert_eq(back.fee, tx->fee);
        cr_assert_eq(back.nonce, tx->nonce);
        cr_assert_arr_eq(back.sig, tx->sig, 64);
    }
    cr_assert_eq(ser(b2, &back), n);
    cr_assert_arr_eq(b2, b, n);
}

Test(tx, round_trips)
{
    tx_t tx;
    sample_coinbase(&tx);
    check_round_trip(&tx);
    sample_transfer(&tx);
    check_round_trip(&tx);
    /* Extremes of every integer field. */
    uint8_t k[32];
    memset(k, 0xff, 32);
    tx_init_coinbase(&tx, UINT32_MAX, UINT64_MAX, k, UINT64_MAX);
    check_round_trip(&tx);
    tx_init_transfer(&tx, k, k, UINT64_MAX, UINT64_MAX, UINT64_MAX);
    check_round_trip(&tx);
    memset(k, 0, 32);
    tx_init_transfer(&tx, k, k, 0, 0, 0);
    check_round_trip(&tx);
}

Test(tx, init_transfer_is_unsigned)
{
    tx_t tx;
    uint8_t a[32] = {1}, b[32] = {2};
    tx_init_transfer(&tx, a, b, 5, 1, 0);
    cr_assert(tx_is_unsigned(&tx));
    tx.sig[63] = 1;
    cr_assert_not(tx_is_unsigned(&tx));
}

/* ---- strict parsing
 * ------------------------------------------------------------ */

Test(tx, every_truncation_fails)
{
    tx_t txs[2];
    sample_coinbase(&txs[0]);
    sample_transfer(&txs[1]);
    for (int t = 0; t < 2; t++) {
        uint8_t b[TX_MAX_SIZE];
        size_t n = ser(b, &txs[t]);
        for (size_t len = 0; len < n; len++) {
            /* Exact-size copy on the heap so ASan sees any over-read. */
            uint8_t *p = malloc(len ? len : 1);
            memcpy(p, b, len);
            tx_t out;
            memset(&out, 0x5a, sizeof out);
            cr_assert_eq(tx_parse_bytes(&out, p, len), ERR_PARSE,
                         "kind %d accepted at %zu of %zu bytes", t, len, n);
            reader_t r = reader_make(p, len);
            cr_assert_eq(tx_parse(&out, &r), ERR_PARSE);
            /* Neither the reader nor the output moved. */
            cr_assert_eq(r.left, len);
            cr_assert_eq(r.p, p);
            cr_assert_eq(out.kind, 0x5a);
            free(p);
        }
    }
}

Test(tx, unknown_kind_fails)
{
    tx_t tx;
    sample_transfer(&tx);
    uint8_t b[TX_MAX_SIZE];
    size_t n = ser(b, &tx);
    for (int kind = 2; kind < 256; kind++) {
        b[0] = (uint8_t)kind;
        tx_t out;
        cr_assert_eq(tx_parse_bytes(&out, b, n), ERR_PARSE, "kind %d", kind);
        /* Nor as a coinbase-sized message. */
        cr_assert_eq(tx_parse_bytes(&out, b, TX_COINBASE_SIZE), ERR_PARSE);
    }
}

Test(tx, trailing_bytes)
{
    tx_t tx, out;
    sample_coinbase(&tx);
    uint8_t b[TX_MAX_SIZE + 1];
    size_t n = ser(b, &tx);
    b[n] = 0;
    cr_assert_eq(tx_parse_bytes(&out, b, n + 1), ERR_PARSE);
    /* tx_parse reads one transaction and leaves the rest. */
    reader_t r = reader_make(b, n + 1);
    cr_assert_eq(tx_parse(&out, &r), 0);
    cr_assert_eq(r.left, 1);
    /* A transfer's bytes read as a coinbase would be a different size. */
    sample_transfer(&tx);
    n = ser(b, &tx);
    b[0] = TX_COINBASE;
    cr_assert_eq(tx_parse_bytes(&out, b, n), ERR_PARSE);
}

Test(tx, consecutive_transactions_from_one_reader)
{
    tx_t a, c, out;
    sample_coinbase(&a);
    sample_transfer(&c);
    buf_t b;
    buf_init(&b);
    cr_assert_eq(tx_serialize(&b, &a), 0);
    cr_assert_eq(tx_serialize(&b, &c), 0);
    cr_assert_eq(tx_serialize(&b, &a), 0);
    cr_assert_eq(b.len, 2 * TX_COINBASE_SIZE + TX_TRANSFER_SIZE);
    reader_t r = reader_make(b.data, b.len);
    cr_assert_eq(tx_parse(&out, &r), 0);
    cr_assert_eq(out.kind, TX_COINBASE);
    cr_assert_eq(tx_parse(&out, &r), 0);
    cr_assert_eq(out.kind, TX_TRANSFER);
    cr_assert_eq(out.nonce, c.nonce);
    cr_assert_eq(tx_parse(&out, &r), 0);
    cr_assert_eq(rd_end(&r), 0);
    cr_assert_eq(tx_parse(&out, &r), ERR_PARSE);
    buf_deinit(&b);
}

Test(tx, random_bytes_never_crash)
{
    srand(1234);
    int parsed = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(rand() % (TX_MAX_SIZE + 8));
        uint8_t *p = malloc(len ? len : 1);
        for (size_t j = 0; j < len; j++)
            p[j] = (uint8_t)rand();
        if (len && rand() % 2)
            p[0] = (uint8_t)(rand() % 2); /* a known kind, half the time */
        tx_t tx;
        if (tx_parse_bytes(&tx, p, len) == 0) {
            parsed++;
            uint8_t b[TX_MAX_SIZE];
            cr_assert_eq(ser(b, &tx), len);
            cr_assert_arr_eq(b, p, len);
            uint8_t h[32];
            tx_compute_txid(h, &tx);
            cr_assert_not(tx_verify_signature(&tx, net_a));
        }
        free(p);
    }
    /* The lengths that parse are rare; some must have been hit. */
    cr_assert_gt(parsed, 0);
}

/* ---- ids and hashes
 * ------------------------------------------------------------ */

Test(tx, txid_and_leaf_hash_definitions)
{
    tx_t tx;
    uint8_t b[TX_MAX_SIZE], want[32], got[32];

    sample_coinbase(&tx);
    size_t n = ser(b, &tx);
    sha256d(want, b, n);
    tx_compute_txid(got, &tx);
    cr_assert_arr_eq(got, want, 32, "coinbase txid = SHA256d(all)");
    tx_leaf_hash(got, &tx);
    cr_assert_arr_eq(got, want, 32, "coinbase leaf = SHA256d(all)");

    sample_transfer(&tx);
    n = ser(b, &tx);
    sha256d(want, b, TX_TRANSFER_UNSIGNED_SIZE);
    tx_compute_txid(got, &tx);
    cr_assert_arr_eq(got, want, 32, "transfer txid = SHA256d(unsigned)");
    sha256d(want, b, n);
    tx_leaf_hash(got, &tx);
    cr_assert_arr_eq(got, want, 32, "transfer leaf = SHA256d(all)");
}

Test(tx, txid_excludes_the_signature_leaf_does_not)
{
    tx_t tx;
    sample_transfer(&tx);
    uint8_t id1[32], id2[32], leaf1[32], leaf2[32];
    tx_compute_txid(id1, &tx);
    tx_leaf_hash(leaf1, &tx);
    tx.sig[10] ^= 1;
    tx_compute_txid(id2, &tx);
    tx_leaf_hash(leaf2, &tx);
    cr_assert_arr_eq(id1, id2, 32);
    cr_assert_arr_neq(leaf1, leaf2, 32);
    /* Every other field does change the txid. */
    tx.fee++;
    tx_compute_txid(id2, &tx);
    cr_assert_arr_neq(id1, id2, 32);
}

Test(tx, sighash_is_the_tagged_hash, .init = setup_nets)
{
    tx_t tx;
    sample_transfer(&tx);
    uint8_t b[TX_MAX_SIZE];
    ser(b, &tx);
    /* SHA256(SHA256(tag) || SHA256(tag) || network id || unsigned tx). */
    uint8_t pre[32 + 32 + 32 + TX_TRANSFER_UNSIGNED_SIZE];
    sha256(pre, "pickaxe/tx", 10);
    memcpy(pre + 32, pre, 32);
    memcpy(pre + 64, net_a, 32);
    memcpy(pre + 96, b, TX_TRANSFER_UNSIGNED_SIZE);
    uint8_t want[32], got[32], other[32];
    sha256(want, pre, sizeof pre);
    tx_sighash(got, &tx, net_a);
    cr_assert_arr_eq(got, want, 32);
    tx_sighash(other, &tx, net_b);
    cr_assert_arr_neq(got, other, 32);
    /* The signature is not part of what it signs. */
    tx.sig[0] ^= 0xff;
    tx_sighash(other, &tx, net_a);
    cr_assert_arr_eq(got, other, 32);
}

/* ---- signatures
 * --------------------------------------------------------------- */

static keys_keypair_t alice, bob;
static uint8_t alice_pub[32], bob_pub[32];

static void setup_keys(void)
{
    setup_nets();
    cr_assert_eq(keys_keypair_generate(&alice), 0);
    cr_assert_eq(keys_keypair_generate(&bob), 0);
    keys_keypair_xonly(alice_pub, &alice);
    keys_keypair_xonly(bob_pub, &bob);
}

static void teardown_keys(void)
{
    keys_keypair_wipe(&alice);
    keys_keypair_wipe(&bob);
}

static void signed_transfer(tx_t *tx)
{
    tx_init_transfer(tx, alice_pub, bob_pub, 5 * COIN, 1000, 7);
    cr_assert_eq(tx_sign(tx, &alice, net_a), 0);
    cr_assert(tx_verify_signature(tx, net_a));
}

Test(tx, signature_valid_only_on_its_network, .init = setup_keys,
     .fini = teardown_keys)
{
    tx_t tx;
    signed_transfer(&tx);
    cr_assert_not(tx_is_unsigned(&tx));
    cr_assert_not(tx_verify_signature(&tx, net_b));
    /* Survives the wire. */
    uint8_t b[TX_MAX_SIZE];
    size_t n = ser(b, &tx);
    tx_t back;
    cr_assert_eq(tx_parse_bytes(&back, b, n), 0);
    cr_assert(tx_verify_signature(&back, net_a));
}

Test(tx, tampering_any_field_invalidates, .init = setup_keys,
     .fini = teardown_keys)
{
    tx_t tx, t;
    signed_transfer(&tx);

    t = tx;
    t.amount++;
    cr_assert_not(tx_verify_signature(&t, net_a), "amount");
    t = tx;
    t.fee--;
    cr_assert_not(tx_verify_signature(&t, net_a), "fee");
    t = tx;
    t.nonce++;
    cr_assert_not(tx_verify_signature(&t, net_a), "nonce");
    t = tx;
    memcpy(t.recipient, alice_pub, 32);
    cr_assert_not(tx_verify_signature(&t, net_a), "recipient");
    t = tx;
    memcpy(t.sender, bob_pub, 32);
    cr_assert_not(tx_verify_signature(&t, net_a), "sender");
    /* Every bit of the serialized form, signature included. */
    uint8_t b[TX_MAX_SIZE];
    size_t n = ser(b, &tx);
    for (size_t i = 1; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1 << bit);
            cr_assert_eq(tx_parse_bytes(&t, b, n), 0);
            cr_assert_not(tx_verify_signature(&t, net_a), "byte %zu bit %d", i,
                          bit);
            b[i] ^= (uint8_t)(1 << bit);
        }
    }
    cr_assert_eq(tx_parse_bytes(&t, b, n), 0);
    cr_assert(tx_verify_signature(&t, net_a), "restored bytes verify");
}

Test(tx, unsigned_and_coinbase_are_refused, .init = setup_keys,
     .fini = teardown_keys)
{
    tx_t tx;
    tx_init_transfer(&tx, alice_pub, bob_pub, 1, 0, 0);
    cr_assert(tx_is_unsigned(&tx));
    cr_assert_not(tx_verify_signature(&tx, net_a));

    tx_init_coinbase(&tx, 1, 0, alice_pub, 50 * COIN);
    cr_assert_not(tx_verify_signature(&tx, net_a));
    cr_assert_eq(tx_sign(&tx, &alice, net_a), ERR_ARG);
}

Test(tx, sender_that_is_not_a_key_is_refused, .init = setup_keys,
     .fini = teardown_keys)
{
    tx_t tx;
    signed_transfer(&tx);
    /* Not an x coordinate on the curve (BIP-340 vector 5's key). */
    cr_assert_eq(hex_decode(tx.sender, 32,
                            "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B97687"
                            "66E4FAA04A2D4A34"),
                 0);
    cr_assert_not(tx_verify_signature(&tx, net_a));
    memset(tx.sender, 0xff, 32); /* above the field size */
    cr_assert_not(tx_verify_signature(&tx, net_a));
}

Test(tx, signing_needs_the_senders_key, .init = setup_keys,
     .fini = teardown_keys)
{
    tx_t tx;
    tx_init_transfer(&tx, alice_pub, bob_pub, 1, 0, 0);
    cr_assert_eq(tx_sign(&tx, &bob, net_a), ERR_ARG);
    cr_assert(tx_is_unsigned(&tx), "signature written on failure");

    uint8_t sk[32];
    keys_keypair_secret(sk, &alice);
    cr_assert_eq(tx_sign_with_secret(&tx, sk, net_b), 0);
    cr_assert(tx_verify_signature(&tx, net_b));
    cr_assert_not(tx_verify_signature(&tx, net_a));

    uint8_t zero[32] = {0};
    tx_t before = tx;
    cr_assert_eq(tx_sign_with_secret(&tx, zero, net_a), ERR_INVALID);
    cr_assert_arr_eq(tx.sig, before.sig, 64);
    explicit_bzero(sk, sizeof sk);
}
