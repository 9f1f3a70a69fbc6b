/*
 * cli_network — pickaxe-cli's commands about the network rather than the
 * chain: the node's peers, the tracker's list, and the regtest switches
 * (generate, partition, stall) that tests use to make blocks and
 * situations on demand.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "identity.h"
#include "wire.h"

static void print_peers(const json_t *r)
{
    if (json_array_size(r) == 0) {
        printf("no peers\n");
        return;
    }
    /* The key's first 16 hex digits are the node id (identity.h). */
    printf("%-16s  %-12s %5s %9s %5s %6s %7s %8s  %s\n", "key", "state",
           "score", "messages", "bad", "queued", "dropped", "answered",
           "requests, gossip");
    size_t i;
    const json_t *p;
    json_array_foreach(r, i, p)
    {
        /* A stopped process keeps its connections: "connected" says
         * nothing about whether it answers. */
        const char *state =
            json_is_true(json_object_get(p, "banned"))        ? "banned"
            : json_is_false(json_object_get(p, "responsive")) ? "unresponsive"
            : json_is_true(json_object_get(p, "connected"))   ? "connected"
                                                              : "waiting";
        char answered[32] = "never";
        if (json_is_integer(json_object_get(p, "last_answer_age_s")))
            snprintf(answered, sizeof answered, "%" PRIu64 " s ago",
                     cli_jint(p, "last_answer_age_s"));
        printf("%.16s  %-12s %5" JSON_INTEGER_FORMAT " %9" PRIu64 " %5" PRIu64
               " %6" PRIu64 " %7" PRIu64 " %8s  %s, %s\n",
               cli_jstr(p, "key"), state,
               json_integer_value(json_object_get(p, "score")),
               cli_jint(p, "messages"), cli_jint(p, "bad_messages"),
               cli_jint(p, "queued"), cli_jint(p, "dropped"), answered,
               cli_jstr(p, "req"), cli_jstr(p, "gossip"));
    }
}

int cli_cmd_peers(cli_t *cli)
{
    return cli_show(cli, "peers", NULL, print_peers);
}

int cli_cmd_generate(cli_t *cli)
{
    uint64_t count;
    int st = cmdline_uint(&count, "generate", cli->args[0], 1, 1000, "blocks");
    if (st)
        return st;
    if ((cli->given & CLI_OPT_TO) && cli_check_address(cli, "--to", cli->to))
        return CMDLINE_EXIT_USAGE;
    json_t *params = json_pack("{s:I}", "count", (json_int_t)count);
    if (cli->given & CLI_OPT_TO)
        json_object_set_new(params, "address", json_string(cli->to));
    json_t *r = cli_node_call(cli, "generate", params, false,
                              CLI_GENERATE_TIMEOUT_MS, &st);
    if (!r)
        return st;
    if (cli->json) {
        cli_print_json(r);
    } else {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(r, "hashes"), i, h)
            printf("%s\n", json_string_value(h));
    }
    /* A node that stopped early (disk full, say) still returns the blocks
     * it made; say how far it got and why, and fail. */
    json_t *err = json_object_get(r, "error");
    if (err) {
        fflush(stdout);
        st = cmdline_fail("generated %" PRIu64 " of %" PRIu64 " blocks; "
                          "stopped: %s",
                          cli_jint(r, "made"), count, cli_jstr(err, "message"));
    }
    json_decref(r);
    return st;
}

static void print_partition(const json_t *r)
{
    const json_t *b = json_object_get(r, "blocked");
    if (!json_array_size(b))
        printf("no peer is cut off\n");
    size_t i;
    const json_t *id;
    json_array_foreach(b, i, id) printf("cut off %s\n", json_string_value(id));
}

int cli_cmd_partition(cli_t *cli)
{
    json_t *ids = json_array();
    for (int i = 0; ids && i < cli->nargs; i++)
        json_array_append_new(ids, json_string(cli->args[i]));
    return cli_show(cli, "partition", json_pack("{s:o}", "block_peers", ids),
                    print_partition);
}

static void print_stall(const json_t *r)
{
    printf("the main loop holds the node lock for %" PRIu64
           " ms at its next turn\n",
           cli_jint(r, "stall_ms"));
}

int cli_cmd_stall(cli_t *cli)
{
    uint64_t ms;
    int st = cmdline_uint(&ms, "stall", cli->args[0], 1, 60000, "ms");
    if (st)
        return st;
    return cli_show(cli, "stall", json_pack("{s:I}", "ms", (json_int_t)ms),
                    print_stall);
}

int cli_cmd_tracker_peers(cli_t *cli)
{
    char endpoint[SOCK_ENDPOINT_MAX];
    cli_tracker_endpoint(cli, endpoint, sizeof endpoint);
    rpcclient_t *c = cli_open_client(cli, endpoint, true,
                                     CLI_DEFAULT_TIMEOUT_MS, "the tracker");
    if (!c)
        return CMDLINE_EXIT_FAIL;
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_PEERS);
    uint8_t *raw = NULL;
    char *msg = NULL;
    int rc = rpcclient_request(c, &reply, &raw, &msg, &req);
    rpcclient_free(&c);
    if (rc)
        return cli_call_failed(rc, msg, "the tracker");
    if (reply.type != WIRE_PEER_LIST) {
        wire_msg_clear(&reply);
        free(raw);
        return cmdline_fail("%s answered %s, not a peer list", endpoint,
                            wire_type_name(reply.type));
    }
    json_t *arr = json_array();
    for (uint16_t i = 0; arr && i < reply.u.peer_list.count; i++) {
        const wire_peer_t *p = &reply.u.peer_list.peers[i];
        char id[17], key[IDENTITY_HEX_LEN + 1];
        snprintf(id, sizeof id, "%016" PRIx64, p->id);
        identity_key_hex(key, p->key);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "id", id,
                                             "key", key, "req", p->req,
                                             "gossip", p->gossip));
    }
    wire_msg_clear(&reply);
    free(raw);
    if (cli->json) {
        cli_print_json(arr);
    } else {
        printf("%zu peer%s registered\n", json_array_size(arr),
               json_array_size(arr) == 1 ? "" : "s");
        size_t i;
        json_t *p;
        json_array_foreach(arr, i, p)
            printf("%.16s  %s  %s\n", cli_jstr(p, "key"), cli_jstr(p, "req"),
                   cli_jstr(p, "gossip"));
    }
    json_decref(arr);
    return CMDLINE_EXIT_OK;
}
