/*
 * uint256 — 256-bit unsigned integers for targets and chain work.
 *
 * Stored as eight 32-bit limbs, least significant first, so a hash read "as a
 * 256-bit little-endian number" (DESIGN.md) is uint256_from_le(hash).
 * Arithmetic wraps modulo 2^256 except where a function says otherwise.
 * Plain value type.
 */
#ifndef PICKAXE_UINT256_H
#define PICKAXE_UINT256_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint32_t w[8]; /* w[0] least significant */
} uint256_t;

void uint256_from_le(uint256_t *v, const uint8_t bytes[32]);
void uint256_to_le(uint8_t bytes[32], const uint256_t *v);
void uint256_set_u64(uint256_t *v, uint64_t x);
bool uint256_is_zero(const uint256_t *v);
/* Returns -1, 0 or 1 as a < b, a == b, a > b. */
int uint256_cmp(const uint256_t *a, const uint256_t *b);
/* r = a + b; returns true when the sum overflowed 2^256. */
bool uint256_add(uint256_t *r, const uint256_t *a, const uint256_t *b);
/* r = a - b (mod 2^256). */
void uint256_sub(uint256_t *r, const uint256_t *a, const uint256_t *b);
/* r = a * m; returns true on overflow. */
bool uint256_mul_u32(uint256_t *r, const uint256_t *a, uint32_t m);
/* q = a / d (d must not be zero). */
void uint256_div(uint256_t *q, const uint256_t *a, const uint256_t *d);
void uint256_shl(uint256_t *r, const uint256_t *a, unsigned bits);
void uint256_shr(uint256_t *r, const uint256_t *a, unsigned bits);
/* Number of significant bits (0 for zero). */
unsigned uint256_bits(const uint256_t *v);
/* Low 64 bits. */
uint64_t uint256_low64(const uint256_t *v);
/* Approximate value as a double, for display (hashrate, difficulty). */
double uint256_to_double(const uint256_t *v);
/* 64 hex characters, most significant first, and a NUL. */
void uint256_to_hex(char out[65], const uint256_t *v);

#endif
