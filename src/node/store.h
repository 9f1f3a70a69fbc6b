/*
 * store — the node's embedded block store: opaque serialized blocks keyed by
 * their 32-byte hash, plus a small key/value table, in one SQLite database.
 *
 * The store knows nothing of block semantics. The caller hands it a block's
 * hash, its parent's hash, its height, a status number of the caller's own
 * choosing and the serialized bytes; the store keeps them, remembers the
 * order in which hashes were first seen, and gives them back. It never parses
 * a block, so it depends on no consensus module and a corrupt block on disk is
 * the caller's parser's business, not the store's.
 *
 * Durability contract: a write function that returns 0 outside an explicit
 * transaction has committed its change, and the change survives the process
 * being killed at any later moment (SIGKILL, abort, a crash). A node reports
 * a block accepted only after store_put_block() returned 0. With
 * STORE_SYNC_FULL the change also survives power loss (see store.c).
 *
 * Atomicity: store_begin() .. store_commit() groups several writes (blocks,
 * status changes, the tip, meta) into one transaction that lands whole or not
 * at all, so "block added and tip moved" can never be half done on disk.
 *
 * Disk use: the data directory holds chain.db, which grows with the blocks
 * stored, plus SQLite's write-ahead log chain.db-wal and its 32 KiB index
 * chain.db-shm. The store copies the log into chain.db (a checkpoint) once
 * it holds as much as chain.db, at least ~256 KiB and at most ~4 MB, and
 * cuts its file back to twice that after any larger transaction (a big
 * store_put_blocks batch). So a young chain's directory is chain.db plus at
 * most ~512 KiB of log, an older one's about twice chain.db, and a long
 * chain's chain.db plus a few MB. If a checkpoint cannot finish (disk
 * full, another program reading chain.db), it is logged and the log grows
 * until one can.
 *
 * No room: a write that runs out of disk space (disk full, quota, or the
 * process's file-size limit) fails with ERR_FULL and changes nothing; the
 * store stays intact and takes writes again once there is room.
 *
 * One node per data directory: store_open() takes an exclusive lock on the
 * directory and refuses to open it while another handle (in this or any
 * other process) holds it.
 *
 * Thread safety: none. The node uses its store from two threads (the main
 * loop and the request thread), always under the node's lock; distinct
 * handles on distinct directories may be used from distinct threads.
 * A handle must not be used in a child after fork(); open a new one there.
 */
#ifndef PICKAXE_STORE_H
#define PICKAXE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_HASH_LEN 32

/* Name of the database file inside the data directory. */
#define STORE_DB_NAME "chain.db"
/* Name of the lock file inside the data directory. */
#define STORE_LOCK_NAME "LOCK"

/* Flags for store_open(). */
enum {
    /* fsync on every commit: survive power loss and OS crashes as well as
     * process crashes, at the price of one disk flush per commit. */
    STORE_SYNC_FULL = 1u << 0,
};

typedef struct store store_t;

/*
 * A block record. For writes, seq is ignored and raw/len are borrowed from
 * the caller. For reads (store_iterate), every field is filled in and raw is
 * borrowed from the store, valid only until the callback returns.
 */
typedef struct {
    uint8_t hash[STORE_HASH_LEN];
    uint8_t parent[STORE_HASH_LEN];
    uint32_t height;
    int status;         /* the caller's own code; the store only keeps it */
    uint64_t seq;       /* first-seen order: larger = seen later */
    const uint8_t *raw; /* serialized block */
    size_t len;
} store_block_t;

/* ---- lifetime ---------------------------------------------------------- */

