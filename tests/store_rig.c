/*
 * store_rig — the block store tests' shared fixture (see store_rig.h).
 */
#include "store_rig.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "sha256.h"

char sr_root[64];
char sr_dir[128];

void sr_make_tmp(void)
{
    strcpy(sr_root, "/tmp/pickaxe-test-store-XXXXXX");
    cr_assert_not_null(mkdtemp(sr_root), "mkdtemp: %s", strerror(errno));
    snprintf(sr_dir, sizeof sr_dir, "%s/data", sr_root);
}

static int rm_entry(const char *path, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

void sr_remove_tmp(void)
{
    if (sr_root[0])
        nftw(sr_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

store_t *sr_open(const char *dir)
{
    store_t *s = NULL;
    int rc = store_open(&s, dir, 0);
    cr_assert_eq(rc, 0, "store_open(%s): %s", dir, err_str(rc));
    cr_assert_not_null(s);
    return s;
}

bool sr_holds(store_t *s, const uint8_t hash[32], const uint8_t *want,
              size_t want_len)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    if (store_get_block(s, &raw, &len, hash) != 0)
        return false;
    bool ok = len == want_len && memcmp(raw, want, len) == 0;
    free(raw);
    return ok;
}

/* ---- deterministic test blocks ------------------------------------------ */

uint64_t sr_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* SHA-256 of a label and i. */
void sr_blk_hash(uint8_t out[32], uint64_t i)
{
    uint8_t m[24] = "pickaxe-store-test";
    le64_put(m + 16, i);
    sha256(out, m, sizeof m);
}

void sr_blk_parent(uint8_t out[32], uint64_t i)
{
    if (i == 0)
        memset(out, 0, 32);
    else
        sr_blk_hash(out, i - 1);
}

size_t sr_blk_raw(uint8_t out[SR_RAW_MAX], uint64_t i)
{
    uint64_t x = i;
    size_t len = 1 + (size_t)(sr_splitmix(&x) % SR_RAW_MAX);
    for (size_t j = 0; j < len; j += 8) {
        uint8_t v[8];
        le64_put(v, sr_splitmix(&x));
        memcpy(out + j, v, len - j < 8 ? len - j : 8);
    }
    return len;
}

int sr_blk_status(uint64_t i)
{
    return (int)(i % 3);
}

store_block_t sr_blk_make(uint8_t buf[SR_RAW_MAX], uint64_t i)
{
    store_block_t b = {.height = (uint32_t)i, .status = sr_blk_status(i)};
    sr_blk_hash(b.hash, i);
    sr_blk_parent(b.parent, i);
    b.len = sr_blk_raw(buf, i);
    b.raw = buf;
    return b;
}

int sr_put_blk(store_t *s, uint64_t i)
{
    uint8_t buf[SR_RAW_MAX];
    store_block_t b = sr_blk_make(buf, i);
    return store_put_block(s, b.hash, b.parent, b.height, b.status, b.raw,
                           b.len);
}

bool sr_blk_ok(store_t *s, uint64_t i)
{
    uint8_t want[SR_RAW_MAX], h[32];
    size_t want_len = sr_blk_raw(want, i);
    sr_blk_hash(h, i);
    return sr_holds(s, h, want, want_len);
}

/* ---- blocks for the disk tests ---------------------------------------- */

#define SMALL_MIN 100
#define SMALL_MAX 1100
#define BIG_MIN (32 * 1024)

bool sr_big_blocks;

size_t sr_disk_raw(uint8_t out[SR_DISK_RAW_MAX], uint64_t i)
{
    size_t len =
        sr_big_blocks
            ? BIG_MIN + (size_t)((i * 7919) % (SR_DISK_RAW_MAX - BIG_MIN + 1))
            : SMALL_MIN + (size_t)((i * 7919) % (SMALL_MAX - SMALL_MIN + 1));
    for (size_t j = 0; j < len; j++)
        out[j] = (uint8_t)(i * 31 + j);
    return len;
}

int sr_disk_put(store_t *s, uint64_t i, uint64_t *bytes)
{
    uint8_t raw[SR_DISK_RAW_MAX], hash[32], parent[32];
    size_t len = sr_disk_raw(raw, i);
    sr_blk_hash(hash, i);
    sr_blk_parent(parent, i);
    int rc = store_put_block(s, hash, parent, (uint32_t)i, 0, raw, len);
    if (rc == 0 && bytes)
        *bytes += len;
    return rc;
}

int sr_disk_tip_to(store_t *s, uint64_t i)
{
    uint8_t hash[32];
    sr_blk_hash(hash, i);
    return store_set_tip(s, hash);
}

int sr_disk_put_tip(store_t *s, uint64_t i, uint64_t *bytes)
{
    int rc = sr_disk_put(s, i, bytes);
    return rc ? rc : sr_disk_tip_to(s, i);
}

bool sr_disk_ok(store_t *s, uint64_t i)
{
    uint8_t want[SR_DISK_RAW_MAX], hash[32];
    size_t want_len = sr_disk_raw(want, i);
    sr_blk_hash(hash, i);
    return sr_holds(s, hash, want, want_len);
}

uint64_t sr_file_size(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", sr_dir, name);
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

void sr_set_fsize(uint64_t soft)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert(soft <= rl.rlim_max, "the hard file-size limit is too low");
    rl.rlim_cur = (rlim_t)soft;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "%s", strerror(errno));
}

/* ---- stderr ----------------------------------------------------------------
 */

static int saved_stderr = -1;
static FILE *captured;

void sr_capture_start(void)
{
    fflush(stderr);
    captured = tmpfile();
    cr_assert_not_null(captured);
    saved_stderr = dup(STDERR_FILENO);
    cr_assert(saved_stderr >= 0);
    cr_assert(dup2(fileno(captured), STDERR_FILENO) >= 0);
}

const char *sr_capture_end(void)
{
    static char text[8192];
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    rewind(captured);
    size_t n = fread(text, 1, sizeof text - 1, captured);
    text[n] = '\0';
    fclose(captured);
    fputs(text, stderr); /* still visible in a failing test's output */
    return text;
}

void sr_quiet_start(void)
{
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    cr_assert(saved_stderr >= 0 && null >= 0);
    dup2(null, STDERR_FILENO);
    close(null);
}

void sr_quiet_end(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
}
