/*
 * gen_corpus — writes the fuzzers' seed inputs: valid encodings of every
 * wire message type, real regtest blocks and transactions (mined and signed
 * by the library itself), Bitcoin's genesis header, BIP-173/350 strings,
 * pickaxe addresses, hex, a query for every rpc method, wallet service
 * requests; and programs for the stateful harnesses (gen_stateful.c).
 *
 * Usage: gen-corpus DIR   (make fuzz-corpus runs it on tests/fuzz/corpus)
 * Writes DIR/<target>/seed-<name> (and, for the stateful targets, the
 * named reproductions regress-<name>); existing files of the same name are
 * replaced, other files (crash regressions) are left alone. The output is
 * the same every run (signatures use fixed auxiliary data).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "address.h"
#include "block.h"
#include "chain.h"
#include "gen_stateful.h"
#include "hex.h"
#include "keys.h"
#include "params.h"
#include "template.h"
#include "tx.h"
#include "wire.h"

static const char *root;

static void die(const char *what)
{
    fprintf(stderr, "gen-corpus: %s\n", what);
    exit(1);
}

static void put(const char *target, const char *name, const void *data,
                size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        die("cannot create a corpus directory");
    snprintf(path, sizeof path, "%s/%s/seed-%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die("cannot write a seed");
}

/* A text seed for a target whose first byte selects a mode or network. */
static void put_text(const char *target, const char *name, int mode,
                     const char *text)
{
    size_t n = strlen(text);
    char *b = malloc(n + 1);
    if (!b)
        die("out of memory");
    size_t off = 0;
    if (mode >= 0)
        b[off++] = (char)mode;
    memcpy(b + off, text, n);
    put(target, name, b, off + n);
    free(b);
}

static void key(uint8_t secret[32], uint8_t pub[32], uint8_t seed)
{
    memset(secret, seed, 32);
    if (keys_pubkey_from_secret(pub, secret) != 0)
        die("bad key");
}

/* ---- blocks and transactions ------------------------------------------------
 */

typedef struct {
    buf_t genesis, small, full;            /* serialized blocks */
    buf_t coinbase, transfer, unsigned_tx; /* serialized transactions */
    uint8_t headers[3][BLOCK_HEADER_SIZE];
    uint8_t hashes[3][32];
} chain_seeds_t;

/* Signs with fixed auxiliary data, so the seeds are the same every run. */
static void sign(tx_t *tx, const uint8_t secret[32],
                 const uint8_t network_id[32])
{
    static const uint8_t aux[32] = {0};
    keys_keypair_t kp;
    uint8_t msg[32];
    tx_sighash(msg, tx, network_id);
    if (keys_keypair_from_secret(&kp, secret) != 0 ||
        keys_sign_with_aux(tx->sig, &kp, msg, aux) != 0)
        die("sign");
    keys_keypair_wipe(&kp);
}

