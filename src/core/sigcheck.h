/*
 * sigcheck — verify many transfer signatures at once, across threads.
 *
 * Block validation checks every transfer's BIP-340 signature after the cheap
 * rules have passed. Signatures are independent, so a large block is split
 * into contiguous slices, one per thread; the first failure found stops the
 * other threads at their next transaction.
 *
 * Thread-safe: libsecp256k1 verification uses a read-only context.
 */
#ifndef PICKAXE_SIGCHECK_H
#define PICKAXE_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tx.h"

/*
 * Verifies the signatures of txs[0..n-1] (coinbases are skipped).
 * In:   threads  how many threads may be used (0 or 1: the caller's only).
 * Returns: 0 when all are valid; ERR_INVALID with *bad = an index that
 *          failed and *reason "bad-txns-unsigned" or "bad-txns-sig".
 */
PX_MUST_CHECK int sigcheck_verify(size_t *bad, const char **reason,
                                  const tx_t *txs, size_t n,
                                  const uint8_t network_id[32],
                                  unsigned threads);

/* Number of threads worth using on this machine (online cores). */
unsigned sigcheck_default_threads(void);

#endif
