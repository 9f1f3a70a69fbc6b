/*
 * transfer — build, sign and submit a transfer (see transfer.h).
 *
 * The request is checked before anything is asked of the node, so a typo
 * costs no round trip; wallet_create_transaction() checks it again, as its
 * contract says, and that second check never refuses what the first let
 * through.
 */
#include "transfer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "err.h"

/* Records which step refused and why; returns rc. */
static int refuse(transfer_result_t *out, transfer_refusal_t step, int rc,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(transfer_result_t *out, transfer_refusal_t step, int rc,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    out->refused = step;
    return rc;
}

/* Step 1: what can be told without the node. */
static int check_request(transfer_result_t *out, const transfer_request_t *req)
{
    uint8_t key[32];
    const char *why = NULL;
    if (address_decode(key, &why, req->params->hrp, req->recipient) != 0)
        return refuse(out, TRANSFER_BAD_REQUEST, ERR_ARG,
                      "the recipient %s is not a %s address: %s",
                      req->recipient, req->params->name,
                      why ? why : "malformed");
    if (req->amount == 0)
        return refuse(out, TRANSFER_BAD_REQUEST, ERR_ARG,
                      "the amount must be more than zero");
    if (req->amount > MAX_MONEY || req->fee > MAX_MONEY - req->amount)
        return refuse(out, TRANSFER_BAD_REQUEST, ERR_ARG,
                      "amount plus fee is more than the 21,000,000 coins "
                      "that can ever exist");
    return 0;
}

/* Step 2: the nonce, and whether the account can pay. */
static int check_account(transfer_result_t *out, const transfer_request_t *req,
                         const transfer_io_t *io)
{
    if (req->has_nonce) {
        out->nonce = req->nonce;
        return 0;
    }
    if (!io->account)
        return refuse(out, TRANSFER_NO_ACCOUNT, ERR_ARG,
                      "no nonce given and no node to ask for one");
    transfer_account_t acct;
    char why[TRANSFER_REASON_MAX] = "";
    int rc = io->account(io->ctx, &acct, why, sizeof why, out->from);
    if (rc)
        return refuse(out, TRANSFER_NO_ACCOUNT, rc, "%s",
                      why[0] ? why : err_str(rc));
    out->nonce = acct.nonce;
    out->available = acct.available;
    if (req->amount > acct.available ||
        req->fee > acct.available - req->amount) {
        char have[AMOUNT_TEXT_MAX], want[AMOUNT_TEXT_MAX], fee[AMOUNT_TEXT_MAX];
        return refuse(out, TRANSFER_NO_FUNDS, ERR_ARG,
                      "insufficient funds: %s has %s coins available, not "
                      "enough for %s plus a fee of %s",
                      out->from, amount_format_short(have, acct.available),
                      amount_format_short(want, req->amount),
                      amount_format_short(fee, req->fee));
    }
    return 0;
}

int transfer_send(transfer_result_t *out, const transfer_request_t *req,
                  const transfer_io_t *io)
{
    static const transfer_io_t none = {NULL, NULL, NULL};
    if (!io)
        io = &none;
    memset(out, 0, sizeof *out);
    if (wallet_get_public_key_str(req->wallet, req->params->hrp, out->from,
                                  sizeof out->from) != 0)
        return refuse(out, TRANSFER_BAD_REQUEST, ERR_ARG,
                      "the network's address prefix is not valid");
    int rc = check_request(out, req);
    if (rc == 0)
        rc = check_account(out, req, io);
    if (rc)
        return rc;
    const char *why = NULL;
    rc = wallet_create_transaction(req->wallet, &out->tx, &why, req->recipient,
                                   req->amount, req->fee, out->nonce, req->sign,
                                   req->params->hrp, req->params->network_id);
    if (rc)
        return refuse(
            out, rc == ERR_ARG ? TRANSFER_BAD_REQUEST : TRANSFER_SIGN_FAILED,
            rc, "cannot make the transfer: %s", why ? why : err_str(rc));
    uint8_t txid[32];
    tx_compute_txid(txid, &out->tx);
    hex_from_hash(out->txid_hex, txid);
    if (!io->submit)
        return 0;
    char reason[TRANSFER_REASON_MAX] = "";
    rc = io->submit(io->ctx, reason, sizeof reason, &out->tx, out->txid_hex);
    if (rc)
        return refuse(out, TRANSFER_NOT_SUBMITTED, rc, "%s",
                      reason[0] ? reason : err_str(rc));
    return 0;
}

int transfer_account_from_json(transfer_account_t *out, const json_t *balance)
{
    const json_t *nonce = json_object_get(balance, "nonce");
    const json_t *available = json_object_get(balance, "available");
    if (!json_is_integer(nonce) || !json_is_integer(available) ||
        json_integer_value(nonce) < 0 || json_integer_value(available) < 0)
        return ERR_PARSE;
    out->nonce = (uint64_t)json_integer_value(nonce);
    out->available = (uint64_t)json_integer_value(available);
    return 0;
}
