/*
 * cli_submit — pickaxe-cli submit: signed transactions made elsewhere
 * (createtx, another tool), one as an argument or one per line on stdin,
 * handed to the node, or with --tracker to the tracker, which relays them
 * to every node.
 *
 * From stdin they go WIRE_MAX_TX_BATCH at a time in one SUBMIT_TXS, sent
 * as soon as stdin has nothing more ready, so a slow writer's lines do not
 * wait for a full batch; a node or tracker that does not take SUBMIT_TXS
 * gets them one by one. Each line's txid is printed, or its refusal and
 * line number.
 */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "err.h"
#include "hex.h"
#include "tx.h"
#include "wire.h"

int cli_submit_hex(cli_t *cli, char txid[HEX_HASH_LEN + 1], const char *hex)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    tx_t tx;
    if (hex_decode_alloc(&raw, &len, hex) != 0 ||
        tx_parse_bytes(&tx, raw, len) != 0) {
        free(raw);
        return cmdline_fail("not a serialized transaction: %.20s%s", hex,
                            strlen(hex) > 20 ? "..." : "");
    }
    uint8_t id[32];
    tx_compute_txid(id, &tx);
    hex_from_hash(txid, id);
    if (cli->given & CLI_OPT_TRACKER) {
        char endpoint[SOCK_ENDPOINT_MAX];
        cli_tracker_endpoint(cli, endpoint, sizeof endpoint);
        if (!cli->tracker_client)
            cli->tracker_client = cli_open_client(
                cli, endpoint, true, CLI_DEFAULT_TIMEOUT_MS, "the tracker");
        rpcclient_t *c = cli->tracker_client;
        if (!c) {
            free(raw);
            return CMDLINE_EXIT_FAIL; /* cli_open_client said why */
        }
        char *msg = NULL;
        int rc = rpcclient_submit_tx(c, &msg, raw, len);
        free(raw);
        return rc ? cli_call_failed(rc, msg, "the tracker") : CMDLINE_EXIT_OK;
    }
    free(raw);
    int st;
    json_t *r = CLI_QUERY(cli, "submit", json_pack("{s:s}", "hex", hex), &st);
    json_decref(r);
    return r ? CMDLINE_EXIT_OK : st;
}

static int print_txid(cli_t *cli, const char *txid)
{
    if (cli->json) {
        json_t *o = json_pack("{s:s}", "txid", txid);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", txid);
    }
    return CMDLINE_EXIT_OK;
}

/* Lines of `submit -` waiting to go to the node (or with --tracker the
 * tracker) in one SUBMIT_TXS. */
typedef struct {
    char *hex[WIRE_MAX_TX_BATCH];
    uint8_t *raw[WIRE_MAX_TX_BATCH];
    size_t len[WIRE_MAX_TX_BATCH];
    unsigned long line[WIRE_MAX_TX_BATCH];
    size_t n;
    bool one_by_one; /* the node or tracker does not take SUBMIT_TXS */
} submit_batch_t;

static void submit_batch_clear(submit_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->hex[i]);
        free(b->raw[i]);
    }
    b->n = 0;
}

/* Submits one line on its own (to a node or tracker that does not take
 * SUBMIT_TXS); prints its txid or why it failed. */
static int submit_line(cli_t *cli, const char *hex, unsigned long line)
{
    char txid[HEX_HASH_LEN + 1];
    if (cli_submit_hex(cli, txid, hex) != CMDLINE_EXIT_OK) {
        fprintf(stderr, "pickaxe-cli: (line %lu)\n", line);
        return CMDLINE_EXIT_FAIL;
    }
    return print_txid(cli, txid);
}

/*
 * Sends the waiting lines as one SUBMIT_TXS, to the node or with --tracker
 * to the tracker, and prints, line by line, the txid or the reason it was
 * refused. One round trip (and one lock turn and relay frame at the node,
 * one relay frame at the tracker) for up to WIRE_MAX_TX_BATCH transactions
 * is what lets one client keep the nodes' signature checks busy. A node or
 * tracker that refuses the request itself (an older one: "malformed
 * request", "does not serve SUBMIT_TXS") gets the lines one by one, as
 * before.
 */