static void make_chain(chain_seeds_t *s)
{
    const params_t *p = params_regtest();
    chain_config_t cfg = {.params = p, .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    if (!c)
        die("chain_new");
    uint8_t alice_sk[32], alice[32], bob_sk[32], bob[32];
    key(alice_sk, alice, 1);
    key(bob_sk, bob, 2);

    const chain_node_t *g = chain_tip(c);
    if (block_serialize(&s->genesis, &g->block) != 0)
        die("serialize");

    /* Height 1 pays alice; height 2 spends from her. */
    block_t b1, b2;
    if (template_build(&b1, c, g, alice, NULL, 0, g->block.header.time + 1,
                       1) ||
        template_solve(&b1))
        die("block 1");
    const char *why = NULL;
    if (chain_add_block(c, &why, &b1) != 0)
        die(why ? why : "block 1 refused");
    if (block_serialize(&s->small, &b1) != 0)
        die("serialize");

    tx_t t[3];
    for (int i = 0; i < 3; i++) {
        tx_init_transfer(&t[i], alice, bob, 1000 + (uint64_t)i, 10,
                         (uint64_t)i);
        sign(&t[i], alice_sk, p->network_id);
    }
    const chain_node_t *n1 = chain_tip(c);
    if (template_build(&b2, c, n1, bob, t, 3, n1->block.header.time + 1, 2) ||
        template_solve(&b2))
        die("block 2");
    if (chain_add_block(c, &why, &b2) != 0)
        die(why ? why : "block 2 refused");
    if (block_serialize(&s->full, &b2) != 0)
        die("serialize");

    tx_t u;
    tx_init_transfer(&u, bob, alice, 5, 1, 0);
    if (tx_serialize(&s->coinbase, &b2.txs[0]) != 0 ||
        tx_serialize(&s->transfer, &t[0]) != 0 ||
        tx_serialize(&s->unsigned_tx, &u) != 0)
        die("serialize");

    const block_t *blocks[3] = {&g->block, &b1, &b2};
    for (int i = 0; i < 3; i++) {
        block_header_serialize(s->headers[i], &blocks[i]->header);
        block_compute_hash(s->hashes[i], &blocks[i]->header);
    }
    block_deinit(&b1);
    block_deinit(&b2);
    chain_free(&c);
}

static void put_buf(const char *target, const char *name, const buf_t *b)
{
    put(target, name, b->data, b->len);
}

/* ---- wire messages ---------------------------------------------------------
 */

static void put_msg(const chain_seeds_t *s, const uint8_t net[32],
                    const char *name, const wire_msg_t *m)
{
    (void)s;
    buf_t b;
    buf_init(&b);
    if (wire_encode(&b, net, m) != 0)
        die(name);
    put("wire", name, b.data, b.len);
    buf_deinit(&b);
}

static void wire_seeds(const chain_seeds_t *s)
{
    const uint8_t *net = params_regtest()->network_id;
    wire_msg_t m;
    wire_peer_t peers[2] = {
        {0x1122334455667788ULL, "tcp://127.0.0.1:9000", "tcp://127.0.0.1:9001"},
        {42, "tcp://10.0.0.2:18444", "tcp://10.0.0.2:18445"},
    };
    static const char query[] =
        "{\"method\":\"getchain\",\"params\":{\"from\":0,\"limit\":5}}";
    static const char reply[] = "{\"result\":{\"height\":2}}";

    static const uint16_t empty[] = {WIRE_ACK, WIRE_PEERS, WIRE_GET_TIP,
                                     WIRE_GET_MEMPOOL};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        wire_msg_init(&m, empty[i]);
        put_msg(s, net, wire_type_name(empty[i]), &m);
    }
    wire_msg_init(&m, WIRE_ERROR);
    m.u.error.code = -3;
    strcpy(m.u.error.reason, "bad-blk-pow");
    put_msg(s, net, "ERROR", &m);

    const struct {
        uint16_t type;
        const buf_t *blob;
        const char *text;
    } blobs[] = {
        {WIRE_SUBMIT_TX, &s->transfer, NULL},
        {WIRE_TX, &s->transfer, NULL},
        {WIRE_NEW_TX, &s->coinbase, NULL},
        {WIRE_NEW_BLOCK, &s->full, NULL},
        {WIRE_QUERY, NULL, query},
        {WIRE_REPLY, NULL, reply},
    };
    for (size_t i = 0; i < sizeof blobs / sizeof *blobs; i++) {
        wire_msg_init(&m, blobs[i].type);
        if (blobs[i].blob) {
            m.u.blob.data = blobs[i].blob->data;
            m.u.blob.len = blobs[i].blob->len;
        } else {
            m.u.blob.data = (const uint8_t *)blobs[i].text;
            m.u.blob.len = strlen(blobs[i].text);
        }
        put_msg(s, net, wire_type_name(blobs[i].type), &m);
    }

    wire_msg_init(&m, WIRE_REGISTER);
    m.u.peer = peers[0];
    put_msg(s, net, "REGISTER", &m);
    m.type = WIRE_PEER_JOINED;
    put_msg(s, net, "PEER_JOINED", &m);
    m.type = WIRE_PEER_LEFT;
    put_msg(s, net, "PEER_LEFT", &m);

    wire_msg_init(&m, WIRE_REGISTER_OK);
    m.u.peer_list.peer_timeout_ms = 15000;
    m.u.peer_list.count = 2;
    m.u.peer_list.peers = peers;
    put_msg(s, net, "REGISTER_OK", &m);
    m.type = WIRE_PEER_LIST;
    put_msg(s, net, "PEER_LIST", &m);

    wire_msg_init(&m, WIRE_PING);
    m.u.node_id = peers[0].id;
    put_msg(s, net, "PING", &m);
    m.type = WIRE_LEAVE;
    put_msg(s, net, "LEAVE", &m);

    wire_msg_init(&m, WIRE_PONG);
    m.u.pong.known = true;
    m.u.pong.peers = 3;
    put_msg(s, net, "PONG", &m);

    wire_tip_t tip = {.height = 2};
    memcpy(tip.tip, s->hashes[2], 32);
    tip.work[0] = 6;
    wire_msg_init(&m, WIRE_HELLO);
    m.u.hello.node_id = peers[1].id;
    m.u.hello.tip = tip;
    put_msg(s, net, "HELLO", &m);
    wire_msg_init(&m, WIRE_TIP);
    m.u.tip = tip;
    put_msg(s, net, "TIP", &m);

    uint8_t locator[3 * 32];
    for (int i = 0; i < 3; i++)
        memcpy(locator + 32 * i, s->hashes[2 - i], 32);
    wire_msg_init(&m, WIRE_GET_HEADERS);
    m.u.get_headers.count = 3;
    m.u.get_headers.hashes = locator;
    put_msg(s, net, "GET_HEADERS", &m);

    wire_msg_init(&m, WIRE_HEADERS);
    m.u.headers.count = 3;
    m.u.headers.headers = &s->headers[0][0];
    put_msg(s, net, "HEADERS", &m);

    wire_msg_init(&m, WIRE_GET_BLOCKS);
    m.u.get_blocks.count = 2;
    m.u.get_blocks.hashes = locator;
    put_msg(s, net, "GET_BLOCKS", &m);

    wire_blob_t items[3] = {
        {s->small.data, s->small.len},
        {s->full.data, s->full.len},
        {s->genesis.data, s->genesis.len},
    };
    wire_msg_init(&m, WIRE_BLOCKS);
    m.u.list.count = 3;
    m.u.list.items = items;
    put_msg(s, net, "BLOCKS", &m);

    wire_blob_t txs[3] = {
        {s->transfer.data, s->transfer.len},
        {s->unsigned_tx.data, s->unsigned_tx.len},
        {s->coinbase.data, s->coinbase.len},
    };
    wire_msg_init(&m, WIRE_MEMPOOL);
    m.u.list.count = 3;
    m.u.list.items = txs;
    put_msg(s, net, "MEMPOOL", &m);
    m.type = WIRE_SUBMIT_TXS;
    put_msg(s, net, "SUBMIT_TXS", &m);

    /* NEW_TXS: the claimed txids here are not the transactions' own; the
     * decoder does not look (the node checks a claim when it parses). */
    wire_txitem_t claimed[3] = {
        {s->hashes[0], txs[0]},
        {s->hashes[1], txs[1]},
        {s->hashes[2], txs[2]},
    };
    wire_msg_init(&m, WIRE_NEW_TXS);
    m.u.txs.count = 3;
    m.u.txs.items = claimed;
    put_msg(s, net, "NEW_TXS", &m);

    wire_result_t answers[2] = {{0, ""}, {-3, "bad-txns-nonce-replay"}};
    wire_msg_init(&m, WIRE_SUBMITTED);
    m.u.results.count = 2;
    m.u.results.items = answers;
    put_msg(s, net, "SUBMITTED", &m);

    /* Another network's message, and a future protocol version. */
    wire_msg_init(&m, WIRE_NEW_BLOCK);
    m.u.blob.data = s->small.data;
    m.u.blob.len = s->small.len;
    put_msg(s, params_demo()->network_id, "other-network-NEW_BLOCK", &m);
    buf_t b;
    buf_init(&b);
    if (wire_encode_empty(&b, net, WIRE_GET_TIP) != 0)
        die("GET_TIP");
    b.data[4] = 2;
    put("wire", "version-2-GET_TIP", b.data, b.len);
    buf_deinit(&b);
}

