/*
 * store_ckpt — when the block store copies its write-ahead log into
 * chain.db (a checkpoint), so that disk use follows the chain.
 *
 * DISK USE. A commit appends every page it changed to the log, so the log
 * grows far faster than the data: a block of a few hundred bytes changes a
 * leaf of the table and of each of its three indexes (plus page 1 when the
 * file grows, and the meta page when the tip moves), some 20 KiB of log per
 * block. Left to SQLite's default (a checkpoint every 1000 pages, ~4 MB,
 * and a log never cut back below its largest size) a young chain's data
 * directory was almost all log: 46 blocks made a 4 KiB chain.db and a
 * 1 MB chain.db-wal. No reader was holding checkpoints back (every
 * statement is reset after use); the threshold was simply too high for
 * records this small. The store therefore checkpoints itself: a WAL hook
 * (wal_committed) notes the log's length after every commit and, once it
 * reaches the planned length, the commit's caller runs a PASSIVE checkpoint
 * that copies the log into chain.db (checkpoint_if_due). The next write
 * starts the log again from its beginning, and journal_size_limit cuts the
 * file back to twice the planned length if one large transaction, such as
 * a sync batch, had made it longer.
 *
 * The planned length follows the database (plan_checkpoints): as many
 * pages as chain.db has, but at least STORE_CKPT_MIN_FRAMES (~256 KiB) and
 * at most STORE_CKPT_MAX_FRAMES (SQLite's ~4 MB). So between two
 * checkpoints the log holds ~256 KiB on a young chain, no more than
 * chain.db later, ~4 MB at most, and its file is cut back to twice that
 * after any larger transaction: disk use follows the chain. The plan grows
 * with the chain rather than staying at the minimum because each
 * checkpoint costs three fsyncs (the log before copying, chain.db after,
 * the log's new header when it starts again) whatever it copies. Held at
 * ~256 KiB, one checkpoint every dozen blocks, generating 10,000 regtest
 * blocks took 2,600 fsyncs where SQLite's default took 180; with the plan
 * it takes 730, as the number of checkpoints grows with the logarithm of
 * the chain's length until the log reaches the ~4 MB that SQLite's default
 * always allowed.
 *
 * Checkpoints are explicit rather than SQLite's auto-checkpoint, which
 * ignores failures, so that a checkpoint that cannot finish (the disk is
 * full, another program holds a read transaction open) is logged rather
 * than letting the log grow in silence. A failed checkpoint loses nothing:
 * the commits it was copying are durable in the log, which keeps them until
 * a later checkpoint succeeds, and a checkpoint interrupted by a kill is run
 * again by the next open.
 *
 * Thread safety: as the connection's (store.h).
 */
#ifndef PICKAXE_STORE_CKPT_H
#define PICKAXE_STORE_CKPT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* Checkpoint once the log holds as many pages (frames) as the database
 * has, but at least MIN (~256 KiB with SQLite's 4 KiB pages, a dozen
 * single-block commits) and at most MAX (SQLite's own default, ~4 MB). */
#define STORE_CKPT_MIN_FRAMES 64
#define STORE_CKPT_MAX_FRAMES 1000

typedef struct {
    sqlite3 *db;       /* borrowed */
    const char *dir;   /* borrowed, for messages */
    int wal_frames;    /* the log's length after the last commit */
    int plan_frames;   /* checkpoint once the log is this long */
    int64_t wal_limit; /* journal_size_limit in force, bytes */
    bool failing;      /* the last checkpoint failed (logged once) */
} store_ckpt_t;

/* Takes over checkpointing from SQLite on db (a WAL hook; SQLite's
 * auto-checkpoint is then off) and plans the first one. c must stay where
 * it is while db is open: the hook holds its address. */
void store_ckpt_init(store_ckpt_t *c, sqlite3 *db, const char *dir);

/*
 * After a commit: checkpoints (PASSIVE) once the log is long enough, then
 * plans the next one. The commit is durable whatever happens here, so a
 * failure is not the write's failure: it is logged once per run of
 * failures and tried again after the next commit.
 */
void store_ckpt_after_commit(store_ckpt_t *c);

#endif
