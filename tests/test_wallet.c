/*
 * Tests for src/core/wallet.c: keys and addresses, the keystore file (mode 0600
 * whatever the umask, atomic and never replacing an existing file, round
 * trip, every kind of corruption refused with the file left untouched,
 * permissions too open refused), load-or-create, and transaction creation
 * and signing with every refusal.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "err.h"
#include "hex.h"
#include "wallet.h"

static char dir[64];
static char path[128];
static uint8_t net[32];

static void setup(void)
{
    strcpy(dir, "/tmp/pickaxe-wallet-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/keystore.json", dir);
    memset(net, 0x42, sizeof net);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                chmod(p, 0700);
                if (unlink(p) != 0)
                    rmdir(p);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

static size_t dir_entries(void)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void write_file(const char *p, const char *text, mode_t mode)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}

static char *read_file(const char *p)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

static void address_of(char out[ADDRESS_MAX_LEN], const wallet_t *w)
{
    cr_assert_eq(wallet_get_public_key_str(w, "px", out, ADDRESS_MAX_LEN), 0);
}

/* ---- keys ------------------------------------------------------------------
 */

Test(wallet, random_wallets_differ_and_address_decodes_to_key)
{
    wallet_t *a = wallet_new_random(), *b = wallet_new_random();
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    char aa[ADDRESS_MAX_LEN], ab[ADDRESS_MAX_LEN];
    address_of(aa, a);
    address_of(ab, b);
    cr_assert_str_neq(aa, ab);

    uint8_t pk[32], decoded[32];
    wallet_get_public_key(a, pk);
    cr_assert_eq(address_decode(decoded, NULL, "px", aa), 0);
    cr_assert_arr_eq(decoded, pk, 32);

    char small[10];
    cr_assert_eq(wallet_get_public_key_str(a, "px", small, sizeof small),
                 ERR_RANGE);
    wallet_free(&a);
    wallet_free(&b);
}

Test(wallet, from_secret_and_free)
{
    uint8_t sk[32], want[32], pk[32];
    /* BIP-340 test vector 1. */
    cr_assert_eq(
        hex_decode(
            sk, 32,
            "B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF"),
        0);
    cr_assert_eq(
        hex_decode(
            want, 32,
            "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659"),
        0);
    wallet_t *w = wallet_new_from_secret(sk);
    cr_assert_not_null(w);
    wallet_get_public_key(w, pk);
    cr_assert_arr_eq(pk, want, 32);
    wallet_free(&w);
    cr_assert_null(w);
    wallet_free(&w);   /* *w == NULL is harmless */
    wallet_free(NULL); /* so is NULL */

    uint8_t zero[32] = {0};
    cr_assert_null(wallet_new_from_secret(zero));
}

/* ---- keystore
 * ----------------------------------------------------------------- */

Test(wallet, keystore_mode_is_0600_whatever_the_umask, .init = setup,
     .fini = teardown)
{
    mode_t masks[] = {0, 022, 077};
    for (int i = 0; i < 3; i++) {
        umask(masks[i]);
        snprintf(path, sizeof path, "%s/ks%d.json", dir, i);
        wallet_t *w = wallet_new_random();
        cr_assert_eq(wallet_save(w, path), 0);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600, "umask %03o gave %03o", masks[i],
                     st.st_mode & 07777);
        cr_assert(S_ISREG(st.st_mode));
        wallet_free(&w);
    }
    /* Only the keystores: no temporary file left behind. */
    cr_assert_eq(dir_entries(), 3);
}

Test(wallet, save_load_round_trip, .init = setup, .fini = teardown)
{
    wallet_t *w = wallet_new_random();
    cr_assert_eq(wallet_save(w, path), 0);
    wallet_t *back = NULL;
    const char *reason = NULL;
    cr_assert_eq(wallet_load(&back, &reason, path), 0, "%s", reason);
    char a1[ADDRESS_MAX_LEN], a2[ADDRESS_MAX_LEN];
    address_of(a1, w);
    address_of(a2, back);
    cr_assert_str_eq(a1, a2);

    /* The file is the documented JSON. */
    char *text = read_file(path);
    cr_assert(strstr(text, "\"version\": 1") != NULL, "%s", text);
    cr_assert(strstr(text, "\"secret_key\": \"") != NULL);
    uint8_t pk[32];
    char pk_hex[65];
    wallet_get_public_key(w, pk);
    hex_encode(pk_hex, pk, 32);
    cr_assert(strstr(text, pk_hex) != NULL);
    free(text);
    wallet_free(&w);
    wallet_free(&back);
}

