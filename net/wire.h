/*
 * wire — the binary messages pickaxe peers, the tracker, the cli and the
 * wallet exchange over ZeroMQ.
 *
 * Every message is one ZeroMQ frame: a fixed 44-byte envelope, then the
 * payload. All integers are little-endian, fixed width (bytes.h).
 *
 *   magic u32 = WIRE_MAGIC ("PKAX") | version u16 | type u16 |
 *   network id [32] | payload length u32 | payload
 *
 * The network id is the genesis block hash of the sender's network
 * (params.h), so a node of one network never acts on another's messages.
 *
 * Decoding is strict. wire_decode() checks every length before reading,
 * refuses a count above its cap before allocating anything, refuses trailing
 * bytes, and returns
 *   ERR_PARSE        for any malformed or truncated input (wrong magic too);
 *   ERR_UNSUPPORTED  for a protocol version this build does not speak;
 *   ERR_INVALID      for a well-formed message of another network;
 * so a receiver can tell "garbage" (count it against the sender) from "not
 * for us" (refuse it politely). A refusal says, in the same words on both
 * sides, "tracker is on demo, this node on regtest" or "peer speaks wire
 * version 1, this node 2", and is sent in the sender's framing so that it
 * can read it. Transactions and blocks travel as opaque,
 * length-checked byte strings: their own parsers (tx.h, block.h) run later,
 * in the node, against consensus rules.
 *
 * A decoded message borrows from the bytes it was decoded from: hashes,
 * headers, blobs and JSON text point into the input, which must outlive the
 * message. Lists of blobs and of peers are arrays that wire_decode()
 * allocates; wire_msg_clear() frees them. A message filled in by hand for
 * wire_encode() borrows everything and owns nothing; clearing it is harmless.
 *
 * Payloads by type (the message catalogue; "str" = u16 length + printable
 * ASCII, "blob" = u32 length + bytes, "peer" = public key [32] + request
 * endpoint str + gossip endpoint str; a peer's node id is not sent: it is
 * its key's first eight bytes, big-endian, wire_key_id()):
 *
 *   common   ACK         (empty)
 *            ERROR       code i32 (err.h) | reason str
 *            SUBMIT_TX   tx blob                      (to tracker or node)
 *            SUBMIT_TXS  count u16 | tx blob * count  (cli -> node or
 *                                                     tracker)
 *            SUBMITTED   count u16 | (code i32 | reason str) * count
 *                                                     (answer -> cli: one
 *                                                     answer per SUBMIT_TXS
 *                                                     item, in order; code 0
 *                                                     = accepted or known)
 *            QUERY       JSON text blob               (cli/wallet -> node)
 *            REPLY       JSON text blob
 *            GET_KEY     (empty)                      (to tracker or node)
 *            KEY         public key [32] | keyed port u16
 *                                                     (its CURVE key, and
 *                                                     the port that proves
 *                                                     it, on the same host)
 *   tracker  REGISTER    peer (the registering node)
 *            REGISTER_OK peer timeout ms u32 | count u16 | peer * count
 *            PING        node id u64
 *            PONG        known u8 (0 = unknown: register again) | peers u32
 *            LEAVE       node id u64
 *
 * REGISTER, PING and LEAVE speak for a key: the tracker takes them only
 * over its keyed (CURVE) endpoint and only from the key they name (the
 * connection's key, which CURVE proves), see tracker.h.
 *            PEERS       (empty)
 *            PEER_LIST   as REGISTER_OK
 *            PEER_JOINED peer                         (tracker PUB)
 *            PEER_LEFT   peer                         (tracker PUB)
 *            TX          tx blob                      (tracker PUB relay,
 *                                                     older trackers)
 *   node     HELLO       node id u64 | height u32 | tip [32] | work [32]
 *            GET_TIP     (empty)
 *            TIP         height u32 | tip [32] | work [32]
 *            GET_HEADERS count u16 | hash [32] * count | stop [32]
 *            HEADERS     count u16 | header [80] * count
 *            GET_BLOCKS  count u16 | hash [32] * count
 *            BLOCKS      count u16 | block blob * count
 *            GET_MEMPOOL (empty)
 *            MEMPOOL     count u16 | tx blob * count
 *            NEW_BLOCK   block blob                   (node PUB)
 *            NEW_TX      tx blob                      (node PUB)
 *            NEW_TXS     count u16 | (txid [32] | tx blob) * count
 *                                                     (node PUB, tracker PUB)
 *
 * NEW_TXS is how nodes and the tracker relay transactions: many per frame,
 * each behind the txid its sender computed, so a receiver drops one it
 * already holds after a 32-byte lookup, before parsing or hashing anything.
 * The txid is a claim: a receiver that does parse the transaction checks it
 * and counts a wrong one against the sender. NEW_TX and the tracker's TX
 * (one per frame) are still accepted.
 *
 * Chain work is a 256-bit little-endian number (uint256_to_le()).
 *
 * Thread safety: every function is reentrant; a wire_msg_t belongs to one
 * thread at a time.
 */
