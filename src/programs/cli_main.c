/*
 * pickaxe-cli — the command line for a pickaxe node, in the spirit of
 * bitcoin-cli: status, blocks, balances, transactions, sending coins,
 * keystores, and (on regtest) mining blocks on demand.
 *
 * Every command but `newaddress` and `createtx --nonce` talks to one node
 * over its request port with the node's JSON queries (src/node/rpc.h) through
 * net/rpcclient.h, which never waits longer than --timeout; cli.c says
 * which of three things it is when the node cannot be reached. The node's
 * own refusals ({"error": {code, message}}) print as "pickaxe-cli:
 * MESSAGE" and exit 1. Bad flags or arguments print one line and exit 2
 * (cmdline.h).
 *
 * Output: readable text by default (amounts in coins with 8 decimals and in
 * base units); with --json, the node's answer as JSON, so scripts and the
 * integration tests (tests/integration/run.py) read exactly what the node
 * said. Amounts typed on the command line are coins (amount.h). Options may
 * come before or after the command; command options that the command does
 * not take are refused.
 *
 * This file parses the command line and runs the command; the commands are
 * in cli_chain.c, cli_wallet.c, cli_submit.c and cli_network.c (cli.h).
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "cmdline.h"

/* ---- the command table and help ------------------------------------------ */

