/*
 * hex — hexadecimal text for bytes and hashes.
 *
 * Hashes are stored in the byte order SHA-256 produces them and shown
 * byte-reversed, as Bitcoin shows block and transaction ids: hex_from_hash()
 * and hex_to_hash() do the reversal, hex_encode()/hex_decode() do not.
 */
#ifndef PICKAXE_HEX_H
#define PICKAXE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define HEX_HASH_LEN 64 /* characters in a hash's hex, without the NUL */

/* Writes 2*len lowercase hex characters and a NUL to out. */
void hex_encode(char *out, const uint8_t *data, size_t len);

/*
 * Decodes exactly out_len bytes from hex (upper or lower case).
 * Returns: 0; ERR_PARSE when hex is not exactly 2*out_len hex characters.
 * Out:     out is written only on success.
 */
PX_MUST_CHECK int hex_decode(uint8_t *out, size_t out_len, const char *hex);

/*
 * Decodes a hex string of any even length into a new buffer.
 * Returns: 0; ERR_PARSE on odd length or a non-hex character; ERR_NOMEM.
 * Out:     *out (owned by the caller, free()), *out_len.
 */
PX_MUST_CHECK int hex_decode_alloc(uint8_t **out, size_t *out_len,
                                   const char *hex);

/* Writes a 32-byte hash as 64 byte-reversed hex characters and a NUL. */
void hex_from_hash(char out[HEX_HASH_LEN + 1], const uint8_t hash[32]);

/* Parses 64 byte-reversed hex characters. Returns 0 or ERR_PARSE. */
PX_MUST_CHECK int hex_to_hash(uint8_t hash[32], const char *hex);

#endif