static int submit_batch_send(cli_t *cli, submit_batch_t *b)
{
    int st = CMDLINE_EXIT_OK;
    if (b->n == 0)
        return st;
    wire_blob_t items[WIRE_MAX_TX_BATCH];
    for (size_t i = 0; i < b->n; i++)
        items[i] = (wire_blob_t){b->raw[i], b->len[i]};
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = (uint16_t)b->n;
    req.u.list.items = items;
    uint8_t *frame = NULL;
    char *msg = NULL;
    bool to_tracker = (cli->given & CLI_OPT_TRACKER) != 0;
    const char *peer = to_tracker ? "the tracker" : "the node";
    rpcclient_t **slot = to_tracker ? &cli->tracker_client : &cli->node_client;
    if (!b->one_by_one && !*slot) {
        char endpoint[SOCK_ENDPOINT_MAX];
        if (to_tracker)
            cli_tracker_endpoint(cli, endpoint, sizeof endpoint);
        else
            snprintf(endpoint, sizeof endpoint, "%s", cli->node);
        *slot =
            cli_open_client(cli, endpoint, true, CLI_DEFAULT_TIMEOUT_MS, peer);
        if (!*slot) { /* cli_open_client said why */
            fprintf(stderr, "pickaxe-cli: (lines %lu-%lu)\n", b->line[0],
                    b->line[b->n - 1]);
            submit_batch_clear(b);
            return CMDLINE_EXIT_FAIL;
        }
    }
    rpcclient_t *c = b->one_by_one ? NULL : *slot;
    int rc = c ? rpcclient_request(c, &reply, &frame, &msg, &req) : ERR_NET;
    if (rc == 0 &&
        (reply.type != WIRE_SUBMITTED || reply.u.results.count != b->n)) {
        wire_msg_clear(&reply);
        free(frame);
        rc = ERR_PARSE;
        free(msg);
        msg = strdup("the answer to SUBMIT_TXS does not match it");
    } else if (rc && c && rpcclient_last_error_remote(c)) {
        b->one_by_one = true;
    }
    if (b->one_by_one) {
        free(msg);
        for (size_t i = 0; i < b->n; i++)
            if (submit_line(cli, b->hex[i], b->line[i]) != CMDLINE_EXIT_OK)
                st = CMDLINE_EXIT_FAIL;
        submit_batch_clear(b);
        return st;
    }
    if (rc) {
        if (to_tracker)
            cli_call_failed(rc, msg, peer);
        else
            cli_node_call_failed(cli, rc, msg, "submit");
        fprintf(stderr, "pickaxe-cli: (lines %lu-%lu)\n", b->line[0],
                b->line[b->n - 1]);
        submit_batch_clear(b);
        return CMDLINE_EXIT_FAIL;
    }
    free(msg);
    for (size_t i = 0; i < b->n; i++) {
        const wire_result_t *r = &reply.u.results.items[i];
        if (r->code != 0) {
            cmdline_fail("%s", r->reason[0] ? r->reason : err_str(r->code));
            fprintf(stderr, "pickaxe-cli: (line %lu)\n", b->line[i]);
            st = CMDLINE_EXIT_FAIL;
            continue;
        }
        tx_t tx;
        uint8_t id[32];
        char txid[HEX_HASH_LEN + 1];
        /* Parsed once already when it was queued: it cannot fail now. */
        if (tx_parse_bytes(&tx, b->raw[i], b->len[i]) != 0)
            continue;
        tx_compute_txid(id, &tx);
        hex_from_hash(txid, id);
        print_txid(cli, txid);
    }
    wire_msg_clear(&reply);
    free(frame);
    submit_batch_clear(b);
    return st;
}

/* Queues one line of `submit -` for the next SUBMIT_TXS, or reports it
 * when it is not a transaction at all. */
