/*
 * transfer — the one way a pickaxe tool sends coins: pickaxe-cli's send and
 * createtx, and the wallet service's POST /transaction/send (which the
 * wallet page uses) all build, sign and submit a transfer through
 * transfer_send().
 *
 * The steps, in order, each of which may refuse:
 *
 *   1. the request: the recipient must be an address of the network, the
 *      amount more than zero, amount + fee at most MAX_MONEY
 *      (TRANSFER_BAD_REQUEST);
 *   2. the account: unless the caller gives the nonce (offline signing),
 *      the sender's next nonce and available balance are asked for
 *      (io->account; TRANSFER_NO_ACCOUNT when that fails), and a transfer
 *      of more than is available is refused (TRANSFER_NO_FUNDS);
 *   3. signing with the wallet's key for the network (or not, when sign is
 *      false: an unsigned transfer exists to watch the network refuse it;
 *      TRANSFER_SIGN_FAILED);
 *   4. submitting (io->submit, when there is one: TRANSFER_NOT_SUBMITTED
 *      when it fails). Where it goes -- a node, the tracker, both -- is the
 *      caller's business.
 *
 * How the account is asked for and where the transfer goes are callbacks,
 * so the module knows no socket: the CLI asks its node over rpcclient, the
 * wallet service over its node link, the unit test an in-process node.
 * The node's `balance` answer (src/node/rpc.h) reads into an account with
 * transfer_account_from_json().
 *
 * Messages are sentences a person reads as they are; amounts in them are in
 * coins (amount_format_short()).
 *
 * Thread safety: transfer_send() keeps no state; it is as thread-safe as
 * the callbacks it is given.
 */
#ifndef PICKAXE_TRANSFER_H
#define PICKAXE_TRANSFER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "hex.h"
#include "params.h"
#include "tx.h"
#include "wallet.h"

/* Size of a buffer that holds any message of this module. */
#define TRANSFER_REASON_MAX 320

/* The sender's account as a node sees it (its `balance` answer). */
typedef struct {
    uint64_t nonce;     /* the nonce the account's next transfer carries */
    uint64_t available; /* base units: confirmed minus pending spends */
} transfer_account_t;

/* What transfer_send() asks of the world. Each callback returns 0, or an
 * err.h code with a sentence in why (NUL-terminated, at most why_len). */
typedef struct {
    /* The account of address (the sender's), for steps 2. NULL: the
     * request must carry its nonce. */
    int (*account)(void *ctx, transfer_account_t *out, char *why,
                   size_t why_len, const char *address);
    /* Hands over the transfer, signed or not (step 4). NULL: nothing is
     * submitted (the caller keeps the transfer, e.g. to print it). */
    int (*submit)(void *ctx, char *why, size_t why_len, const tx_t *tx,
                  const char *txid_hex);
    void *ctx; /* given to both */
} transfer_io_t;

/* One transfer to make. */
typedef struct {
    const wallet_t *wallet; /* the sender's key (borrowed) */
    const params_t *params; /* the network (borrowed) */
    const char *recipient;  /* the recipient's address, as typed */
    uint64_t amount;        /* base units, more than zero */
    uint64_t fee;           /* base units */
    bool sign;              /* false: left unsigned, to be refused */
    bool has_nonce;         /* true: use nonce, ask no account, check no
                               balance (offline signing) */
    uint64_t nonce;
} transfer_request_t;

/* Which step refused (transfer_result_t.refused). */
typedef enum {
    TRANSFER_OK = 0,
    TRANSFER_BAD_REQUEST,   /* the recipient, amount or fee */
    TRANSFER_NO_ACCOUNT,    /* io->account failed */
    TRANSFER_NO_FUNDS,      /* more than the available balance */
    TRANSFER_SIGN_FAILED,   /* the key could not sign */
    TRANSFER_NOT_SUBMITTED, /* io->submit failed */
} transfer_refusal_t;

/* What came of it. */
typedef struct {
    transfer_refusal_t refused;       /* TRANSFER_OK when it went through */
    char reason[TRANSFER_REASON_MAX]; /* why, when refused; else "" */
    char from[ADDRESS_MAX_LEN];       /* the sender's address */
    tx_t tx;                          /* from step 3 on: the transfer */
    char txid_hex[HEX_HASH_LEN + 1];  /* from step 3 on: its id */
    uint64_t nonce;                   /* from step 2 on: the nonce used */
    uint64_t available;               /* when asked: the balance seen */
} transfer_result_t;

/**
 * Builds, signs and submits one transfer (the steps above).
 *
 * Returns: 0 when every step went through;
 *          ERR_ARG (TRANSFER_BAD_REQUEST, TRANSFER_NO_FUNDS);
 *          what io->account returned (TRANSFER_NO_ACCOUNT);
 *          ERR_IO or ERR_CRYPTO (TRANSFER_SIGN_FAILED);
 *          what io->submit returned (TRANSFER_NOT_SUBMITTED).
 * Out:     out  always written: refused and reason say which step refused
 *               and why; the fields the steps before it filled are kept.
 * In:      req  the transfer (borrowed).
 *          io   the callbacks (borrowed); NULL: none.
 */
int transfer_send(transfer_result_t *out, const transfer_request_t *req,
                  const transfer_io_t *io);

/**
 * Reads a node's `balance` answer ({..., "available": N, "nonce": N}) into
 * an account.
 * Returns: 0; ERR_PARSE when either field is missing, not an integer, or
 *          negative (the answer is the node's: checked, not trusted).
 */
int transfer_account_from_json(transfer_account_t *out, const json_t *balance);

#endif
