/*
 * wallet_api_http — the wallet service's HTTP side (wallet_api.h): request
 * bodies, the checks made on headers before a body is read (size, content
 * type, Host against DNS rebinding, Origin against other sites' pages),
 * the page's files, and the HTTP thread. Every request that is not a file
 * of the page goes to wallet_api_handle().
 *
 * The HTTP thread runs libmicrohttpd (epoll, no thread of its own) and,
 * between its turns, closes the connections the guard (http_guard.h) finds
 * past their deadline. libmicrohttpd has no call that closes a connection
 * from outside a request's handler, and a slowloris connection never
 * reaches one, so the thread shuts the connection's socket down: its next
 * read sees the end, and libmicrohttpd closes it as a client that left,
 * reporting it closed (on this same thread) before the descriptor is
 * released, so a descriptor the guard holds is never another connection's.
 */
#include "wallet_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "http_guard.h"
#include "log.h"
#include "sock.h"
#include "wallet_api_impl.h"

/* How often the HTTP thread looks for connections past their deadline, at
 * most (libmicrohttpd's turn ends at the first event). */
#define SWEEP_MS 100
/* Connections libmicrohttpd may hold beyond the guard's slots (and beyond
 * its per-address limit, per address): the ones evicted or past their
 * deadline, until libmicrohttpd has seen their socket shut down. */
#define CLOSING_GRACE 64
/* File descriptors kept for everything else: the node link's ZeroMQ
 * sockets, the listening socket, epoll, the log. */
#define FD_RESERVE 64

/* One request's state across libmicrohttpd's calls. */
typedef struct {
    char body[WALLET_API_MAX_BODY + 1];
    size_t len;
    bool too_big;
} conn_t;

static enum MHD_Result send_json(struct MHD_Connection *c, int status,
                                 json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        text = strdup("{\"error\":\"out of memory\"}");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        if (!text)
            return MHD_NO;
    }
    size_t n = strlen(text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status,
                                  const char *msg)
{
    return send_json(c, status, json_pack("{s:s}", "error", msg));
}

#define HTML "text/html; charset=utf-8"
#define JS "text/javascript; charset=utf-8"
#define CSS "text/css; charset=utf-8"

bool wallet_api_page_file(const char **file, const char **type,
                          const char *path)
{
    static const struct {
        const char *path, *file, *type;
    } files[] = {
        {"/", "wallet_ui.html", HTML},
        {"/wallet_ui.html", "wallet_ui.html", HTML},
        {"/explorer", "explorer.html", HTML},
        {"/explorer.html", "explorer.html", HTML},
        {"/common.js", "common.js", JS},
        {"/script.js", "script.js", JS},
        {"/style.css", "style.css", CSS},
        {"/explorer.js", "explorer.js", JS},
        {"/explorer.css", "explorer.css", CSS},
        {"/vendor/bootstrap.min.css", "vendor/bootstrap.min.css", CSS},
        {"/vendor/bootstrap.bundle.min.js", "vendor/bootstrap.bundle.min.js",
         JS},
    };
    for (size_t i = 0; path && i < sizeof files / sizeof files[0]; i++)
        if (strcmp(path, files[i].path) == 0) {
            *file = files[i].file;
            *type = files[i].type;
            return true;
        }
    return false;
}

