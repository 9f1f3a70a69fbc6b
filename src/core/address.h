/*
 * address — pickaxe addresses: the text a person copies to receive coins.
 *
 * An address is a segwit-style bech32m string (BIP-350, see bech32.h) with
 * witness version 1 and a 32-byte program that is the receiver's BIP-340
 * x-only public key, the same 32 bytes a transaction's recipient field holds
 * (tx.h). The human-readable part names the network, so an address for one
 * network is refused on another: "px" on the demo network, "pxrt" on
 * regtest; the caller passes it. A mistyped character breaks the checksum
 * and is refused rather than sending coins to a key nobody holds.
 *
 * Thread-safe: no state beyond libsecp256k1's read-only context (keys.h).
 */
#ifndef PICKAXE_ADDRESS_H
#define PICKAXE_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Witness version of every pickaxe address. */
#define ADDRESS_VERSION 1
/* Human-readable parts of pickaxe's networks. */
#define ADDRESS_HRP_DEMO "px"
#define ADDRESS_HRP_REGTEST "pxrt"
/* A buffer of this size holds any address (bech32's limit) and its NUL. */
#define ADDRESS_MAX_LEN 91

/**
 * Encodes an x-only public key as an address.
 *
 * Returns: 0;
 *          ERR_ARG when the hrp is not a valid lower-case bech32 hrp (or is
 *          too long to leave room for the key);
 *          ERR_RANGE when out_len is too small (ADDRESS_MAX_LEN suffices;
 *          the exact need is strlen(hrp) + 60 + 1).
 * Out:     out      the address, lower case, NUL-terminated.
 * In:      out_len  size of out in bytes.
 *          hrp      the network's human-readable part, e.g. "px".
 *          pubkey   the 32-byte x-only public key. It is not checked: a key
 *                   that is not on the curve encodes, and address_decode()
 *                   then refuses it.
 */
PX_MUST_CHECK int address_encode(char *out, size_t out_len, const char *hrp,
                                 const uint8_t pubkey[32]);

/**
 * Decodes an address for a network and checks that it carries a valid
 * public key.
 *
 * Returns: 0;
 *          ERR_PARSE with *reason set to one of these static phrases:
 *            "empty address", "address too long", "mixed case",
 *            "bad character", "missing separator", "wrong network prefix",
 *            "bad checksum (mistyped character?)", "wrong version",
 *            "wrong length", "not a valid public key".
 * Out:     pubkey  the 32-byte x-only key (written only on success).
 *          reason  why the text was refused; may be NULL.
 * In:      hrp     the expected human-readable part, lower case.
 *          text    the NUL-terminated address as the user typed it; either
 *                  all lower case or all upper case.
 */
PX_MUST_CHECK int address_decode(uint8_t pubkey[32], const char **reason,
                                 const char *hrp, const char *text);

#endif