#ifndef PICKAXE_WIRE_H
#define PICKAXE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "bytes.h"
#include "err.h"
#include "tx.h"

#define WIRE_MAGIC 0x58414b50u /* "PKAX" as little-endian bytes */
/* 3: a peer is its public key (REGISTER, REGISTER_OK, PEER_LIST,
 *    PEER_JOINED, PEER_LEFT carry the key instead of a node id); GET_KEY
 *    and KEY.
 * 2: NEW_TXS, SUBMIT_TXS and SUBMITTED. The envelope and the ERROR payload
 * are the same in every version so far, so a receiver reads the version and
 * network of any pickaxe frame (wire_read_envelope) and can refuse one in
 * its sender's framing (wire_encode_refusal). */
#define WIRE_VERSION 3
#define WIRE_MIN_VERSION 1 /* oldest version this build can refuse in */
#define WIRE_HEADER_SIZE 44

/* Largest payload any message may carry, and so the largest frame: every
 * socket that reads from the network sets ZMQ_MAXMSGSIZE to WIRE_MAX_MSG_SIZE
 * so a hostile peer cannot make us buffer more. */
#define WIRE_MAX_PAYLOAD (8u * 1024 * 1024)
#define WIRE_MAX_MSG_SIZE (WIRE_HEADER_SIZE + WIRE_MAX_PAYLOAD)

#define WIRE_KEY_SIZE 32        /* a CURVE public key */
#define WIRE_MAX_STR 255        /* endpoint strings and error reasons */
#define WIRE_MAX_PEERS 256      /* peers in one REGISTER_OK / PEER_LIST */
#define WIRE_MAX_LOCATOR 64     /* hashes in one GET_HEADERS locator */
#define WIRE_MAX_HEADERS 2000   /* headers in one HEADERS */
#define WIRE_MAX_GET_BLOCKS 128 /* hashes in one GET_BLOCKS */
#define WIRE_MAX_BLOCKS 8       /* blocks in one BLOCKS (8 x 1 MiB fits) */
#define WIRE_MAX_MEMPOOL 10000  /* transactions in one MEMPOOL */
#define WIRE_MAX_TX_SIZE 1024   /* any transaction blob, generous on purpose */
/* Transactions in one NEW_TXS or SUBMIT_TXS, answers in one SUBMITTED:
 * 256 x (32 + 4 + 1024) bytes stays far below WIRE_MAX_PAYLOAD. */
#define WIRE_MAX_TX_BATCH 256
#define WIRE_MIN_BLOCK_SIZE (BLOCK_HEADER_SIZE + 4)
/* Twice the consensus limit: the frame limit only bounds memory, and a block
 * somewhat over BLOCK_MAX_SIZE must reach the node so that consensus refuses
 * it by name (bad-blk-size) and scores its sender. */
#define WIRE_MAX_BLOCK_SIZE (2 * BLOCK_MAX_SIZE)
#define WIRE_MAX_JSON (1024u * 1024) /* QUERY / REPLY text */

typedef enum {
    /* common */
    WIRE_ACK = 0x0001,
    WIRE_ERROR = 0x0002,
    WIRE_SUBMIT_TX = 0x0003,
    WIRE_QUERY = 0x0004,
    WIRE_REPLY = 0x0005,
    WIRE_SUBMIT_TXS = 0x0006,
    WIRE_SUBMITTED = 0x0007,
    WIRE_GET_KEY = 0x0008,
    WIRE_KEY = 0x0009,
    /* tracker protocol */
    WIRE_REGISTER = 0x0101,
    WIRE_REGISTER_OK = 0x0102,
    WIRE_PING = 0x0103,
    WIRE_PONG = 0x0104,
    WIRE_LEAVE = 0x0105,
    WIRE_PEERS = 0x0106,
    WIRE_PEER_LIST = 0x0107,
    WIRE_PEER_JOINED = 0x0108,
    WIRE_PEER_LEFT = 0x0109,
    WIRE_TX = 0x010a,
    /* node protocol */
    WIRE_HELLO = 0x0201,
    WIRE_GET_TIP = 0x0202,
    WIRE_TIP = 0x0203,
    WIRE_GET_HEADERS = 0x0204,
    WIRE_HEADERS = 0x0205,
    WIRE_GET_BLOCKS = 0x0206,
    WIRE_BLOCKS = 0x0207,
    WIRE_GET_MEMPOOL = 0x0208,
    WIRE_MEMPOOL = 0x0209,
    WIRE_NEW_BLOCK = 0x020a,
    WIRE_NEW_TX = 0x020b,
    WIRE_NEW_TXS = 0x020c,
} wire_type_t;

