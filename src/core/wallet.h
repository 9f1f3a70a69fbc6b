/*
 * wallet — the seed's WalletApp core: one key, its keystore file, its
 * address, and the transfers it creates and signs.
 *
 * A wallet_t owns one secp256k1 keypair (keys.h). Its public side is the
 * 32-byte x-only key, shown as an address (address.h) for the network's hrp.
 * The secret never leaves the wallet except into its keystore file, and is
 * wiped (explicit_bzero) when the wallet is freed.
 *
 * Keystore file: JSON, mode 0600,
 *   {"version": 1, "public_key": "<64 hex>", "secret_key": "<64 hex>"}
 * public_key is a check: on load it must match the key derived from
 * secret_key (a file without it is accepted). wallet_save() writes a
 * temporary file in the same directory, fsyncs it, then moves it into place
 * only if no file of that name exists (renameat2 RENAME_NOREPLACE, or link(2)
 * where the file system lacks it), then fsyncs the directory: a crash leaves
 * either no keystore or a complete one, and an existing keystore is never
 * replaced. wallet_load() refuses a keystore that group or others may read or
 * write (as ssh does for its keys), and a malformed one, with a reason, and
 * never modifies the file.
 *
 * Lifecycle: wallet_new_random() / wallet_new_from_secret() / wallet_load()
 * / wallet_load_or_create() make a wallet; wallet_free() wipes and frees it.
 *
 * Thread safety: a wallet is immutable after it is made, so every function
 * taking a const wallet_t * may be called from several threads at once.
 * wallet_free() must not race with any other use.
 *
 * Known limit: jansson, which parses the keystore, keeps its own short-lived
 * copies of the text it parses and frees them without wiping; the copies
 * this module can reach are wiped.
 */
#ifndef PICKAXE_WALLET_H
#define PICKAXE_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tx.h"

typedef struct wallet wallet_t;

/* Keystore format version written and accepted. */
#define WALLET_KEYSTORE_VERSION 1
/* Largest keystore file wallet_load() reads, in bytes. */
#define WALLET_KEYSTORE_MAX_SIZE 4096

/**
 * Makes a wallet with a new random key.
 *
 * Returns: the wallet (owned by the caller; wallet_free()), or NULL when out
 *          of memory or when no randomness is available.
 */
wallet_t *wallet_new_random(void);

/**
 * Makes a wallet from a 32-byte secret key.
 *
 * Returns: the wallet (owned by the caller), or NULL when the secret is not
 *          a valid secp256k1 secret key or when out of memory.
 * In:      seckey  borrowed; the caller wipes its copy.
 */
wallet_t *wallet_new_from_secret(const uint8_t seckey[32]);

/**
 * Wipes and frees a wallet. NULL and *w == NULL are harmless; *w is set to
 * NULL.
 */
void wallet_free(wallet_t **w);

/**
 * Reads a keystore file.
 *
 * Returns: 0;
 *          ERR_NOT_FOUND when there is no such file;
 *          ERR_IO when it cannot be opened or read;
 *          ERR_INVALID when it is not a regular file or its permissions let
 *          group or others read or write it;
 *          ERR_PARSE when it is too large, not JSON, or lacks a valid
 *          version, secret_key, or matching public_key;
 *          ERR_NOMEM.
 *          The file is never modified.
 * Out:     out     the wallet (owned by the caller), set only on success.
 *          reason  a static phrase saying what is wrong; may be NULL.
 * In:      path    the keystore's path.
 * Note:    returns int rather than a wallet_t * (unlike other constructors)
 *          so the caller can tell a missing file from a corrupted one.
 */
PX_MUST_CHECK int wallet_load(wallet_t **out, const char **reason,
                              const char *path);