static const cli_command_t commands[] = {
    {"status", 0, 0, 0, cli_cmd_status, "status",
     "The node's height, tip, chain work, difficulty, hashrate, peers,\n"
     "mempool size, side branches, blocks and transactions it refused (by\n"
     "reason), and its main loop: how long the current turn has run and\n"
     "where. A node whose main loop holds the node lock still answers,\n"
     "with what it can tell without it (busy). Exits 1 when the main loop\n"
     "has not turned for over 3 s (\"the node is running but its main loop\n"
     "has not turned for 12 s (stuck in ...)\"). --json: the node's status\n"
     "object as it is (rpc.h: busy, main_loop {turn_age_ms,\n"
     "longest_turn_ms, where}), exit 0 whenever the node answered."},
    {"getblock", 1, 1, 0, cli_cmd_getblock, "getblock <hash|height>",
     "One block, by hash (any branch the node keeps) or by height (best\n"
     "chain). --json: the seed's field names (blockId, previousHash,\n"
     "previousBlockIndex, blockHeight, merkleRoot, timestamp, nonce, data)\n"
     "plus version, bits, raw (the serialized block), mainChain,\n"
     "confirmations and received (when this node accepted it, us since\n"
     "the epoch)."},
    {"getchain", 0, 0, CLI_OPT_FROM | CLI_OPT_LIMIT | CLI_OPT_NEWEST,
     cli_cmd_getchain, "getchain [--from H] [--limit N] [--newest-first]",
     "Blocks of the best chain, oldest first from height H (default 0), at\n"
     "most N (default 100; more than 1000 are fetched page by page); with\n"
     "--newest-first, from H blocks below the tip downwards. --json: an\n"
     "array of blocks as getblock shows them."},
    {"balance", 1, 1, 0, cli_cmd_balance, "balance <address>",
     "An account's confirmed balance (best chain), pending balance (with\n"
     "the mempool's transfers in and out), available balance (confirmed\n"
     "minus pending spends) and the nonce its next transfer must carry.\n"
     "--json: {address, confirmed, pending, available, nonce} in base units."},
    {"balance-after", 2, 2, 0, cli_cmd_balance_after,
     "balance-after <address> <txid>",
     "The account's balance right after a confirmed transaction."},
    {"tx", 1, 1, 0, cli_cmd_tx, "tx <txid>",
     "A transaction's status: pending, confirmed (block, confirmations),\n"
     "rejected (with the node's reason) or unknown."},
    {"mempool", 0, 0, 0, cli_cmd_mempool, "mempool",
     "The pending transactions. --json: an array of transactions."},
    {"peers", 0, 0, 0, cli_cmd_peers, "peers",
     "The node's peers: id, state (banned; unresponsive: its last request\n"
     "from the node timed out; connected; waiting), misbehaviour score,\n"
     "message counts, when it last answered a request. --json: the node's\n"
     "array (responsive, last_answer_age_s: null when never)."},
    {"submit", 1, 1, CLI_OPT_TRACKER, cli_cmd_submit,
     "submit <tx-hex|-> [--tracker tcp://H:P]",
     "Hands a signed, serialized transaction to the node (refusals print\n"
     "the node's reason and exit 1), or with --tracker to the tracker,\n"
     "which relays it to every node (it only checks its shape, so check\n"
     "the outcome with `tx`). With - reads one transaction per line from\n"
     "stdin and hands the node (or tracker) up to 256 per request\n"
     "(whatever stdin has ready; one by one to one that takes only one),\n"
     "printing a txid per line, or the reason and line number of a\n"
     "refused one (exit 1). Prints the txid; --json: {\"txid\": ...}."},
    {"send", 0, 0,
     CLI_OPT_KEYSTORE | CLI_OPT_TO | CLI_OPT_AMOUNT | CLI_OPT_FEE |
         CLI_OPT_TRACKER,
     cli_cmd_send,
     "send --keystore F --to ADDR --amount N [--fee N] [--tracker tcp://H:P]",
     "Sends coins from the keystore's account: asks the node for the\n"
     "account's next nonce and available balance (`balance`), signs a\n"
     "transfer and submits it to the node, or with --tracker to the tracker\n"
     "(the seed's wallet -> tracker -> all nodes path). Amounts are coins,\n"
     "as bitcoin-cli reads them: 2 is two coins, 0.5 half a coin,\n"
     "0.00000001 one base unit; more than 8 decimals are refused.\n"
     "--json: {txid, from, to, amount, fee, nonce, via}, amounts in base\n"
     "units."},
    {"createtx", 0, 0,
     CLI_OPT_KEYSTORE | CLI_OPT_TO | CLI_OPT_AMOUNT | CLI_OPT_FEE |
         CLI_OPT_NONCE,
     cli_cmd_createtx,
     "createtx --keystore F --to ADDR --amount N [--fee N] [--nonce N]",
     "Like send, but prints the signed transaction (hex) instead of\n"
     "submitting it, for `submit` later or elsewhere. With --nonce it needs\n"
     "no node (offline signing). --json: {txid, hex, nonce}."},
    {"newaddress", 0, 0, CLI_OPT_KEYSTORE, cli_cmd_newaddress,
     "newaddress --keystore F",
     "Creates a keystore F (mode 0600, a new random key) and prints its\n"
     "address for --network. Needs no node. An existing keystore is never\n"
     "overwritten: newaddress then prints the address it already holds\n"
     "(and says so on stderr). --json: {address, keystore, created}."},
    {"generate", 1, 1, CLI_OPT_TO, cli_cmd_generate, "generate <n> [--to ADDR]",
     "regtest only: the node mines n blocks (1..1000) at once, paying ADDR\n"
     "(default: the node's miner address). Sent once, never retried\n"
     "(default timeout 120 s). Prints the block hashes; --json: {hashes,\n"
     "asked, made}. When the node stops early (e.g. its disk is full) it\n"
     "still prints the hashes of the blocks made, says on stderr\n"
     "\"generated M of N blocks; stopped: REASON\" and exits 1; --json then\n"
     "also has error: {code, message}."},
    {"verifychain", 0, 0, 0, cli_cmd_verifychain, "verifychain",
     "The node checks its whole best chain again from genesis (linkage,\n"
     "proof of work, every rule and signature). Exits 1 when invalid.\n"
     "--json: {valid, height, tip, reason, bad_height}."},
    {"partition", 0, 64, 0, cli_cmd_partition, "partition [PEER-ID...]",
     "regtest only, for tests: the node drops gossip from these peers (ids\n"
     "as `peers` shows them) and never asks them anything; the list\n"
     "replaces the previous one, and no ids heals."},
    {"stall", 1, 1, 0, cli_cmd_stall, "stall <ms>",
     "regtest only, for tests: the node's main loop holds the node lock\n"
     "for ms milliseconds (1..60000) at its next turn, as a loop stuck in a\n"
     "long operation would; `status` then answers busy and says how long\n"
     "the loop has not turned. --json: {stall_ms}."},
    {"chaintips", 0, 0, 0, cli_cmd_chaintips, "chaintips",
     "Every branch tip the node holds: the best tip (active) and each side\n"
     "branch (valid-fork) with its length and the best-chain blocks still\n"
     "to come before it is pruned; then the branches pruned lately.\n"
     "--json: [{hash, height, branchlen, status, fork, fork_height,\n"
     "prune_in, txs_returned}] (rpc_explorer.h)."},
    {"tree", 0, 0, CLI_OPT_FROM | CLI_OPT_LIMIT, cli_cmd_tree,
     "tree [--from H] [--limit N]",
     "The block tree in a window of N heights (default 40, at most 500)\n"
     "from height H (default: the last N up to the tip): best-chain and\n"
     "side-branch blocks. --json: {height, tip, from, to, blocks: [{hash,\n"
     "parent, height, time, bits, txs, miner, work, best, branch}], tips}."},
    {"events", 0, 1, CLI_OPT_LIMIT, cli_cmd_events,
     "events [SINCE] [--limit N]",
     "What happened to the chain after event number SINCE (default: all the\n"
     "node holds, at most N, default 500): blocks accepted, reorgs, side\n"
     "branches pruned, blocks and transactions refused (with the rule in\n"
     "words), orphans, bans. --json: {first, last, missed, events, counts,\n"
     "refused, reasons} (rpc_explorer.h)."},
    {"tracker-peers", 0, 0, CLI_OPT_TRACKER, cli_cmd_tracker_peers,
     "tracker-peers [--tracker tcp://H:P]",
     "The peers registered at the tracker (default: the network's tracker\n"
     "port on 127.0.0.1). --json: [{id, req, gossip}]."},
};