/*
 * Open (creating if needed) the store in directory dir.
 *
 * dir and its missing parents are created with mode 0700. The database file
 * is dir/chain.db; dir/LOCK is the lock file that keeps a second node out.
 *
 * Returns: 0 with *out set to a new handle;
 *          ERR_IO when dir cannot be created or is not a directory, when the
 *            database cannot be opened or read, or when another handle (any
 *            process) has the directory open ("in use by pid N");
 *          ERR_INVALID when chain.db exists but is not a pickaxe store (not a
 *            SQLite file, or a SQLite file of another application); the file
 *            is left untouched;
 *          ERR_UNSUPPORTED when chain.db is a pickaxe store of a schema
 *            version this build does not know (written by a newer pickaxe);
 *          ERR_ARG on unknown flags; ERR_NOMEM.
 *          The reason is logged (log_error, module "store").
 * Out:     out    the new handle (owned by the caller; free with
 *                 store_close). Untouched on failure.
 * In:      dir    path of the data directory (borrowed).
 *          flags  0 or STORE_SYNC_FULL.
 */
int store_open(store_t **out, const char *dir, unsigned flags);

/*
 * Close the handle, releasing the directory lock. An open transaction is
 * rolled back. NULL and *s == NULL are harmless; *s is set to NULL.
 */
void store_close(store_t **s);

/* ---- transactions ------------------------------------------------------ */

/*
 * Begin an explicit transaction: the writes that follow (puts, status
 * changes, deletes, meta, tip) land together at store_commit(), or not at
 * all after store_rollback(), a crash, or store_close().
 *
 * If a write inside the transaction fails, the store rolls the whole
 * transaction back at once and the transaction becomes failed: every later
 * write and store_commit() return ERR_IO without doing anything, so nothing
 * after the failure can be committed by mistake, until store_rollback()
 * ends it. A failed lookup (ERR_NOT_FOUND) is not a failure of this kind.
 *
 * Returns: 0; ERR_ARG when a transaction is already open; ERR_IO.
 */
int store_begin(store_t *s);

/*
 * Commit the open transaction; on return 0 it is durable as described above.
 * Returns: 0; ERR_ARG when no transaction is open; ERR_FULL when the disk
 *          had no room for the commit, ERR_IO when the commit or an earlier
 *          write of the transaction failed (either way nothing of it was
 *          kept; the transaction is over).
 */
int store_commit(store_t *s);

/*
 * Discard the open (or failed) transaction. Harmless when none is open.
 * Returns: 0; ERR_IO when SQLite could not roll back (logged).
 */
int store_rollback(store_t *s);

/* ---- blocks ------------------------------------------------------------ */

/*
 * Store one block. Idempotent: if hash is already stored, nothing changes
 * (not its status, not its first-seen order) and 0 is returned.
 *
 * Returns: 0 (committed, unless inside a transaction); ERR_RANGE when raw is
 *          larger than SQLite's blob limit (1 GB); ERR_FULL when the disk has
 *          no room (nothing was stored); ERR_IO; ERR_NOMEM.
 * In:      hash, parent  32 bytes each (borrowed).
 *          height, status  kept as given.
 *          raw, len        the serialized block (borrowed; copied).
 */
int store_put_block(store_t *s, const uint8_t hash[STORE_HASH_LEN],
                    const uint8_t parent[STORE_HASH_LEN], uint32_t height,
                    int status, const uint8_t *raw, size_t len);

/*
 * Store n blocks in one transaction (much faster than n single puts while
 * syncing), in array order, each idempotently as store_put_block(). When tip
 * is not NULL it is stored as the tip in the same transaction. Inside an
 * explicit transaction, the blocks simply join it.
 *
 * Returns: 0 when all were stored; on error none of them is (and inside an
 *          explicit transaction, the transaction has failed). Codes as
 *          store_put_block().
 * In:      blocks  n records (borrowed); seq is ignored.
 *          tip     32 bytes or NULL (borrowed).
 */
int store_put_blocks(store_t *s, const store_block_t *blocks, size_t n,
                     const uint8_t *tip);

/*
 * Fetch a block's serialized bytes.
 * Returns: 0; ERR_NOT_FOUND when hash is not stored; ERR_IO; ERR_NOMEM.
 * Out:     raw  a new buffer owned by the caller (free()); never NULL on
 *               success, even when *len is 0.
 *          len  its length.
 *          Both untouched on failure.
 */
