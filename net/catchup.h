/*
 * catchup — the sync exchange with one peer: optionally its tip first, then
 * our block locator (GET_HEADERS) -> its best-chain headers after the last
 * block we share (HEADERS) -> the blocks we lack, a few at a time
 * (GET_BLOCKS / BLOCKS); repeated with a fresh locator until the peer has
 * nothing new for us. Bitcoin's headers-first exchange, for one peer.
 *
 * A catchup_t does no I/O: catchup_begin() writes the first request frame,
 * and catchup_reply() takes the peer's reply to the last one and writes the
 * next, until the exchange is done. So it serves a caller that waits for
 * each reply (catchup_run(), over p2p_request()) as well as one that must
 * not wait (the node's main loop, over p2p_ask(), which hands the reply back
 * through the inbox). It reads the chain for the locator and to skip the
 * blocks already known, and hands every block it receives to the caller's
 * on_block, which validates and keeps it (or not) and says so.
 *
 * Every step is fed by the peer, so every step is bounded: a HEADERS reply
 * holds at most WIRE_MAX_HEADERS headers (the decoder refuses more), a
 * GET_BLOCKS asks for at most WIRE_MAX_BLOCKS blocks and only blocks asked
 * for are taken, at most max_rounds locator rounds are made, and a round
 * whose blocks add nothing to the chain ends the exchange.
 *
 * States: TIP (GET_TIP sent; only with ask_tip) -> HEADERS (GET_HEADERS
 * sent) -> BLOCKS (GET_BLOCKS sent) -> BLOCKS ... -> HEADERS (next round)
 * ... -> DONE. Any error ends the exchange (DONE).
 *
 * Thread safety: a catchup_t belongs to one thread at a time, and the chain
 * is read on the calling thread.
 */
#ifndef PICKAXE_CATCHUP_H
#define PICKAXE_CATCHUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "bytes.h"
#include "chain.h"
#include "p2p.h"
#include "wire.h"

/*
 * A block the peer sent (borrowed for the call). Returns 0 when it was
 * added; ERR_DUPLICATE or ERR_ORPHAN when it was not but the exchange may
 * go on; anything else ends the exchange with that code (ERR_INVALID: the
 * block broke a rule -- scoring its sender is the callback's business).
 */
typedef int (*catchup_block_fn)(void *ctx, const block_t *block);

typedef enum {
    CATCHUP_TIP = 1,
    CATCHUP_HEADERS,
    CATCHUP_BLOCKS,
    CATCHUP_DONE,
} catchup_state_t;

typedef struct {
    catchup_state_t state;
    uint8_t network_id[32];
    catchup_block_fn on_block;
    void *ctx;
    uint8_t (*want)[32]; /* owned: the blocks the last HEADERS named that the
                            chain lacked, WIRE_MAX_HEADERS at most */
    size_t nwant, next;  /* next: the first not asked for yet */
    uint8_t asked[WIRE_MAX_BLOCKS][32]; /* the GET_BLOCKS in flight */
    size_t nasked;
    unsigned rounds, max_rounds;
    uint64_t added;       /* blocks on_block added, in all */
    uint64_t added_round; /* ... when the current round began */
} catchup_t;

/*
 * Begins an exchange.
 * Returns: 0; ERR_ARG when max_rounds is 0 or on_block is NULL; ERR_NOMEM.
 *          Nothing needs freeing after an error.
 * Out:     req   emptied, then the first request frame (GET_TIP with
 *                ask_tip, else GET_HEADERS).
 * In:      ask_tip     ask the peer's tip first, and go on only when it is
 *                      unknown here and its chain has more work than ours.
 *          max_rounds  locator rounds at most (each up to WIRE_MAX_HEADERS
 *                      blocks).
 */
int catchup_begin(catchup_t *c, buf_t *req, const uint8_t network_id[32],
                  const chain_t *chain, bool ask_tip, unsigned max_rounds,
                  catchup_block_fn on_block, void *ctx);

/*
 * Takes the peer's reply to the last request.
 * Returns: 0 with the next request in req, or 0 with the exchange done
 *          (catchup_done(); req empty);
 *          ERR_FULL: the peer refused (an ERROR reply: busy, rate-limited)
 *          -- an answer, not misbehaviour;
 *          ERR_PARSE with *fault: the reply is not what was asked (another
 *          type, a header or block that does not parse, a block not asked
 *          for) -- the peer's fault;
 *          ERR_NOT_FOUND: the peer had none of the blocks asked for (it
 *          pruned or reorganised meanwhile);
 *          on_block's refusal (ERR_INVALID, ...); ERR_NOMEM; ERR_ARG when
 *          the exchange is already done.
 *          On any error the exchange is done.
 * Out:     req     emptied, then the next request frame, if any.
 *          fault   with ERR_PARSE, what was wrong (static string); may be
 *                  NULL.
 * In:      reply   the decoded reply (borrowed).
 */
int catchup_reply(catchup_t *c, buf_t *req, const char **fault,
                  const chain_t *chain, const wire_msg_t *reply);

/* True once the exchange is over. */
bool catchup_done(const catchup_t *c);

/* Blocks on_block added so far. */
uint64_t catchup_added(const catchup_t *c);

/* Frees what the exchange holds; harmless twice. */
void catchup_deinit(catchup_t *c);

/*
 * Runs a whole exchange with one peer, waiting for each reply
 * (p2p_request(): its timeouts and retries).
 * Returns: 0 when the peer has nothing more for us; p2p_request()'s error;
 *          ERR_PARSE (with *fault) also when a reply does not decode;
 *          otherwise as catchup_reply().
 * Out:     added  blocks on_block added (may be NULL).
 *          fault  as catchup_reply() (may be NULL).
 */
int catchup_run(p2p_t *p, uint64_t *added, const char **fault,
                const chain_t *chain, uint64_t peer, bool ask_tip,
                unsigned max_rounds, catchup_block_fn on_block, void *ctx);

#endif