static const cli_command_t *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    char fee[AMOUNT_TEXT_MAX];
    amount_format_short(fee, AMOUNT_DEFAULT_FEE);
    fprintf(
        f,
        "usage: pickaxe-cli [--node tcp://HOST:PORT] [--network demo|regtest]\n"
        "                   [--timeout MS] [--json] COMMAND [ARGS...]\n"
        "\n"
        "Talks to a running pickaxe-node over its request port (the node's "
        "JSON\n"
        "queries) and prints what it says: readable text, or JSON with "
        "--json.\n"
        "Amounts are shown in coins with 8 decimals and in base units\n"
        "(1 coin = 100000000 units), and typed in coins: 2 is two coins.\n"
        "\n"
        "options (before or after the command):\n"
        "  --node tcp://HOST:PORT  the node's request endpoint (default\n"
        "                          tcp://127.0.0.1:18330 on demo, :28330 on "
        "regtest)\n"
        "  --network NAME          demo (default) or regtest: the network the "
        "node\n"
        "                          is on (frames and addresses are per "
        "network)\n"
        "  --timeout MS            give up after MS milliseconds without an "
        "answer\n"
        "                          (default 10000; generate and verifychain "
        "120000);\n"
        "                          queries are tried up to 3 times within it\n"
        "  --json                  print JSON instead of text\n"
        "  --log-level LEVEL       error, warn (default), info or debug\n"
        "  --help                  this text; COMMAND --help: that command's\n"
        "  --version\n"
        "\n"
        "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %s\n", commands[i].synopsis);
    fprintf(
        f,
        "\n"
        "command options:\n"
        "  --from H, --limit N, --newest-first   getchain's window\n"
        "  --keystore FILE         the key to send from / to create "
        "(newaddress)\n"
        "  --to ADDR               recipient (send, createtx); payee "
        "(generate)\n"
        "  --amount N, --fee N     coins: 2 is two coins, 0.5 half a coin, at "
        "most\n"
        "                          8 decimals (the fee's default: %s)\n"
        "  --nonce N               createtx: sign offline with this nonce\n"
        "  --tracker tcp://H:P     submit/send: hand the transaction to this "
        "tracker,\n"
        "                          which relays it to every node, instead of "
        "--node;\n"
        "                          tracker-peers: the tracker to ask (default\n"
        "                          tcp://127.0.0.1:18320 on demo, :28320 on "
        "regtest)\n"
        "\n"
        "exit status: 0 done; 1 the node refused, could not be reached "
        "(\"nothing\n"
        "listens on tcp://...\", said at once), did not answer (\"no answer "
        "from\n"
        "... within 10 s\", with why when the node can tell: its main loop is\n"
        "stuck, or the port takes connections but nothing answers), or a file\n"
        "could not be read; 2 bad flags or arguments.\n"
        "\n"
        "examples:\n"
        "  pickaxe-cli status\n"
        "  pickaxe-cli --network regtest newaddress --keystore alice.key\n"
        "  pickaxe-cli --network regtest generate 101 --to pxrt1...\n"
        "  pickaxe-cli send --keystore alice.key --to px1... --amount 1.5\n"
        "  pickaxe-cli --json getchain --from 100 --limit 10\n",
        fee);
}

