/*
 * stratum_server — the Stratum endpoint's thread and its mailboxes (see
 * stratum_server.h).
 *
 * The thread owns the connections, their sessions and the recent
 * templates (a ring of STRATUM_TEMPLATES, all on one parent). Shared with
 * other threads, under s->lock: the template mailbox and the block queue;
 * the statistics have their own lock (stratum_stats.h). The main loop's own
 * fields (fed_*) say what it last sent, so an unchanged template is not
 * sent again.
 */
#include "stratum_server.h"
#include "err.h"
#include "log.h"
#include "mining.h"
#include "sha256.h"
#include "stratum_session.h"
#include "stratum_stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STRATUM_TEMPLATES 8
#define STRATUM_EVENTS 256
/* Bytes read from one connection per wake-up, so one cannot starve the
 * rest. */
#define STRATUM_READ_TURN (64 * 1024)
#define STRATUM_IN_START 512

typedef struct {
    int fd;
    int slot;
    bool dead;
    stratum_session_t sess;
    char *in; /* grows to STRATUM_LINE_MAX */
    size_t in_len, in_cap;
    buf_t out;
    size_t out_off;
    bool want_out;      /* EPOLLOUT armed */
    int counted_worker; /* the stats slot this connection counts under */
} conn_t;

struct stratum_server {
    stratum_config_t cfg;
    char url[300];
    int listen_fd, epoll_fd, wake_fd;
    pthread_t thread;
    bool started;

    pthread_mutex_t lock; /* mailbox, queue, stop */
    stratum_tpl_t *mailbox;
    struct {
        block_t block;
        int worker;
    } queue[STRATUM_BLOCKQ];
    size_t q_head, q_len;
    bool stop;

    stratum_stats_t stats;

    /* The thread's own. */
    conn_t **conns; /* max_conns slots */
    unsigned open;
    stratum_tpl_t *tpls[STRATUM_TEMPLATES];
    uint32_t newest;
    uint32_t next_en1;
    bool listen_resting; /* out of descriptors: not accepting for now */
    stratum_env_t env;

