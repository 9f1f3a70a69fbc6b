/*
 * Tests for src/core/uint256.c: limb order and byte conversion, compare, add
 * and subtract with carries across every limb, multiply by a small number,
 * shifts by every interesting distance, long division against values
 * computed with Python's big integers, bit counts and hex.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hex.h"
#include "uint256.h"

/* 64 hex digits, most significant first (the form uint256_to_hex writes). */
static uint256_t u(const char *hex)
{
    uint8_t be[32], le[32];
    cr_assert_eq(hex_decode(be, 32, hex), 0, "bad test vector %s", hex);
    for (int i = 0; i < 32; i++)
        le[i] = be[31 - i];
    uint256_t v;
    uint256_from_le(&v, le);
    return v;
}

static uint256_t small(uint64_t x)
{
    uint256_t v;
    uint256_set_u64(&v, x);
    return v;
}

static void expect(const uint256_t *got, const char *want)
{
    char hex[65];
    uint256_to_hex(hex, got);
    cr_assert_str_eq(hex, want);
}

#define ONES "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

Test(uint256, limbs_bytes_and_hex)
{
    uint256_t v = small(0x0123456789abcdefULL);
    cr_assert_eq(v.w[0], 0x89abcdef);
    cr_assert_eq(v.w[1], 0x01234567);
    for (int i = 2; i < 8; i++)
        cr_assert_eq(v.w[i], 0);
    expect(&v,
           "0000000000000000000000000000000000000000000000000123456789abcdef");
    cr_assert_eq(uint256_low64(&v), 0x0123456789abcdefULL);

    uint8_t le[32];
    for (int i = 0; i < 32; i++)
        le[i] = (uint8_t)(i + 1);
    uint256_from_le(&v, le);
    cr_assert_eq(v.w[0], 0x04030201, "byte 0 is least significant");
    cr_assert_eq(v.w[7], 0x201f1e1d);
    expect(&v,
           "201f1e1d1c1b1a191817161514131211100f0e0d0c0b0a090807060504030201");
    uint8_t back[32];
    uint256_to_le(back, &v);
    cr_assert_arr_eq(back, le, 32);

    uint256_t z = small(0);
    cr_assert(uint256_is_zero(&z));
    expect(&z, ZERO);
    z.w[7] = 1;
    cr_assert_not(uint256_is_zero(&z));
}

