/*
 * rpc_history — the node's `history` query: an address's transactions,
 * pending and confirmed, newest first and paged (the method is described
 * with the others in rpc.h).
 *
 * Pending transfers come first, from the mempool; confirmed ones after
 * them, from the address index (addrindex.h), which the query brings up to
 * the best chain. Runs under the node lock like every method.
 */
#ifndef PICKAXE_RPC_HISTORY_H
#define PICKAXE_RPC_HISTORY_H

#include <jansson.h>

struct node;

/* Most items one page may hold; the default is RPC_HISTORY_LIMIT. */
#define RPC_HISTORY_MAX 100
#define RPC_HISTORY_LIMIT 20

/*
 * Answers {address, page?, limit?}.
 * Returns: a new {"result": ...} or {"error": ...} object, or NULL when out
 *          of memory.
 */
json_t *rpc_history(struct node *n, const json_t *params);

#endif