    /* The main loop's own. */
    uint8_t fed_prev[32];
    uint8_t fed_digest[32];
    uint64_t fed_ms;
    uint32_t fed_seq;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void tpl_free(stratum_tpl_t *t)
{
    if (!t)
        return;
    block_deinit(&t->tpl);
    free(t);
}

/* ---- what sessions see --------------------------------------------------- */

static const stratum_tpl_t *env_tpl(void *ctx, uint32_t seq)
{
    stratum_server_t *s = ctx;
    if (!seq)
        seq = s->newest;
    const stratum_tpl_t *t = s->tpls[seq % STRATUM_TEMPLATES];
    return t && t->seq == seq ? t : NULL;
}

static void env_share(void *ctx, int worker, stratum_outcome_t what,
                      double diff, uint64_t now)
{
    stratum_server_t *s = ctx;
    stratum_stats_share(&s->stats, worker, what, diff, now);
}

static void env_block(void *ctx, int worker, block_t *b)
{
    stratum_server_t *s = ctx;
    pthread_mutex_lock(&s->lock);
    if (s->q_len < STRATUM_BLOCKQ) {
        size_t k = (s->q_head + s->q_len++) % STRATUM_BLOCKQ;
        s->queue[k].block = *b;
        s->queue[k].worker = worker;
        b->txs = NULL;
        b->tx_count = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (b->txs) {
        log_warn("stratum", "block queue full: a solved block was dropped");
        block_deinit(b);
    }
}

static int env_worker(void *ctx, const char *name)
{
    stratum_server_t *s = ctx;
    return stratum_stats_worker(&s->stats, name);
}

/* ---- counters ------------------------------------------------------------ */

typedef enum {
    C_OPEN,
    C_CLOSE,
    C_FULL,
    C_SCORE,
    C_IDLE,
    C_LONG,
    C_SLOW,
} cnt_t;

static void bump(stratum_conn_stats_t *c, void *arg)
{
    switch (*(cnt_t *)arg) {
    case C_OPEN:
        c->open++;
        c->total++;
        break;
    case C_CLOSE:
        c->open--;
        break;
    case C_FULL:
        c->refused_full++;
        break;
    case C_SCORE:
        c->dropped_score++;
        break;
    case C_IDLE:
        c->dropped_idle++;
        break;
    case C_LONG:
        c->dropped_long_line++;
        break;
    case C_SLOW:
        c->dropped_slow++;
        break;
    }
}

static void count(stratum_server_t *s, cnt_t what)
{
    stratum_stats_conns(&s->stats, bump, &what);
}

/* ---- connections --------------------------------------------------------- */

static void conn_close(stratum_server_t *s, conn_t *c, cnt_t why)
{
    if (c->dead)
        return;
    c->dead = true;
    /* Counted before the miner can see the close. */
    if (why != C_CLOSE)
        count(s, why);
    count(s, C_CLOSE);
    stratum_stats_connection(&s->stats, c->counted_worker, -1);
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

static void conn_free(stratum_server_t *s, conn_t *c)
{
    s->conns[c->slot] = NULL;
    s->open--;
    free(c->in);
    buf_deinit(&c->out);
    free(c);
}

/* Writes what can be written; arms EPOLLOUT for the rest. A miner that
 * leaves more than STRATUM_OUT_MAX unread is dropped. */
static void conn_flush(stratum_server_t *s, conn_t *c)
{
    while (!c->dead && c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->out_off,
                         c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_close(s, c, C_CLOSE);
        return;
    }
    if (c->dead)
        return;
    if (c->out_off == c->out.len) {
        buf_reset(&c->out);
        c->out_off = 0;
    } else if (c->out.len - c->out_off > STRATUM_OUT_MAX) {
        conn_close(s, c, C_SLOW);
        return;
    }
    bool want = c->out_off < c->out.len;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP |
                                           (want ? EPOLLOUT : 0),
                                 .data.ptr = c};
        epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
}

/* Keeps the worker's connection count following the session's worker. */
static void conn_track_worker(stratum_server_t *s, conn_t *c)
{
    if (c->sess.worker_slot == c->counted_worker)
        return;
    stratum_stats_connection(&s->stats, c->counted_worker, -1);
    stratum_stats_connection(&s->stats, c->sess.worker_slot, +1);
    c->counted_worker = c->sess.worker_slot;
}

/* Takes the listening socket out of the loop (rest) or puts it back. */
static void listen_rest(stratum_server_t *s, bool rest)
{
    if (rest == s->listen_resting)
        return;
    struct epoll_event ev = {.events = rest ? 0 : EPOLLIN,
                             .data.ptr = &s->listen_fd};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0)
        s->listen_resting = rest;
    if (rest)
        log_warn("stratum", "out of file descriptors: not accepting for a "
                            "second");
}

static void conn_accept(stratum_server_t *s)
{
    for (int i = 0; i < 64; i++) {
        int fd =
            accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* Out of descriptors or memory: the listening socket would
             * stay readable and spin the loop, so it rests until the next
             * housekeeping. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                listen_rest(s, true);
            return;
        }
        int slot = -1;
        if (s->open < s->cfg.max_conns)
            for (unsigned k = 0; k < s->cfg.max_conns; k++)
                if (!s->conns[k]) {
                    slot = (int)k;
                    break;
                }
        conn_t *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
        if (c)
            c->in = malloc(STRATUM_IN_START);
        if (!c || !c->in) {
            if (c)
                free(c);
            close(fd);
            count(s, C_FULL);
            continue;
        }
        int one = 1, idle = 60, intvl = 10, cnt = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
        c->fd = fd;
        c->slot = slot;
        c->in_cap = STRATUM_IN_START;
        c->counted_worker = -1;
        buf_init(&c->out);
        /* Unique among live connections: a counter, from a random start. */
        uint8_t en1[4];
        be32_put(en1, s->next_en1++);
        stratum_session_init(&c->sess, &s->env, en1, now_ms());
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            free(c->in);
            free(c);
            continue;
        }
        s->conns[slot] = c;
        s->open++;
        count(s, C_OPEN);
    }
}