/* ---- text -------------------------------------------------------------------
 */

static void text_seeds(const chain_seeds_t *s)
{
    uint8_t sk[32], pub[32];
    key(sk, pub, 1);
    char addr[ADDRESS_MAX_LEN], demo[ADDRESS_MAX_LEN], upper[ADDRESS_MAX_LEN];
    if (address_encode(addr, sizeof addr, ADDRESS_HRP_REGTEST, pub) ||
        address_encode(demo, sizeof demo, ADDRESS_HRP_DEMO, pub))
        die("address");
    strcpy(upper, addr);
    for (char *q = upper; *q; q++)
        if (*q >= 'a' && *q <= 'z')
            *q = (char)(*q - 'a' + 'A');

    /* fuzz_address: first byte even = regtest, odd = demo. */
    put_text("address", "regtest", 0, addr);
    put_text("address", "demo", 1, demo);
    put_text("address", "upper", 0, upper);
    put_text("address", "wrong-network", 1, addr);
    addr[10] = addr[10] == 'q' ? 'p' : 'q';
    put_text("address", "typo", 0, addr);
    addr[10] = addr[10] == 'q' ? 'p' : 'q';

    /* fuzz_bech32: mode 0 decodes text, 1 encodes, 2 converts bits. */
    static const char *const strings[] = {
        "a1lqfn3a",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "a12uel5l",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k"
        "t5nd6y",
        "BC1SW50QGDZ25J",
    };
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        char name[32];
        snprintf(name, sizeof name, "decode-%zu", i);
        put_text("bech32", name, 0, strings[i]);
    }
    put_text("bech32", "decode-pickaxe", 0, demo);
    uint8_t enc[1 + 1 + 2 + 8];
    enc[0] = 1;
    enc[1] = 2; /* hrp length */
    enc[2] = 2; /* bech32m */
    memcpy(enc + 3, "px", 2);
    for (int i = 0; i < 7; i++)
        enc[5 + i] = (uint8_t)(i * 4);
    put("bech32", "encode", enc, sizeof enc);
    uint8_t conv[1 + 1 + 32];
    conv[0] = 2;
    conv[1] = 0x07 | 0x20; /* 8 -> 5 bits */
    memcpy(conv + 2, pub, 32);
    put("bech32", "convert", conv, sizeof conv);

    /* fuzz_hex */
    char hex[2 * TX_MAX_SIZE + 1];
    hex_from_hash(hex, s->hashes[2]);
    put_text("hex", "hash", -1, hex);
    for (char *q = hex; *q; q++)
        if (*q >= 'a' && *q <= 'f')
            *q = (char)(*q - 'a' + 'A');
    put_text("hex", "hash-upper", -1, hex);
    hex_encode(hex, s->transfer.data, s->transfer.len);
    put_text("hex", "transfer", -1, hex);
    put_text("hex", "odd", -1, "abc");
    put_text("hex", "bad-char", -1, "0g");
}