/**
 * Writes the wallet's keystore to a new file, atomically, with mode 0600.
 *
 * Returns: 0;
 *          ERR_DUPLICATE when a file already exists at path (it is left as
 *          it was);
 *          ERR_IO when the file cannot be written (nothing is left behind).
 * In:      w     the wallet (borrowed).
 *          path  where to write it; its directory must exist.
 */
PX_MUST_CHECK int wallet_save(const wallet_t *w, const char *path);

/**
 * Loads the keystore at path, or, when there is no file there, makes a new
 * random wallet and saves it there. A keystore that exists but cannot be
 * loaded is an error, never replaced.
 *
 * Returns: 0; otherwise what wallet_load() or wallet_save() returned.
 * Out:     out      the wallet (owned by the caller), set only on success.
 *          created  true when a new keystore was written (may be NULL).
 *          reason   why it failed (static phrase); may be NULL.
 * In:      path     the keystore's path.
 */
PX_MUST_CHECK int wallet_load_or_create(wallet_t **out, bool *created,
                                        const char **reason, const char *path);

/**
 * The wallet's 32-byte x-only public key.
 *
 * Out:     out  32 bytes.
 * In:      w    the wallet (borrowed).
 */
void wallet_get_public_key(const wallet_t *w, uint8_t out[32]);

/**
 * The wallet's address on a network (the seed's get_public_key as text).
 *
 * Returns: 0; ERR_ARG for an invalid hrp; ERR_RANGE when len is too small
 *          (ADDRESS_MAX_LEN from address.h suffices).
 * Out:     out  the address, NUL-terminated.
 * In:      w    the wallet (borrowed); hrp  the network's hrp, e.g. "px";
 *          len  size of out in bytes.
 */
PX_MUST_CHECK int wallet_get_public_key_str(const wallet_t *w, const char *hrp,
                                            char *out, size_t len);

/**
 * Signs a transfer whose sender is this wallet's key, for a network.
 *
 * Returns: 0; ERR_ARG when tx is not a transfer from this wallet;
 *          ERR_IO or ERR_CRYPTO when signing fails.
 * Out:     tx->sig (written only on success).
 * In:      w           the wallet (borrowed).
 *          tx          the transfer.
 *          network_id  the network's id (genesis hash).
 */
PX_MUST_CHECK int wallet_sign_transaction(const wallet_t *w, tx_t *tx,
                                          const uint8_t network_id[32]);

/**
 * The seed's create_transaction: a transfer from this wallet to the address
 * a user typed, signed or (to demonstrate rejection) left unsigned. Sending
 * to the wallet's own address is allowed.
 *
 * Returns: 0;
 *          ERR_ARG with *reason set when the address does not decode for hrp
 *          (the reason is address_decode()'s), amount is zero, amount + fee
 *          overflows or exceeds MAX_MONEY, or sign is true and network_id is
 *          NULL;
 *          ERR_IO or ERR_CRYPTO (reason "signing failed") when signing fails.
 * Out:     tx_out      the transfer (written only on success).
 *          reason      static phrase; may be NULL.
 * In:      w           the wallet (borrowed).
 *          recipient   the recipient's address text.
 *          amount, fee in base units (1 coin = COIN units).
 *          nonce       the wallet account's next sequence number.
 *          sign        false leaves the signature all zero.
 *          hrp         the network's hrp, e.g. "px".
 *          network_id  the network's id; may be NULL when sign is false.
 */
PX_MUST_CHECK int
wallet_create_transaction(const wallet_t *w, tx_t *tx_out, const char **reason,
                          const char *recipient, uint64_t amount, uint64_t fee,
                          uint64_t nonce, bool sign, const char *hrp,
                          const uint8_t network_id[32]);

/**
 * The seed's compute_txid: tx_compute_txid() under the wallet's name.
 *
 * Out:     out  the 32-byte txid (hash byte order; show it with
 *               hex_from_hash()).
 * In:      tx   the transaction (borrowed).
 */
void wallet_compute_txid(const tx_t *tx, uint8_t out[32]);

#endif
