/*
 * Tests for src/node/store_dir.c, through store_open(): the data directory
 * is made with its missing parents and mode 0700, is found the same
 * through a symlink, is refused (and logged) when it cannot be made; and
 * one store per directory, in one process and across processes, with the
 * holder's pid in the refusal.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "store_rig.h"

TestSuite(store_dir, .init = sr_make_tmp, .fini = sr_remove_tmp, .timeout = 60);

Test(store_dir, creates_private_directories)
{
    char nested[192];
    snprintf(nested, sizeof nested, "%s/a/b/c", sr_root);
    store_t *s = sr_open(nested);
    store_close(&s);
    struct stat sb;
    cr_assert_eq(stat(nested, &sb), 0);
    cr_assert(S_ISDIR(sb.st_mode));
    cr_assert_eq(sb.st_mode & 0777, 0700);
    char db[256];
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, nested);
    cr_assert_eq(stat(db, &sb), 0);
    store_close(&s); /* already NULL: harmless */
    store_close(NULL);
}

Test(store_dir, opens_through_a_symlinked_directory)
{
    char link[192], via[256];
    cr_assert_eq(mkdir(sr_dir, 0700), 0);
    snprintf(link, sizeof link, "%s/link", sr_root);
    cr_assert_eq(symlink(sr_dir, link), 0);
    snprintf(via, sizeof via, "%s/node", link);
    store_t *s = sr_open(via);
    cr_assert_eq(sr_put_blk(s, 0), 0);
    store_close(&s);
    /* The same directory by its real path: same store, same lock. */
    snprintf(via, sizeof via, "%s/node", sr_dir);
    s = sr_open(via);
    cr_assert(sr_blk_ok(s, 0));
    store_close(&s);
}

Test(store_dir, refuses_a_directory_it_cannot_create)
{
    char file[192], under[256];
    snprintf(file, sizeof file, "%s/plainfile", sr_root);
    FILE *f = fopen(file, "wb");
    cr_assert_not_null(f, "%s: %s", file, strerror(errno));
    cr_assert_eq(fputc('x', f), 'x');
    cr_assert_eq(fclose(f), 0);
    snprintf(under, sizeof under, "%s/sub", file);

    store_t *s = (store_t *)&s; /* a sentinel that must survive failure */
    sr_capture_start();
    int rc1 = store_open(&s, under, 0); /* parent is a file */
    int rc2 = store_open(&s, file, 0);  /* the directory is a file */
    const char *log = sr_capture_end();
    cr_assert_eq(rc1, ERR_IO);
    cr_assert_eq(rc2, ERR_IO);
    cr_assert_eq(s, (store_t *)&s);
    cr_assert_not_null(strstr(log, "cannot create data directory"), "%s", log);
    cr_assert_not_null(strstr(log, "not a directory"), "%s", log);
    cr_assert_eq(store_open(&s, sr_dir, 0x80), ERR_ARG);
    cr_assert_eq(store_open(&s, "", 0), ERR_ARG);
}

Test(store_dir, one_open_per_directory_in_one_process)
{
    store_t *a = sr_open(sr_dir), *b = NULL;
    sr_capture_start();
    int rc = store_open(&b, sr_dir, 0);
    const char *log = sr_capture_end();
    cr_assert_eq(rc, ERR_IO);
    cr_assert_null(b);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    cr_assert_not_null(strstr(log, "in use by another pickaxe process"), "%s",
                       log);
    cr_assert_not_null(strstr(log, pid), "%s", log);
    /* The refused open did not disturb the holder. */
    cr_assert_eq(sr_put_blk(a, 0), 0);
    store_close(&a);
    b = sr_open(sr_dir);
    cr_assert(sr_blk_ok(b, 0));
    store_close(&b);
}

Test(store_dir, one_open_per_directory_across_processes)
{
    int up[2], down[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(down), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        store_t *s = NULL;
        char c = store_open(&s, sr_dir, 0) == 0 ? 'y' : 'n';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) < 0)
            _exit(2);
        store_close(&s);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char c = 0;
    cr_assert_eq(read(up[0], &c, 1), 1);
    cr_assert_eq(c, 'y', "child could not open the store");

    store_t *s = NULL;
    sr_capture_start();
    int rc = store_open(&s, sr_dir, 0);
    const char *log = sr_capture_end();
    char want[32];
    snprintf(want, sizeof want, "pid %ld", (long)pid);
    close(down[1]); /* lets the child close and exit */
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(rc, ERR_IO);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, want), "%s", log);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    s = sr_open(sr_dir);
    store_close(&s);
    close(up[0]);
}