static int submit_batch_add(submit_batch_t *b, const char *hex,
                            unsigned long line)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    tx_t tx;
    char *copy = strdup(hex);
    if (!copy || hex_decode_alloc(&raw, &len, hex) != 0 ||
        tx_parse_bytes(&tx, raw, len) != 0) {
        free(copy);
        free(raw);
        cmdline_fail("not a serialized transaction: %.20s%s", hex,
                     strlen(hex) > 20 ? "..." : "");
        fprintf(stderr, "pickaxe-cli: (line %lu)\n", line);
        return CMDLINE_EXIT_FAIL;
    }
    b->hex[b->n] = copy;
    b->raw[b->n] = raw;
    b->len[b->n] = len;
    b->line[b->n] = line;
    b->n++;
    return CMDLINE_EXIT_OK;
}

/* Reads stdin a line at a time, and tells whether more is ready without
 * waiting, so `submit -` sends what it has before it blocks on a pipe that
 * a slow writer feeds. */
typedef struct {
    char buf[64 * 1024];
    size_t start, end;
    bool eof;
} line_reader_t;

/* True when a whole line is buffered, or stdin can be read at once. */
static bool line_ready(line_reader_t *r)
{
    if (r->eof || memchr(r->buf + r->start, '\n', r->end - r->start))
        return true;
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* The next line, without its end of line, in out (cut at max - 1
 * characters); false at the end of input. */
static bool line_next(line_reader_t *r, char *out, size_t max)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl || (r->eof && r->end > r->start) ||
            r->end - r->start == sizeof r->buf) {
            size_t len =
                nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
            size_t keep = len < max - 1 ? len : max - 1;
            memcpy(out, r->buf + r->start, keep);
            out[keep] = '\0';
            r->start += nl ? len + 1 : len;
            return true;
        }
        if (r->eof)
            return false;
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        ssize_t got =
            read(STDIN_FILENO, r->buf + r->end, sizeof r->buf - r->end);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            r->eof = true;
        else
            r->end += (size_t)got;
    }
}

int cli_cmd_submit(cli_t *cli)
{
    if (strcmp(cli->args[0], "-") != 0) {
        char txid[HEX_HASH_LEN + 1];
        int st = cli_submit_hex(cli, txid, cli->args[0]);
        return st ? st : print_txid(cli, txid);
    }
    /* One hex transaction per line on stdin; one txid per line out. They
     * go WIRE_MAX_TX_BATCH at a time, to the node or to the tracker. */
    submit_batch_t *batch = calloc(1, sizeof *batch);
    line_reader_t *in = calloc(1, sizeof *in);
    if (!batch || !in) {
        free(batch);
        free(in);
        return cmdline_fail("out of memory");
    }
    char line[2 * WIRE_MAX_TX_SIZE + 8];
    int st = CMDLINE_EXIT_OK;
    unsigned long n = 0;
    for (;;) {
        /* Nothing more to read right now: send what is waiting first. */
        if (batch->n && !line_ready(in) &&
            submit_batch_send(cli, batch) != CMDLINE_EXIT_OK)
            st = CMDLINE_EXIT_FAIL;
        if (!line_next(in, line, sizeof line))
            break;
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!line[0])
            continue;
        n++;
        if (batch->one_by_one) {
            if (submit_line(cli, line, n) != CMDLINE_EXIT_OK)
                st = CMDLINE_EXIT_FAIL;
            continue;
        }
        if (submit_batch_add(batch, line, n) != CMDLINE_EXIT_OK)
            st = CMDLINE_EXIT_FAIL;
        if (batch->n == WIRE_MAX_TX_BATCH &&
            submit_batch_send(cli, batch) != CMDLINE_EXIT_OK)
            st = CMDLINE_EXIT_FAIL;
    }
    if (submit_batch_send(cli, batch) != CMDLINE_EXIT_OK)
        st = CMDLINE_EXIT_FAIL;
    free(batch);
    free(in);
    return st;
}

/* Loads --keystore, saying why not on failure. */
