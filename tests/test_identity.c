/*
 * Tests for net/identity.c: a key file is made with mode 0600 on first use
 * and read back unchanged (the same peer after a restart); its public key
 * is the one libzmq derives from its secret key; a file others may read, a
 * file that is no key pair and one whose halves do not match are refused
 * and left alone; keys round-trip through hex.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "identity.h"

static char root[64], path[128];

static void make_root(void)
{
    strcpy(root, "/tmp/pickaxe-identity-XXXXXX");
    cr_assert_not_null(mkdtemp(root), "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/%s", root, IDENTITY_FILE);
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(identity, .init = make_root, .fini = remove_root);

static void write_file(const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

Test(identity, made_0600_on_first_use_and_the_same_after)
{
    identity_t a, b;
    bool created = false;
    char why[256];
    cr_assert_eq(identity_load_or_create(&a, &created, why, sizeof why, path),
                 0, "%s", why);
    cr_assert(created);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);

    cr_assert_eq(identity_load_or_create(&b, &created, why, sizeof why, path),
                 0, "%s", why);
    cr_assert_not(created);
    cr_assert_arr_eq(a.pub, b.pub, IDENTITY_KEY_SIZE);
    cr_assert_arr_eq(a.sec, b.sec, IDENTITY_KEY_SIZE);
    cr_assert_not(identity_key_is_zero(a.pub));

    /* The public half is what libzmq derives from the secret half. */
    char sec[41], pub[41];
    uint8_t derived[32];
    cr_assert_not_null(zmq_z85_encode(sec, a.sec, 32));
    cr_assert_eq(zmq_curve_public(pub, sec), 0);
    cr_assert_not_null(zmq_z85_decode(derived, pub));
    cr_assert_arr_eq(derived, a.pub, 32);
}

Test(identity, two_fresh_pairs_differ)
{
    identity_t a, b;
    cr_assert_eq(identity_generate(&a), 0);
    cr_assert_eq(identity_generate(&b), 0);
    cr_assert(memcmp(a.pub, b.pub, 32) != 0);
}

Test(identity, a_file_others_may_read_is_refused_and_kept)
{
    identity_t a;
    cr_assert_eq(identity_load_or_create(&a, NULL, NULL, 0, path), 0);
    cr_assert_eq(chmod(path, 0644), 0);
    char why[256] = "";
    identity_t b;
    cr_assert_eq(identity_load_or_create(&b, NULL, why, sizeof why, path),
                 ERR_INVALID);
    cr_assert(strstr(why, "may be read by others"), "%s", why);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644, "left as it was");
}

Test(identity, garbage_and_mismatched_halves_are_refused)
{
    char why[256];
    identity_t k;
    write_file("hello\n", 0600);
    cr_assert_eq(identity_load_or_create(&k, NULL, why, sizeof why, path),
                 ERR_PARSE);
    cr_assert(strstr(why, "is not a pickaxe key pair"), "%s", why);

    identity_t a, b;
    cr_assert_eq(identity_generate(&a), 0);
    cr_assert_eq(identity_generate(&b), 0);
    char pa[65], sb[65], text[256];
    identity_key_hex(pa, a.pub);
    identity_key_hex(sb, b.sec);
    snprintf(text, sizeof text, "public %s\nsecret %s\n", pa, sb);
    write_file(text, 0600);
    cr_assert_eq(identity_load_or_create(&k, NULL, why, sizeof why, path),
                 ERR_INVALID);
    cr_assert(strstr(why, "does not belong"), "%s", why);
}

Test(identity, keys_round_trip_through_hex)
{
    identity_t a;
    cr_assert_eq(identity_generate(&a), 0);
    char hex[IDENTITY_HEX_LEN + 1];
    identity_key_hex(hex, a.pub);
    cr_assert_eq(strlen(hex), 64);
    uint8_t back[32];
    cr_assert_eq(identity_parse_key(back, hex), 0);
    cr_assert_arr_eq(back, a.pub, 32);
    cr_assert_eq(identity_parse_key(back, "abc"), ERR_PARSE);
    hex[10] = 'x';
    cr_assert_eq(identity_parse_key(back, hex), ERR_PARSE);
    cr_assert_eq(identity_parse_key(back, NULL), ERR_PARSE);
}
