/*
 * cli_wallet — pickaxe-cli's keystore commands: newaddress, and send and
 * createtx, which build and sign a transfer through the one path every
 * tool shares (net/transfer.h): the cli gives it the node's view of the
 * account (`balance`) and, for send, a way to submit (cli_submit_hex: to
 * the node, or with --tracker to the tracker).
 *
 * --amount and --fee are coins as people write them (amount.h): "2" is two
 * coins, "0.5" half a coin; the fee defaults to AMOUNT_DEFAULT_FEE.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "amount.h"
#include "cmdline.h"
#include "err.h"
#include "transfer.h"
#include "wallet.h"

/* What send's and createtx's callbacks share. The callbacks say on stderr
 * why they failed (the node's words, or why it did not answer) and leave
 * the exit status here, so the caller does not say it again. */
typedef struct {
    cli_t *cli;
    int status;
} send_ctx_t;

static int ask_account(void *ctx, transfer_account_t *out, char *why,
                       size_t why_len, const char *address)
{
    send_ctx_t *s = ctx;
    (void)why;
    (void)why_len;
    json_t *b = CLI_QUERY(s->cli, "balance",
                          json_pack("{s:s}", "address", address), &s->status);
    if (!b)
        return ERR_NET;
    int rc = transfer_account_from_json(out, b);
    json_decref(b);
    if (rc)
        s->status = cmdline_fail("the node's balance answer lacks the "
                                 "account's nonce or available balance");
    return rc;
}

/* Serializes tx as hex (malloc'd), or NULL when out of memory. */
static char *tx_hex(const tx_t *tx)
{
    buf_t raw;
    buf_init(&raw);
    char *hex = NULL;
    if (tx_serialize(&raw, tx) == 0)
        hex = malloc(2 * raw.len + 1);
    if (hex)
        hex_encode(hex, raw.data, raw.len);
    buf_deinit(&raw);
    return hex;
}

static int submit(void *ctx, char *why, size_t why_len, const tx_t *tx,
                  const char *txid_hex)
{
    send_ctx_t *s = ctx;
    (void)why;
    (void)why_len;
    (void)txid_hex;
    char *hex = tx_hex(tx);
    if (!hex) {
        s->status = cmdline_fail("out of memory");
        return ERR_NOMEM;
    }
    char txid[HEX_HASH_LEN + 1];
    s->status = cli_submit_hex(s->cli, txid, hex);
    free(hex);
    return s->status ? ERR_NET : 0;
}

static wallet_t *load_keystore(const cli_t *cli)
{
    wallet_t *w = NULL;
    const char *why = NULL;
    int rc = wallet_load(&w, &why, cli->keystore);
    if (rc == ERR_NOT_FOUND)
        cmdline_fail("%s: no such keystore (make one with pickaxe-cli "
                     "newaddress --keystore %s)",
                     cli->keystore, cli->keystore);
    else if (rc)
        cmdline_fail("%s: %s", cli->keystore, why ? why : err_str(rc));
    return rc ? NULL : w;
}

/* Reads --amount and --fee (coins) and checks --to. */
static int read_flags(const cli_t *cli, transfer_request_t *req)
{
    const char *why = NULL;
    if (amount_parse_coins(&req->amount, &why, cli->amount) != 0)
        return cmdline_usage_error("--amount %s", why);
    if (req->amount == 0)
        return cmdline_usage_error("--amount must be more than zero");
    req->fee = AMOUNT_DEFAULT_FEE;
    if ((cli->given & CLI_OPT_FEE) &&
        amount_parse_coins(&req->fee, &why, cli->fee) != 0)
        return cmdline_usage_error("--fee %s", why);
    return cli_check_address(cli, "--to", cli->to);
}

/*
 * The transfer of send (submit true) and createtx: built, signed and, for
 * send, submitted by transfer_send(). Returns the exit status, having
 * said why on failure.
 */
