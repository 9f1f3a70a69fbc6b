/*
 * store_rig — what the block store's tests share (test_store.c,
 * test_store_dir.c, test_store_ckpt.c, test_store_sqlite.c): a fresh
 * temporary directory per test, opening a store that must open,
 * deterministic test blocks and checking their bytes, and capturing what
 * the store logs on stderr.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_STORE_RIG_H
#define PICKAXE_TEST_STORE_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The test's temporary directory, and sr_root/data in it (not created). */
extern char sr_root[64];
extern char sr_dir[128];

/* A suite's .init and .fini: make sr_root (and name sr_dir), remove it. */
void sr_make_tmp(void);
void sr_remove_tmp(void);

/* Opens the store in dir with no flags; fails the test when it does not. */
store_t *sr_open(const char *dir);

/* True when the block with this hash is stored with exactly these bytes. */
bool sr_holds(store_t *s, const uint8_t hash[32], const uint8_t *want,
              size_t want_len);

/* A step of splitmix64: the next pseudo-random number of the state *x. */
uint64_t sr_splitmix(uint64_t *x);

/* Deterministic test blocks: block i has a hash derived from i, block
 * i - 1 as its parent (zeros for block 0), 1..SR_RAW_MAX bytes derived from
 * i, and status i % 3. */
#define SR_RAW_MAX 1100
void sr_blk_hash(uint8_t out[32], uint64_t i);
void sr_blk_parent(uint8_t out[32], uint64_t i);
size_t sr_blk_raw(uint8_t out[SR_RAW_MAX], uint64_t i); /* the length */
int sr_blk_status(uint64_t i);
/* Block i as a record; raw points into buf. */
store_block_t sr_blk_make(uint8_t buf[SR_RAW_MAX], uint64_t i);
/* store_put_block() of block i. */
int sr_put_blk(store_t *s, uint64_t i);
/* True when block i is stored with exactly its bytes. */
bool sr_blk_ok(store_t *s, uint64_t i);

/* Blocks for the disk tests (test_store_ckpt.c, test_store_sqlite.c):
 * block i has sr_blk_hash(i), block i - 1 as its parent, and 100..1100
 * bytes (a young chain's block), or 32..40 KiB with sr_big_blocks. */
#define SR_DISK_RAW_MAX (40 * 1024)
extern bool sr_big_blocks;
size_t sr_disk_raw(uint8_t out[SR_DISK_RAW_MAX], uint64_t i);
/* Puts block i; adds its size to *bytes (may be NULL) on success. */
int sr_disk_put(store_t *s, uint64_t i, uint64_t *bytes);
/* Moves the tip to block i. */
int sr_disk_tip_to(store_t *s, uint64_t i);
/* Puts block i and, like a node, then moves the tip to it in a
 * transaction of its own. */
int sr_disk_put_tip(store_t *s, uint64_t i, uint64_t *bytes);
/* True when block i is stored with exactly its bytes. */
bool sr_disk_ok(store_t *s, uint64_t i);
/* Size of sr_dir/name in bytes; 0 when it does not exist. */
uint64_t sr_file_size(const char *name);

/* Sets this process's soft file-size limit (RLIMIT_FSIZE), so that writes
 * past it fail as on a full disk. */
void sr_set_fsize(uint64_t soft);

/* Sends stderr to a temporary file until sr_capture_end(), which restores
 * it and returns what was logged meanwhile (a static buffer, also copied
 * to stderr so a failing test shows it). The file is opened before the
 * test limits its file size, so the store's few short lines still fit. */
void sr_capture_start(void);
const char *sr_capture_end(void);

/* Sends stderr to /dev/null until sr_quiet_end(). */
void sr_quiet_start(void);
void sr_quiet_end(void);

#endif