/* ---- rpc queries
 * -------------------------------------------------------------- */

static void rpc_seeds(const chain_seeds_t *s)
{
    uint8_t sk[32], pub[32];
    key(sk, pub, 1);
    char addr[ADDRESS_MAX_LEN], hash[HEX_HASH_LEN + 1], gen[HEX_HASH_LEN + 1];
    char tx[2 * TX_MAX_SIZE + 1], q[1024];
    if (address_encode(addr, sizeof addr, ADDRESS_HRP_REGTEST, pub))
        die("address");
    hex_from_hash(hash, s->hashes[2]);
    hex_from_hash(gen, s->hashes[0]);
    hex_encode(tx, s->transfer.data, s->transfer.len);

    static const char *const fixed[][2] = {
        {"status", "{\"method\":\"status\"}"},
        {"getchain", "{\"method\":\"getchain\",\"params\":{\"from\":0,"
                     "\"limit\":3,\"newest_first\":true}}"},
        {"getblock-height", "{\"method\":\"getblock\",\"params\":"
                            "{\"height\":0}}"},
        {"mempool", "{\"method\":\"mempool\",\"params\":{}}"},
        {"peers", "{\"method\":\"peers\"}"},
        {"chaintips", "{\"method\":\"chaintips\"}"},
        {"tree", "{\"method\":\"tree\",\"params\":{\"from\":0,"
                 "\"count\":5}}"},
        {"events", "{\"method\":\"events\",\"params\":{\"since\":1,"
                   "\"max\":10}}"},
        {"unknown", "{\"method\":\"nope\",\"params\":[]}"},
        {"not-an-object", "[1,2,3]"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        put("rpc", fixed[i][0], fixed[i][1], strlen(fixed[i][1]));

    /* One call per format, so -Wformat=2 checks each. */
    snprintf(q, sizeof q,
             "{\"method\":\"getblock\",\"params\":{\"hash\":\"%s\"}}", gen);
    put("rpc", "getblock-hash", q, strlen(q));
    snprintf(q, sizeof q,
             "{\"method\":\"balance\",\"params\":{\"address\":\"%s\"}}", addr);
    put("rpc", "balance", q, strlen(q));
    snprintf(q, sizeof q,
             "{\"method\":\"generate\",\"params\":{\"count\":2,"
             "\"address\":\"%s\"}}",
             addr);
    put("rpc", "generate", q, strlen(q));
    snprintf(q, sizeof q, "{\"method\":\"tx\",\"params\":{\"txid\":\"%s\"}}",
             hash);
    put("rpc", "tx", q, strlen(q));
    snprintf(q, sizeof q, "{\"method\":\"submit\",\"params\":{\"hex\":\"%s\"}}",
             tx);
    put("rpc", "submit", q, strlen(q));
    snprintf(q, sizeof q,
             "{\"method\":\"balance_after\",\"params\":{\"address\":"
             "\"%s\",\"txid\":\"%s\"}}",
             addr, hash);
    put("rpc", "balance_after", q, strlen(q));
}

/* ---- wallet service requests
 * ------------------------------------------------- */

static void wallet_seeds(void)
{
    uint8_t sk[32], pub[32];
    key(sk, pub, 2);
    char addr[ADDRESS_MAX_LEN], body[512];
    if (address_encode(addr, sizeof addr, ADDRESS_HRP_REGTEST, pub))
        die("address");
    /* fuzz_wallet_api: first byte 0 coins, 1 amount, 2 send body, 3 chain
     * query, 4 static path. */
    put_text("wallet_api", "coins", 0, "1.5");
    put_text("wallet_api", "coins-max", 0, "21000000.00000000");
    put_text("wallet_api", "coins-unit", 0, "0.00000001");
    put_text("wallet_api", "amount-int", 1, "150000000");
    put_text("wallet_api", "amount-str", 1, "\"0.25\"");
    put_text("wallet_api", "amount-real", 1, "1.5");
    snprintf(body, sizeof body,
             "{\"recipient\":\"%s\",\"amount\":\"1.5\",\"fee\":1000,"
             "\"sign\":true}",
             addr);
    put_text("wallet_api", "send", 2, body);
    snprintf(body, sizeof body,
             "{\"recipient\":\"%s\",\"amount\":100000000,\"sign\":false}",
             addr);
    put_text("wallet_api", "send-unsigned", 2, body);
    static const char page[] = "\x03"
                               "2\0"
                               "10";
    put("wallet_api", "chain-page", page, sizeof page - 1);
    static const char from[] = "\x06"
                               "\0"
                               "100\0"
                               "4294967295";
    put("wallet_api", "chain-from", from, sizeof from - 1);
    put_text("wallet_api", "path-root", 4, "/");
    put_text("wallet_api", "path-page", 4, "/wallet_ui.html");
    put_text("wallet_api", "path-vendor", 4, "/vendor/bootstrap.min.css");
    put_text("wallet_api", "path-traversal", 4, "/../etc/passwd");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-corpus DIR\n");
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0755) != 0 && errno != EEXIST)
        die("cannot create the corpus directory");

    chain_seeds_t s;
    memset(&s, 0, sizeof s);
    make_chain(&s);

    put_buf("tx", "coinbase", &s.coinbase);
    put_buf("tx", "transfer", &s.transfer);
    put_buf("tx", "unsigned", &s.unsigned_tx);
    buf_t two;
    buf_init(&two);
    buf_put(&two, s.transfer.data, s.transfer.len);
    buf_put(&two, s.coinbase.data, s.coinbase.len);
    put_buf("tx", "two-in-a-row", &two);
    buf_deinit(&two);

    put_buf("block", "genesis", &s.genesis);
    put_buf("block", "coinbase-only", &s.small);
    put_buf("block", "three-transfers", &s.full);

    static const char bitcoin_genesis[] =
        "0100000000000000000000000000000000000000000000000000000000000000000000"
        "003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab"
        "5f49ffff001d1dac2b7c";
    uint8_t hdr[BLOCK_HEADER_SIZE];
    if (hex_decode(hdr, sizeof hdr, bitcoin_genesis) != 0)
        die("bitcoin genesis");
    put("header", "bitcoin-genesis", hdr, sizeof hdr);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "regtest-%d", i);
        put("header", name, s.headers[i], BLOCK_HEADER_SIZE);
    }

    wire_seeds(&s);
    text_seeds(&s);
    rpc_seeds(&s);
    wallet_seeds();
    gen_stateful_seeds(root);

    buf_deinit(&s.genesis);
    buf_deinit(&s.small);
    buf_deinit(&s.full);
    buf_deinit(&s.coinbase);
    buf_deinit(&s.transfer);
    buf_deinit(&s.unsigned_tx);
    return 0;
}
