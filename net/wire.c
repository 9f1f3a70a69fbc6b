/*
 * wire — encoding and strict decoding of pickaxe's messages (see wire.h).
 *
 * The encoder and the decoder are written as mirror images, one function per
 * payload shape, so a change to one shows up next to the other. The decoder
 * works on a reader_t, which refuses to read past its end, and every list is
 * checked twice before anything is allocated: its count against the type's
 * cap, and count * (smallest item) against the bytes actually left, so a
 * forged count can neither overrun the buffer nor make us allocate much.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

/* ---- strings and blobs ----------------------------------------------------
 */

static bool str_ok(const char *s, size_t min)
{
    size_t n = strnlen(s, WIRE_MAX_STR + 1);
    if (n < min || n > WIRE_MAX_STR)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

bool wire_str_valid(const char *s)
{
    return s && str_ok(s, 1);
}

static void put_str(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    buf_put_u16(b, (uint16_t)n);
    buf_put(b, s, n);
}

/* Reads a string of min..WIRE_MAX_STR printable characters into out. */
static int rd_str(reader_t *r, char out[WIRE_MAX_STR + 1], size_t min)
{
    uint16_t n;
    const uint8_t *p;
    if (rd_u16(r, &n) || n < min || n > WIRE_MAX_STR || rd_view(r, &p, n))
        return ERR_PARSE;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return ERR_PARSE;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

typedef struct {
    size_t min, max;
    bool text; /* JSON text: no NUL bytes */
} blob_limits_t;

static const blob_limits_t TX_LIMITS = {1, WIRE_MAX_TX_SIZE, false};
static const blob_limits_t BLOCK_LIMITS = {WIRE_MIN_BLOCK_SIZE,
                                           WIRE_MAX_BLOCK_SIZE, false};
static const blob_limits_t JSON_LIMITS = {1, WIRE_MAX_JSON, true};

static bool blob_ok(const wire_blob_t *b, const blob_limits_t *lim)
{
    if (b->len < lim->min || b->len > lim->max || (!b->data && b->len))
        return false;
    return !lim->text || memchr(b->data, 0, b->len) == NULL;
}

static int rd_blob(reader_t *r, wire_blob_t *out, const blob_limits_t *lim)
{
    uint32_t n;
    wire_blob_t b;
    if (rd_u32(r, &n) || rd_view(r, &b.data, n))
        return ERR_PARSE;
    b.len = n;
    if (!blob_ok(&b, lim))
        return ERR_PARSE;
    *out = b;
    return 0;
}

static void put_blob(buf_t *b, const wire_blob_t *blob)
{
    buf_put_u32(b, (uint32_t)blob->len);
    buf_put(b, blob->data, blob->len);
}

/* ---- payload shapes -------------------------------------------------------
 */

uint64_t wire_key_id(const uint8_t key[WIRE_KEY_SIZE])
{
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | key[i];
    return id;
}

static bool key_zero(const uint8_t key[WIRE_KEY_SIZE])
{
    uint8_t acc = 0;
    for (int i = 0; i < WIRE_KEY_SIZE; i++)
        acc |= key[i];
    return acc == 0;
}

/* A peer's id is its key's, so an encoder never sends one that its
 * receiver would read as another. */
static bool peer_ok(const wire_peer_t *p)
{
    return !key_zero(p->key) && p->id == wire_key_id(p->key) &&
           wire_str_valid(p->req) && wire_str_valid(p->gossip);
}

static void put_peer(buf_t *b, const wire_peer_t *p)
{
    buf_put(b, p->key, WIRE_KEY_SIZE);
    put_str(b, p->req);
    put_str(b, p->gossip);
}

static int rd_peer(reader_t *r, wire_peer_t *p)
{
    if (rd_bytes(r, p->key, WIRE_KEY_SIZE) || key_zero(p->key) ||
        rd_str(r, p->req, 1) || rd_str(r, p->gossip, 1))
        return ERR_PARSE;
    p->id = wire_key_id(p->key);
    return 0;
}

static void put_tip(buf_t *b, const wire_tip_t *t)
{
    buf_put_u32(b, t->height);
    buf_put(b, t->tip, 32);
    buf_put(b, t->work, 32);
}

static int rd_tip(reader_t *r, wire_tip_t *t)
{
    if (rd_u32(r, &t->height) || rd_bytes(r, t->tip, 32) ||
        rd_bytes(r, t->work, 32))
        return ERR_PARSE;
    return 0;
}

/* Reads a count and checks it against the cap and against the bytes left,
 * given the smallest encoding of one item. */
static int rd_count(reader_t *r, uint16_t *count, size_t cap, size_t min_item)
{
    uint16_t n;
    if (rd_u16(r, &n) || n > cap || (size_t)n * min_item > r->left)
        return ERR_PARSE;
    *count = n;
    return 0;
}

static const blob_limits_t *blob_limits(uint16_t type)
{
    switch (type) {
    case WIRE_SUBMIT_TX:
    case WIRE_SUBMIT_TXS:
    case WIRE_TX:
    case WIRE_NEW_TX:
    case WIRE_NEW_TXS:
    case WIRE_MEMPOOL:
        return &TX_LIMITS;
    case WIRE_NEW_BLOCK:
    case WIRE_BLOCKS:
        return &BLOCK_LIMITS;
    case WIRE_QUERY:
    case WIRE_REPLY:
        return &JSON_LIMITS;
    default:
        return NULL;
    }
}

/* ---- type table ------------------------------------------------------------
 */

const char *wire_type_name(uint16_t type)
{
    switch (type) {
    case WIRE_ACK:
        return "ACK";
    case WIRE_ERROR:
        return "ERROR";
    case WIRE_SUBMIT_TX:
        return "SUBMIT_TX";
    case WIRE_QUERY:
        return "QUERY";
    case WIRE_REPLY:
        return "REPLY";
    case WIRE_SUBMIT_TXS:
        return "SUBMIT_TXS";
    case WIRE_GET_KEY:
        return "GET_KEY";
    case WIRE_KEY:
        return "KEY";
    case WIRE_SUBMITTED:
        return "SUBMITTED";
    case WIRE_REGISTER:
        return "REGISTER";
    case WIRE_REGISTER_OK:
        return "REGISTER_OK";
    case WIRE_PING:
        return "PING";
    case WIRE_PONG:
        return "PONG";
    case WIRE_LEAVE:
        return "LEAVE";
    case WIRE_PEERS:
        return "PEERS";
    case WIRE_PEER_LIST:
        return "PEER_LIST";
    case WIRE_PEER_JOINED:
        return "PEER_JOINED";
    case WIRE_PEER_LEFT:
        return "PEER_LEFT";
    case WIRE_TX:
        return "TX";
    case WIRE_HELLO:
        return "HELLO";
    case WIRE_GET_TIP:
        return "GET_TIP";
    case WIRE_TIP:
        return "TIP";
    case WIRE_GET_HEADERS:
        return "GET_HEADERS";
    case WIRE_HEADERS:
        return "HEADERS";
    case WIRE_GET_BLOCKS:
        return "GET_BLOCKS";
    case WIRE_BLOCKS:
        return "BLOCKS";
    case WIRE_GET_MEMPOOL:
        return "GET_MEMPOOL";
    case WIRE_MEMPOOL:
        return "MEMPOOL";
    case WIRE_NEW_BLOCK:
        return "NEW_BLOCK";
    case WIRE_NEW_TX:
        return "NEW_TX";
    case WIRE_NEW_TXS:
        return "NEW_TXS";
    default:
        return "UNKNOWN";
    }
}

bool wire_type_known(uint16_t type)
{
    return strcmp(wire_type_name(type), "UNKNOWN") != 0;
}

/* ---- messages ---------------------------------------------------------------
 */

void wire_msg_init(wire_msg_t *msg, uint16_t type)
{
    memset(msg, 0, sizeof *msg);
    msg->type = type;
}

void wire_msg_clear(wire_msg_t *msg)
{
    if (!msg)
        return;
    free(msg->owned_);
    memset(msg, 0, sizeof *msg);
}

/* The cap of a blob list's count. */
static size_t list_cap(uint16_t type)
{
    switch (type) {
    case WIRE_BLOCKS:
        return WIRE_MAX_BLOCKS;
    case WIRE_MEMPOOL:
        return WIRE_MAX_MEMPOOL;
    default:
        return WIRE_MAX_TX_BATCH; /* SUBMIT_TXS */
    }
}

/* Checks what the decoder would refuse, so the encoder never emits it. */
static bool payload_ok(const wire_msg_t *m)
{
    const blob_limits_t *lim = blob_limits(m->type);
    switch (m->type) {
    case WIRE_ACK:
    case WIRE_PEERS:
    case WIRE_GET_TIP:
    case WIRE_GET_MEMPOOL:
    case WIRE_PING:
    case WIRE_LEAVE:
    case WIRE_PONG:
    case WIRE_HELLO:
    case WIRE_TIP:
    case WIRE_GET_KEY:
        return true;
    case WIRE_KEY:
        return !key_zero(m->u.key.key) && m->u.key.port != 0;
    case WIRE_ERROR:
        return str_ok(m->u.error.reason, 0);
    case WIRE_REGISTER:
    case WIRE_PEER_JOINED:
    case WIRE_PEER_LEFT:
        return peer_ok(&m->u.peer);
    case WIRE_REGISTER_OK:
    case WIRE_PEER_LIST:
        if (m->u.peer_list.count > WIRE_MAX_PEERS ||
            (m->u.peer_list.count && !m->u.peer_list.peers))
            return false;
        for (size_t i = 0; i < m->u.peer_list.count; i++)
            if (!peer_ok(&m->u.peer_list.peers[i]))
                return false;
        return true;
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
    case WIRE_NEW_BLOCK:
    case WIRE_QUERY:
    case WIRE_REPLY:
        return blob_ok(&m->u.blob, lim);
    case WIRE_GET_HEADERS:
        return m->u.get_headers.count <= WIRE_MAX_LOCATOR &&
               (!m->u.get_headers.count || m->u.get_headers.hashes);
    case WIRE_HEADERS:
        return m->u.headers.count <= WIRE_MAX_HEADERS &&
               (!m->u.headers.count || m->u.headers.headers);
    case WIRE_GET_BLOCKS:
        return m->u.get_blocks.count <= WIRE_MAX_GET_BLOCKS &&
               (!m->u.get_blocks.count || m->u.get_blocks.hashes);
    case WIRE_BLOCKS:
    case WIRE_MEMPOOL:
    case WIRE_SUBMIT_TXS:
        if (m->u.list.count > list_cap(m->type) ||
            (m->u.list.count && !m->u.list.items))
            return false;
        for (size_t i = 0; i < m->u.list.count; i++)
            if (!blob_ok(&m->u.list.items[i], lim))
                return false;
        return true;
    case WIRE_NEW_TXS:
        if (m->u.txs.count > WIRE_MAX_TX_BATCH ||
            (m->u.txs.count && !m->u.txs.items))
            return false;
        for (size_t i = 0; i < m->u.txs.count; i++)
            if (!m->u.txs.items[i].txid || !blob_ok(&m->u.txs.items[i].tx, lim))
                return false;
        return true;
    case WIRE_SUBMITTED:
        if (m->u.results.count > WIRE_MAX_TX_BATCH ||
            (m->u.results.count && !m->u.results.items))
            return false;
        for (size_t i = 0; i < m->u.results.count; i++)
            if (!str_ok(m->u.results.items[i].reason, 0))
                return false;
        return true;
    default:
        return false;
    }
}

static void put_payload(buf_t *b, const wire_msg_t *m)
{
    switch (m->type) {
    case WIRE_ERROR:
        buf_put_u32(b, (uint32_t)m->u.error.code);
        put_str(b, m->u.error.reason);
        break;
    case WIRE_REGISTER:
    case WIRE_PEER_JOINED:
    case WIRE_PEER_LEFT:
        put_peer(b, &m->u.peer);
        break;
    case WIRE_REGISTER_OK:
    case WIRE_PEER_LIST:
        buf_put_u32(b, m->u.peer_list.peer_timeout_ms);
        buf_put_u16(b, m->u.peer_list.count);
        for (size_t i = 0; i < m->u.peer_list.count; i++)
            put_peer(b, &m->u.peer_list.peers[i]);
        break;
    case WIRE_PING:
    case WIRE_LEAVE:
        buf_put_u64(b, m->u.node_id);
        break;
    case WIRE_KEY:
        buf_put(b, m->u.key.key, WIRE_KEY_SIZE);
        buf_put_u16(b, m->u.key.port);
        break;
    case WIRE_PONG:
        buf_put_u8(b, m->u.pong.known ? 1 : 0);
        buf_put_u32(b, m->u.pong.peers);
        break;
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
    case WIRE_NEW_BLOCK:
    case WIRE_QUERY:
    case WIRE_REPLY:
        put_blob(b, &m->u.blob);
        break;
    case WIRE_HELLO:
        buf_put_u64(b, m->u.hello.node_id);
        put_tip(b, &m->u.hello.tip);
        break;
    case WIRE_TIP:
        put_tip(b, &m->u.tip);
        break;
    case WIRE_GET_HEADERS:
        buf_put_u16(b, m->u.get_headers.count);
        buf_put(b, m->u.get_headers.hashes,
                (size_t)m->u.get_headers.count * 32);
        buf_put(b, m->u.get_headers.stop, 32);
        break;
    case WIRE_HEADERS:
        buf_put_u16(b, m->u.headers.count);
        buf_put(b, m->u.headers.headers,
                (size_t)m->u.headers.count * BLOCK_HEADER_SIZE);
        break;
    case WIRE_GET_BLOCKS:
        buf_put_u16(b, m->u.get_blocks.count);
        buf_put(b, m->u.get_blocks.hashes, (size_t)m->u.get_blocks.count * 32);
        break;
    case WIRE_BLOCKS:
    case WIRE_MEMPOOL:
    case WIRE_SUBMIT_TXS:
        buf_put_u16(b, m->u.list.count);
        for (size_t i = 0; i < m->u.list.count; i++)
            put_blob(b, &m->u.list.items[i]);
        break;
    case WIRE_NEW_TXS:
        buf_put_u16(b, m->u.txs.count);
        for (size_t i = 0; i < m->u.txs.count; i++) {
            buf_put(b, m->u.txs.items[i].txid, 32);
            put_blob(b, &m->u.txs.items[i].tx);
        }
        break;
    case WIRE_SUBMITTED:
        buf_put_u16(b, m->u.results.count);
        for (size_t i = 0; i < m->u.results.count; i++) {
            buf_put_u32(b, (uint32_t)m->u.results.items[i].code);
            put_str(b, m->u.results.items[i].reason);
        }
        break;
    default: /* ACK, PEERS, GET_TIP, GET_MEMPOOL: empty */
        break;
    }
}

int wire_encode(buf_t *out, const uint8_t network_id[32], const wire_msg_t *msg)
{
    if (!out || !network_id || !msg || !wire_type_known(msg->type) ||
        !payload_ok(msg))
        return ERR_ARG;
    if (out->failed)
        return ERR_NOMEM;
    size_t start = out->len;
    buf_put_u32(out, WIRE_MAGIC);
    buf_put_u16(out, WIRE_VERSION);
    buf_put_u16(out, msg->type);
    buf_put(out, network_id, 32);
    buf_put_u32(out, 0); /* payload length, patched below */
    put_payload(out, msg);
    if (out->failed) {
        out->len = start;
        return ERR_NOMEM;
    }
    size_t plen = out->len - start - WIRE_HEADER_SIZE;
    if (plen > WIRE_MAX_PAYLOAD) {
        out->len = start;
        return ERR_RANGE;
    }
    le32_put(out->data + start + WIRE_HEADER_SIZE - 4, (uint32_t)plen);
    return 0;
}

int wire_encode_empty(buf_t *out, const uint8_t network_id[32], uint16_t type)
{
    wire_msg_t m;
    wire_msg_init(&m, type);
    switch (type) {
    case WIRE_ACK:
    case WIRE_PEERS:
    case WIRE_GET_TIP:
    case WIRE_GET_MEMPOOL:
    case WIRE_GET_KEY:
        return wire_encode(out, network_id, &m);
    default:
        return ERR_ARG;
    }
}

int wire_encode_error(buf_t *out, const uint8_t network_id[32], int code,
                      const char *reason)
{
    wire_msg_t m;
    wire_msg_init(&m, WIRE_ERROR);
    m.u.error.code = code;
    size_t i = 0;
    for (; reason && reason[i] && i < WIRE_MAX_STR; i++) {
        unsigned char c = (unsigned char)reason[i];
        m.u.error.reason[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
    }
    m.u.error.reason[i] = '\0';
    return wire_encode(out, network_id, &m);
}

int wire_encode_blob(buf_t *out, const uint8_t network_id[32], uint16_t type,
                     const void *data, size_t len)
{
    wire_msg_t m;
    wire_msg_init(&m, type);
    switch (type) {
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
    case WIRE_NEW_BLOCK:
    case WIRE_QUERY:
    case WIRE_REPLY:
        m.u.blob.data = data;
        m.u.blob.len = len;
        return wire_encode(out, network_id, &m);
    default:
        return ERR_ARG;
    }
}

/* Reads the envelope; on success r is left over exactly the payload. */
static int rd_envelope(reader_t *r, uint16_t *type,
                       const uint8_t network_id[32])
{
    uint32_t magic, plen;
    uint16_t version, t;
    const uint8_t *net;
    if (rd_u32(r, &magic) || magic != WIRE_MAGIC || rd_u16(r, &version))
        return ERR_PARSE;
    /* The version comes before the rest of the envelope so that a future
     * version may change it; refuse such a message without parsing more. */
    if (version != WIRE_VERSION)
        return ERR_UNSUPPORTED;
    if (rd_u16(r, &t) || rd_view(r, &net, 32) || rd_u32(r, &plen) ||
        plen > WIRE_MAX_PAYLOAD || plen != r->left)
        return ERR_PARSE;
    if (memcmp(net, network_id, 32) != 0)
        return ERR_INVALID;
    *type = t;
    return 0;
}

int wire_read_envelope(wire_envelope_t *env, const uint8_t *data, size_t len)
{
    if (!env || (!data && len))
        return ERR_ARG;
    reader_t r = reader_make(data, len);
    wire_envelope_t e;
    uint32_t magic, plen;
    const uint8_t *net;
    if (rd_u32(&r, &magic) || magic != WIRE_MAGIC || rd_u16(&r, &e.version) ||
        rd_u16(&r, &e.type) || rd_view(&r, &net, 32) || rd_u32(&r, &plen))
        return ERR_PARSE;
    memcpy(e.network_id, net, 32);
    *env = e;
    return 0;
}

int wire_encode_refusal(buf_t *out, const wire_envelope_t *to, int code,
                        const char *reason)
{
    if (!out || !to)
        return ERR_ARG;
    size_t start = out->len;
    int rc = wire_encode_error(out, to->network_id, code, reason);
    /* The ERROR is the same in every version this build knows: only the
     * envelope's version differs. */
    if (rc == 0 && to->version >= WIRE_MIN_VERSION &&
        to->version < WIRE_VERSION)
        le16_put(out->data + start + 4, to->version);
    return rc;
}

int wire_peek(uint16_t *type, const uint8_t network_id[32], const uint8_t *data,
              size_t len)
{
    if (!type || !network_id || (!data && len))
        return ERR_ARG;
    reader_t r = reader_make(data, len);
    return rd_envelope(&r, type, network_id);
}

/*
 * Reads a list's count (rd_count) and allocates its n items, zeroed and
 * owned by m (wire_msg_clear frees them).
 * Returns: the items, or NULL with *rc = 0 for an empty list, *rc =
 *          ERR_PARSE or ERR_NOMEM on failure.
 */
static void *rd_items(reader_t *r, wire_msg_t *m, uint16_t *n, size_t cap,
                      size_t min_item, size_t size, int *rc)
{
    *rc = rd_count(r, n, cap, min_item) ? ERR_PARSE : 0;
    if (*rc || *n == 0)
        return NULL;
    void *items = calloc(*n, size);
    if (!items)
        *rc = ERR_NOMEM;
    m->owned_ = items;
    return items;
}

static int rd_peer_list(reader_t *r, wire_msg_t *m)
{
    uint16_t n;
    int rc;
    if (rd_u32(r, &m->u.peer_list.peer_timeout_ms))
        return ERR_PARSE;
    /* smallest peer: key 32 + two 1-character strings 2*(2+1) */
    wire_peer_t *peers = rd_items(r, m, &n, WIRE_MAX_PEERS, WIRE_KEY_SIZE + 6,
                                  sizeof *peers, &rc);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (rd_peer(r, &peers[i]))
            return ERR_PARSE;
    m->u.peer_list.count = n;
    m->u.peer_list.peers = peers;
    return 0;
}

static int rd_blob_list(reader_t *r, wire_msg_t *m, size_t cap)
{
    const blob_limits_t *lim = blob_limits(m->type);
    uint16_t n;
    int rc;
    wire_blob_t *items =
        rd_items(r, m, &n, cap, 4 + lim->min, sizeof *items, &rc);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (rd_blob(r, &items[i], lim))
            return ERR_PARSE;
    m->u.list.count = n;
    m->u.list.items = items;
    return 0;
}

static int rd_tx_items(reader_t *r, wire_msg_t *m)
{
    uint16_t n;
    int rc;
    wire_txitem_t *items = rd_items(r, m, &n, WIRE_MAX_TX_BATCH,
                                    32 + 4 + TX_LIMITS.min, sizeof *items, &rc);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (rd_view(r, &items[i].txid, 32) ||
            rd_blob(r, &items[i].tx, &TX_LIMITS))
            return ERR_PARSE;
    m->u.txs.count = n;
    m->u.txs.items = items;
    return 0;
}

static int rd_results(reader_t *r, wire_msg_t *m)
{
    uint16_t n;
    int rc;
    /* smallest answer: code 4 + an empty string 2 */
    wire_result_t *items =
        rd_items(r, m, &n, WIRE_MAX_TX_BATCH, 4 + 2, sizeof *items, &rc);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint32_t code;
        if (rd_u32(r, &code) || rd_str(r, items[i].reason, 0))
            return ERR_PARSE;
        items[i].code = (int32_t)code;
    }
    m->u.results.count = n;
    m->u.results.items = items;
    return 0;
}

static int rd_payload(reader_t *r, wire_msg_t *m)
{
    uint8_t known;
    uint32_t code;
    switch (m->type) {
    case WIRE_ACK:
    case WIRE_PEERS:
    case WIRE_GET_TIP:
    case WIRE_GET_MEMPOOL:
    case WIRE_GET_KEY:
        return 0;
    case WIRE_KEY:
        if (rd_bytes(r, m->u.key.key, WIRE_KEY_SIZE) ||
            key_zero(m->u.key.key) || rd_u16(r, &m->u.key.port) ||
            m->u.key.port == 0)
            return ERR_PARSE;
        return 0;
    case WIRE_ERROR:
        if (rd_u32(r, &code) || rd_str(r, m->u.error.reason, 0))
            return ERR_PARSE;
        m->u.error.code = (int32_t)code;
        return 0;
    case WIRE_REGISTER:
    case WIRE_PEER_JOINED:
    case WIRE_PEER_LEFT:
        return rd_peer(r, &m->u.peer);
    case WIRE_REGISTER_OK:
    case WIRE_PEER_LIST:
        return rd_peer_list(r, m);
    case WIRE_PING:
    case WIRE_LEAVE:
        return rd_u64(r, &m->u.node_id);
    case WIRE_PONG:
        if (rd_u8(r, &known) || known > 1 || rd_u32(r, &m->u.pong.peers))
            return ERR_PARSE;
        m->u.pong.known = known == 1;
        return 0;
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
    case WIRE_NEW_BLOCK:
    case WIRE_QUERY:
    case WIRE_REPLY:
        return rd_blob(r, &m->u.blob, blob_limits(m->type));
    case WIRE_HELLO:
        if (rd_u64(r, &m->u.hello.node_id))
            return ERR_PARSE;
        return rd_tip(r, &m->u.hello.tip);
    case WIRE_TIP:
        return rd_tip(r, &m->u.tip);
    case WIRE_GET_HEADERS:
        if (rd_count(r, &m->u.get_headers.count, WIRE_MAX_LOCATOR, 32) ||
            rd_view(r, &m->u.get_headers.hashes,
                    (size_t)m->u.get_headers.count * 32) ||
            rd_bytes(r, m->u.get_headers.stop, 32))
            return ERR_PARSE;
        return 0;
    case WIRE_HEADERS:
        if (rd_count(r, &m->u.headers.count, WIRE_MAX_HEADERS,
                     BLOCK_HEADER_SIZE) ||
            rd_view(r, &m->u.headers.headers,
                    (size_t)m->u.headers.count * BLOCK_HEADER_SIZE))
            return ERR_PARSE;
        return 0;
    case WIRE_GET_BLOCKS:
        if (rd_count(r, &m->u.get_blocks.count, WIRE_MAX_GET_BLOCKS, 32) ||
            rd_view(r, &m->u.get_blocks.hashes,
                    (size_t)m->u.get_blocks.count * 32))
            return ERR_PARSE;
        return 0;
    case WIRE_BLOCKS:
        return rd_blob_list(r, m, WIRE_MAX_BLOCKS);
    case WIRE_MEMPOOL:
    case WIRE_SUBMIT_TXS:
        return rd_blob_list(r, m, list_cap(m->type));
    case WIRE_NEW_TXS:
        return rd_tx_items(r, m);
    case WIRE_SUBMITTED:
        return rd_results(r, m);
    default:
        return ERR_PARSE; /* a type this version does not define */
    }
}

int wire_decode(wire_msg_t *msg, const uint8_t network_id[32],
                const uint8_t *data, size_t len)
{
    if (!msg || !network_id || (!data && len))
        return ERR_ARG;
    reader_t r = reader_make(data, len);
    wire_msg_t m;
    wire_msg_init(&m, 0);
    int rc = rd_envelope(&r, &m.type, network_id);
    if (rc)
        return rc;
    rc = rd_payload(&r, &m);
    if (rc == 0 && rd_end(&r))
        rc = ERR_PARSE;
    if (rc) {
        free(m.owned_);
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_PARSE;
    }
    *msg = m;
    return 0;
}
