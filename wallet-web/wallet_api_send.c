/*
 * wallet_api_send — the wallet service's sends: POST /transaction/send and
 * GET /transaction/<txid> (wallet_api.h).
 *
 * A send is built, signed and submitted by transfer_send() (net/transfer.h),
 * the path pickaxe-cli's send takes too; this file gives it the account as
 * the node sees it and the seed's way of submitting: to the tracker, which
 * relays it to every node, ours included. The relay is PUB/SUB, which may
 * drop it, so when our node has not heard of the transfer
 * WALLET_API_RELAY_WAIT_MS later, the node gets it straight (its answer,
 * accepted or why not, is the same either way); the same happens at once
 * when the tracker is unreachable. A transfer the node refuses was still
 * sent: the reply is a 200 whose status is "rejected", with the reason.
 *
 * Every transfer sent is remembered (the last WALLET_API_MAX_SENT), so
 * /transaction/<txid> reports a refusal even when the node kept no trace of
 * it, and hands a remembered transfer the node has lost to it again.
 */
#include "wallet_api.h"

#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "hex.h"
#include "log.h"
#include "sock.h"
#include "transfer.h"
#include "wallet_api_impl.h"

/* How long a send waits for the tracker's relay to reach our node before
 * handing the transfer to the node itself. */
#define WALLET_API_RELAY_WAIT_MS 500

/* ---- the memory of sent transfers ---------------------------------------- */

static wallet_api_sent_t *sent_find(wallet_api_t *a, const uint8_t txid[32])
{
    for (size_t i = 0; i < WALLET_API_MAX_SENT; i++)
        if (a->sent[i].used && memcmp(a->sent[i].txid, txid, 32) == 0)
            return &a->sent[i];
    return NULL;
}

static wallet_api_sent_t *sent_add(wallet_api_t *a, const tx_t *tx,
                                   const uint8_t txid[32])
{
    wallet_api_sent_t *s = sent_find(a, txid);
    if (!s) {
        s = &a->sent[a->sent_next];
        a->sent_next = (a->sent_next + 1) % WALLET_API_MAX_SENT;
    }
    memset(s, 0, sizeof *s);
    s->used = true;
    memcpy(s->txid, txid, 32);
    s->tx = *tx;
    s->sent_ms = sock_now_ms();
    return s;
}

/* ---- sending ------------------------------------------------------------- */

/* After the tracker took a transfer: waits up to WALLET_API_RELAY_WAIT_MS
 * for its relay to reach our node. Returns the node's status for it
 * ("pending", "rejected" with *reason, "confirmed"), or NULL when the node
 * has not heard of it (or does not answer). */
