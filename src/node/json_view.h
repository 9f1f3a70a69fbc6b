/*
 * json_view — blocks and transactions as JSON, with the seed's field names.
 *
 * These are the views the cli, the wallet service and the wallet page show:
 *
 *   block: previousBlockIndex (height - 1; -1 for genesis), blockId and hash
 *          (the block hash, display order), previousHash, nonce, timestamp,
 *          blockHeight, merkleRoot, version, bits (hex), data (the
 *          transactions), and, when asked, raw (the serialized block, hex).
 *   tx:    txid, type ("coinbase" or "transfer"), to, amount, and for a
 *          coinbase height and extraNonce; for a transfer from, fee, nonce,
 *          signature (hex; empty when unsigned).
 *
 * Amounts are integers in base units (1 coin = 100,000,000). Addresses use
 * the network's bech32m prefix. Every function returns a new reference
 * (json_decref) or NULL when out of memory.
 */
#ifndef PICKAXE_JSON_VIEW_H
#define PICKAXE_JSON_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "block.h"
#include "tx.h"

json_t *json_view_tx(const tx_t *tx, const char *hrp);

json_t *json_view_block(const block_t *b, uint32_t height, const char *hrp,
                        bool with_raw);

#endif
