/*
 * memory — the node's memory as the process and the allocator see it, and
 * the allocator settings that keep the first close to what the node holds.
 *
 * What the node keeps is bounded (the chain, the mempool, the caches each
 * have a limit), but the resident size of the process also counts memory
 * the allocator holds on to after the node has freed it. glibc's malloc
 * does so in two ways that a long-running node under attack meets:
 *
 *   - a dynamic mmap threshold: buffers above 128 KiB are mapped and given
 *     back when freed, but freeing one raises the threshold to its size (up
 *     to 32 MiB), so after a few large frames (a peer's 1 MiB block, a big
 *     query reply) blocks of that size come from the heap and stay there;
 *   - free memory inside the heaps (one per thread that allocates: the main
 *     loop, the request thread, ZeroMQ's I/O threads) that is returned to
 *     the system only when it is at a heap's top.
 *
 * memory_tune() fixes the mmap threshold (which also turns its growth off)
 * and memory_trim() hands free pages of every heap back (malloc_trim); the
 * node calls the first at its start and the second every
 * MEMORY_TRIM_INTERVAL_MS from its main loop. memory_read() reports the
 * process's resident size next to the allocator's own figures, so that
 * `status` shows what the node holds apart from what the allocator keeps.
 *
 * On a C library other than glibc, tune and trim do nothing and the
 * allocator's figures read 0.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef PICKAXE_MEMORY_H
#define PICKAXE_MEMORY_H

#include <stdint.h>

/* Buffers at least this large are always mapped, and unmapped when freed. */
#define MEMORY_MMAP_THRESHOLD (128u * 1024)
/* How often the main loop gives free pages back. */
#define MEMORY_TRIM_INTERVAL_MS 30000

typedef struct {
    uint64_t rss_bytes;    /* resident set size (/proc/self/statm); 0 when
                              unknown */
    uint64_t in_use_bytes; /* allocated and not yet freed, mapped included */
    uint64_t free_bytes;   /* free inside the heaps, not given back */
    uint64_t mapped_bytes; /* of in_use, in separately mapped blocks */
} memory_view_t;

/* Fixes the allocator's settings (see above). Call once, early. */
void memory_tune(void);

/* Gives the free pages of every heap back to the system. */
void memory_trim(void);

/* Reads the figures; fields that cannot be read are 0. */
void memory_read(memory_view_t *out);

#endif
