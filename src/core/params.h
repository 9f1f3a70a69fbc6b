/*
 * params — the networks pickaxe knows and their consensus constants.
 *
 * Each network has its own genesis block, hence its own id (the genesis
 * block's hash), which every wire message and every signature commits to, so
 * nothing crosses from one network to another.
 *
 *   regtest  trivial target (0x207fffff: about every other hash wins), no
 *            retargeting; tests mine blocks instantly.
 *   demo     retargets every block toward a target block time of a few
 *            seconds (see difficulty.h for the algorithm and why).
 *
 * params_t values are immutable and live for the whole process; the getters
 * are thread-safe.
 */
#ifndef PICKAXE_PARAMS_H
#define PICKAXE_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "block.h"
#include "err.h"

typedef struct {
    const char *name;          /* "regtest" or "demo" */
    const char *hrp;           /* bech32m address prefix */
    uint32_t pow_limit_bits;   /* easiest allowed target; also genesis bits */
    bool retarget;             /* false: every block uses pow_limit_bits */
    uint32_t target_spacing;   /* seconds per block the retarget aims for */
    uint32_t retarget_window;  /* blocks averaged by the retarget (demo) */
    uint64_t subsidy;          /* base units created per block at first */
    uint32_t halving_interval; /* blocks between subsidy halvings */
    uint32_t genesis_time;
    uint32_t genesis_nonce;
    uint16_t default_port;  /* request port; gossip publishes on port + 1 */
    uint8_t network_id[32]; /* genesis block hash, filled at first use */
} params_t;

/* Returns the named network ("regtest", "demo"), or NULL when unknown. */
const params_t *params_get(const char *name);

const params_t *params_regtest(void);
const params_t *params_demo(void);

/* The network whose id (genesis block hash) this is, or NULL. */
const params_t *params_by_network_id(const uint8_t network_id[32]);

/* That network's name, or "an unknown network", for messages that say
 * which network a peer is on. */
const char *params_network_name(const uint8_t network_id[32]);

/* The names of every network, NULL-terminated, for --help texts. */
const char *const *params_names(void);

/* Subsidy of a block at height (halving every halving_interval blocks). */
uint64_t params_block_subsidy(const params_t *p, uint32_t height);

/*
 * Builds the network's genesis block (height 0; its coinbase pays the
 * subsidy to an all-zero key nobody can sign for).
 * Returns: 0 or ERR_NOMEM. Out: genesis, owned by the caller (block_deinit).
 */
PX_MUST_CHECK int params_genesis_block(const params_t *p, block_t *genesis);

#endif