/* Handles the complete lines in c->in. */
static void conn_lines(stratum_server_t *s, conn_t *c)
{
    size_t start = 0;
    uint64_t now = now_ms();
    for (;;) {
        char *nl = memchr(c->in + start, '\n', c->in_len - start);
        if (!nl)
            break;
        size_t len = (size_t)(nl - (c->in + start));
        int rc = stratum_session_line(&c->sess, &s->env, &c->out, c->in + start,
                                      len, now);
        start += len + 1;
        if (rc) {
            /* Say why, then go. */
            conn_flush(s, c);
            conn_close(s, c, C_SCORE);
            return;
        }
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    conn_track_worker(s, c);
}

static void conn_read(stratum_server_t *s, conn_t *c)
{
    size_t taken = 0;
    while (!c->dead && taken < STRATUM_READ_TURN) {
        if (c->in_len == c->in_cap) {
            if (c->in_cap >= STRATUM_LINE_MAX) {
                /* A whole buffer and no newline: over the line limit. */
                conn_close(s, c, C_LONG);
                return;
            }
            size_t cap = c->in_cap * 2 > STRATUM_LINE_MAX ? STRATUM_LINE_MAX
                                                          : c->in_cap * 2;
            char *in = realloc(c->in, cap);
            if (!in) {
                conn_close(s, c, C_CLOSE);
                return;
            }
            c->in = in;
            c->in_cap = cap;
        }
        ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            conn_close(s, c, C_CLOSE);
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        c->in_len += (size_t)r;
        taken += (size_t)r;
        conn_lines(s, c);
    }
    if (!c->dead)
        conn_flush(s, c);
}

/* ---- templates ----------------------------------------------------------- */

/* Installs the mailbox's template and sends it to every mining session. */
static void take_template(stratum_server_t *s)
{
    pthread_mutex_lock(&s->lock);
    stratum_tpl_t *t = s->mailbox;
    s->mailbox = NULL;
    pthread_mutex_unlock(&s->lock);
    if (!t)
        return;
    const stratum_tpl_t *old = env_tpl(s, 0);
    bool clean = !old || memcmp(old->work.prev_hash, t->work.prev_hash, 32);
    if (clean)
        for (int k = 0; k < STRATUM_TEMPLATES; k++) {
            tpl_free(s->tpls[k]);
            s->tpls[k] = NULL;
        }
    tpl_free(s->tpls[t->seq % STRATUM_TEMPLATES]);
    s->tpls[t->seq % STRATUM_TEMPLATES] = t;
    s->newest = t->seq;

    uint64_t start = now_us(), now = now_ms(), sent = 0;
    for (unsigned k = 0; k < s->cfg.max_conns; k++) {
        conn_t *c = s->conns[k];
        if (!c || c->dead || !stratum_session_mining(&c->sess))
            continue;
        if (stratum_session_notify(&c->sess, &s->env, &c->out, clean, now) == 0)
            sent++;
        conn_flush(s, c);
    }
    uint64_t took = now_us() - start;
    pthread_mutex_lock(&s->stats.lock);
    s->stats.conns.templates++;
    s->stats.conns.jobs_sent += sent;
    if (clean) {
        s->stats.conns.clean_jobs++;
        s->stats.conns.fanout_us = took;
    }
    pthread_mutex_unlock(&s->stats.lock);
}

/* Once a second: idle connections, vardiff on time. */
static void housekeeping(stratum_server_t *s)
{
    uint64_t now = now_ms();
    listen_rest(s, false);
    for (unsigned k = 0; k < s->cfg.max_conns; k++) {
        conn_t *c = s->conns[k];
        if (!c || c->dead)
            continue;
        if ((!c->sess.subscribed &&
             now - c->sess.created_ms > s->cfg.hello_ms) ||
            now - c->sess.last_ms > STRATUM_IDLE_MS) {
            conn_close(s, c, C_IDLE);
            continue;
        }
        if (stratum_session_tick(&c->sess, &s->env, &c->out, now) == 0)
            conn_flush(s, c);
    }
}

static void reap(stratum_server_t *s)
{
    for (unsigned k = 0; k < s->cfg.max_conns; k++)
        if (s->conns[k] && s->conns[k]->dead)
            conn_free(s, s->conns[k]);
}

static void *run(void *arg)
{
    stratum_server_t *s = arg;
    struct epoll_event ev[STRATUM_EVENTS];
    uint64_t next_house = now_ms() + 1000;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        int n = epoll_wait(s->epoll_fd, ev, STRATUM_EVENTS, 500);
        bool any_dead = false;
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &s->listen_fd) {
                conn_accept(s);
            } else if (p == &s->wake_fd) {
                uint64_t v;
                if (read(s->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                    log_warn("stratum", "wake-up read failed");
                take_template(s);
            } else {
                conn_t *c = p;
                if (c->dead)
                    continue;
                if (ev[i].events & EPOLLIN)
                    conn_read(s, c);
                if (!c->dead && (ev[i].events & EPOLLOUT))
                    conn_flush(s, c);
                if (!c->dead &&
                    (ev[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) &&
                    !(ev[i].events & EPOLLIN))
                    conn_close(s, c, C_CLOSE);
                any_dead |= c->dead;
            }
        }
        uint64_t now = now_ms();
        if (now >= next_house) {
            housekeeping(s);
            next_house = now + 1000;
            any_dead = true;
        }
        if (any_dead)
            reap(s);
    }
    return NULL;
}

/* ---- life ---------------------------------------------------------------- */

static int listen_on(const char *host, uint16_t port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char p[8], name[200];
    snprintf(p, sizeof p, "%u", port);
    /* "[::1]" (as HOST:PORT writes IPv6) -> "::1". */
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(name, sizeof name, "%s", host);
    if (getaddrinfo(strcmp(name, "*") == 0 ? NULL : name, p, &hints, &res))
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 1024)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Room for every connection: the soft open-file limit up to the hard. */
static void raise_fd_limit(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur =
        rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warn("stratum", "cannot raise the open-file limit");
}

stratum_server_t *stratum_server_new(const stratum_config_t *cfg,
                                     const char **reason)
{
    stratum_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        *reason = "out of memory";
        return NULL;
    }
    s->cfg = *cfg;
    if (!s->cfg.max_conns)
        s->cfg.max_conns = STRATUM_CONNS_MAX;
    if (!s->cfg.hello_ms)
        s->cfg.hello_ms = STRATUM_HELLO_MS;
    if (!(s->cfg.start_diff > 0))
        s->cfg.start_diff = STRATUM_START_DIFF;
    s->listen_fd = s->epoll_fd = s->wake_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    /* A wildcard address is no place to point a miner at: say loopback. */
    bool any4 = !strcmp(cfg->host, "0.0.0.0") || !strcmp(cfg->host, "*");
    bool any6 = !strcmp(cfg->host, "[::]") || !strcmp(cfg->host, "::");
    snprintf(s->url, sizeof s->url, "stratum+tcp://%s:%u",
             any4   ? "127.0.0.1"
             : any6 ? "[::1]"
                    : cfg->host,
             cfg->port);
    s->env = (stratum_env_t){.ctx = s,
                             .tpl = env_tpl,
                             .share = env_share,
                             .block = env_block,
                             .worker = env_worker,
                             .hrp = cfg->params->hrp,
                             .start_diff = s->cfg.start_diff};
    if (getrandom(&s->next_en1, sizeof s->next_en1, 0) != sizeof s->next_en1)
        s->next_en1 = (uint32_t)now_us();
    s->conns = calloc(s->cfg.max_conns, sizeof *s->conns);
    if (!s->conns || stratum_stats_init(&s->stats) != 0) {
        *reason = "out of memory";
        stratum_server_free(&s);
        return NULL;
    }
    raise_fd_limit(s->cfg.max_conns + 1024);
    s->listen_fd = listen_on(cfg->host, cfg->port);
    if (s->listen_fd < 0) {
        *reason = "cannot listen on the --stratum address (in use?)";
        stratum_server_free(&s);
        return NULL;
    }
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event a = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
    struct epoll_event b = {.events = EPOLLIN, .data.ptr = &s->wake_fd};
    if (s->epoll_fd < 0 || s->wake_fd < 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &a) ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &b)) {
        *reason = "cannot set up the Stratum event loop";
        stratum_server_free(&s);
        return NULL;
    }
    return s;
}