static void command_usage(FILE *f, const cli_command_t *c)
{
    fprintf(f, "usage: pickaxe-cli [options] %s\n\n%s\n", c->synopsis, c->help);
    if (c->opts & CLI_OPT_FEE) {
        char fee[AMOUNT_TEXT_MAX];
        fprintf(f, "The fee defaults to %s coin.\n",
                amount_format_short(fee, AMOUNT_DEFAULT_FEE));
    }
    fprintf(f, "\n(pickaxe-cli --help lists the options every command "
               "takes)\n");
}

/* ---- options ------------------------------------------------------------- */

/* Long options; those from O_FROM on are command options, in the order of
 * the CLI_OPT_* bits (cli.h). */
enum {
    O_NODE = 256,
    O_NETWORK,
    O_TIMEOUT,
    O_JSON,
    O_HELP,
    O_FROM,
    O_LIMIT,
    O_NEWEST,
    O_KEYSTORE,
    O_TO,
    O_AMOUNT,
    O_FEE,
    O_NONCE,
    O_TRACKER,
};

static const struct option options[] = {
    {"node", required_argument, NULL, O_NODE},
    {"network", required_argument, NULL, O_NETWORK},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},
    {"from", required_argument, NULL, O_FROM},
    {"limit", required_argument, NULL, O_LIMIT},
    {"newest-first", no_argument, NULL, O_NEWEST},
    {"keystore", required_argument, NULL, O_KEYSTORE},
    {"to", required_argument, NULL, O_TO},
    {"amount", required_argument, NULL, O_AMOUNT},
    {"fee", required_argument, NULL, O_FEE},
    {"nonce", required_argument, NULL, O_NONCE},
    {"tracker", required_argument, NULL, O_TRACKER},
    CMDLINE_OPTIONS_COMMON,
    {NULL, 0, NULL, 0},
};

/* The options that set a number or a string of the command. */
static int read_command_option(cli_t *cli, int ch, const char *arg)
{
    char endpoint[SOCK_ENDPOINT_MAX];
    int st = 0;
    switch (ch) {
    case O_FROM:
        st = cmdline_uint(&cli->from, "--from", arg, 0, UINT32_MAX, NULL);
        break;
    case O_LIMIT:
        st = cmdline_uint(&cli->limit, "--limit", arg, 1, UINT32_MAX, NULL);
        break;
    case O_NONCE:
        st = cmdline_uint(&cli->nonce, "--nonce", arg, 0, UINT64_MAX, NULL);
        break;
    case O_KEYSTORE:
        cli->keystore = arg;
        break;
    case O_TO:
        cli->to = arg;
        break;
    case O_AMOUNT:
        cli->amount = arg;
        break;
    case O_FEE:
        cli->fee = arg;
        break;
    case O_TRACKER:
        st = cmdline_endpoint(endpoint, sizeof endpoint, "--tracker", arg);
        cli->tracker = arg;
        break;
    }
    cli->given |= 1u << (unsigned)(ch - O_FROM);
    return st ? st : CMDLINE_GO_ON;
}