Test(wallet, save_never_replaces_an_existing_file, .init = setup,
     .fini = teardown)
{
    write_file(path, "precious", 0600);
    wallet_t *w = wallet_new_random();
    cr_assert_eq(wallet_save(w, path), ERR_DUPLICATE);
    char *text = read_file(path);
    cr_assert_str_eq(text, "precious");
    free(text);
    cr_assert_eq(dir_entries(), 1);

    /* Nor a symlink (dangling or not) standing where the keystore goes. */
    char link_path[160];
    snprintf(link_path, sizeof link_path, "%s/link.json", dir);
    cr_assert_eq(symlink("nowhere", link_path), 0);
    cr_assert_eq(wallet_save(w, link_path), ERR_DUPLICATE);
    wallet_free(&w);
}

Test(wallet, save_into_a_missing_directory_fails_cleanly, .init = setup,
     .fini = teardown)
{
    char p[160];
    snprintf(p, sizeof p, "%s/no/such/dir/ks.json", dir);
    wallet_t *w = wallet_new_random();
    cr_assert_eq(wallet_save(w, p), ERR_IO);
    cr_assert_eq(dir_entries(), 0);
    wallet_free(&w);
}

Test(wallet, load_missing_file, .init = setup, .fini = teardown)
{
    wallet_t *w = NULL;
    const char *reason = NULL;
    cr_assert_eq(wallet_load(&w, &reason, path), ERR_NOT_FOUND);
    cr_assert_null(w);
    cr_assert_str_eq(reason, "keystore not found");
}

