/*
 * gen_stateful — seeds for fuzz_chain and fuzz_mempool (see
 * gen_stateful.h): small programs in ops.h's languages that reach the
 * interesting states at once (funded keys, reorgs, pruning, every broken
 * kind of block, mutated copies, a full orphan pool or mempool), so a
 * five-second run in `make test` starts from them instead of from scratch.
 */
#include "gen_stateful.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ops.h"

typedef struct {
    unsigned char b[4096];
    size_t n;
} prog_t;

static void die(const char *what)
{
    fprintf(stderr, "gen-corpus: %s\n", what);
    exit(1);
}

/* Appends `count` bytes. */
static void emit(prog_t *p, int count, ...)
{
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count; i++) {
        if (p->n >= sizeof p->b)
            die("seed program too long");
        p->b[p->n++] = (unsigned char)va_arg(ap, int);
    }
    va_end(ap);
}

static void save(const char *root, const char *target, const char *file,
                 const prog_t *p)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        die("cannot create a corpus directory");
    snprintf(path, sizeof path, "%s/%s/%s", root, target, file);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p->b, 1, p->n, f) != p->n || fclose(f) != 0)
        die("cannot write a seed");
}

static void seed(const char *root, const char *target, const char *name,
                 const prog_t *p)
{
    char file[256];
    snprintf(file, sizeof file, "seed-%s", name);
    save(root, target, file, p);
}

/* ---- fuzz_chain ---------------------------------------------------------- */

/* Block selectors (ops.h): counting back from the newest block built, or
 * from the best tip. */
#define NEWEST(d) (d)
#define TIP(d) (0x80 + (d))
#define HONEST 0
#define BAD(k) (OPS_KIND_BAD_BASE + (k))
/* n transfers from senders a, b, c; miner m with variants x, y, z (0 small,
 * 1 large). */
#define TXS(n, a, b, c) ((n) | (a) << 2 | (b) << 4 | (c) << 6)
#define MV(m, x, y, z) ((m) | (x) << 2 | (y) << 3 | (z) << 4)
/* Configuration: orphan pool size index, prune depth index (fuzz_chain.c's
 * tables: pool {256, 3, 8, 24}, depth {6, 2, 3, 4}). */
#define CFG(pool, depth) ((pool) | (depth) << 2)
#define OLDEST_FIRST 1
#define NEWEST_FIRST 0

static void build(prog_t *p, int sel, int kind, int txs, int mv)
{
    emit(p, 5, OPS_CHAIN_BUILD, sel, kind, txs, mv);
}

/* `blocks` honest blocks in a row (1-16), the first on sel. */
static void extend(prog_t *p, int sel, int blocks, int txs, int mv)
{
    emit(p, 5, OPS_CHAIN_EXTEND, sel, blocks - 1, txs, mv);
}

static void deliver(prog_t *p, int sel)
{
    emit(p, 2, OPS_CHAIN_DELIVER, sel);
}

static void mutate(prog_t *p, int sel, int how)
{
    emit(p, 3, OPS_CHAIN_MUTATE, sel, how);
}

static void pending(prog_t *p, int order)
{
    emit(p, 2, OPS_CHAIN_PENDING, order);
}

static void branch(prog_t *p, int sel, int order)
{
    emit(p, 3, OPS_CHAIN_BRANCH, sel, order);
}

/* Three funded keys: blocks paying keys 0, 1, 2 in turn, delivered. */
static void fund(prog_t *p)
{
    for (int k = 0; k < 3; k++) {
        extend(p, TIP(0), 2, TXS(1, k, 0, 0), MV(k, 0, 0, 0));
        pending(p, OLDEST_FIRST);
    }
}

/*
 * The loop of issue 10: short branches B0 <- S1 <- S2 and a long one
 * B0 <- X1 <- ... <- X14, all offered before B0, newest first, then B0.
 * Connecting the long branch made the short ones stale, and pruning one
 * while its child still waited in the orphan queue put that child back in
 * the pool and found it again, forever.
 */
