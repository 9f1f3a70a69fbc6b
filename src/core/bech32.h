/*
 * bech32 — BIP-173 bech32 and BIP-350 bech32m strings, and segwit-style
 * addresses built on them.
 *
 * A bech32 string is a human-readable part (hrp: 1 to 83 characters in the
 * printable ASCII range 33..126), the separator '1' (the last '1' in the
 * string), then data characters from the 32-letter alphabet
 * "qpzry9x8gf2tvdw0s3jn54khce6mua7l", the last six of which are a BCH
 * checksum over the hrp and the data. The two variants differ only in the
 * constant the checksum is xored with (1 for bech32, 0x2bc830a3 for bech32m);
 * decoding finds which one a string uses, and no string is valid as both.
 * A string is at most 90 characters and is either all lower case or all
 * upper case; encoders always write lower case.
 *
 * A segwit address is such a string whose first data symbol is a witness
 * version (0..16) and whose other symbols are the witness program, packed 5
 * bits per symbol with at most 4 zero bits of padding. Version 0 must use
 * bech32 and a 20- or 32-byte program; versions 1..16 must use bech32m and a
 * 2..40-byte program. pickaxe addresses (address.h) are version-1 addresses
 * over a 32-byte x-only public key.
 *
 * Every function here is pure: thread-safe, no allocation, no global state.
 * Decoders write their outputs only on success and, on failure, point
 * *reason (when the caller passes a non-NULL reason) at a static English
 * phrase that says what is wrong.
 */
#ifndef PICKAXE_BECH32_H
#define PICKAXE_BECH32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest valid string, in characters (without the NUL). */
#define BECH32_MAX_LEN 90
/* Longest human-readable part: 90 - separator - 6 checksum characters. */
#define BECH32_MAX_HRP_LEN 83
/* Most 5-bit data symbols a string can carry (checksum excluded). */
#define BECH32_MAX_DATA_LEN (BECH32_MAX_LEN - 1 - 1 - 6)
/* Bounds on a segwit witness program, in bytes. */
#define BECH32_SEGWIT_MIN_PROGRAM 2
#define BECH32_SEGWIT_MAX_PROGRAM 40

typedef enum {
    BECH32_ENCODING_NONE = 0,    /* not a valid checksum of either variant */
    BECH32_ENCODING_BECH32 = 1,  /* BIP-173 */
    BECH32_ENCODING_BECH32M = 2, /* BIP-350 */
} bech32_encoding_t;

/**
 * Encodes an hrp and 5-bit data symbols as a bech32 or bech32m string.
 *
 * Returns: 0;
 *          ERR_ARG when the hrp is empty, too long, has a character outside
 *          33..126 or an upper-case letter, when a data value is above 31,
 *          when the result would exceed BECH32_MAX_LEN, or when enc is
 *          BECH32_ENCODING_NONE;
 *          ERR_RANGE when out_len cannot hold the string and its NUL.
 * Out:     out      the lower-case string, NUL-terminated (written only on
 *                   success).
 * In:      out_len  size of out in bytes.
 *          hrp      the human-readable part, lower case, NUL-terminated.
 *          data     data_len symbols, each 0..31 (may be NULL when data_len
 *                   is 0).
 *          enc      which checksum to append.
 */
PX_MUST_CHECK int bech32_encode(char *out, size_t out_len, const char *hrp,
                                const uint8_t *data, size_t data_len,
                                bech32_encoding_t enc);

/* What is wrong with a string's shape, checked before anything else. */
typedef enum {
    BECH32_SHAPE_OK = 0,
    BECH32_SHAPE_TOO_LONG,     /* more than BECH32_MAX_LEN characters */
    BECH32_SHAPE_BAD_CHAR,     /* a character outside 33..126 */
    BECH32_SHAPE_MIXED_CASE,   /* both lower and upper case letters */
    BECH32_SHAPE_NO_SEPARATOR, /* no '1' */
} bech32_shape_t;

/**
 * Checks the length, characters, case and separator of a string, in that
 * order, as bech32_decode() does first; callers with their own words for
 * these refusals (address.h) use it to share the rules.
 * Returns: BECH32_SHAPE_OK, or the first rule the string breaks.
 * Out:     hrp_len  the length of the part before the last '1' (written
 *                   only for BECH32_SHAPE_OK).
 */