static void expect_refused(const char *content, int code, const char *want)
{
    write_file(path, content, 0600);
    struct stat before, after;
    cr_assert_eq(stat(path, &before), 0);
    wallet_t *w = NULL;
    const char *reason = NULL;
    cr_assert_eq(wallet_load(&w, &reason, path), code, "content: %s", content);
    cr_assert_null(w);
    cr_assert_not_null(reason);
    cr_assert(strstr(reason, want) != NULL, "reason \"%s\", expected \"%s\"",
              reason, want);
    /* wallet_load_or_create refuses too, and never replaces the file. */
    bool created = true;
    cr_assert_eq(wallet_load_or_create(&w, &created, &reason, path), code);
    cr_assert_null(w);
    char *text = read_file(path);
    cr_assert_str_eq(text, content, "keystore modified");
    free(text);
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_eq(before.st_ino, after.st_ino, "keystore replaced");
    cr_assert_eq(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    cr_assert_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    cr_assert_eq(dir_entries(), 1);
}

#define SK_OK "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"
#define PK_OK "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"

Test(wallet, corrupted_keystores_are_refused_and_left_untouched, .init = setup,
     .fini = teardown)
{
    /* The well-formed file this test corrupts loads. */
    write_file(path,
               "{\"version\": 1, \"public_key\": \"" PK_OK
               "\", \"secret_key\": \"" SK_OK "\"}",
               0600);
    wallet_t *w = NULL;
    cr_assert_eq(wallet_load(&w, NULL, path), 0);
    wallet_free(&w);
    cr_assert_eq(unlink(path), 0);

    expect_refused("", ERR_PARSE, "not valid JSON");
    expect_refused("{\"version\": 1, \"secret_key\": \"" SK_OK, ERR_PARSE,
                   "not valid JSON");
    expect_refused("[1, 2]", ERR_PARSE, "not a JSON object");
    expect_refused("{\"secret_key\": \"" SK_OK "\"}", ERR_PARSE, "version");
    expect_refused("{\"version\": 2, \"secret_key\": \"" SK_OK "\"}", ERR_PARSE,
                   "version");
    expect_refused("{\"version\": \"1\", \"secret_key\": \"" SK_OK "\"}",
                   ERR_PARSE, "version");
    expect_refused("{\"version\": 1}", ERR_PARSE, "no secret_key");
    expect_refused("{\"version\": 1, \"secret_key\": 5}", ERR_PARSE,
                   "no secret_key");
    /* One hex digit short, one too many, a non-hex character. */
    expect_refused("{\"version\": 1, \"secret_key\": "
                   "\"b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d904"
                   "5190cfe\"}",
                   ERR_PARSE, "64 hexadecimal");
    expect_refused("{\"version\": 1, \"secret_key\": \"" SK_OK "0\"}",
                   ERR_PARSE, "64 hexadecimal");
    expect_refused("{\"version\": 1, \"secret_key\": "
                   "\"g7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d904"
                   "5190cfef\"}",
                   ERR_PARSE, "64 hexadecimal");
    /* Zero, and the curve order: not secret keys. */
    expect_refused("{\"version\": 1, \"secret_key\": "
                   "\"0000000000000000000000000000000000000000000000000000000"
                   "000000000\"}",
                   ERR_PARSE, "not a valid secp256k1 secret key");
    expect_refused("{\"version\": 1, \"secret_key\": "
                   "\"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8"
                   "cd0364141\"}",
                   ERR_PARSE, "not a valid secp256k1 secret key");
    /* A flipped digit in the secret no longer matches the public key. */
    expect_refused("{\"version\": 1, \"public_key\": \"" PK_OK
                   "\", \"secret_key\": "
                   "\"b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d904"
                   "5190cfee\"}",
                   ERR_PARSE, "does not match");
    expect_refused(
        "{\"version\": 1, \"public_key\": 7, \"secret_key\": \"" SK_OK "\"}",
        ERR_PARSE, "does not match");
    /* Duplicate keys are ambiguous. */
    expect_refused("{\"version\": 1, \"secret_key\": \"" SK_OK
                   "\", \"secret_key\": \"" SK_OK "\"}",
                   ERR_PARSE, "not valid JSON");

    /* Larger than any keystore. */
    char big[WALLET_KEYSTORE_MAX_SIZE + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_refused(big, ERR_PARSE, "too large");
}

Test(wallet, permissions_too_open_are_refused, .init = setup, .fini = teardown)
{
    wallet_t *w = wallet_new_random();
    cr_assert_eq(wallet_save(w, path), 0);
    wallet_free(&w);
    mode_t modes[] = {0644, 0640, 0604, 0602, 0620, 0666};
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(chmod(path, modes[i]), 0);
        const char *reason = NULL;
        cr_assert_eq(wallet_load(&w, &reason, path), ERR_INVALID, "mode %03o",
                     modes[i]);
        cr_assert(strstr(reason, "permissions") != NULL);
        cr_assert_null(w);
    }
    cr_assert_eq(chmod(path, 0400), 0); /* read-only for the owner is fine */
    cr_assert_eq(wallet_load(&w, NULL, path), 0);
    wallet_free(&w);
}

Test(wallet, a_directory_is_not_a_keystore, .init = setup, .fini = teardown)
{
    cr_assert_eq(mkdir(path, 0700), 0);
    wallet_t *w = NULL;
    const char *reason = NULL;
    cr_assert_eq(wallet_load(&w, &reason, path), ERR_INVALID);
    cr_assert_str_eq(reason, "keystore is not a regular file");
}

Test(wallet, load_or_create, .init = setup, .fini = teardown)
{
    wallet_t *w = NULL;
    bool created = false;
    const char *reason = NULL;
    cr_assert_eq(wallet_load_or_create(&w, &created, &reason, path), 0);
    cr_assert(created);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    char a1[ADDRESS_MAX_LEN], a2[ADDRESS_MAX_LEN];
    address_of(a1, w);
    wallet_free(&w);

    cr_assert_eq(wallet_load_or_create(&w, &created, &reason, path), 0);
    cr_assert_not(created);
    address_of(a2, w);
    cr_assert_str_eq(a1, a2);
    wallet_free(&w);
    cr_assert_eq(dir_entries(), 1);
}

/* ---- transactions
 * ---------------------------------------------------------------- */

Test(wallet, created_transaction_verifies, .init = setup, .fini = teardown)
{
    wallet_t *me = wallet_new_random(), *you = wallet_new_random();
    char to[ADDRESS_MAX_LEN];
    address_of(to, you);
    tx_t tx;
    const char *reason = NULL;
    cr_assert_eq(wallet_create_transaction(me, &tx, &reason, to, 3 * COIN, 1000,
                                           4, true, "px", net),
                 0, "%s", reason);
    cr_assert_eq(tx.kind, TX_TRANSFER);
    cr_assert_eq(tx.amount, 3 * COIN);
    cr_assert_eq(tx.fee, 1000);
    cr_assert_eq(tx.nonce, 4);
    uint8_t pk[32];
    wallet_get_public_key(me, pk);
    cr_assert_arr_eq(tx.sender, pk, 32);
    wallet_get_public_key(you, pk);
    cr_assert_arr_eq(tx.recipient, pk, 32);
    cr_assert(tx_verify_signature(&tx, net));
    uint8_t other_net[32] = {0};
    cr_assert_not(tx_verify_signature(&tx, other_net));

    uint8_t id1[32], id2[32];
    wallet_compute_txid(&tx, id1);
    tx_compute_txid(id2, &tx);
    cr_assert_arr_eq(id1, id2, 32);
    wallet_free(&me);
    wallet_free(&you);
}

Test(wallet, unsigned_transaction_does_not_verify)
{
    wallet_t *me = wallet_new_random();
    char to[ADDRESS_MAX_LEN];
    address_of(to, me); /* sending to yourself is allowed */
    tx_t tx;
    cr_assert_eq(wallet_create_transaction(me, &tx, NULL, to, 1, 0, 0, false,
                                           "px", NULL),
                 0);
    cr_assert(tx_is_unsigned(&tx));
    uint8_t net0[32] = {0};
    cr_assert_not(tx_verify_signature(&tx, net0));
    /* Signing it afterwards makes it valid, with the same txid. */
    uint8_t id1[32], id2[32];
    wallet_compute_txid(&tx, id1);
    cr_assert_eq(wallet_sign_transaction(me, &tx, net0), 0);
    cr_assert(tx_verify_signature(&tx, net0));
    wallet_compute_txid(&tx, id2);
    cr_assert_arr_eq(id1, id2, 32);
    wallet_free(&me);
}

Test(wallet, sign_refuses_another_senders_transfer)
{
    wallet_t *me = wallet_new_random(), *you = wallet_new_random();
    uint8_t pk_you[32], pk_me[32], net0[32] = {0};
    wallet_get_public_key(you, pk_you);
    wallet_get_public_key(me, pk_me);
    tx_t tx;
    tx_init_transfer(&tx, pk_you, pk_me, 1, 0, 0);
    cr_assert_eq(wallet_sign_transaction(me, &tx, net0), ERR_ARG);
    cr_assert(tx_is_unsigned(&tx));
    wallet_free(&me);
    wallet_free(&you);
}

static void expect_create_refused(const wallet_t *w, const char *to,
                                  uint64_t amount, uint64_t fee,
                                  const char *want)
{
    tx_t tx;
    memset(&tx, 0x77, sizeof tx);
    const char *reason = NULL;
    uint8_t net0[32] = {0};
    cr_assert_eq(wallet_create_transaction(w, &tx, &reason, to, amount, fee, 0,
                                           true, "px", net0),
                 ERR_ARG, "accepted %s %llu+%llu", to,
                 (unsigned long long)amount, (unsigned long long)fee);
    cr_assert_not_null(reason);
    cr_assert_str_eq(reason, want);
    cr_assert_eq(tx.kind, 0x77, "tx written on failure");
}

Test(wallet, create_refuses_bad_input)
{
    wallet_t *me = wallet_new_random();
    char to[ADDRESS_MAX_LEN], typo[ADDRESS_MAX_LEN], other[ADDRESS_MAX_LEN];
    address_of(to, me);
    uint8_t pk[32];
    wallet_get_public_key(me, pk);
    cr_assert_eq(address_encode(other, sizeof other, "pxrt", pk), 0);
    strcpy(typo, to);
    typo[20] = typo[20] == 'q' ? 'p' : 'q';

    expect_create_refused(me, typo, 1, 0, "bad checksum (mistyped character?)");
    expect_create_refused(me, other, 1, 0, "wrong network prefix");
    expect_create_refused(me, "", 1, 0, "empty address");
    expect_create_refused(me, to, 0, 10, "amount must be more than zero");
    expect_create_refused(me, to, UINT64_MAX, 1, "amount plus fee overflows");
    expect_create_refused(me, to, 1, UINT64_MAX, "amount plus fee overflows");
    expect_create_refused(me, to, MAX_MONEY, 1,
                          "amount plus fee exceeds the money supply limit");
    expect_create_refused(me, to, MAX_MONEY + 1, 0,
                          "amount plus fee exceeds the money supply limit");

    /* The limit itself is allowed. */
    tx_t tx;
    uint8_t net0[32] = {0};
    cr_assert_eq(wallet_create_transaction(me, &tx, NULL, to, MAX_MONEY, 0, 0,
                                           true, "px", net0),
                 0);
    cr_assert_eq(wallet_create_transaction(me, &tx, NULL, to, MAX_MONEY - 5, 5,
                                           0, true, "px", net0),
                 0);
    wallet_free(&me);
}