static void orphan_prune_loop(prog_t *p, int shorts, int miner, int order)
{
    build(p, NEWEST(0), HONEST, TXS(0, 0, 0, 0), MV(miner, 0, 0, 0));
    for (int i = 0; i < shorts; i++)
        extend(p, NEWEST(2 * i), 2, TXS(1, i % 4, 0, 0), MV(i % 4, 0, 0, 0));
    extend(p, NEWEST(2 * shorts), 14, TXS(2, 0, 1, 0), MV(0, 0, 1, 0));
    pending(p, order);
}

static void chain_seeds(const char *root)
{
    prog_t p = {0};

    emit(&p, 1, CFG(0, 0));
    extend(&p, NEWEST(0), 12, TXS(3, 0, 0, 0), MV(0, 0, 1, 0));
    pending(&p, OLDEST_FIRST);
    seed(root, "chain", "linear", &p);

    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    fund(&p);
    extend(&p, TIP(0), 4, TXS(3, 0, 1, 2), MV(1, 1, 0, 1));
    pending(&p, OLDEST_FIRST);
    extend(&p, TIP(0), 4, TXS(3, 1, 2, 3), MV(3, 0, 1, 1));
    pending(&p, NEWEST_FIRST);
    seed(root, "chain", "transfers", &p);

    /* A fork overtakes the tip, then the old branch overtakes it back. */
    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    extend(&p, NEWEST(0), 5, TXS(2, 0, 0, 0), MV(0, 0, 1, 0));
    pending(&p, OLDEST_FIRST);
    extend(&p, TIP(3), 5, TXS(2, 1, 0, 0), MV(1, 0, 0, 0));
    pending(&p, OLDEST_FIRST);
    extend(&p, NEWEST(5), 3, TXS(3, 0, 1, 0), MV(2, 1, 0, 0));
    pending(&p, 2 + 3 * 7);
    seed(root, "chain", "reorg", &p);

    /* Prune depth 2: a side branch goes, a deep heavier branch arrives
     * parents last, the pruned branch comes back when offered again. */
    p.n = 0;
    emit(&p, 1, CFG(0, 1));
    extend(&p, NEWEST(0), 10, TXS(1, 0, 0, 0), MV(0, 0, 0, 0));
    pending(&p, OLDEST_FIRST);
    extend(&p, TIP(7), 2, TXS(1, 1, 0, 0), MV(1, 0, 0, 0));
    pending(&p, OLDEST_FIRST);
    extend(&p, TIP(1), 1, TXS(0, 0, 0, 0), MV(0, 0, 0, 0));
    deliver(&p, NEWEST(0));
    extend(&p, TIP(9), 12, TXS(2, 2, 0, 0), MV(2, 0, 0, 0));
    branch(&p, NEWEST(0), NEWEST_FIRST);
    branch(&p, NEWEST(13), OLDEST_FIRST);
    seed(root, "chain", "deep-reorg-prune", &p);

    /* Every broken kind on the tip, and an honest child of each. */
    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    fund(&p);
    for (int k = 0; k < OPS_BAD_COUNT; k++) {
        build(&p, TIP(0), BAD(k), TXS(1, k % 3, 0, 0), MV(k % 4, 0, 0, 0));
        deliver(&p, NEWEST(0));
        build(&p, NEWEST(0), HONEST, TXS(0, 0, 0, 0), MV(0, 0, 0, 0));
        deliver(&p, NEWEST(0));
        deliver(&p, NEWEST(1));
    }
    seed(root, "chain", "bad-kinds", &p);

    /* Every broken kind as an orphan, then its parent. */
    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    fund(&p);
    build(&p, TIP(0), HONEST, TXS(2, 0, 1, 0), MV(0, 0, 0, 0));
    for (int k = 0; k < OPS_BAD_COUNT; k++) {
        build(&p, NEWEST(k), BAD(k), TXS(1, k % 3, 0, 0), MV(1, 0, 0, 0));
        deliver(&p, NEWEST(0));
    }
    deliver(&p, NEWEST(OPS_BAD_COUNT));
    seed(root, "chain", "bad-orphans", &p);

    /* Mutated copies: one poisoning the orphan pool under the real hash,
     * one of a block in the tree, one offered before the real block. */
    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    extend(&p, NEWEST(0), 2, TXS(0, 0, 0, 0), MV(0, 0, 0, 0));
    mutate(&p, NEWEST(0), 1);
    deliver(&p, NEWEST(0));
    deliver(&p, NEWEST(1));
    deliver(&p, NEWEST(0));
    mutate(&p, NEWEST(0), 0);
    extend(&p, TIP(0), 1, TXS(2, 0, 0, 0), MV(0, 0, 0, 0));
    mutate(&p, NEWEST(0), 1);
    mutate(&p, NEWEST(0), 0);
    deliver(&p, NEWEST(0));
    mutate(&p, NEWEST(0), 1);
    seed(root, "chain", "mutated", &p);

    /* An orphan pool of three, overflowing. */
    p.n = 0;
    emit(&p, 1, CFG(1, 0));
    extend(&p, NEWEST(0), 8, TXS(1, 0, 0, 0), MV(0, 0, 0, 0));
    pending(&p, NEWEST_FIRST);
    branch(&p, NEWEST(0), NEWEST_FIRST);
    branch(&p, NEWEST(0), OLDEST_FIRST);
    seed(root, "chain", "orphan-evict", &p);

    /* Everything twice, genesis too. */
    p.n = 0;
    emit(&p, 1, CFG(0, 0));
    extend(&p, NEWEST(0), 3, TXS(1, 0, 0, 0), MV(0, 0, 0, 0));
    for (int i = 0; i < 4; i++) {
        deliver(&p, NEWEST(3 - i));
        deliver(&p, NEWEST(3 - i));
    }
    seed(root, "chain", "duplicates", &p);

    /* The reproduction of issue 10, with three, four and six short
     * branches (B0's miner varies the hashes, hence the order in which the
     * unfixed chain met the branches; each of these looped), and shuffled
     * with a small pool and prune depth 4. */
    static const struct {
        const char *name;
        int shorts, miner;
    } loops[] = {{"regress-orphan-prune-loop", 4, 0},
                 {"regress-orphan-prune-loop-3", 3, 1},
                 {"regress-orphan-prune-loop-6", 6, 2}};
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        p.n = 0;
        emit(&p, 1, CFG(0, 0));
        orphan_prune_loop(&p, loops[i].shorts, loops[i].miner, NEWEST_FIRST);
        save(root, "chain", loops[i].name, &p);
    }
    p.n = 0;
    emit(&p, 1, CFG(3, 3));
    orphan_prune_loop(&p, 6, 0, 2 + 3 * 11);
    seed(root, "chain", "orphan-prune-shuffled", &p);
    /* As the harness first found it: prune depth 2, one short branch four
     * blocks under the tip of sixteen, newest first. */
    p.n = 0;
    emit(&p, 1, CFG(0, 1));
    extend(&p, NEWEST(0), 16, TXS(3, 3, 3, 3), MV(3, 0, 0, 0));
    extend(&p, NEWEST(4), 3, TXS(3, 2, 3, 0), MV(0, 0, 0, 0));
    pending(&p, NEWEST_FIRST);
    save(root, "chain", "regress-orphan-prune-loop-depth2", &p);
}