int store_get_block(store_t *s, uint8_t **raw, size_t *len,
                    const uint8_t hash[STORE_HASH_LEN]);

/*
 * True when hash is stored. A database error is logged and reads as false.
 */
bool store_has_block(store_t *s, const uint8_t hash[STORE_HASH_LEN]);

/*
 * Change a stored block's status.
 * Returns: 0; ERR_NOT_FOUND when hash is not stored; ERR_FULL; ERR_IO.
 */
int store_set_status(store_t *s, const uint8_t hash[STORE_HASH_LEN],
                     int status);

/*
 * Delete a stored block (pruning a dropped fork). The store does not check
 * that no other block names it as parent; that is the caller's tree.
 * Returns: 0; ERR_NOT_FOUND when hash is not stored; ERR_FULL (a delete
 *          writes to the log too); ERR_IO.
 */
int store_delete_block(store_t *s, const uint8_t hash[STORE_HASH_LEN]);

/*
 * Number of stored blocks.
 * Returns: 0; ERR_IO. Out: n (untouched on failure).
 */
int store_count(store_t *s, uint64_t *n);

/*
 * Called by store_iterate() once per block. Return 0 to go on; any other
 * value stops the iteration and is returned by store_iterate().
 * In: b    the block; b and b->raw are valid only during the call.
 *     ctx  the caller's pointer, as given to store_iterate().
 */
typedef int (*store_block_cb)(const store_block_t *b, void *ctx);

/*
 * Visit every stored block in (height, first-seen) order, so a node can
 * rebuild its block tree on start: parents come before children (a child's
 * height is its parent's plus one), and among blocks of one height the first
 * seen comes first, which is the tie-break the fork-choice rule wants.
 *
 * The callback may call store_get_block, store_has_block, store_count,
 * store_meta_get and store_get_tip, but nothing that writes and not
 * store_iterate itself (asserted).
 *
 * Returns: 0 after visiting all; the callback's non-zero value when it
 *          stopped early; ERR_IO (blocks before the error were visited).
 */
int store_iterate(store_t *s, store_block_cb cb, void *ctx);

/* ---- meta and tip ------------------------------------------------------ */

/*
 * Set key to a blob value (replacing any previous one).
 * Returns: 0; ERR_ARG when key is empty; ERR_RANGE when too large;
 *          ERR_FULL when the disk has no room; ERR_IO.
 * In:      key  a NUL-terminated name (borrowed). "tip" is the key used by
 *               store_set_tip(); other names are free for the caller.
 *          val, len  the value (borrowed; copied; len may be 0).
 */
int store_meta_put(store_t *s, const char *key, const void *val, size_t len);

/*
 * Read key's value.
 * Returns: 0; ERR_NOT_FOUND; ERR_IO; ERR_NOMEM.
 * Out:     val  a new buffer owned by the caller (free()); never NULL on
 *               success, even when *len is 0.
 *          len  its length. Both untouched on failure.
 */
int store_meta_get(store_t *s, uint8_t **val, size_t *len, const char *key);

/* Record the best tip's hash (meta key "tip"). Returns as store_meta_put. */
int store_set_tip(store_t *s, const uint8_t hash[STORE_HASH_LEN]);

/*
 * Read the best tip's hash.
 * Returns: 0; ERR_NOT_FOUND when no tip was ever set; ERR_PARSE when the
 *          stored value is not 32 bytes; ERR_IO.
 * Out:     hash  32 bytes (untouched on failure).
 */
int store_get_tip(store_t *s, uint8_t hash[STORE_HASH_LEN]);

/* ---- maintenance ------------------------------------------------------- */

/*
 * Run SQLite's full integrity check over the database (slow on a big store:
 * it reads every page). Returns: 0 when it passes; ERR_IO otherwise, with
 * SQLite's first complaints logged.
 */
int store_check(store_t *s);

#endif
