/*
 * store_ckpt — the WAL hook and the checkpoint plan (see store_ckpt.h).
 */
#include "store_ckpt.h"
#include "log.h"
#include "store.h"
#include "store_sqlite.h"

#include <inttypes.h>
#include <stdio.h>

#define MOD "store"
/* The log's file format: a 32-byte header, then a 24-byte header per page. */
#define WAL_HEADER 32
#define WAL_FRAME_HEADER 24

/* SQLite's WAL hook, called after every commit with the log's length in
 * frames. Registering it turns SQLite's auto-checkpoint off: the store
 * checkpoints itself (store_ckpt_after_commit). */
static int wal_committed(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    store_ckpt_t *s = ctx;
    s->wal_frames = frames;
    return SQLITE_OK;
}

/*
 * Sets the log length at which to checkpoint from the database's size (see
 * DISK USE), and journal_size_limit to twice that length, so that the
 * commits between two checkpoints reuse the log file while the excess of a
 * larger transaction is cut back. Run at open and after each complete
 * checkpoint; when the sizes cannot be read, the last plan stays.
 */
static void plan(store_ckpt_t *s)
{
    int64_t pages = 0, page_size = 0;
    if (store_sqlite_int(s->db, &pages, "PRAGMA page_count") != SQLITE_OK ||
        store_sqlite_int(s->db, &page_size, "PRAGMA page_size") != SQLITE_OK ||
        page_size <= 0)
        return;
    int64_t frames = pages;
    if (frames < STORE_CKPT_MIN_FRAMES)
        frames = STORE_CKPT_MIN_FRAMES;
    if (frames > STORE_CKPT_MAX_FRAMES)
        frames = STORE_CKPT_MAX_FRAMES;
    s->plan_frames = (int)frames;
    int64_t limit = 2 * frames * (page_size + WAL_FRAME_HEADER) + WAL_HEADER;
    if (limit == s->wal_limit)
        return;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA journal_size_limit = %" PRId64, limit);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        s->wal_limit = limit;
}

void store_ckpt_after_commit(store_ckpt_t *s)
{
    if (s->wal_frames < s->plan_frames)
        return;
    int logged = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                       &logged, &copied);
    if (rc == SQLITE_OK && copied >= logged) {
        plan(s);
        if (s->failing)
            log_info(MOD, "%s: checkpoints work again", s->dir);
        s->failing = false;
        return;
    }
    if (s->failing)
        return;
    s->failing = true;
    if (rc != SQLITE_OK)
        store_sqlite_fail(s->db, s->dir, rc,
                          "checkpoint (the log grows until one succeeds)");
    else
        log_warn(MOD,
                 "%s: checkpoint copied %d of %d log pages: another program "
                 "is reading " STORE_DB_NAME "; the log grows until it stops",
                 s->dir, copied, logged);
}

void store_ckpt_init(store_ckpt_t *c, sqlite3 *db, const char *dir)
{
    c->db = db;
    c->dir = dir;
    c->wal_frames = 0;
    c->plan_frames = STORE_CKPT_MIN_FRAMES;
    c->wal_limit = 0;
    c->failing = false;
    sqlite3_wal_hook(db, wal_committed, c);
    plan(c);
}
