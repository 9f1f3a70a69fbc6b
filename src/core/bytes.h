/*
 * bytes — little-endian encoding with explicit bounds.
 *
 * Every wire and disk format in pickaxe is written with a buf_t (a growable
 * byte buffer) and read with a reader_t (a cursor over borrowed bytes). A
 * reader never reads past its end: each rd_* call checks the remaining length
 * first and returns ERR_PARSE, leaving its output untouched, when it is short.
 * A buf_t that failed to grow remembers it (buf->failed) so a writer can emit
 * a whole message and check once at the end.
 *
 * Not thread-safe; each buffer or reader belongs to one thread.
 */
#ifndef PICKAXE_BYTES_H
#define PICKAXE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

static inline void le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static inline uint64_t le64_get(const uint8_t *p)
{
    return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}
static inline uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
           (uint32_t)p[0] << 24;
}
static inline void be32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A growable output buffer. Zero-initialised or buf_init() = empty. */
typedef struct {
    uint8_t *data; /* owned */
    size_t len;
    size_t cap;
    bool failed; /* an append could not allocate; contents are incomplete */
} buf_t;

void buf_init(buf_t *b);
/* Frees the contents; the buffer is empty and usable again. */
void buf_deinit(buf_t *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(buf_t *b);
/* Appends; on allocation failure sets b->failed and returns ERR_NOMEM.
 * The failure sticks, so an encoder may ignore these results and check
 * b->failed once after its appends (which is why they are not marked
 * PX_MUST_CHECK). */
int buf_put(buf_t *b, const void *data, size_t len);
int buf_put_u8(buf_t *b, uint8_t v);
int buf_put_u16(buf_t *b, uint16_t v);
int buf_put_u32(buf_t *b, uint32_t v);
int buf_put_u64(buf_t *b, uint64_t v);
/* Hands the contents to the caller (who frees them) and empties b. */
uint8_t *buf_take(buf_t *b, size_t *len);

/* A bounded cursor over borrowed bytes. */
typedef struct {
    const uint8_t *p;
    size_t left;
} reader_t;

static inline reader_t reader_make(const void *data, size_t len)
{
    reader_t r = {(const uint8_t *)data, len};
    return r;
}
PX_MUST_CHECK int rd_bytes(reader_t *r, void *out, size_t len);
PX_MUST_CHECK int rd_u8(reader_t *r, uint8_t *v);
PX_MUST_CHECK int rd_u16(reader_t *r, uint16_t *v);
PX_MUST_CHECK int rd_u32(reader_t *r, uint32_t *v);
PX_MUST_CHECK int rd_u64(reader_t *r, uint64_t *v);
/* Points *out at the next len bytes (borrowed from the reader's input). */
PX_MUST_CHECK int rd_view(reader_t *r, const uint8_t **out, size_t len);
/* Returns ERR_PARSE unless every byte has been consumed. */
PX_MUST_CHECK int rd_end(const reader_t *r);

#endif
