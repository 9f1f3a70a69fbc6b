/*
 * bytes — growable buffers and bounded readers (see bytes.h).
 */
#include "bytes.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b)
{
    memset(b, 0, sizeof *b);
}

void buf_deinit(buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    b->failed = false;
}

int buf_put(buf_t *b, const void *data, size_t len)
{
    if (b->failed)
        return ERR_NOMEM;
    if (len > SIZE_MAX - b->len) {
        b->failed = true;
        return ERR_NOMEM;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len)
            cap = cap > SIZE_MAX / 2 ? b->len + len : cap * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return ERR_NOMEM;
        }
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int buf_put_u8(buf_t *b, uint8_t v)
{
    return buf_put(b, &v, 1);
}

int buf_put_u16(buf_t *b, uint16_t v)
{
    uint8_t t[2];
    le16_put(t, v);
    return buf_put(b, t, 2);
}

int buf_put_u32(buf_t *b, uint32_t v)
{
    uint8_t t[4];
    le32_put(t, v);
    return buf_put(b, t, 4);
}

int buf_put_u64(buf_t *b, uint64_t v)
{
    uint8_t t[8];
    le64_put(t, v);
    return buf_put(b, t, 8);
}

uint8_t *buf_take(buf_t *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

int rd_view(reader_t *r, const uint8_t **out, size_t len)
{
    if (r->left < len)
        return ERR_PARSE;
    *out = r->p;
    r->p += len;
    r->left -= len;
    return 0;
}

int rd_bytes(reader_t *r, void *out, size_t len)
{
    const uint8_t *p;
    int rc = rd_view(r, &p, len);
    if (rc == 0 && len)
        memcpy(out, p, len);
    return rc;
}

int rd_u8(reader_t *r, uint8_t *v)
{
    return rd_bytes(r, v, 1);
}

int rd_u16(reader_t *r, uint16_t *v)
{
    const uint8_t *p;
    int rc = rd_view(r, &p, 2);
    if (rc == 0)
        *v = le16_get(p);
    return rc;
}

int rd_u32(reader_t *r, uint32_t *v)
{
    const uint8_t *p;
    int rc = rd_view(r, &p, 4);
    if (rc == 0)
        *v = le32_get(p);
    return rc;
}

int rd_u64(reader_t *r, uint64_t *v)
{
    const uint8_t *p;
    int rc = rd_view(r, &p, 8);
    if (rc == 0)
        *v = le64_get(p);
    return rc;
}

int rd_end(const reader_t *r)
{
    return r->left == 0 ? 0 : ERR_PARSE;
}
