/*
 * amount — the one way a person writes and reads an amount of coins.
 *
 * Every human-facing input (pickaxe-cli's --amount and --fee, the wallet
 * service's "amount" and "fee" strings, and through it the wallet page)
 * reads a plain decimal number as coins, as bitcoin-cli does: "2" is two
 * coins, "0.5" half a coin, "0.00000001" one base unit. Base units appear
 * only where a name says so (JSON integer fields documented as base units).
 * Anything else -- more than 8 decimals, a sign, an exponent, spaces,
 * thousands separators, more than can ever exist -- is refused with one
 * message per reason, the same everywhere.
 *
 * Pure functions; thread-safe.
 */
#ifndef PICKAXE_AMOUNT_H
#define PICKAXE_AMOUNT_H

#include <stdint.h>

#include "err.h"

/* Longest text amount_format writes, with its NUL: "21000000.00000000". */
#define AMOUNT_TEXT_MAX 24

/* The fee of a transfer whose sender names none, in base units (0.0001
 * coin): what pickaxe-cli send and the wallet service (and its page)
 * use. A convention of the tools, not a consensus rule. */
#define AMOUNT_DEFAULT_FEE 10000

/*
 * Reads a number of coins, exactly.
 * Returns: 0; ERR_PARSE when text is not a plain decimal number; ERR_ARG
 *          for a negative number; ERR_RANGE for more than 8 decimals or
 *          more than MAX_MONEY.
 * Out:     units  base units (written only on success);
 *          why    on failure, a phrase to put after the field's name
 *                 ("is not a number of coins (such as \"1.5\")"); static;
 *                 may be NULL.
 */
PX_MUST_CHECK int amount_parse_coins(uint64_t *units, const char **why,
                                     const char *text);

/* Writes units as coins with all 8 decimals ("12.34500000"); returns out. */
const char *amount_format(char out[AMOUNT_TEXT_MAX], uint64_t units);

/* Writes units as coins without trailing zeros ("12.345", "3"); returns
 * out. Reads back to the same units with amount_parse_coins. */
const char *amount_format_short(char out[AMOUNT_TEXT_MAX], uint64_t units);

#endif