Test(uint256, compare)
{
    uint256_t a = small(5), b = small(6);
    cr_assert_eq(uint256_cmp(&a, &b), -1);
    cr_assert_eq(uint256_cmp(&b, &a), 1);
    cr_assert_eq(uint256_cmp(&a, &a), 0);
    /* The most significant limb decides, whatever the lower ones hold. */
    uint256_t hi =
        u("0000000100000000000000000000000000000000000000000000000000000000");
    uint256_t lo =
        u("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    cr_assert_eq(uint256_cmp(&hi, &lo), 1);
    cr_assert_eq(uint256_cmp(&lo, &hi), -1);
    uint256_t x =
        u("8000000000000000000000000000000000000000000000000000000000000001");
    uint256_t y =
        u("8000000000000000000000000000000000000000000000000000000000000000");
    cr_assert_eq(uint256_cmp(&x, &y), 1, "a difference in the lowest limb");
    cr_assert_eq(uint256_cmp(&y, &x), -1);
}

Test(uint256, add_carries_across_limbs)
{
    uint256_t r, one = small(1);
    uint256_t a = small(0xffffffffULL);
    cr_assert_not(uint256_add(&r, &a, &one));
    expect(&r,
           "0000000000000000000000000000000000000000000000000000000100000000");

    /* 2^224 - 1 + 1 carries through seven limbs. */
    a = u("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    cr_assert_not(uint256_add(&r, &a, &one));
    expect(&r,
           "0000000100000000000000000000000000000000000000000000000000000000");

    /* 2^256 - 1 + 1 wraps to zero and reports it. */
    a = u(ONES);
    cr_assert(uint256_add(&r, &a, &one));
    expect(&r, ZERO);
    cr_assert(uint256_add(&r, &a, &a));
    expect(&r,
           "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe");

    a = u("ae97ba94d0eda82f8f6d05584ef8aa38922766581e27a1c08a6a63ec24ede6a4");
    uint256_t b =
        u("18f135d25f557203301850c5a38fd547923a736994e3bf911a61dbe22e44158b");
    cr_assert_not(uint256_add(&r, &a, &b));
    expect(&r,
           "c788f06730431a32bf85561df2887f802461d9c1b30b6151a4cc3fce5331fc2f");
    /* In place. */
    cr_assert_not(uint256_add(&a, &a, &b));
    expect(&a,
           "c788f06730431a32bf85561df2887f802461d9c1b30b6151a4cc3fce5331fc2f");
}

Test(uint256, sub_borrows_across_limbs)
{
    uint256_t r, one = small(1);
    uint256_t a =
        u("0000000100000000000000000000000000000000000000000000000000000000");
    uint256_sub(&r, &a, &one);
    expect(&r,
           "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    uint256_t z = small(0);
    uint256_sub(&r, &z, &one);
    expect(&r, ONES);
    uint256_sub(&r, &a, &a);
    expect(&r, ZERO);
    a = u("ae97ba94d0eda82f8f6d05584ef8aa38922766581e27a1c08a6a63ec24ede6a4");
    uint256_t b =
        u("18f135d25f557203301850c5a38fd547923a736994e3bf911a61dbe22e44158b");
    uint256_sub(&r, &a, &b);
    expect(&r,
           "95a684c27198362c5f54b492ab68d4f0ffecf2ee8943e22f70088809f6a9d119");
    /* (a - b) + b == a */
    uint256_add(&r, &r, &b);
    cr_assert_eq(uint256_cmp(&r, &a), 0);
}

Test(uint256, mul_u32)
{
    uint256_t r;
    uint256_t a = small(0xffffffffffffffffULL);
    cr_assert_not(uint256_mul_u32(&r, &a, 0xffffffffu));
    /* (2^64 - 1)(2^32 - 1) = 2^96 - 2^64 - 2^32 + 1 */
    expect(&r,
           "0000000000000000000000000000000000000000fffffffeffffffff00000001");
    a = u("00000000000000349e7769b10f4205b4907a70c31012f037b64ce4228c38fb29");
    cr_assert_not(uint256_mul_u32(&r, &a, 0xfedcba98u));
    expect(&r,
           "00000034629903dd5afe049d15de39493035481d04880ff67039988f2d8cea58");
    a = u("ae97ba94d0eda82f8f6d05584ef8aa38922766581e27a1c08a6a63ec24ede6a4");
    cr_assert(uint256_mul_u32(&r, &a, 0xfedcba98u), "overflow is reported");
    expect(&r,
           "e6d64144727bd77094dbec65f8f2dd2ec96606c6bdda7175a758ae53b3c41960");
    cr_assert(uint256_mul_u32(&r, &a, 2));
    cr_assert_not(uint256_mul_u32(&r, &a, 1));
    cr_assert_eq(uint256_cmp(&r, &a), 0);
    cr_assert_not(uint256_mul_u32(&r, &a, 0));
    cr_assert(uint256_is_zero(&r));
}

Test(uint256, shifts)
{
    uint256_t c =
        u("00000000000000349e7769b10f4205b4907a70c31012f037b64ce4228c38fb29");
    uint256_t r;
    uint256_shl(&r, &c, 37);
    expect(&r,
           "00000693ceed3621e840b6920f4e1862025e06f6c99c8451871f652000000000");
    uint256_shr(&r, &c, 37);
    expect(&r,
           "000000000000000000000001a4f3bb4d887a102da483d38618809781bdb26721");
    uint256_shl(&r, &c, 100);
    expect(&r,
           "f4205b4907a70c31012f037b64ce4228c38fb290000000000000000000000000");
    uint256_shr(&r, &c, 100);
    expect(&r,
           "000000000000000000000000000000000000000349e7769b10f4205b4907a70c");
    uint256_shl(&r, &c, 0);
    cr_assert_eq(uint256_cmp(&r, &c), 0);
    uint256_shr(&r, &c, 0);
    cr_assert_eq(uint256_cmp(&r, &c), 0);

    uint256_t one = small(1);
    uint256_shl(&r, &one, 31);
    expect(&r,
           "0000000000000000000000000000000000000000000000000000000080000000");
    uint256_shl(&r, &one, 32);
    expect(&r,
           "0000000000000000000000000000000000000000000000000000000100000000");
    uint256_shl(&r, &one, 33);
    expect(&r,
           "0000000000000000000000000000000000000000000000000000000200000000");
    uint256_shl(&r, &one, 255);
    expect(&r,
           "8000000000000000000000000000000000000000000000000000000000000000");
    uint256_shl(&r, &one, 256);
    expect(&r, ZERO);
    uint256_shl(&r, &one, 1000);
    expect(&r, ZERO);

    uint256_t all = u(ONES);
    uint256_shr(&r, &all, 255);
    expect(&r,
           "0000000000000000000000000000000000000000000000000000000000000001");
    uint256_shr(&r, &all, 224);
    expect(&r,
           "00000000000000000000000000000000000000000000000000000000ffffffff");
    uint256_shr(&r, &all, 256);
    expect(&r, ZERO);
    uint256_shl(&r, &all, 4);
    expect(&r,
           "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0");
    uint256_shr(&r, &all, 4);
    expect(&r,
           "0fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    /* In place. */
    r = c;
    uint256_shl(&r, &r, 37);
    expect(&r,
           "00000693ceed3621e840b6920f4e1862025e06f6c99c8451871f652000000000");
    uint256_shr(&r, &r, 37);
    cr_assert_eq(uint256_cmp(&r, &c), 0);
}

Test(uint256, division_known_values)
{
    static const char *v[][3] = {
        /* numerator, divisor, quotient (Python: a // d) */
        {"d23f0824128b2f330c5c7fd0a6a3a4506513270e269e0d37f2a74de452e6b438",
         "000000000000000000000000000000000000000000000000000000005d9dc9f8",
         "000000023eee8fd2d7485996b195f8e7d088929811a4f17d1ce22b08413fa427"},
        {"6f03675a1600a35a099950d836f675cc81e74ef5e8e25d940ed904759531985d",
         "00000000000000d30f21ddb66cad4a268d116ece1738f7d93d9c172411e20b8f",
         "0000000000000000000000000000000000000000000000000086a6c1d77ec294"},
        {"f29d0da9953f48f1a09f76b5a170b33839263059f28c105d1fb17c2390c192cf",
         "0000000000000000000000000000000000000000000000000000000093bd04cf",
         "00000001a4662374785dec0d2a443cfee0e4c44c69b04faa85d309b95c626df7"},
        {"dbc496cb8e81973e0becd7b03898d190f9ebdacc0cb1e29c658cda1495e60af5",
         "0000000000000000000000000000000000000000000000006b4cb2424a23d596",
         "00000000000000020c54f062f499b6f0472e75622dd1264df0dc54f16a5ed3c2"},
        {ONES,
         "000000000000000000000000000000000000000000000000000000000000ffff",
         "0001000100010001000100010001000100010001000100010001000100010001"},
        {ONES, ONES,
         "0000000000000000000000000000000000000000000000000000000000000001"},
        {"0000000000000000000000000000000000000000000000000000000000000005",
         "0000000000000000000000000000000000000000000000000000000000000007",
         ZERO},
        {"0000000000000000000000000000000000000000000000000000000000000007",
         "0000000000000000000000000000000000000000000000000000000000000007",
         "0000000000000000000000000000000000000000000000000000000000000001"},
        {"0000000000000000000000000000000000000000000000000000000000000007",
         "0000000000000000000000000000000000000000000000000000000000000002",
         "0000000000000000000000000000000000000000000000000000000000000003"},
        {"8000000000000000000000000000000000000000000000000000000000000000",
         "0000000000000000000000000000000000000000000000000000000000000002",
         "4000000000000000000000000000000000000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint256_t a = u(v[i][0]), d = u(v[i][1]), q;
        uint256_div(&q, &a, &d);
        expect(&q, v[i][2]);
    }
}

Test(uint256, division_by_one_and_by_itself)
{
    const char *nums[] = {
        "d23f0824128b2f330c5c7fd0a6a3a4506513270e269e0d37f2a74de452e6b438",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "0000000000000000000000000000000100000000000000000000000000000000",
        ONES,
    };
    uint256_t one = small(1);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        uint256_t a = u(nums[i]), q;
        uint256_div(&q, &a, &one);
        cr_assert_eq(uint256_cmp(&q, &a), 0, "%s / 1", nums[i]);
        uint256_div(&q, &a, &a);
        cr_assert_eq(uint256_cmp(&q, &one), 0, "%s / itself", nums[i]);
        /* q * d + r == a for a one-limb divisor, by multiplying back. */
        uint256_t d = small(0x10001), back, rem;
        uint256_div(&q, &a, &d);
        cr_assert_not(uint256_mul_u32(&back, &q, 0x10001));
        uint256_sub(&rem, &a, &back);
        cr_assert_lt(uint256_cmp(&rem, &d), 0);
    }
    uint256_t z = small(0), q;
    uint256_div(&q, &z, &one);
    cr_assert(uint256_is_zero(&q));
}

Test(uint256, bit_count)
{
    uint256_t v = small(0);
    cr_assert_eq(uint256_bits(&v), 0);
    v = small(1);
    cr_assert_eq(uint256_bits(&v), 1);
    v = small(0x80000000u);
    cr_assert_eq(uint256_bits(&v), 32);
    v = small(0x100000000ULL);
    cr_assert_eq(uint256_bits(&v), 33);
    v = u("00000000ffff0000000000000000000000000000000000000000000000000000");
    cr_assert_eq(uint256_bits(&v), 224);
    v = u("8000000000000000000000000000000000000000000000000000000000000000");
    cr_assert_eq(uint256_bits(&v), 256);
    v = u(ONES);
    cr_assert_eq(uint256_bits(&v), 256);
}

Test(uint256, to_double)
{
    uint256_t v = small(4295032833ULL);
    cr_assert_eq(uint256_to_double(&v), 4295032833.0);
    v = u("8000000000000000000000000000000000000000000000000000000000000000");
    cr_assert_eq(uint256_to_double(&v), 0x1p255);
}