/* A borrowed byte string: a transaction, a block, or JSON text. */
typedef struct {
    const uint8_t *data;
    size_t len;
} wire_blob_t;

/* A node as the tracker knows it. A plain value type. */
typedef struct {
    uint8_t key[WIRE_KEY_SIZE];    /* its CURVE public key: who it is */
    uint64_t id;                   /* wire_key_id(key), set by the decoder;
                                      who fills one in sets both */
    char req[WIRE_MAX_STR + 1];    /* request endpoint, tcp://host:port */
    char gossip[WIRE_MAX_STR + 1]; /* gossip (PUB) endpoint */
} wire_peer_t;

/* One NEW_TXS item: the txid as its sender computed it, and the
 * transaction (both borrowed). */
typedef struct {
    const uint8_t *txid; /* 32 bytes */
    wire_blob_t tx;
} wire_txitem_t;

/* One SUBMITTED answer. */
typedef struct {
    int32_t code;                  /* 0, or an err.h code */
    char reason[WIRE_MAX_STR + 1]; /* NUL-terminated; "" when accepted */
} wire_result_t;

typedef struct {
    uint32_t height;
    uint8_t tip[32];
    uint8_t work[32]; /* cumulative chain work, 256-bit little-endian */
} wire_tip_t;

typedef struct {
    uint16_t type; /* a wire_type_t */
    union {
        struct {
            int32_t code;                  /* an err.h code */
            char reason[WIRE_MAX_STR + 1]; /* NUL-terminated */
        } error;
        wire_peer_t peer; /* REGISTER, PEER_JOINED, PEER_LEFT */
        struct {
            uint32_t peer_timeout_ms;
            uint16_t count;
            const wire_peer_t *peers;
        } peer_list;      /* REGISTER_OK, PEER_LIST */
        uint64_t node_id; /* PING, LEAVE */
        struct {
            uint8_t key[WIRE_KEY_SIZE];
            uint16_t port; /* the keyed endpoint's, on the asked host */
        } key;             /* KEY */
        struct {
            bool known;
            uint32_t peers;
        } pong;
        wire_blob_t blob; /* SUBMIT_TX, TX, NEW_TX, NEW_BLOCK, QUERY, REPLY */
        struct {
            uint64_t node_id;
            wire_tip_t tip;
        } hello;
        wire_tip_t tip; /* TIP */
        struct {
            uint16_t count;
            const uint8_t *hashes; /* count * 32 bytes, newest first */
            uint8_t stop[32];      /* all zero: as many as allowed */
        } get_headers;
        struct {
            uint16_t count;
            const uint8_t *headers; /* count * BLOCK_HEADER_SIZE bytes */
        } headers;
        struct {
            uint16_t count;
            const uint8_t *hashes; /* count * 32 bytes */
        } get_blocks;
        struct {
            uint16_t count;
            const wire_blob_t *items;
        } list; /* BLOCKS, MEMPOOL, SUBMIT_TXS */
        struct {
            uint16_t count;
            const wire_txitem_t *items;
        } txs; /* NEW_TXS */
        struct {
            uint16_t count;
            const wire_result_t *items;
        } results; /* SUBMITTED */
    } u;
    void *owned_; /* private: what wire_decode() allocated */
} wire_msg_t;

/*
 * Sets up an empty message of a type, ready to be filled and encoded.
 * In:      type     a wire_type_t.
 */
void wire_msg_init(wire_msg_t *msg, uint16_t type);

/*
 * Frees what wire_decode() allocated (peer, blob, item and result arrays)
 * and empties msg.
 * Harmless on a hand-filled message, a cleared one, or NULL.
 */
void wire_msg_clear(wire_msg_t *msg);

