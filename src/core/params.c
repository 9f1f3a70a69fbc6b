/*
 * params — network constants and genesis blocks (see params.h).
 *
 * The genesis block of each network is built from the constants below the
 * first time the network is asked for; its hash becomes the network id. The
 * genesis nonces were found once and are checked by tests/test_params.c.
 */
#include "params.h"
#include "err.h"

#include <pthread.h>
#include <string.h>

static params_t regtest = {
    .name = "regtest",
    .hrp = "pxrt",
    .pow_limit_bits = 0x207fffff,
    .retarget = false,
    .target_spacing = 1,
    .retarget_window = 0,
    .subsidy = 50 * COIN,
    .halving_interval = 150,
    .genesis_time = 1764000000,
    .genesis_nonce = 0,
    .default_port = 28330,
};

static params_t demo = {
    .name = "demo",
    .hrp = "px",
    /* 2^240: about 65,000 hashes a block, so the first blocks come at once
     * and the retarget climbs to the real hashrate within a few windows. */
    .pow_limit_bits = 0x1f00ffff,
    .retarget = true,
    .target_spacing = 5,
    .retarget_window = 24,
    .subsidy = 50 * COIN,
    .halving_interval = 210000,
    .genesis_time = 1764000000,
    .genesis_nonce = 1235,
    .default_port = 18330,
};

static const char *const names[] = {"regtest", "demo", NULL};
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill_network_id(params_t *p)
{
    block_t g = {0};
    if (params_genesis_block(p, &g) == 0)
        block_compute_hash(p->network_id, &g.header);
    block_deinit(&g);
}

static void init_ids(void)
{
    fill_network_id(&regtest);
    fill_network_id(&demo);
}

const params_t *params_regtest(void)
{
    pthread_once(&once, init_ids);
    return &regtest;
}

const params_t *params_demo(void)
{
    pthread_once(&once, init_ids);
    return &demo;
}

const params_t *params_get(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, "regtest") == 0)
        return params_regtest();
    if (strcmp(name, "demo") == 0)
        return params_demo();
    return NULL;
}

const params_t *params_by_network_id(const uint8_t network_id[32])
{
    for (const char *const *name = names; *name; name++) {
        const params_t *p = params_get(*name);
        if (memcmp(p->network_id, network_id, 32) == 0)
            return p;
    }
    return NULL;
}

const char *params_network_name(const uint8_t network_id[32])
{
    const params_t *p = params_by_network_id(network_id);
    return p ? p->name : "an unknown network";
}

const char *const *params_names(void)
{
    return names;
}

uint64_t params_block_subsidy(const params_t *p, uint32_t height)
{
    uint32_t halvings = p->halving_interval ? height / p->halving_interval : 0;
    return halvings >= 64 ? 0 : p->subsidy >> halvings;
}

int params_genesis_block(const params_t *p, block_t *genesis)
{
    static const uint8_t nobody[32] = {0};
    block_t g = {0};
    tx_t cb;
    tx_init_coinbase(&cb, 0, 0, nobody, params_block_subsidy(p, 0));
    if (block_add_tx(&g, &cb) != 0)
        return ERR_NOMEM;
    g.header.version = 1;
    g.header.time = p->genesis_time;
    g.header.bits = p->pow_limit_bits;
    g.header.nonce = p->genesis_nonce;
    int rc = block_compute_merkle_root(g.header.merkle_root, &g);
    if (rc) {
        block_deinit(&g);
        return rc;
    }
    *genesis = g;
    return 0;
}
