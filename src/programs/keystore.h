/*
 * keystore — opening a program's keystore file: the one place that loads a
 * key from its file or creates it, with its directory, so pickaxe-node
 * (the miner's key beside its chain) and pickaxe-wallet (the wallet's key)
 * say the same things about it.
 *
 * Not thread-safe; for a program's start-up.
 */
#ifndef PICKAXE_KEYSTORE_H
#define PICKAXE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"
#include "wallet.h"

/*
 * Loads the keystore at path, or creates it when there is none (and the
 * directory it goes in, mode 0700), and formats its address on network
 * params. Unless quiet, logs "created|using WHAT PATH: ADDRESS" under log
 * module `module`.
 * Returns: the wallet (owned; wallet_free()), or NULL after saying why on
 *          stderr (cmdline_fail()).
 * Out:     address  the key's address (at least ADDRESS_MAX_LEN bytes).
 */
wallet_t *keystore_open(char *address, size_t len, const char *path,
                        const params_t *params, const char *module,
                        const char *what, bool quiet);

#endif