static int make_transfer(cli_t *cli, transfer_result_t *res,
                         transfer_request_t *req, bool submit_it)
{
    memset(req, 0, sizeof *req);
    int st = read_flags(cli, req);
    if (st)
        return st;
    wallet_t *w = load_keystore(cli);
    if (!w)
        return CMDLINE_EXIT_FAIL;
    req->wallet = w;
    req->params = cli->params;
    req->recipient = cli->to;
    req->sign = true;
    req->has_nonce = (cli->given & CLI_OPT_NONCE) != 0;
    req->nonce = cli->nonce;
    send_ctx_t ctx = {cli, CMDLINE_EXIT_OK};
    transfer_io_t io = {ask_account, submit_it ? submit : NULL, &ctx};
    transfer_send(res, req, &io);
    wallet_free(&w);
    req->wallet = NULL;
    switch (res->refused) {
    case TRANSFER_OK:
        return CMDLINE_EXIT_OK;
    case TRANSFER_BAD_REQUEST:
        return cmdline_usage_error("%s", res->reason);
    case TRANSFER_NO_ACCOUNT:
    case TRANSFER_NOT_SUBMITTED:
        return ctx.status ? ctx.status : cmdline_fail("%s", res->reason);
    default:
        return cmdline_fail("%s", res->reason);
    }
}

int cli_cmd_send(cli_t *cli)
{
    transfer_request_t req;
    transfer_result_t res;
    int st = make_transfer(cli, &res, &req, true);
    if (st)
        return st;
    const char *via = cli->given & CLI_OPT_TRACKER ? "tracker" : "node";
    if (cli->json) {
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "txid", res.txid_hex, "from",
            res.from, "to", cli->to, "amount", (json_int_t)req.amount, "fee",
            (json_int_t)req.fee, "nonce", (json_int_t)res.nonce, "via", via);
        cli_print_json(o);
        json_decref(o);
    } else {
        char a[AMOUNT_TEXT_MAX], f[AMOUNT_TEXT_MAX];
        printf("sent %s coins (%" PRIu64 " units) to %s, fee %s, nonce %" PRIu64
               "\ntxid %s\n",
               amount_format(a, req.amount), req.amount, cli->to,
               amount_format(f, req.fee), res.nonce, res.txid_hex);
    }
    return CMDLINE_EXIT_OK;
}

int cli_cmd_createtx(cli_t *cli)
{
    transfer_request_t req;
    transfer_result_t res;
    int st = make_transfer(cli, &res, &req, false);
    if (st)
        return st;
    char *hex = tx_hex(&res.tx);
    if (!hex)
        return cmdline_fail("out of memory");
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:I}", "txid", res.txid_hex, "hex", hex,
                              "nonce", (json_int_t)res.nonce);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", hex);
    }
    free(hex);
    return CMDLINE_EXIT_OK;
}

int cli_cmd_newaddress(cli_t *cli)
{
    wallet_t *w = NULL;
    bool created = false;
    const char *why = NULL;
    int rc = wallet_load_or_create(&w, &created, &why, cli->keystore);
    if (rc)
        return cmdline_fail("%s: %s", cli->keystore, why ? why : err_str(rc));
    char addr[ADDRESS_MAX_LEN];
    rc = wallet_get_public_key_str(w, cli->params->hrp, addr, sizeof addr);
    wallet_free(&w);
    if (rc)
        return cmdline_fail("%s: cannot write its address: %s", cli->keystore,
                            err_str(rc));
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:b}", "address", addr, "keystore",
                              cli->keystore, "created", created);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", addr);
        if (!created)
            fprintf(stderr,
                    "%s: %s already existed: this is its address (nothing "
                    "was changed; a keystore holds one key, so one "
                    "address: give another --keystore for another)\n",
                    cmdline_prog(), cli->keystore);
    }
    return CMDLINE_EXIT_OK;
}