/* ---- fuzz_mempool -------------------------------------------------------- */

/* Configuration: max_txs index ({1000, 3, 6, 12}), prune depth index. */
#define PCFG(size, depth) ((size) | (depth) << 2)
#define SMALL 0
#define LARGE 1
#define HUGE 2
#define TWIN 3

/* The sender's next nonce plus d (-2..2). */
static void offer(prog_t *p, int sender, int d, int variant)
{
    emit(p, 4, OPS_POOL_OFFER, sender, d + 2, variant);
}

static void tamper(prog_t *p, int sender, int how)
{
    emit(p, 3, OPS_POOL_TAMPER, sender, how);
}

static void mine(prog_t *p, int max, int miner)
{
    emit(p, 3, OPS_POOL_MINE, max, miner);
}

/* A branch of `blocks` (1-8) from `depth` under the tip. */
static void fork(prog_t *p, int depth, int blocks, int txs, int mv)
{
    emit(p, 5, OPS_POOL_FORK, depth, blocks - 1, txs, mv);
}

static void pool_fund(prog_t *p)
{
    for (int k = 0; k < 4; k++)
        mine(p, 0, k);
}

static void mempool_seeds(const char *root)
{
    prog_t p = {0};

    emit(&p, 1, PCFG(0, 0));
    pool_fund(&p);
    for (int k = 0; k < 4; k++) {
        offer(&p, k, 0, SMALL);
        offer(&p, k, 0, LARGE);
    }
    mine(&p, 3, 0);
    mine(&p, 3, 1);
    offer(&p, 0, 0, SMALL);
    mine(&p, 3, 2);
    mine(&p, 3, 3);
    seed(root, "mempool", "fund-and-spend", &p);

    /* Replace by fee, refuse an equal or lower one, replays and gaps. */
    p.n = 0;
    emit(&p, 1, PCFG(0, 0));
    pool_fund(&p);
    offer(&p, 0, 0, SMALL);
    offer(&p, 0, -1, SMALL);
    offer(&p, 0, 0, SMALL);
    offer(&p, 0, -1, LARGE);
    offer(&p, 0, -1, SMALL);
    offer(&p, 0, -1, TWIN);
    offer(&p, 0, 0, TWIN);
    offer(&p, 0, -1, SMALL);
    offer(&p, 0, 0, HUGE);
    offer(&p, 0, 1, SMALL);
    offer(&p, 0, -2, SMALL);
    mine(&p, 3, 1);
    offer(&p, 0, -1, LARGE);
    offer(&p, 0, -2, SMALL);
    tamper(&p, 1, 0);
    tamper(&p, 1, 1);
    tamper(&p, 1, 2);
    offer(&p, 1, 0, SMALL);
    tamper(&p, 1, 0);
    seed(root, "mempool", "replace-replay-gap", &p);

    /* Mined transfers come back when a branch without them wins, and a
     * branch that spends the same nonces differently drops them. */
    p.n = 0;
    emit(&p, 1, PCFG(0, 0));
    pool_fund(&p);
    for (int k = 0; k < 3; k++)
        offer(&p, k, 0, SMALL);
    offer(&p, 0, 0, LARGE);
    mine(&p, 3, 0);
    offer(&p, 1, 0, SMALL);
    mine(&p, 3, 0);
    fork(&p, 2, 3, TXS(0, 0, 0, 0), MV(1, 0, 0, 0));
    emit(&p, 1, OPS_POOL_REVALIDATE);
    mine(&p, 2, 2);
    fork(&p, 1, 2, TXS(2, 0, 1, 0), MV(3, 1, 1, 0) | 0x80);
    emit(&p, 1, OPS_POOL_REVALIDATE);
    seed(root, "mempool", "reorg-returns", &p);

    /* Prune depth 2: a side branch with transfers is discarded and its
     * transfers offered back. */
    p.n = 0;
    emit(&p, 1, PCFG(0, 1));
    pool_fund(&p);
    fork(&p, 1, 1, TXS(3, 0, 1, 2), MV(0, 0, 1, 0));
    for (int i = 0; i < 4; i++)
        mine(&p, 0, i);
    offer(&p, 0, 0, SMALL);
    seed(root, "mempool", "prune-discard", &p);

    /* A pool of three: eviction of the cheapest tail, and a reorg that
     * returns more than fits. */
    p.n = 0;
    emit(&p, 1, PCFG(1, 0));
    pool_fund(&p);
    offer(&p, 0, 0, SMALL);
    offer(&p, 0, 0, SMALL);
    offer(&p, 1, 0, SMALL);
    offer(&p, 2, 0, LARGE);
    offer(&p, 3, 0, SMALL);
    offer(&p, 3, 0, LARGE);
    mine(&p, 3, 0);
    for (int k = 0; k < 4; k++)
        offer(&p, k, 0, LARGE);
    fork(&p, 1, 3, TXS(0, 0, 0, 0), MV(2, 0, 0, 0));
    seed(root, "mempool", "full-pool", &p);
}

void gen_stateful_seeds(const char *root)
{
    chain_seeds(root);
    mempool_seeds(root);
}
