/*
 * reasons — the table of refusal reasons and their sentences (see
 * reasons.h). Each sentence states the rule the refused thing broke, in
 * words a student can check against the code that applies it.
 */
#include "reasons.h"

#include <string.h>

static const struct {
    const char *name, *sentence;
} table[] = {
    /* The header alone (chain_validate.c). */
    {"high-hash", "the block's hash is above the target its bits name: the "
                  "proof of work is missing"},
    {"bad-diffbits", "the header's bits are not the difficulty the chain "
                     "requires at that height"},
    {"time-too-new", "the header's time is more than two hours ahead of "
                     "this node's clock"},
    {"time-too-old", "the header's time is not after the median time of the "
                     "11 blocks before it"},
    {"bad-version", "the header's version is below 1"},
    {"bad-prevblk", "the block builds on a block that was refused, or does "
                    "not extend the chain it claims to"},
    {"bad-genesis", "the chain does not start at this network's genesis "
                    "block"},
    /* The body (chain_validate.c). */
    {"bad-txnmrklroot", "the header's merkle root does not match the "
                        "block's transactions"},
    {"bad-txns-duplicate", "the block lists the same transaction twice"},
    {"bad-blk-length", "the block carries no transactions, not even a "
                       "coinbase"},
    {"bad-blk-size", "the block is larger than the size limit"},
    {"bad-cb-missing", "the block's first transaction is not a coinbase"},
    {"bad-cb-multiple", "the block has more than one coinbase"},
    {"bad-cb-height", "the coinbase does not carry the block's height"},
    {"bad-cb-amount", "the coinbase pays the miner more than the block "
                      "subsidy plus the fees"},
    {"bad-txns-amount", "a transfer's amount is zero or beyond the money "
                        "supply"},
    {"bad-txns-fee-range", "the fees add up to more than the money supply"},
    /* Transfers against the accounts (state.c, sigcheck.c). */
    {"bad-txns-sig", "a transfer's signature does not verify with the "
                     "sender's key"},
    {"bad-txns-unsigned", "a transfer carries no signature"},
    {"bad-txns-insufficient-funds", "a transfer spends more than the "
                                    "sender's balance"},
    {"bad-txns-nonce-replay", "a transfer reuses a nonce the sender already "
                              "spent: a replay or a double spend"},
    {"bad-txns-nonce-gap", "a transfer's nonce skips ahead of the sender's "
                           "next nonce"},
    {"bad-txns-balance-overflow", "a transfer would push the recipient's "
                                  "balance past the money supply"},
    {"bad-txns-kind", "only transfers travel alone; a coinbase belongs in "
                      "a block"},
    /* The mempool's policy (mempool.c). */
    {"mempool-coinbase", "a coinbase was sent as a loose transaction; only "
                         "a block may carry one"},
    {"mempool-full", "the mempool is full and the transaction pays too "
                     "little to displace another"},
    {"txn-mempool-conflict", "another pending transfer uses the same nonce "
                             "and pays at least as much fee"},
    {"too-long-mempool-chain", "the sender already has as many pending "
                               "transfers as a sender may"},
    {"txn-already-in-mempool", "the transaction is already pending"},
    /* What never reaches the chain (node, p2p). */
    {"orphan", "the block's parent is unknown here; it waits, briefly, for "
               "the parent to arrive"},
    {"stale-fork", "the block extends a branch already too far behind the "
                   "best chain to be kept (a gossiped block inserted in the "
                   "middle of the chain)"},
    {"malformed", "the bytes do not parse as a block or a transaction"},
    {"bad-txid", "the transaction is not the one its announced txid names"},
    {"rate-limited", "the peer sent requests faster than the node answers "
                     "anyone"},
    {"unresponsive", "the peer takes connections but does not answer "
                     "requests; it is not refused, only backed off"},
    {"duplicate", "the block is already in the tree"},
    {"out-of-memory", "the node ran out of memory while checking it"},
    {"not-stored", "the node could not write the block to its store"},
};

const char *reason_sentence(const char *reason)
{
    if (!reason)
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, reason) == 0)
            return table[i].sentence;
    return NULL;
}

size_t reason_count(void)
{
    return sizeof table / sizeof table[0];
}

const char *reason_name(size_t i)
{
    return i < reason_count() ? table[i].name : NULL;
}