bech32_shape_t bech32_shape(const char *str, size_t *hrp_len);

/**
 * Decodes a bech32 or bech32m string, finding which variant it uses.
 *
 * Returns: 0;
 *          ERR_PARSE with *reason set when the string is not valid bech32 or
 *          bech32m (too long, a character out of range, mixed case, no
 *          separator, empty hrp, bad data or checksum character, checksum
 *          too short, bad checksum);
 *          ERR_RANGE when hrp_len or *data_len is too small for the result
 *          (hrp_len >= BECH32_MAX_HRP_LEN + 1 and *data_len >=
 *          BECH32_MAX_DATA_LEN always suffice).
 * Out:     enc      the variant whose checksum matched.
 *          hrp      the human-readable part in lower case, NUL-terminated.
 *          data     the data symbols (0..31), checksum removed.
 *          data_len in: capacity of data; out: number of symbols.
 *          reason   why the string was refused (static string); may be NULL.
 * In:      hrp_len  size of hrp in bytes.
 *          str      the NUL-terminated string.
 * All outputs but reason are written only on success.
 */
PX_MUST_CHECK int bech32_decode(bech32_encoding_t *enc, char *hrp,
                                size_t hrp_len, uint8_t *data, size_t *data_len,
                                const char **reason, const char *str);

/**
 * Regroups a bit stream from from_bits-wide values into to_bits-wide values
 * (both 1..8), most significant bit first: 8->5 to encode bytes as symbols,
 * 5->8 to decode them.
 *
 * Returns: 0;
 *          ERR_PARSE when an input value has bits above from_bits, or,
 *          without pad, when the leftover bits are from_bits or more or are
 *          not all zero (BIP-173's padding rule);
 *          ERR_RANGE when *out_len is too small;
 *          ERR_ARG when a width is outside 1..8.
 * Out:     out      the regrouped values (written only on success).
 *          out_len  in: capacity of out; out: number of values written.
 * In:      to_bits, in, in_len, from_bits as above.
 *          pad      true to pad the last group with zero bits (encoding);
 *                   false to require that no more than padding is left over
 *                   (decoding).
 */
PX_MUST_CHECK int bech32_convert_bits(uint8_t *out, size_t *out_len,
                                      int to_bits, const uint8_t *in,
                                      size_t in_len, int from_bits, bool pad);

/**
 * Encodes a segwit-style address: witness version then program, with bech32
 * for version 0 and bech32m for versions 1..16.
 *
 * Returns: 0;
 *          ERR_ARG when the version is above 16, the program length breaks
 *          the rules above, or the hrp is invalid (see bech32_encode);
 *          ERR_RANGE when out_len is too small (BECH32_MAX_LEN + 1 always
 *          suffices).
 * Out:     out      the lower-case address, NUL-terminated.
 * In:      out_len  size of out in bytes.
 *          hrp      the network's human-readable part, lower case.
 *          version  witness version, 0..16.
 *          program  prog_len bytes.
 */
PX_MUST_CHECK int bech32_segwit_encode(char *out, size_t out_len,
                                       const char *hrp, int version,
                                       const uint8_t *program, size_t prog_len);

/**
 * Decodes a segwit-style address for an expected hrp, applying every BIP-350
 * rule (the variant must match the version).
 *
 * Returns: 0;
 *          ERR_PARSE with *reason set when the address is invalid or its hrp
 *          is not the expected one;
 *          ERR_RANGE when *prog_len is below the decoded program's length
 *          (BECH32_SEGWIT_MAX_PROGRAM always suffices).
 * Out:     version  the witness version (0..16).
 *          program  the witness program.
 *          prog_len in: capacity of program; out: its length in bytes.
 *          reason   why the address was refused (static string); may be NULL.
 * In:      hrp      the expected human-readable part, lower case.
 *          addr     the NUL-terminated address text.
 * All outputs but reason are written only on success.
 */
PX_MUST_CHECK int bech32_segwit_decode(int *version, uint8_t *program,
                                       size_t *prog_len, const char **reason,
                                       const char *hrp, const char *addr);

#endif
