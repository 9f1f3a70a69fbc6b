/*
 * node_rig — the in-process node the node tests share (see node_rig.h).
 */
#include "node_rig.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

node_t *nr_node;
uint16_t nr_port;
char nr_dir[64];

static pthread_t runner;
static bool running;
static volatile sig_atomic_t stop_flag;

void nr_new(const char *name)
{
    snprintf(nr_dir, sizeof nr_dir, "/tmp/pickaxe-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(nr_dir));
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.params = params_regtest();
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", nr_dir);
    strcpy(cfg.listen_host, "127.0.0.1");
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *why = "?";
    /* A port another test holds makes node_new fail: try others. */
    for (int tries = 0; !nr_node && tries < 50; tries++) {
        cfg.port = (uint16_t)(20000 + 2 * (rand() % 20000));
        nr_node = node_new(&cfg, &why);
    }
    nr_port = cfg.port;
    cr_assert_not_null(nr_node, "node_new: %s", why);
}

/* node_run's stop flag is a signal handler's (node_main.c): set it the
 * same way, on the thread that runs the loop. */
static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void *run(void *arg)
{
    (void)arg;
    node_run(nr_node, &stop_flag);
    return NULL;
}

void nr_run(void)
{
    stop_flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    cr_assert_eq(pthread_create(&runner, NULL, run, NULL), 0);
    running = true;
}

void nr_free(void)
{
    if (running) {
        cr_assert_eq(pthread_kill(runner, SIGUSR1), 0);
        pthread_join(runner, NULL);
        running = false;
    }
    node_free(&nr_node);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", nr_dir);
    cr_assert_eq(system(cmd), 0);
}
