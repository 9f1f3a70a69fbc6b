/*
 * wallet_rig — the wallet web service in-process for the tests that talk
 * HTTP to it (test_wallet_api.c, test_wallet_api_explorer.c,
 * test_wallet_api_http.c): a random wallet, the service on a free port of
 * 127.0.0.1 with short node time-outs, a node endpoint nobody listens on,
 * a temporary web root, and a plain HTTP/1.1 client.
 *
 * No Criterion .timeout in these tests: with parallel jobs, Criterion
 * 2.4's runner leaks a timer record per timed test, which LeakSanitizer
 * reports. Every socket here has its own time-out (SO_RCVTIMEO).
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_WALLET_RIG_H
#define PICKAXE_TEST_WALLET_RIG_H

#include <stdint.h>

#include "sock.h"
#include "wallet.h"
#include "wallet_api.h"

typedef struct {
    int status;
    char body[8192];
} wr_reply_t;

/* The service, its wallet and (after wr_web_root_new) its web root. */
extern wallet_t *wr_wallet;
extern wallet_api_t *wr_api;
extern char wr_web_root[64];

/* One HTTP/1.1 request on a fresh connection ("Connection: close") to
 * 127.0.0.1:port; extra_headers (each ending "\r\n") and body may be NULL. */
void wr_http(wr_reply_t *r, uint16_t port, const char *method, const char *path,
             const char *extra_headers, const char *body);

/* A connection to 127.0.0.1:port from source address `from` (NULL: any),
 * with a 10 s receive time-out. */
int wr_dial(const char *from, uint16_t port);

/* wr_http from source address `from`. */
void wr_http_from(wr_reply_t *r, const char *from, uint16_t port,
                  const char *method, const char *path,
                  const char *extra_headers, const char *body);

/* A node endpoint nothing listens on: bound, then released (static
 * storage, overwritten by the next call). */
const char *wr_absent_node(void);

/* Makes wr_web_root, a new /tmp/pickaxe-NAME-XXXXXX directory. */
void wr_web_root_new(const char *name);

/* Writes `text` to the file NAME in wr_web_root. */
void wr_write_file(const char *name, const char *text);

/* Removes wr_web_root and all in it. */
void wr_web_root_remove(void);

/* Makes wr_wallet (random) and a regtest config for it: this node
 * endpoint, this web root (NULL: none), a free HTTP port, 200 ms node
 * time-out, no retries. The caller may change it before wr_start. */
void wr_config(wallet_api_config_t *cfg, const char *node,
               const char *web_root);

/* Makes wr_api from cfg and starts it; fails the test when it cannot. */
void wr_start(const wallet_api_config_t *cfg);

/* wr_config then wr_start, with the defaults. */
void wr_start_default(const char *node, const char *web_root);

/* Frees wr_api and wr_wallet. */
void wr_stop(void);

#endif