static const char *await_relay(wallet_api_t *a, char *reason, size_t reason_len,
                               const char *txid_hex)
{
    static const char *const known[] = {"pending", "rejected", "confirmed"};
    uint64_t end = sock_now_ms() + WALLET_API_RELAY_WAIT_MS;
    for (;;) {
        json_t *res = NULL;
        json_t *p = json_pack("{s:s}", "txid", txid_hex);
        node_link_error_t e;
        int rc = p ? node_link_query(a->link, &res, &e, "tx", p) : ERR_NOMEM;
        json_decref(p);
        if (rc) {
            json_decref(res);
            return NULL;
        }
        const char *st = json_string_value(json_object_get(res, "status"));
        for (size_t i = 0; st && i < 3; i++) {
            if (strcmp(st, known[i]) == 0) {
                const char *why =
                    json_string_value(json_object_get(res, "reason"));
                snprintf(reason, reason_len, "%s", why ? why : "");
                json_decref(res);
                return known[i];
            }
        }
        json_decref(res);
        if (sock_now_ms() >= end)
            return NULL;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* What a send's callbacks (send_account, send_submit) tell h_send. */
typedef struct {
    wallet_api_t *a;
    json_t *reply;       /* send_account: the error reply, when it failed */
    int status;          /* its HTTP status */
    const char *verdict; /* send_submit: "pending", "rejected", "confirmed" */
    char reason[256];    /* the node's, when rejected */
    const char *via;     /* "tracker+node", "node", "tracker" */
} send_ctx_t;

/* The sender's account, from the node's `balance`. */
static int send_account(void *ctx, transfer_account_t *out, char *why,
                        size_t why_len, const char *address)
{
    send_ctx_t *s = ctx;
    json_t *bal = wallet_api_ask(s->a, &s->reply, &s->status, "balance",
                                 json_pack("{s:s}", "address", address));
    if (!bal) {
        snprintf(why, why_len, "the node did not tell the balance");
        return ERR_NET;
    }
    int rc = transfer_account_from_json(out, bal);
    json_decref(bal);
    if (rc)
        snprintf(why, why_len,
                 "the node's balance answer lacks the "
                 "account's nonce or available balance");
    return rc;
}

/* Submits the seed's way (see the top of this file). Fails only when
 * neither the tracker nor the node took the transfer. */
static int send_submit(void *ctx, char *why, size_t why_len, const tx_t *tx,
                       const char *txid_hex)
{
    send_ctx_t *s = ctx;
    node_link_error_t te, ne;
    bool have_tracker = *node_link_tracker(s->a->link) != '\0';
    int trc =
        have_tracker ? node_link_submit(s->a->link, &te, true, tx) : ERR_ARG;
    if (trc == 0)
        s->verdict = await_relay(s->a, s->reason, sizeof s->reason, txid_hex);
    bool direct = s->verdict == NULL;
    int nrc = 0;
    if (direct) {
        nrc = node_link_submit(s->a->link, &ne, false, tx);
        if (nrc == 0) {
            s->verdict = "pending";
        } else if (ne.remote) {
            s->verdict = "rejected";
            snprintf(s->reason, sizeof s->reason, "%s", ne.message);
        } else if (trc == 0) {
            s->verdict = "pending"; /* relayed; our node is just silent */
        } else {
            snprintf(why, why_len, "nothing was sent: %s; %s",
                     have_tracker ? te.message : "no tracker", ne.message);
            return ne.code ? ne.code : ERR_NET;
        }
    }
    s->via = trc != 0                            ? "node"
             : direct && (nrc == 0 || ne.remote) ? "tracker+node"
                                                 : "tracker";
    return 0;
}

/* The reply to a send transfer_send() refused. */
static json_t *send_refused(int *status, const send_ctx_t *ctx,
                            const transfer_result_t *res)
{
    switch (res->refused) {
    case TRANSFER_NO_ACCOUNT:
        if (ctx->reply) {
            *status = ctx->status;
            return ctx->reply;
        }
        return wallet_api_error_reply(status, MHD_HTTP_BAD_GATEWAY, "%s",
                                      res->reason);
    case TRANSFER_NOT_SUBMITTED:
        log_warn("wallet", "send %.16s...: neither tracker nor node answered",
                 res->txid_hex);
        return wallet_api_error_reply(status, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "%s", res->reason);
    case TRANSFER_SIGN_FAILED:
        return wallet_api_error_reply(status, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "%s", res->reason);
    default: /* the request, or the funds */
        return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST, "%s",
                                      res->reason);
    }
}

json_t *wallet_api_send(wallet_api_t *a, int *status, const char *body,
                        size_t len)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    int rc =
        wallet_api_parse_send(&s, why, sizeof why, a->params->hrp, body, len);
    if (rc == ERR_RANGE && len > WALLET_API_MAX_BODY)
        return wallet_api_error_reply(status, MHD_HTTP_CONTENT_TOO_LARGE, "%s",
                                      why);
    if (rc)
        return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST, "%s", why);
    transfer_request_t req = {
        .wallet = a->wallet,
        .params = a->params,
        .recipient = s.recipient,
        .amount = s.amount,
        .fee = s.fee,
        .sign = s.sign,
    };
    send_ctx_t ctx = {.a = a};
    transfer_io_t io = {send_account, send_submit, &ctx};
    transfer_result_t res;
    if (transfer_send(&res, &req, &io) != 0)
        return send_refused(status, &ctx, &res);

    uint8_t txid[32];
    tx_compute_txid(txid, &res.tx);
    wallet_api_sent_t *rec = sent_add(a, &res.tx, txid);
    snprintf(rec->via, sizeof rec->via, "%s", ctx.via);
    if (strcmp(ctx.verdict, "rejected") == 0) {
        rec->rejected = true;
        snprintf(rec->reason, sizeof rec->reason, "%s", ctx.reason);
    }
    log_info("wallet",
             "sent %s (%s, %" PRIu64 " units to %.24s..., nonce %" PRIu64
             ") via %s: %s%s%s",
             res.txid_hex, s.sign ? "signed" : "unsigned", s.amount,
             s.recipient, res.nonce, rec->via, ctx.verdict,
             rec->rejected ? ": " : "", rec->reason);
    json_t *r = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:s}", "txid",
                          res.txid_hex, "status", ctx.verdict, "via", rec->via,
                          "nonce", (json_int_t)res.nonce, "amount",
                          (json_int_t)s.amount, "fee", (json_int_t)s.fee,
                          "signed", s.sign, "recipient", s.recipient);
    if (r && rec->rejected)
        json_object_set_new(r, "reason", json_string(rec->reason));
    return wallet_api_ok_reply(status, r);
}

/* ---- what became of a transfer ------------------------------------------- */

json_t *wallet_api_tx(wallet_api_t *a, int *status, const char *id)
{
    uint8_t txid[32];
    if (!wallet_api_is_hex64(id) || hex_to_hash(txid, id) != 0)
        return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST,
                                      "a transaction id is 64 hex characters");
    json_t *reply = NULL;
    json_t *r =
        wallet_api_ask(a, &reply, status, "tx", json_pack("{s:s}", "txid", id));
    if (!r)
        return reply;
    wallet_api_sent_t *s = sent_find(a, txid);
    const char *st = json_string_value(json_object_get(r, "status"));
    if (s && st && strcmp(st, "unknown") == 0) {
        if (!s->rejected) {
            /* The node lost it or never got it (a dropped relay, a
             * restart): hand it over again; its answer settles it. */
            node_link_error_t e;
            int rc = node_link_submit(a->link, &e, false, &s->tx);
            if (rc == 0) {
                st = "pending";
            } else if (e.remote) {
                s->rejected = true;
                snprintf(s->reason, sizeof s->reason, "%s", e.message);
            }
        }
        if (s->rejected) {
            st = "rejected";
            json_object_set_new(r, "reason", json_string(s->reason));
        }
        json_object_set_new(r, "status", json_string(st));
    }
    if (!s && st && strcmp(st, "unknown") == 0) {
        json_decref(r);
        return wallet_api_error_reply(
            status, MHD_HTTP_NOT_FOUND,
            "unknown transaction: neither the node nor this "
            "wallet knows it");
    }
    json_object_set_new(r, "sent", json_boolean(s != NULL));
    if (s)
        json_object_set_new(r, "via", json_string(s->via));
    return wallet_api_ok_reply(status, r);
}
