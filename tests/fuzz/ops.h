/*
 * ops — the byte languages of the stateful harnesses (fuzz_chain,
 * fuzz_mempool), shared with the seed generator (gen_stateful.c) so that
 * the committed seeds and the harnesses read the same operations.
 *
 * An input is a configuration byte followed by operations. Each operation
 * is an opcode byte (taken modulo the number of operations) and a fixed
 * number of argument bytes; missing bytes at the end read as zero, and the
 * input ends when its bytes do. Every byte value means something, so
 * libFuzzer's mutations always give a runnable program.
 *
 * Selecting a block (argument "sel"): values below 0x80 count back from the
 * newest block built (0 = newest, wrapping around the list, genesis
 * included); values from 0x80 count back from the chain's best tip along
 * the best chain (0x80 = the tip itself), so forks at any depth under the
 * tip are one byte away.
 *
 * Kinds of block ("kind"): below OPS_KIND_BAD_BASE an honest block; from
 * there on, ((kind - OPS_KIND_BAD_BASE) mod OPS_BAD_COUNT) picks one of the
 * broken kinds below (the adversary's catalogue, src/adversary/attack.c).
 *
 * Transfers ("txs", "mv"): txs bits 0-1 give how many transfers an honest
 * block tries to carry (0-3), bits 2-3, 4-5 and 6-7 the sender of each;
 * mv bits 0-1 pick the miner paid by the coinbase, bits 2-4 make each
 * transfer the large variant instead of the small one (blockkit.h). A
 * transfer the branch cannot afford is left out, so an honest block is
 * valid by construction.
 */
#ifndef PICKAXE_FUZZ_OPS_H
#define PICKAXE_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An input being read. */
typedef struct {
    const uint8_t *data;
    size_t size, pos;
} ops_input_t;

/* The next byte, or 0 past the end. */
static inline uint8_t ops_next(ops_input_t *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* True while an operation can start. */
static inline bool ops_more(const ops_input_t *in)
{
    return in->pos < in->size;
}

/* ---- fuzz_chain ---------------------------------------------------------- */

/* Configuration byte: bits 0-1 the orphan pool's size, bits 2-3 the prune
 * depth (index into the tables in fuzz_chain.c; 0 = the chain's defaults). */

enum {
    /* BUILD sel kind txs mv: one block on sel, not delivered. */
    OPS_CHAIN_BUILD,
    /* EXTEND sel len txs mv: (len mod 16) + 1 honest blocks, each on the
     * previous one, the first on sel; none delivered. */
    OPS_CHAIN_EXTEND,
    /* DELIVER sel: offer that block to chain_add_block (again, maybe). */
    OPS_CHAIN_DELIVER,
    /* MUTATE sel how: offer a copy with the same header and another body:
     * how bit 0 set and an odd count: the last transaction repeated
     * (CVE-2012-2459, same merkle root); otherwise the coinbase's
     * extra-nonce changed (the header no longer commits to the body). */
    OPS_CHAIN_MUTATE,
    /* PENDING order: every block built but never offered, order mod 3:
     * 0 newest first, 1 oldest first, 2 shuffled (seed order / 3). */
    OPS_CHAIN_PENDING,
    /* BRANCH sel order: sel and its ancestors missing from the tree, order
     * bit 0 clear: newest first (parents late), set: oldest first. */
    OPS_CHAIN_BRANCH,
    OPS_CHAIN_COUNT
};

/* Broken kinds of block; reasons in fuzz_chain.c. */
enum {
    OPS_BAD_HASH,        /* misses its own target */
    OPS_BAD_BITS_EASY,   /* bits above the proof-of-work limit */
    OPS_BAD_BITS_HARD,   /* solved, but not the bits the chain expects */
    OPS_BAD_TIME_FUTURE, /* beyond the clock's allowance */
    OPS_BAD_TIME_PAST,   /* at or before the median time past */
    OPS_BAD_VERSION,     /* version 0 */
    OPS_BAD_MERKLE,      /* the header's root matches no body */
    OPS_BAD_CB_AMOUNT,   /* coinbase pays one unit too much */
    OPS_BAD_CB_HEIGHT,   /* coinbase names the wrong height */
    OPS_BAD_CB_MULTIPLE, /* a second coinbase */
    OPS_BAD_SIG,         /* a payable transfer with a broken signature */
    OPS_BAD_UNSIGNED,    /* a payable transfer with no signature */
    OPS_BAD_REPLAY,      /* a transfer whose nonce the branch used */
    OPS_BAD_DOUBLE,      /* two transfers with one (sender, nonce) */
    OPS_BAD_GAP,         /* a transfer whose nonce skips one */
    OPS_BAD_OVERSPEND,   /* a transfer the sender cannot pay */
    OPS_BAD_DUP_TXID,    /* one txid twice, with different signatures */
    OPS_BAD_COUNT
};

#define OPS_KIND_BAD_BASE 0x80

/* ---- fuzz_mempool ----------------------------------------------------------
 */

/* Configuration byte: bits 0-1 the pool's max_txs, bits 2-3 the chain's
 * prune depth (tables in fuzz_mempool.c). */

enum {
    /* OFFER sender delta variant: mempool_add of the pre-signed transfer
     * from (sender mod 4) whose nonce is the pool's next nonce for it plus
     * (delta mod 5) - 2, in (variant mod 4, blockkit.h): fresh, replayed,
     * gapped, or replacing a pending one (or failing to). */
    OPS_POOL_OFFER,
    /* TAMPER sender how: the sender's next transfer broken, how mod 3:
     * 0 a flipped signature, 1 no signature, 2 a coinbase instead. */
    OPS_POOL_TAMPER,
    /* MINE max mv: a block on the tip carrying the pool's selection of at
     * most (max mod 4) transfers, miner mv bits 0-1; delivered. */
    OPS_POOL_MINE,
    /* FORK depth len txs mv: a branch from the best-chain block (depth
     * mod 8) under the tip, (len mod 8) + 1 honest blocks with transfers
     * chosen as for the chain's txs and mv bytes (not from the pool);
     * delivered oldest first, or newest first when mv bit 7 is set. It
     * stays behind (and is pruned later) or wins a reorg. */
    OPS_POOL_FORK,
    /* REVALIDATE: mempool_revalidate on the best state. */
    OPS_POOL_REVALIDATE,
    OPS_POOL_COUNT
};

#endif
