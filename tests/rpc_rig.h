/*
 * rpc_rig — asking the in-process node of node_rig.h its JSON queries
 * (rpc_handle called directly, as the request thread does), for the tests
 * of the node's methods (test_rpc.c, test_rpc_explorer.c): two fixed keys
 * with their regtest addresses, and the checks every such test makes of an
 * answer (one of result or error; an error's code and message).
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_RPC_RIG_H
#define PICKAXE_TEST_RPC_RIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fixtures.h"

/* Keys 1 and 2 of fixtures.h and their "pxrt" addresses. */
extern fx_key_t rr_alice, rr_bob;
extern char rr_alice_addr[100], rr_bob_addr[100];

/* nr_new(name), then the two keys and their addresses. */
void rr_start(const char *name);

/* Asks the node; returns the whole answer (caller json_decref). Fails the
 * test unless it holds exactly one of result or error. Takes params. */
json_t *rr_ask(const char *method, json_t *params);

/* The result of a call that must succeed (borrowed from *holder, which the
 * caller json_decrefs). */
json_t *rr_ok(json_t **holder, const char *method, json_t *params);

/* Expects an error with this code whose message contains `text`. */
void rr_refused(const char *method, json_t *params, int code, const char *text);

/* The integer at key; fails the test when it is not one. */
json_int_t rr_int_of(const json_t *o, const char *key);

/* Mines count blocks paying `to` through "generate", all of them made. */
void rr_mine(int count, const char *to);

/* A transfer from rr_alice to rr_bob, signed (or not), as hex. */
void rr_transfer_hex(char *hex, uint64_t amount, uint64_t nonce, bool sign);

#endif