/*
 * Encodes one message, envelope and payload, appending it to out.
 *
 * Returns: 0; ERR_ARG for an unknown type, an over-cap count, an empty or
 *          unprintable endpoint or reason, a blob whose size is outside its
 *          limits, or JSON text with a NUL byte (so we never send what a
 *          peer would refuse); ERR_RANGE when the payload would exceed
 *          WIRE_MAX_PAYLOAD; ERR_NOMEM.
 * Out:     out      the encoded bytes are appended; on failure out->len is
 *                   restored (the buffer may have grown).
 * In:      network_id  32-byte id of the network (params_t.network_id).
 *          msg         the message (borrowed).
 */
PX_MUST_CHECK int wire_encode(buf_t *out, const uint8_t network_id[32],
                              const wire_msg_t *msg);

/*
 * Decodes exactly one message filling the whole buffer.
 *
 * Returns: 0; ERR_PARSE when malformed, truncated, over a cap or followed by
 *          trailing bytes; ERR_UNSUPPORTED for another protocol version;
 *          ERR_INVALID when network_id differs; ERR_NOMEM.
 * Out:     msg      written only on success; borrows from data; call
 *                   wire_msg_clear() when done.
 * In:      network_id  the id we expect.
 *          data, len   the frame (borrowed; must outlive msg).
 */
PX_MUST_CHECK int wire_decode(wire_msg_t *msg, const uint8_t network_id[32],
                              const uint8_t *data, size_t len);

/*
 * Reads only the envelope: enough to route or to refuse a frame cheaply.
 *
 * Returns: as wire_decode() for the envelope; the payload is not checked
 *          beyond its length matching the frame.
 * Out:     type     the message type (may be unknown to this build).
 */
PX_MUST_CHECK int wire_peek(uint16_t *type, const uint8_t network_id[32],
                            const uint8_t *data, size_t len);

/* What a frame's envelope says, whatever its version and network. */
typedef struct {
    uint16_t version;
    uint16_t type;
    uint8_t network_id[32];
} wire_envelope_t;

/*
 * Reads a frame's envelope without judging it: the version of any pickaxe
 * frame, and the type and network as every version so far places them.
 * Returns: 0; ERR_PARSE when shorter than an envelope or the magic is not
 *          pickaxe's; ERR_ARG.
 * Out:     env      written only on success.
 */
PX_MUST_CHECK int wire_read_envelope(wire_envelope_t *env, const uint8_t *data,
                                     size_t len);

/*
 * Encodes an ERROR in the framing of a frame being refused: its network, and
 * its version when that is one this build can write (WIRE_MIN_VERSION up to
 * WIRE_VERSION), so a sender on another network or of an older version
 * reads why instead of a frame it cannot decode. Returns as wire_encode().
 * In:      to       the refused frame's envelope (wire_read_envelope()).
 */
PX_MUST_CHECK int wire_encode_refusal(buf_t *out, const wire_envelope_t *to,
                                      int code, const char *reason);

/*
 * Encodes a message whose payload is empty (ACK, PEERS, GET_TIP,
 * GET_MEMPOOL, GET_KEY). Returns as wire_encode().
 */
PX_MUST_CHECK int wire_encode_empty(buf_t *out, const uint8_t network_id[32],
                                    uint16_t type);

/* Encodes an ERROR with an err.h code and a reason (truncated to
 * WIRE_MAX_STR, unprintable bytes replaced). Returns as wire_encode(). */
PX_MUST_CHECK int wire_encode_error(buf_t *out, const uint8_t network_id[32],
                                    int code, const char *reason);

/* Encodes a message carrying one blob (SUBMIT_TX, TX, NEW_TX, NEW_BLOCK,
 * QUERY, REPLY). Returns as wire_encode(). */
PX_MUST_CHECK int wire_encode_blob(buf_t *out, const uint8_t network_id[32],
                                   uint16_t type, const void *data, size_t len);

/* A key's node id: its first eight bytes read big-endian, so that the id
 * in hex is the start of the key in hex. */
uint64_t wire_key_id(const uint8_t key[WIRE_KEY_SIZE]);

/* The message type's name ("REGISTER", ...) or "UNKNOWN". */
const char *wire_type_name(uint16_t type);

/* True for a type this build knows. */
bool wire_type_known(uint16_t type);

/* True when s is a valid wire string: 1..WIRE_MAX_STR printable ASCII
 * characters (0x20..0x7e). */
bool wire_str_valid(const char *s);

#endif
