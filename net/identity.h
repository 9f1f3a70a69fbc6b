/*
 * identity — a node's or a tracker's long-term key: who it is on the
 * network.
 *
 * An identity is a CURVE key pair (Curve25519, as ZeroMQ's CURVE security
 * uses it, zmq_curve(7)). The public key is the peer: the tracker lists
 * peers by key, a node connects to a peer's endpoints only with that
 * peer's key (so nobody else can answer or publish in its name), and
 * scores and bans attach to keys. The 64-bit node id every message and
 * log line still carries is the key's first eight bytes read big-endian
 * (wire_key_id()), so the id printed in hex is the start of the key's hex.
 *
 * The pair lives in a file in the data directory (IDENTITY_FILE), made on
 * first start with mode 0600 and read on every later one, so a restarted
 * node is the same peer. The file is two lines of text:
 *
 *   public <64 hex digits>
 *   secret <64 hex digits>
 *
 * A file that others may read, or whose public key does not belong to its
 * secret key, is refused rather than repaired: the caller says why.
 *
 * Keys are shown and typed as 64 hex digits (identity_key_hex()), which a
 * shell passes through unquoted (ZeroMQ's own Z85 text has '$', '&', '<').
 *
 * Thread safety: every function is reentrant.
 */
#ifndef PICKAXE_IDENTITY_H
#define PICKAXE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IDENTITY_KEY_SIZE 32
#define IDENTITY_HEX_LEN 64   /* a key in hex, without the NUL */
#define IDENTITY_SHORT_LEN 16 /* the short form: the node id in hex */
#define IDENTITY_FILE "identity.key"

typedef struct {
    uint8_t pub[IDENTITY_KEY_SIZE];
    uint8_t sec[IDENTITY_KEY_SIZE]; /* secret: wipe with identity_wipe() */
} identity_t;

/*
 * Makes a fresh key pair.
 * Returns: 0; ERR_UNSUPPORTED when libzmq has no CURVE; ERR_NOMEM.
 * Out:     id       written only on success.
 */
PX_MUST_CHECK int identity_generate(identity_t *id);

/*
 * Reads the key pair kept at path, or makes one and writes it there (mode
 * 0600, created exclusively) when there is no file yet.
 * Returns: 0; ERR_IO when the file cannot be read or written; ERR_PARSE
 *          when it is not a key pair; ERR_INVALID when others may read it
 *          or its halves do not belong together; as identity_generate().
 * Out:     id       written only on success.
 *          created  true when the file was made now (may be NULL).
 *          why      on failure, a sentence naming the file (may be NULL).
 */
PX_MUST_CHECK int identity_load_or_create(identity_t *id, bool *created,
                                          char *why, size_t why_len,
                                          const char *path);

/* Writes key as 64 lower-case hex digits and a NUL (out: 65 bytes). */
void identity_key_hex(char *out, const uint8_t key[IDENTITY_KEY_SIZE]);

/*
 * Reads 64 hex digits (either case, nothing else).
 * Returns: 0; ERR_PARSE. Out: key, written only on success.
 */
PX_MUST_CHECK int identity_parse_key(uint8_t key[IDENTITY_KEY_SIZE],
                                     const char *hex);

/* True when every byte of key is zero (no key given). */
bool identity_key_is_zero(const uint8_t key[IDENTITY_KEY_SIZE]);

/* Wipes the secret half. Accepts NULL. */
void identity_wipe(identity_t *id);

#endif
