/*
 * Tests for src/core/bytes.c and the inline helpers of bytes.h: little- and
 * big-endian layouts, the growable buffer (growth, reset, take, the sticky
 * failure flag) and the bounded reader (every truncation of every width
 * fails and leaves both output and cursor untouched).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "err.h"

Test(bytes, endian_helpers)
{
    uint8_t b[8];
    le16_put(b, 0x0102);
    cr_assert_eq(b[0], 0x02);
    cr_assert_eq(b[1], 0x01);
    cr_assert_eq(le16_get(b), 0x0102);
    le32_put(b, 0x01020304);
    cr_assert_eq(b[0], 0x04);
    cr_assert_eq(b[3], 0x01);
    cr_assert_eq(le32_get(b), 0x01020304);
    le64_put(b, 0x0102030405060708ULL);
    cr_assert_eq(b[0], 0x08);
    cr_assert_eq(b[7], 0x01);
    cr_assert_eq(le64_get(b), 0x0102030405060708ULL);
    be32_put(b, 0x01020304);
    cr_assert_eq(b[0], 0x01);
    cr_assert_eq(b[3], 0x04);
    cr_assert_eq(be32_get(b), 0x01020304);
    /* High bits survive (no sign extension). */
    le32_put(b, 0xfffffffe);
    cr_assert_eq(le32_get(b), 0xfffffffe);
    le64_put(b, 0xfedcba9876543210ULL);
    cr_assert_eq(le64_get(b), 0xfedcba9876543210ULL);
    le16_put(b, 0xff80);
    cr_assert_eq(le16_get(b), 0xff80);
    be32_put(b, 0x80000001);
    cr_assert_eq(be32_get(b), 0x80000001);
}

Test(bytes, buffer_writes_little_endian)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(buf_put_u8(&b, 0xaa), 0);
    cr_assert_eq(buf_put_u16(&b, 0x0102), 0);
    cr_assert_eq(buf_put_u32(&b, 0x03040506), 0);
    cr_assert_eq(buf_put_u64(&b, 0x0708090a0b0c0d0eULL), 0);
    cr_assert_eq(buf_put(&b, "xy", 2), 0);
    cr_assert_eq(buf_put(&b, NULL, 0), 0);
    const uint8_t want[] = {0xaa, 0x02, 0x01, 0x06, 0x05, 0x04,
                            0x03, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a,
                            0x09, 0x08, 0x07, 'x',  'y'};
    cr_assert_eq(b.len, sizeof want);
    cr_assert_arr_eq(b.data, want, sizeof want);
    buf_deinit(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}

Test(bytes, buffer_grows_and_keeps_contents)
{
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(buf_put_u8(&b, (uint8_t)(i * 7)), 0);
    cr_assert_eq(b.len, 100000);
    cr_assert_geq(b.cap, b.len);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(b.data[i], (uint8_t)(i * 7));
    /* One large append across several doublings. */
    uint8_t *big = malloc(1 << 20);
    memset(big, 0x3c, 1 << 20);
    cr_assert_eq(buf_put(&b, big, 1 << 20), 0);
    cr_assert_eq(b.len, 100000 + (1 << 20));
    cr_assert_eq(b.data[b.len - 1], 0x3c);
    cr_assert_eq(b.data[99999], (uint8_t)(99999 * 7));
    free(big);
    buf_deinit(&b);
}

Test(bytes, reset_and_take)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(buf_put(&b, "hello", 5), 0);
    uint8_t *mem = b.data;
    buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.data, mem, "reset keeps its memory");
    cr_assert_eq(buf_put(&b, "abc", 3), 0);
    size_t n = 0;
    uint8_t *p = buf_take(&b, &n);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(p, "abc", 3);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.cap, 0);
    free(p);
    /* Still usable afterwards. */
    cr_assert_eq(buf_put_u8(&b, 1), 0);
    buf_deinit(&b);
}