static enum MHD_Result serve_file(wallet_api_t *a, struct MHD_Connection *c,
                                  const char *url)
{
    if (!a->web_root[0])
        return send_error(c, MHD_HTTP_NOT_FOUND,
                          "this wallet service serves no page (--web-root)");
    const char *file, *type;
    if (!wallet_api_page_file(&file, &type, url))
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    char full[800];
    snprintf(full, sizeof full, "%s/%s", a->web_root, file);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    }
    struct MHD_Response *r =
        MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(
        r, "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' "
        "'unsafe-inline'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* True when a Host header names this machine's loopback (with any port):
 * a page of another site that rebinds its name to 127.0.0.1 sends its own
 * name, and is refused. */
static bool host_ok(const wallet_api_t *a, const char *host)
{
    if (!a->local_only || !host)
        return true;
    char name[128];
    snprintf(name, sizeof name, "%s", host);
    char *colon = name[0] == '[' ? strstr(name, "]:") : strrchr(name, ':');
    if (colon)
        colon[name[0] == '[' ? 1 : 0] = '\0';
    return strcmp(name, "127.0.0.1") == 0 || strcmp(name, "localhost") == 0 ||
           strcmp(name, "[::1]") == 0;
}

/* Checks made before a body is read: they decide on headers alone. */
static enum MHD_Result check_headers(wallet_api_t *a, struct MHD_Connection *c,
                                     bool post, bool *refused)
{
    *refused = true;
    const char *host =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host_ok(a, host))
        return send_error(c, MHD_HTTP_FORBIDDEN,
                          "this wallet answers only to 127.0.0.1 or "
                          "localhost");
    if (post) {
        const char *origin =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        char self[200];
        snprintf(self, sizeof self, "http://%s", host ? host : "");
        /* "null" is what a sandboxed frame, a file: page or a redirect
         * across sites sends: never this page, whatever it names. */
        if (origin && strcmp(origin, self) != 0)
            return send_error(c, MHD_HTTP_FORBIDDEN,
                              "cross-site requests are refused");
        const char *len = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (len && strtoull(len, NULL, 10) > WALLET_API_MAX_BODY) {
            char msg[100];
            snprintf(msg, sizeof msg,
                     "the request body is larger than %d bytes",
                     WALLET_API_MAX_BODY);
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
        }
        const char *type = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool has_body = len && strtoull(len, NULL, 10) > 0;
        bool chunked =
            MHD_lookup_connection_value(
                c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
        if ((has_body || chunked) &&
            (!type || strncasecmp(type, "application/json", 16) != 0))
            return send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "send the body as application/json");
    }
    *refused = false;
    return MHD_YES;
}

/* ---- the connection guard ------------------------------------------------ */

/* The connection's entry in the guard: its socket context holds id + 1. */
static bool guard_id(struct MHD_Connection *c, unsigned *id)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (!ci || !ci->socket_context)
        return false;
    *id = (unsigned)((uintptr_t)ci->socket_context - 1);
    return true;
}

/* Makes libmicrohttpd close a connection at its next turn (the file
 * comment says why this way). */
static void close_soon(int fd)
{
    shutdown(fd, SHUT_RDWR);
}

/* The request is whole (or refused on its headers): the guard's request
 * deadline no longer applies to it. */
static void request_whole(wallet_api_t *a, struct MHD_Connection *c)
{
    unsigned id;
    if (guard_id(c, &id))
        http_guard_answering(a->guard, id, sock_now_ms());
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    wallet_api_t *a = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (*socket_context)
            http_guard_closed(a->guard,
                              (unsigned)((uintptr_t)*socket_context - 1));
        *socket_context = NULL;
        return;
    }
    *socket_context = NULL;
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *addr =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!fd)
        return;
    unsigned id;
    int evict;
    if (!addr || http_guard_open(a->guard, &id, &evict, addr->client_addr,
                                 fd->connect_fd, sock_now_ms()) != 0) {
        close_soon(fd->connect_fd);
        return;
    }
    *socket_context = (void *)(uintptr_t)(id + 1);
    if (evict >= 0) {
        log_debug("http", "slots full: closing the oldest unfinished "
                          "connection");
        close_soon(evict);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    wallet_api_t *a = cls;
    bool post = strcmp(method, "POST") == 0;
    conn_t *cc = *con_cls;
    if (!cc) {
        bool refused;
        enum MHD_Result ret = check_headers(a, c, post, &refused);
        if (refused) {
            request_whole(a, c);
            return ret;
        }
        cc = calloc(1, sizeof *cc);
        if (!cc)
            return MHD_NO;
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (cc->too_big || cc->len + n > WALLET_API_MAX_BODY) {
            cc->too_big = true; /* read and drop the rest */
        } else {
            memcpy(cc->body + cc->len, upload_data, n);
            cc->len += n;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    request_whole(a, c);
    if (cc->too_big) {
        char msg[100];
        snprintf(msg, sizeof msg, "the request body is larger than %d bytes",
                 WALLET_API_MAX_BODY);
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
    }
    wallet_api_query_t q = {
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"),
    };
    int status = MHD_HTTP_OK;
    json_t *reply =
        wallet_api_handle(a, &status, method, url, &q, cc->body, cc->len);
    if (reply) {
        log_debug("wallet", "%s %s -> %d", method, url, status);
        return send_json(c, status, reply);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "no such endpoint for this method");
    return serve_file(a, c, url);
}

/* A request's answer went out (or the request ended otherwise): a
 * connection kept alive waits for its next request, with a new deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    wallet_api_t *a = cls;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
    unsigned id;
    if (guard_id(c, &id))
        http_guard_answered(a->guard, id, sock_now_ms());
}

/* libmicrohttpd's printf-style log callback; the attribute tells clang
 * (-Wformat-nonliteral, in the fuzz build) that fmt is a format. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[300];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http", "%s", line);
}

/* ---- the HTTP thread ----------------------------------------------------- */

static void *http_run(void *arg)
{
    wallet_api_t *a = arg;
    while (!atomic_load(&a->http_stop)) {
        if (MHD_run_wait(a->mhd, SWEEP_MS) != MHD_YES) {
            struct timespec ts = {0, SWEEP_MS * 1000 * 1000};
            nanosleep(&ts, NULL); /* a failing epoll is not a busy loop */
        }
        int fds[64];
        size_t n;
        /* Each round marks what it returns, so this ends. */
        do {
            n = http_guard_expired(a->guard, fds, 64, sock_now_ms());
            for (size_t i = 0; i < n; i++)
                close_soon(fds[i]);
        } while (n == 64);
    }
    return NULL;
}

/* Makes room for the guard's connections among the process's file
 * descriptors: raises the soft limit when it is too low, and when the hard
 * limit is too low too, serves fewer connections (with a warning). */
static void fit_limits(http_guard_limits_t *l)
{
    rlim_t need = (rlim_t)l->slots + CLOSING_GRACE + FD_RESERVE;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= need)
        return;
    struct rlimit more = {need, rl.rlim_max};
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        more.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &more) == 0)
        rl.rlim_cur = more.rlim_cur;
    if (rl.rlim_cur >= need)
        return;
    rlim_t room = rl.rlim_cur > CLOSING_GRACE + FD_RESERVE + 8
                      ? rl.rlim_cur - CLOSING_GRACE - FD_RESERVE
                      : 8;
    l->slots = (unsigned)room;
    if (l->per_address > l->slots / 4)
        l->per_address = l->slots / 4 > 0 ? l->slots / 4 : 1;
    log_warn("http",
             "only %llu file descriptors: serving %u connections at once, "
             "%u from one address",
             (unsigned long long)rl.rlim_cur, l->slots, l->per_address);
}

