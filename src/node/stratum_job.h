/*
 * stratum_job — what a Stratum v1 miner is sent and what it sends back,
 * encoded and checked; no I/O, no state.
 *
 * A job (stratum_work_t) is the part of a block template a miner needs: the
 * coinbase cut around its 8-byte extra-nonce (coinb1, coinb2), the merkle
 * branch of the coinbase, and the header's version, previous hash, bits and
 * time. The miner fills the extra-nonce with the connection's extranonce1
 * (STRATUM_EXTRANONCE1_SIZE bytes) and its own extranonce2
 * (STRATUM_EXTRANONCE2_SIZE), hashes the coinbase with SHA256d, folds it
 * up the branch into the merkle root, and searches nonces (and, with BIP
 * 310, version bits under STRATUM_VERSION_MASK) over the 80-byte header.
 * The coinbase halves have no fixed size here, so a real Bitcoin block's
 * job can be rebuilt by the same code (the unit test does).
 *
 * Byte order on the wire, as cpuminer, cgminer and ckpool speak it:
 *   prevhash            the header's 32 bytes with each 4-byte word
 *                       byte-reversed (64 hex digits);
 *   version, nbits,     the u32 value in big-endian hex, 8 digits,
 *   ntime, nonce        zero-padded (the header holds them little-endian);
 *   coinb1, coinb2,     bytes in order;
 *   extranonce1/2
 *   branch              each hash's 32 bytes in order (not reversed).
 *
 * Share difficulty is Bitcoin's pool difficulty: difficulty 1 is the target
 * 0xffff * 2^208; difficulty d is that target divided by d (so d < 1 is an
 * easier target, up to the largest 256-bit number).
 */
#ifndef PICKAXE_STRATUM_JOB_H
#define PICKAXE_STRATUM_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "err.h"
#include "uint256.h"

#define STRATUM_EXTRANONCE1_SIZE 4
#define STRATUM_EXTRANONCE2_SIZE 4
/* The largest coinbase half a job holds (pickaxe's are 5 and 40 bytes). */
#define STRATUM_COINB_MAX 256
/* 2^32 transactions would need 32 levels. */
#define STRATUM_BRANCH_MAX 32
/* BIP 310: the version bits a miner may roll (bits 13..28). */
#define STRATUM_VERSION_MASK 0x1fffe000u

typedef struct {
    uint32_t version, time, bits;
    uint8_t prev_hash[32]; /* as in the header */
    uint8_t coinb1[STRATUM_COINB_MAX];
    size_t coinb1_len;
    uint8_t coinb2[STRATUM_COINB_MAX];
    size_t coinb2_len;
    uint8_t branch[STRATUM_BRANCH_MAX][32];
    size_t branch_len;
} stratum_work_t;

/* What a mining.submit carries, decoded. */
typedef struct {
    uint8_t extranonce1[STRATUM_EXTRANONCE1_SIZE];
    uint8_t extranonce2[STRATUM_EXTRANONCE2_SIZE];
    uint32_t time, nonce;
    uint32_t version; /* the job's, with the rolled bits applied */
} stratum_share_t;

/*
 * Cuts a pickaxe template into a job whose coinbase pays recipient
 * (instead of the template's own recipient).
 * Returns: 0; ERR_ARG when tpl has no coinbase or more than
 *          2^STRATUM_BRANCH_MAX transactions; ERR_NOMEM.
 * Out:     work, written only on success.
 */
PX_MUST_CHECK int stratum_job_from_template(stratum_work_t *work,
                                            const block_t *tpl,
                                            const uint8_t recipient[32]);

/* Makes a job cut by stratum_job_from_template pay recipient instead:
 * coinb2 begins with the coinbase's recipient (tx.h fixes the layout). */
void stratum_job_set_payee(stratum_work_t *work, const uint8_t recipient[32]);

/*
 * The params of mining.notify: [job_id, prevhash, coinb1, coinb2, branch,
 * version, nbits, ntime, clean_jobs].
 * Returns: a new array, or NULL when out of memory.
 */
json_t *stratum_job_notify_params(const stratum_work_t *work,
                                  const char *job_id, bool clean);

/*
 * Decodes a submit's hex fields against its job. vbits may be NULL (no
 * version rolling); mask is what the connection agreed to with
 * mining.configure (0: none).
 * Returns: 0; ERR_PARSE when a field is not exactly 8 hex digits;
 *          ERR_RANGE when vbits sets a bit outside mask (or mask is 0).
 * Out:     share (extranonce1 is not touched), written only on success.
 */
PX_MUST_CHECK int stratum_job_parse_share(stratum_share_t *share,
                                          const stratum_work_t *work,
                                          const char *extranonce2,
                                          const char *ntime, const char *nonce,
                                          const char *vbits, uint32_t mask);

/* The 80-byte header a miner hashed for this share, as the miner builds
 * it: coinbase, its hash folded up the branch, then the header. */
void stratum_job_header(block_header_t *header, const stratum_work_t *work,
                        const stratum_share_t *share);

/* The share's block hash (reference SHA256d of the header above). */
void stratum_job_hash(uint8_t hash[32], const stratum_work_t *work,
                      const stratum_share_t *share);

/*
 * The solved block: a copy of tpl whose coinbase pays recipient with the
 * share's extra-nonce, with the share's merkle root, version, time, nonce.
 * Returns: 0; ERR_INVALID when its hash differs from expect (the share is
 *          not for this template); ERR_NOMEM.
 * Out:     block (owned by the caller: block_deinit()), only on success.
 */
PX_MUST_CHECK int stratum_job_block(block_t *block, const block_t *tpl,
                                    const uint8_t recipient[32],
                                    const stratum_share_t *share,
                                    const uint8_t expect[32]);

/* The target of a share difficulty (> 0); capped at 2^256 - 1. */
void stratum_job_diff_target(uint256_t *target, double difficulty);

/* The difficulty a hash met: difficulty 1's target over the hash. */
double stratum_job_hash_diff(const uint8_t hash[32]);

/* The difficulty of a network target's compact bits (0 on invalid bits). */
double stratum_job_bits_diff(uint32_t bits);

#endif
