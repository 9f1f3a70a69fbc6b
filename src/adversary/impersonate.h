/*
 * impersonate — the adversary's registration attack: for each honest peer
 * it knows, a REGISTER at the tracker under a fresh key of its own that
 * names the adversary's request endpoint and the honest node's gossip
 * endpoint (public in the peer list). Before peers were keys one such
 * registration evicted the honest node and sent every node's requests for
 * it to the adversary; now the tracker must refuse it (another live key
 * holds that endpoint) and the honest node must stay listed, unbanned and
 * relayed. The outcome of every attempt is counted.
 *
 * Not thread-safe; the adversary's main loop calls it.
 */
#ifndef PICKAXE_IMPERSONATE_H
#define PICKAXE_IMPERSONATE_H

#include <stdint.h>

#include "p2p.h"

typedef struct {
    uint64_t tried, accepted, refused, unanswered;
} impersonate_tally_t;

/*
 * One round: at most IMPERSONATE_MAX_PER_ROUND of p2p's peers, each with a
 * fresh key, asked of the tracker's keyed endpoint (learned with GET_KEY
 * on its plain endpoint).
 * Returns: 0; ERR_TIMEOUT or ERR_NET when the tracker did not answer
 *          GET_KEY.
 */
#define IMPERSONATE_MAX_PER_ROUND 16
PX_MUST_CHECK int impersonate_round(impersonate_tally_t *tally, p2p_t *p2p,
                                    const char *tracker, const char *own_req);

#endif
