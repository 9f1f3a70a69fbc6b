/*
 * uint256 — 256-bit unsigned arithmetic on 32-bit limbs (see uint256.h).
 *
 * Only what targets and chain work need: compare, add, subtract, multiply by
 * a small number, shifts and a bitwise long division (used once per block for
 * its work, so simplicity wins over speed).
 */
#include "uint256.h"
#include "bytes.h"
#include "hex.h"

#include <string.h>

void uint256_from_le(uint256_t *v, const uint8_t bytes[32])
{
    for (int i = 0; i < 8; i++)
        v->w[i] = le32_get(bytes + 4 * i);
}

void uint256_to_le(uint8_t bytes[32], const uint256_t *v)
{
    for (int i = 0; i < 8; i++)
        le32_put(bytes + 4 * i, v->w[i]);
}

void uint256_set_u64(uint256_t *v, uint64_t x)
{
    memset(v, 0, sizeof *v);
    v->w[0] = (uint32_t)x;
    v->w[1] = (uint32_t)(x >> 32);
}

bool uint256_is_zero(const uint256_t *v)
{
    for (int i = 0; i < 8; i++)
        if (v->w[i])
            return false;
    return true;
}

int uint256_cmp(const uint256_t *a, const uint256_t *b)
{
    for (int i = 7; i >= 0; i--) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

bool uint256_add(uint256_t *r, const uint256_t *a, const uint256_t *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t s = (uint64_t)a->w[i] + b->w[i] + carry;
        r->w[i] = (uint32_t)s;
        carry = s >> 32;
    }
    return carry != 0;
}

void uint256_sub(uint256_t *r, const uint256_t *a, const uint256_t *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
        r->w[i] = (uint32_t)d;
        borrow = (d >> 63) & 1;
    }
}

bool uint256_mul_u32(uint256_t *r, const uint256_t *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t p = (uint64_t)a->w[i] * m + carry;
        r->w[i] = (uint32_t)p;
        carry = p >> 32;
    }
    return carry != 0;
}

void uint256_shl(uint256_t *r, const uint256_t *a, unsigned bits)
{
    uint256_t t = {{0}};
    unsigned limbs = bits / 32, rem = bits % 32;
    for (int i = 7; i >= 0; i--) {
        int src = i - (int)limbs;
        if (src < 0)
            continue;
        uint64_t v = (uint64_t)a->w[src] << rem;
        t.w[i] |= (uint32_t)v;
        if (i + 1 < 8 && rem)
            t.w[i + 1] |= (uint32_t)(v >> 32);
    }
    *r = t;
}

void uint256_shr(uint256_t *r, const uint256_t *a, unsigned bits)
{
    uint256_t t = {{0}};
    unsigned limbs = bits / 32, rem = bits % 32;
    for (int i = 0; i < 8; i++) {
        unsigned src = (unsigned)i + limbs;
        if (src >= 8)
            break;
        t.w[i] = a->w[src] >> rem;
        if (rem && src + 1 < 8)
            t.w[i] |= a->w[src + 1] << (32 - rem);
    }
    *r = t;
}

unsigned uint256_bits(const uint256_t *v)
{
    for (int i = 7; i >= 0; i--) {
        if (v->w[i]) {
            unsigned b = 32;
            while (!(v->w[i] & (1u << (b - 1))))
                b--;
            return 32 * (unsigned)i + b;
        }
    }
    return 0;
}

void uint256_div(uint256_t *q, const uint256_t *a, const uint256_t *d)
{
    uint256_t num = *a, div = *d, quot = {{0}};
    int shift = (int)uint256_bits(&num) - (int)uint256_bits(&div);
    if (shift < 0 || uint256_is_zero(&div)) {
        *q = quot;
        return;
    }
    uint256_shl(&div, &div, (unsigned)shift);
    for (; shift >= 0; shift--) {
        if (uint256_cmp(&num, &div) >= 0) {
            uint256_sub(&num, &num, &div);
            quot.w[shift / 32] |= 1u << (shift % 32);
        }
        uint256_shr(&div, &div, 1);
    }
    *q = quot;
}

uint64_t uint256_low64(const uint256_t *v)
{
    return (uint64_t)v->w[0] | (uint64_t)v->w[1] << 32;
}

double uint256_to_double(const uint256_t *v)
{
    double r = 0;
    for (int i = 7; i >= 0; i--)
        r = r * 4294967296.0 + v->w[i];
    return r;
}

void uint256_to_hex(char out[65], const uint256_t *v)
{
    uint8_t be[32];
    for (int i = 0; i < 8; i++)
        be32_put(be + 4 * i, v->w[7 - i]);
    hex_encode(out, be, 32);
}
