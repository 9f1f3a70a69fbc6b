/*
 * Tests for src/node/persist.c: a chain written through its callbacks reloads
 * to the same tree, tip and balances; pruned blocks leave the store; a data
 * directory of another network is refused; and a process adding blocks that
 * is SIGKILLed at random moments always reloads with every block it had
 * reported accepted.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fixtures.h"
#include "persist.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/pickaxe-persist-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(persist, .init = make_dir, .fini = remove_dir, .timeout = 60);

static int on_added(void *ctx, const chain_node_t *n)
{
    return persist_block_added(ctx, n);
}
static void on_removed(void *ctx, const chain_node_t *n)
{
    persist_block_removed(ctx, n);
}

static chain_t *stored_chain(store_t *s)
{
    chain_callbacks_t cb = {
        .ctx = s, .block_added = on_added, .block_removed = on_removed};
    return fx_chain(&cb);
}

static chain_t *reload(store_t **s, size_t *loaded)
{
    const char *why = NULL;
    cr_assert_eq(persist_open(s, &why, dir, params_regtest()), 0, "%s", why);
    chain_t *c = fx_chain(NULL);
    size_t refused = 99;
    cr_assert_eq(persist_load(c, *s, loaded, &refused), 0);
    cr_assert_eq(refused, 0);
    return c;
}

Test(persist, reload_gives_the_same_tree_tip_and_state)
{
    fx_key_t alice, bob;
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    store_t *s;
    cr_assert_eq(persist_open(&s, NULL, dir, params_regtest()), 0);
    chain_t *c = stored_chain(s);
    for (int i = 0; i < 5; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    const chain_node_t *fork = chain_tip(c);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 12 * COIN, 5, 0);
    const chain_node_t *a = fx_extend(c, fork, bob.pub, &t, 1, 1);
    fx_extend(c, fork, alice.pub, NULL, 0, 2); /* a tie: side branch */
    fx_extend(c, a, bob.pub, NULL, 0, 1);
    uint8_t tip[32];
    memcpy(tip, chain_tip(c)->hash, 32);
    size_t blocks = chain_block_count(c);
    chain_free(&c);
    store_close(&s);

    size_t loaded = 0;
    c = reload(&s, &loaded);
    cr_assert_eq(loaded, blocks - 1, "every block but genesis is stored");
    cr_assert_eq(chain_block_count(c), blocks);
    cr_assert_arr_eq(chain_tip(c)->hash, tip, 32);
    account_t acct;
    state_get(chain_state(c), &acct, bob.pub);
    cr_assert_eq(acct.balance, 12 * COIN + 2 * 50 * COIN + 5);
    state_get(chain_state(c), &acct, alice.pub);
    cr_assert_eq(acct.nonce, 1);
    chain_free(&c);
    store_close(&s);
}

Test(persist, pruned_branches_leave_the_store)
{
    fx_key_t alice;
    fx_key(&alice, 1);
    store_t *s;
    cr_assert_eq(persist_open(&s, NULL, dir, params_regtest()), 0);
    chain_t *c = stored_chain(s);
    const chain_node_t *fork =
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    const chain_node_t *side = fx_extend(c, fork, alice.pub, NULL, 0, 9);
    uint8_t side_hash[32];
    memcpy(side_hash, side->hash, 32);
    cr_assert(store_has_block(s, side_hash));
    const chain_node_t *m = fork;
    for (int i = 0; i < 9; i++)
        m = fx_extend(c, m, alice.pub, NULL, 0, 1);
    cr_assert_null(chain_get(c, side_hash));
    cr_assert_not(store_has_block(s, side_hash));
    chain_free(&c);
    store_close(&s);
}

Test(persist, refuses_a_directory_of_another_network)
{
    store_t *s;
    cr_assert_eq(persist_open(&s, NULL, dir, params_demo()), 0);
    store_close(&s);
    const char *why = NULL;
    cr_assert_eq(persist_open(&s, &why, dir, params_regtest()), ERR_INVALID);
    cr_assert_str_eq(why, "the data directory belongs to another network");
    cr_assert_null(s);
}

/* The child: adds blocks (some with transfers, some forks) and writes each
 * accepted block's hash to the pipe only after chain_add_block returned. */
static void writer(int fd)
{
    store_t *s;
    if (persist_open(&s, NULL, dir, params_regtest()) != 0)
        _exit(3);
    chain_callbacks_t cb = {
        .ctx = s, .block_added = on_added, .block_removed = on_removed};
    chain_config_t cfg = {
        .params = params_regtest(), .callbacks = cb, .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    if (!c || persist_load(c, s, NULL, NULL) != 0)
        _exit(4);
    fx_key_t k;
    fx_key(&k, 5);
    for (uint64_t i = 0;; i++) {
        block_t b;
        const chain_node_t *parent = chain_tip(c);
        if (i % 7 == 3 && parent->parent)
            parent = parent->parent; /* now and then a competing block */
        fx_block(&b, c, parent, k.pub, NULL, 0, i);
        if (chain_add_block(c, NULL, &b) == 0) {
            uint8_t h[32];
            block_compute_hash(h, &b.header);
            if (write(fd, h, 32) != 32)
                _exit(5);
        }
        block_deinit(&b);
    }
}

Test(persist, sigkill_at_random_moments_loses_no_reported_block)
{
    srand((unsigned)time(NULL));
    uint8_t(*reported)[32] = malloc(200000 * sizeof *reported);
    size_t nrep = 0;
    for (int cycle = 0; cycle < 12; cycle++) {
        int p[2];
        cr_assert_eq(pipe(p), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(p[0]);
            writer(p[1]);
        }
        close(p[1]);
        usleep((useconds_t)(20000 + rand() % 150000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
                  "writer died by itself (status %#x)", st);
        ssize_t r;
        while (nrep < 200000 && (r = read(p[0], reported[nrep], 32)) == 32)
            nrep++;
        close(p[0]);

        store_t *s;
        size_t loaded;
        chain_t *c = reload(&s, &loaded);
        cr_assert_eq(store_check(s), 0);
        /* Every reported block is there, unless pruned with its branch:
         * then the best chain must be at least prune_depth past it. */
        for (size_t i = 0; i < nrep; i++) {
            if (chain_get(c, reported[i]))
                continue;
            cr_assert_gt(chain_height(c), CHAIN_PRUNE_DEPTH,
                         "reported block %zu lost after cycle %d", i, cycle);
        }
        if (nrep)
            cr_assert_not_null(chain_get(c, reported[nrep - 1]),
                               "the last reported block is missing");
        chain_free(&c);
        store_close(&s);
    }
    cr_assert_gt(nrep, 100, "the writer got too little done to test anything");
    free(reported);
}