/* What the options say besides the command's own. */
typedef struct {
    cli_t *cli;
    const char *network;
    bool help;
} args_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    args_t *a = ctx;
    cli_t *cli = a->cli;
    uint64_t ms;
    int st = 0;
    switch (ch) {
    case O_NODE:
        st = cmdline_endpoint(cli->node, sizeof cli->node, "--node", arg);
        break;
    case O_NETWORK:
        a->network = arg;
        break;
    case O_TIMEOUT:
        st = cmdline_uint(&ms, "--timeout", arg, 10, 3600000, "ms");
        cli->timeout_ms = st ? 0 : (int)ms;
        break;
    case O_JSON:
        cli->json = true;
        break;
    case O_HELP:
        a->help = true;
        break;
    case O_NEWEST:
        cli->given |= CLI_OPT_NEWEST;
        break;
    default:
        return read_command_option(cli, ch, arg);
    }
    return st ? st : CMDLINE_GO_ON;
}

/* Checks the command's arguments and options; sets the network and the
 * node's endpoint. Returns 0 or the exit status. */
static int check_command(cli_t *cli, const cli_command_t *cmd,
                         const char *network)
{
    if (cli->nargs < cmd->min_args || cli->nargs > cmd->max_args)
        return cmdline_usage_error("usage: pickaxe-cli %s", cmd->synopsis);
    unsigned extra = cli->given & ~cmd->opts;
    for (const struct option *o = options; extra && o->name; o++)
        if (o->val >= O_FROM && (extra & 1u << (unsigned)(o->val - O_FROM)))
            return cmdline_usage_error("%s does not take --%s", cmd->name,
                                       o->name);
    if ((cmd->opts & CLI_OPT_KEYSTORE) && !cli->keystore)
        return cmdline_usage_error("%s needs --keystore FILE", cmd->name);
    if ((cmd->opts & CLI_OPT_AMOUNT) && (!cli->to || !cli->amount))
        return cmdline_usage_error("%s needs --to ADDR and --amount N",
                                   cmd->name);
    int net_st = cmdline_network(&cli->params, network);
    if (net_st)
        return net_st;
    if (!cli->node[0])
        snprintf(cli->node, sizeof cli->node, "tcp://127.0.0.1:%u",
                 (unsigned)cli->params->default_port);
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* Quiet by default: a command's output is its answer, not log lines. */
    cmdline_init("pickaxe-cli", LOG_WARN);
    cli_t cli;
    memset(&cli, 0, sizeof cli);
    args_t a = {&cli, "demo", false};
    int st = cmdline_read(argc, argv, "", options, read_option, &a, true);
    if (st != CMDLINE_GO_ON)
        return st;
    const cli_command_t *cmd = NULL;
    if (optind < argc && !(cmd = find_command(argv[optind])))
        return cmdline_usage_error("unknown command %s", argv[optind]);
    if (a.help || !cmd) {
        if (cmd)
            command_usage(stdout, cmd);
        else
            usage(a.help ? stdout : stderr);
        return a.help ? CMDLINE_EXIT_OK : CMDLINE_EXIT_USAGE;
    }
    cli.args = (const char *const *)argv + optind + 1;
    cli.nargs = argc - optind - 1;
    if ((st = check_command(&cli, cmd, a.network)) != 0)
        return st;
    st = cmd->run(&cli);
    rpcclient_free(&cli.node_client);
    rpcclient_free(&cli.tracker_client);
    return st;
}
