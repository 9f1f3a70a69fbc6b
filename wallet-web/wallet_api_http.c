/*
 * wallet_api_http — the wallet service's HTTP side (wallet_api.h): request
 * bodies, the checks made on headers before a body is read (size, content
 * type, Host against DNS rebinding, Origin against other sites' pages),
 * static files of the web root, and starting libmicrohttpd. Every request
 * that is not a static file goes to wallet_api_handle().
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
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "wallet_api_impl.h"

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

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static enum MHD_Result serve_file(wallet_api_t *a, struct MHD_Connection *c,
                                  const char *url)
{
    if (!a->web_root[0])
        return send_error(c, MHD_HTTP_NOT_FOUND,
                          "this wallet service serves no page (--web-root)");
    const char *path = strcmp(url, "/") == 0           ? "/wallet_ui.html"
                       : strcmp(url, "/explorer") == 0 ? "/explorer.html"
                                                       : url;
    if (!wallet_api_static_path_ok(path))
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    char full[800];
    snprintf(full, sizeof full, "%s%s", a->web_root, path);
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
    MHD_add_response_header(r, "Content-Type", content_type(path));
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
        if (origin && strcmp(origin, "null") != 0 && strcmp(origin, self) != 0)
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
        if (refused)
            return ret;
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

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
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

int wallet_api_start(wallet_api_t *a, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    struct sockaddr *addr;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
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
    /* No MHD_USE_THREAD_PER_CONNECTION and no thread pool: every handler
     * runs on the one internal thread, which owns the node link's ZeroMQ
     * sockets from here on (starting the thread is a full barrier). */
    a->mhd = MHD_start_daemon(
        flags, a->http_port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
        addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a, MHD_OPTION_END);
    if (!a->mhd) {
        *reason = errno == EADDRINUSE ? "the HTTP port is already in use"
                                      : "cannot listen on the HTTP address";
        return ERR_NET;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    a->bound_port = info ? info->port : a->http_port;
    return 0;
}