static void wake(stratum_server_t *s)
{
    uint64_t one = 1;
    if (write(s->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("stratum", "cannot wake the Stratum thread");
}

int stratum_server_start(stratum_server_t *s)
{
    if (pthread_create(&s->thread, NULL, run, s) != 0)
        return ERR_NOMEM;
    s->started = true;
    log_info("stratum", "serving Stratum v1 on %s", s->url);
    return 0;
}

void stratum_server_free(stratum_server_t **sp)
{
    if (!sp || !*sp)
        return;
    stratum_server_t *s = *sp;
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_mutex_unlock(&s->lock);
        wake(s);
        pthread_join(s->thread, NULL);
    }
    for (unsigned k = 0; s->conns && k < s->cfg.max_conns; k++)
        if (s->conns[k]) {
            conn_close(s, s->conns[k], C_CLOSE);
            conn_free(s, s->conns[k]);
        }
    free(s->conns);
    for (int k = 0; k < STRATUM_TEMPLATES; k++)
        tpl_free(s->tpls[k]);
    tpl_free(s->mailbox);
    for (size_t i = 0; i < s->q_len; i++)
        block_deinit(&s->queue[(s->q_head + i) % STRATUM_BLOCKQ].block);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    stratum_stats_deinit(&s->stats);
    pthread_mutex_destroy(&s->lock);
    free(s);
    *sp = NULL;
}

/* ---- the main loop's side ------------------------------------------------ */

/* What tells one template's transactions from another's: its branch. */
static void branch_digest(uint8_t d[32], const stratum_work_t *w)
{
    sha256(d, w->branch, w->branch_len * 32);
}

void stratum_server_refresh(stratum_server_t *s, const chain_t *chain,
                            const mempool_t *mempool, uint64_t now, bool force)
{
    const uint8_t *tip = chain_tip(chain)->hash;
    bool new_tip = memcmp(tip, s->fed_prev, 32) != 0;
    if (!new_tip && !force && now - s->fed_ms < STRATUM_REFRESH_MS)
        return;
    s->fed_ms = now;
    stratum_tpl_t *t = calloc(1, sizeof *t);
    static const uint8_t nobody[32];
    if (!t || mining_template(&t->tpl, chain, mempool, nobody, 0) != 0) {
        free(t);
        log_warn("stratum", "could not build a block template");
        return;
    }
    uint8_t digest[32];
    if (stratum_job_from_template(&t->work, &t->tpl, nobody) != 0 ||
        block_bits_to_target(&t->net_target, t->tpl.header.bits) != 0) {
        tpl_free(t);
        log_warn("stratum", "could not cut a Stratum job");
        return;
    }
    branch_digest(digest, &t->work);
    if (!new_tip && !force && memcmp(digest, s->fed_digest, 32) == 0) {
        tpl_free(t); /* the same transactions: miners keep their job */
        return;
    }
    memcpy(s->fed_prev, tip, 32);
    memcpy(s->fed_digest, digest, 32);
    t->net_diff = stratum_job_bits_diff(t->tpl.header.bits);
    t->seq = ++s->fed_seq;
    if (!t->seq)
        t->seq = ++s->fed_seq;
    pthread_mutex_lock(&s->lock);
    tpl_free(s->mailbox); /* not taken yet: this one replaces it */
    s->mailbox = t;
    pthread_mutex_unlock(&s->lock);
    wake(s);
}

int stratum_server_next_block(stratum_server_t *s, block_t *block, int *worker,
                              const chain_t *chain)
{
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (!s->q_len) {
            pthread_mutex_unlock(&s->lock);
            return ERR_NOT_FOUND;
        }
        block_t b = s->queue[s->q_head].block;
        int w = s->queue[s->q_head].worker;
        s->q_head = (s->q_head + 1) % STRATUM_BLOCKQ;
        s->q_len--;
        pthread_mutex_unlock(&s->lock);
        if (memcmp(b.header.prev_hash, chain_tip(chain)->hash, 32) == 0) {
            *block = b;
            *worker = w;
            return 0;
        }
        block_deinit(&b);
        stratum_stats_block(&s->stats, w, STRATUM_BLOCK_STALE);
    }
}

void stratum_server_block_done(stratum_server_t *s, int worker, bool accepted)
{
    stratum_stats_block(&s->stats, worker,
                        accepted ? STRATUM_BLOCK_ACCEPTED
                                 : STRATUM_BLOCK_REFUSED);
}

const char *stratum_server_url(const stratum_server_t *s)
{
    return s->url;
}

json_t *stratum_server_json(stratum_server_t *s, bool with_workers)
{
    json_t *r = stratum_stats_json(&s->stats, now_ms(), with_workers);
    if (r) {
        json_object_set_new(r, "url", json_string(s->url));
        json_object_set_new(r, "start_difficulty",
                            json_real(s->cfg.start_diff));
    }
    return r;
}
