/*
 * Tests for src/programs/keystore.c: a keystore is created with its
 * directory (mode 0700) and opened again with the same key and address; a
 * file that is no keystore is refused, said on stderr, and left alone.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "keystore.h"
#include "log.h"
#include "params.h"
#include "wallet.h"

static char root[64];

static void make_root(void)
{
    strcpy(root, "/tmp/pickaxe-keystore-XXXXXX");
    cr_assert_not_null(mkdtemp(root), "mkdtemp: %s", strerror(errno));
    log_set_level(LOG_ERROR);
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(keystore, .init = make_root, .fini = remove_root);

Test(keystore, created_with_its_directory_then_opened_again)
{
    char path[128], dir[96], a1[ADDRESS_MAX_LEN], a2[ADDRESS_MAX_LEN];
    snprintf(dir, sizeof dir, "%s/a/b", root);
    snprintf(path, sizeof path, "%s/w.keystore", dir);
    const params_t *p = params_regtest();
    wallet_t *w = keystore_open(a1, sizeof a1, path, p, "test", "key", true);
    cr_assert_not_null(w);
    uint8_t k1[32], k2[32];
    wallet_get_public_key(w, k1);
    wallet_free(&w);
    struct stat sb;
    cr_assert_eq(stat(dir, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0077, 0, "the key is readable by others");
    cr_assert_eq(strncmp(a1, "pxrt1", 5), 0, "%s", a1);

    w = keystore_open(a2, sizeof a2, path, p, "test", "key", true);
    cr_assert_not_null(w);
    wallet_get_public_key(w, k2);
    wallet_free(&w);
    cr_assert_arr_eq(k1, k2, 32, "another key the second time");
    cr_assert_str_eq(a1, a2);
}

Test(keystore, a_file_that_is_no_keystore_is_refused_and_kept)
{
    cr_redirect_stderr();
    char path[128], addr[ADDRESS_MAX_LEN];
    snprintf(path, sizeof path, "%s/notes.txt", root);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("not a key\n", f);
    cr_assert_eq(fclose(f), 0);
    wallet_t *w = keystore_open(addr, sizeof addr, path, params_regtest(),
                                "test", "key", true);
    cr_assert_null(w);
    fflush(stderr);
    char line[512] = "";
    FILE *err = cr_get_redirected_stderr();
    cr_assert_not_null(fgets(line, sizeof line, err));
    cr_assert_not_null(strstr(line, path), "%s", line);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    char back[32] = "";
    cr_assert_not_null(fgets(back, sizeof back, f));
    fclose(f);
    cr_assert_str_eq(back, "not a key\n");
}
