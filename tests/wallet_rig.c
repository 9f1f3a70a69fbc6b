/*
 * wallet_rig — the in-process wallet service the wallet HTTP tests share
 * (see wallet_rig.h).
 */
#include "wallet_rig.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "params.h"
#include "server.h"

wallet_t *wr_wallet;
wallet_api_t *wr_api;
char wr_web_root[64];

int wr_dial(const char *from, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (from) {
        struct sockaddr_in src = {0};
        src.sin_family = AF_INET;
        cr_assert_eq(inet_pton(AF_INET, from, &src.sin_addr), 1);
        cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

void wr_http_from(wr_reply_t *r, const char *from, uint16_t port,
                  const char *method, const char *path,
                  const char *extra_headers, const char *body)
{
    int fd = wr_dial(from, port);
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n =
        snprintf(head, sizeof head,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 method, path, port, extra_headers ? extra_headers : "", blen);
    cr_assert_eq(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    if (blen)
        send(fd, body, blen, MSG_NOSIGNAL); /* the server may refuse early */
    char buf[16384];
    size_t got = 0;
    /* Bounded by the buffer and by the socket's receive time-out. */
    for (;;) {
        ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    cr_assert(sscanf(buf, "HTTP/1.%*d %d", &r->status) == 1, "reply: %s", buf);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(r->body, sizeof r->body, "%s", b ? b + 4 : "");
}

void wr_http(wr_reply_t *r, uint16_t port, const char *method, const char *path,
             const char *extra_headers, const char *body)
{
    wr_http_from(r, NULL, port, method, path, extra_headers, body);
}

const char *wr_absent_node(void)
{
    server_t *s = server_new("tcp://127.0.0.1:*");
    cr_assert(s);
    static char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "%s", server_endpoint(s));
    server_free(&s); /* nothing listens there now */
    return ep;
}

void wr_web_root_new(const char *name)
{
    snprintf(wr_web_root, sizeof wr_web_root, "/tmp/pickaxe-%s-XXXXXX", name);
    cr_assert(mkdtemp(wr_web_root));
}

void wr_write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", wr_web_root, name);
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

void wr_web_root_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", wr_web_root);
    cr_assert_eq(system(cmd), 0);
}

void wr_config(wallet_api_config_t *cfg, const char *node, const char *web_root)
{
    wr_wallet = wallet_new_random();
    cr_assert(wr_wallet);
    wallet_api_config_init(cfg);
    cfg->params = params_regtest();
    cfg->wallet = wr_wallet;
    cfg->node = node;
    cfg->tracker = NULL;
    cfg->http_port = 0;
    cfg->web_root = web_root;
    cfg->timeout_ms = 200;
    cfg->retries = 0;
}

void wr_start(const wallet_api_config_t *cfg)
{
    const char *why = NULL;
    wr_api = wallet_api_new(cfg, &why);
    cr_assert(wr_api, "%s", why);
    cr_assert_eq(wallet_api_start(wr_api, &why), 0, "%s", why);
}

void wr_start_default(const char *node, const char *web_root)
{
    wallet_api_config_t cfg;
    wr_config(&cfg, node, web_root);
    wr_start(&cfg);
}

void wr_stop(void)
{
    wallet_api_free(&wr_api);
    wallet_free(&wr_wallet);
}