void wallet_api_http_stop(wallet_api_t *a)
{
    if (a->http_running) {
        atomic_store(&a->http_stop, true);
        pthread_join(a->http_thread, NULL);
        a->http_running = false;
    }
    if (a->mhd)
        MHD_stop_daemon(a->mhd); /* reports its closings to the guard */
    a->mhd = NULL;
    http_guard_free(&a->guard);
}

int wallet_api_start(wallet_api_t *a, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    struct sockaddr *addr;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, a->http_host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(a->http_port);
        addr = (struct sockaddr *)&v4;
        a->local_only = (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, a->http_host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(a->http_port);
        addr = (struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
        a->local_only = IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr);
    } else {
        *reason = "the HTTP address must be a numeric IP address, e.g. "
                  "127.0.0.1";
        return ERR_ARG;
    }
    fit_limits(&a->limits);
    unsigned capacity = a->limits.slots + CLOSING_GRACE;
    a->guard = http_guard_new(&a->limits, capacity);
    if (!a->guard) {
        *reason = "out of memory";
        return ERR_NOMEM;
    }
    /* No thread of libmicrohttpd's own: every handler runs on the HTTP
     * thread, which owns the node link's ZeroMQ sockets from here on
     * (starting the thread is a full barrier). The idle time-out is the
     * guard's answer deadline: the guard's own deadlines come first. */
    a->mhd = MHD_start_daemon(
        flags, a->http_port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
        addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, a,
        MHD_OPTION_CONNECTION_LIMIT, capacity,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        a->limits.per_address + CLOSING_GRACE, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(a->limits.answer_ms / 1000 + 1),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a, MHD_OPTION_END);
    if (!a->mhd) {
        *reason = errno == EADDRINUSE ? "the HTTP port is already in use"
                                      : "cannot listen on the HTTP address";
        http_guard_free(&a->guard);
        return ERR_NET;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    a->bound_port = info ? info->port : a->http_port;
    atomic_store(&a->http_stop, false);
    if (pthread_create(&a->http_thread, NULL, http_run, a) != 0) {
        *reason = "cannot start the HTTP thread";
        MHD_stop_daemon(a->mhd);
        a->mhd = NULL;
        http_guard_free(&a->guard);
        return ERR_NOMEM;
    }
    a->http_running = true;
    return 0;
}