Test(bytes, failure_is_sticky_until_reset)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(buf_put_u8(&b, 1), 0);
    /* A length that would overflow size_t: refused without allocating. */
    uint8_t x = 0;
    cr_assert_eq(buf_put(&b, &x, SIZE_MAX), ERR_NOMEM);
    cr_assert(b.failed);
    cr_assert_eq(b.len, 1);
    cr_assert_eq(buf_put_u8(&b, 2), ERR_NOMEM);
    cr_assert_eq(buf_put_u64(&b, 2), ERR_NOMEM);
    cr_assert_eq(b.len, 1);
    buf_reset(&b);
    cr_assert_not(b.failed);
    cr_assert_eq(buf_put_u8(&b, 3), 0);
    cr_assert_eq(b.data[0], 3);
    buf_deinit(&b);
}

Test(bytes, reader_reads_in_order)
{
    const uint8_t in[] = {0xaa, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0e, 0x0d,
                          0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 'x',  'y',  'z'};
    reader_t r = reader_make(in, sizeof in);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    cr_assert_eq(rd_u8(&r, &u8), 0);
    cr_assert_eq(u8, 0xaa);
    cr_assert_eq(rd_u16(&r, &u16), 0);
    cr_assert_eq(u16, 0x0102);
    cr_assert_eq(rd_u32(&r, &u32), 0);
    cr_assert_eq(u32, 0x03040506);
    cr_assert_eq(rd_u64(&r, &u64), 0);
    cr_assert_eq(u64, 0x0708090a0b0c0d0eULL);
    cr_assert_eq(rd_end(&r), ERR_PARSE);
    const uint8_t *view;
    cr_assert_eq(rd_view(&r, &view, 1), 0);
    cr_assert_eq(view, in + 15, "a view points into the input");
    uint8_t two[2];
    cr_assert_eq(rd_bytes(&r, two, 2), 0);
    cr_assert_arr_eq(two, "yz", 2);
    cr_assert_eq(rd_end(&r), 0);
    cr_assert_eq(rd_bytes(&r, two, 0), 0);
    cr_assert_eq(rd_u8(&r, &u8), ERR_PARSE);
}

Test(bytes, every_truncation_of_every_width_fails)
{
    const size_t widths[] = {1, 2, 4, 8, 32};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        size_t need = widths[w];
        for (size_t have = 0; have < need; have++) {
            /* Exactly `have` bytes on the heap, so ASan flags an over-read. */
            uint8_t *in = malloc(have ? have : 1);
            memset(in, 0xee, have);
            reader_t r = reader_make(in, have);
            union {
                uint8_t b[32];
                uint16_t u16;
                uint32_t u32;
                uint64_t u64;
            } o;
            uint8_t *out = o.b;
            memset(out, 0x11, sizeof o.b);
            int rc;
            switch (need) {
            case 1:
                rc = rd_u8(&r, out);
                break;
            case 2:
                rc = rd_u16(&r, &o.u16);
                break;
            case 4:
                rc = rd_u32(&r, &o.u32);
                break;
            case 8:
                rc = rd_u64(&r, &o.u64);
                break;
            default:
                rc = rd_bytes(&r, out, need);
                break;
            }
            cr_assert_eq(rc, ERR_PARSE, "%zu of %zu bytes", have, need);
            cr_assert_eq(r.left, have, "cursor moved");
            cr_assert_eq(r.p, in, "cursor moved");
            for (size_t i = 0; i < sizeof o.b; i++)
                cr_assert_eq(out[i], 0x11, "output written on failure");
            const uint8_t *view = NULL;
            cr_assert_eq(rd_view(&r, &view, need), ERR_PARSE);
            cr_assert_null(view);
            free(in);
        }
    }
}

Test(bytes, empty_reader)
{
    reader_t r = reader_make(NULL, 0);
    cr_assert_eq(rd_end(&r), 0);
    uint8_t u8 = 9;
    cr_assert_eq(rd_u8(&r, &u8), ERR_PARSE);
    cr_assert_eq(u8, 9);
}
