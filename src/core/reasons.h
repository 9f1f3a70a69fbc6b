/*
 * reasons — one plain sentence for each reason a block or a transaction is
 * refused ("bad-txnmrklroot", "bad-txns-sig", ...), for people watching
 * attacks bounce off: the short names stay the interface (logs, JSON
 * tallies, the adversary's catalogue), the sentence says what the rule is.
 *
 * The names are the ones chain_validate.c, state.c, sigcheck.c and
 * mempool.c write, plus those the node and p2p use for what never reaches
 * the chain ("orphan", "stale-fork", "malformed", "bad-txid",
 * "rate-limited").
 *
 * Thread safety: pure lookups in a constant table; thread-safe.
 */
#ifndef PICKAXE_REASONS_H
#define PICKAXE_REASONS_H

#include <stddef.h>

/* The sentence for a refusal reason (a static string), or NULL when the
 * name is not one of the known reasons (or NULL). */
const char *reason_sentence(const char *reason);

/* The number of known reasons, and the name of the i-th (i < count). */
size_t reason_count(void);
const char *reason_name(size_t i);

#endif
