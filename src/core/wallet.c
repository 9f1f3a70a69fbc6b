/*
 * wallet — one key, its keystore, its address and its transfers (see
 * wallet.h).
 *
 * The keystore is written by hand (a fixed JSON shape with hex strings needs
 * no escaping) into a stack buffer that is wiped afterwards, and read with
 * jansson. Every buffer that held the secret or its hex is wiped before it is
 * released.
 */
#include "wallet.h"
#include "address.h"
#include "err.h"
#include "hex.h"
#include "keys.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct wallet {
    keys_keypair_t kp; /* secret */
    uint8_t pubkey[32];
};

static wallet_t *wallet_from_keypair(const keys_keypair_t *kp)
{
    wallet_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->kp = *kp;
    keys_keypair_xonly(w->pubkey, &w->kp);
    return w;
}

wallet_t *wallet_new_random(void)
{
    keys_keypair_t kp;
    if (keys_keypair_generate(&kp) != 0)
        return NULL;
    wallet_t *w = wallet_from_keypair(&kp);
    keys_keypair_wipe(&kp);
    return w;
}

wallet_t *wallet_new_from_secret(const uint8_t seckey[32])
{
    keys_keypair_t kp;
    if (keys_keypair_from_secret(&kp, seckey) != 0)
        return NULL;
    wallet_t *w = wallet_from_keypair(&kp);
    keys_keypair_wipe(&kp);
    return w;
}

void wallet_free(wallet_t **w)
{
    if (!w || !*w)
        return;
    explicit_bzero(*w, sizeof **w);
    free(*w);
    *w = NULL;
}

/* ---- keystore: reading -----------------------------------------------------
 */

static int fail(const char **reason, int code, const char *why)
{
    if (reason)
        *reason = why;
    return code;
}

/* Reads the whole file into buf (wiped by the caller) after checking that it
 * is a private regular file of reasonable size. */
static int read_keystore(char *buf, size_t cap, size_t *len,
                         const char **reason, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? fail(reason, ERR_NOT_FOUND, "keystore not found")
                   : fail(reason, ERR_IO, "cannot open keystore");
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = fail(reason, ERR_IO, "cannot read keystore");
    else if (!S_ISREG(st.st_mode))
        rc = fail(reason, ERR_INVALID, "keystore is not a regular file");
    else if (st.st_mode & 077)
        rc = fail(reason, ERR_INVALID,
                  "keystore permissions are too open (group or others may "
                  "access it; run chmod 600 on it)");
    size_t n = 0;
    while (rc == 0) {
        if (n == cap) {
            rc = fail(reason, ERR_PARSE, "keystore is too large");
            break;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = fail(reason, ERR_IO, "cannot read keystore");
        else if (got == 0)
            break;
        else
            n += (size_t)got;
    }
    close(fd);
    if (rc == 0)
        *len = n;
    return rc;
}

/* Overwrites a jansson string's bytes in place before the value is freed:
 * jansson owns the buffer, and it is not const memory. */
static void wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

/* Decodes the parsed keystore into a keypair. */
static int keystore_keypair(keys_keypair_t *kp, const char **reason,
                            json_t *root)
{
    if (!json_is_object(root))
        return fail(reason, ERR_PARSE, "keystore is not a JSON object");
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) ||
        json_integer_value(ver) != WALLET_KEYSTORE_VERSION)
        return fail(reason, ERR_PARSE,
                    "keystore version is missing or unsupported");
    json_t *sec = json_object_get(root, "secret_key");
    if (!json_is_string(sec))
        return fail(reason, ERR_PARSE, "keystore has no secret_key string");
    uint8_t seckey[32];
    if (hex_decode(seckey, sizeof seckey, json_string_value(sec)) != 0)
        return fail(reason, ERR_PARSE,
                    "secret_key is not 64 hexadecimal characters");
    int rc = keys_keypair_from_secret(kp, seckey);
    explicit_bzero(seckey, sizeof seckey);
    if (rc != 0)
        return fail(reason, ERR_PARSE,
                    "secret_key is not a valid secp256k1 secret key");
    json_t *pub = json_object_get(root, "public_key");
    if (pub) {
        uint8_t want[32], got[32];
        keys_keypair_xonly(got, kp);
        if (!json_is_string(pub) ||
            hex_decode(want, sizeof want, json_string_value(pub)) != 0 ||
            memcmp(want, got, 32) != 0) {
            keys_keypair_wipe(kp);
            return fail(reason, ERR_PARSE,
                        "public_key does not match secret_key");
        }
    }
    return 0;
}

int wallet_load(wallet_t **out, const char **reason, const char *path)
{
    /* One spare byte tells a file of exactly the maximum from a larger one. */
    char buf[WALLET_KEYSTORE_MAX_SIZE + 1];
    size_t len = 0;
    int rc = read_keystore(buf, sizeof buf, &len, reason, path);
    json_error_t jerr;
    if (rc == 0) {
        json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
            /* jansson's message may quote the text near the error, which
             * could be part of the secret: it is neither shown nor kept. */
            rc = fail(reason, ERR_PARSE, "keystore is not valid JSON");
        } else {
            keys_keypair_t kp;
            rc = keystore_keypair(&kp, reason, root);
            if (rc == 0) {
                wallet_t *w = wallet_from_keypair(&kp);
                keys_keypair_wipe(&kp);
                if (w)
                    *out = w;
                else
                    rc = fail(reason, ERR_NOMEM, "out of memory");
            }
            wipe_json_string(json_object_get(root, "secret_key"));
            json_decref(root);
        }
    }
    explicit_bzero(buf, sizeof buf);
    explicit_bzero(&jerr, sizeof jerr);
    return rc;
}

/* ---- keystore: writing -----------------------------------------------------
 */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ERR_IO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Moves tmp to path unless path exists. Returns 0, ERR_DUPLICATE, ERR_IO. */
static int move_no_replace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return ERR_DUPLICATE;
    if (errno != EINVAL && errno != ENOSYS)
        return ERR_IO;
    /* The file system lacks RENAME_NOREPLACE: link(2) also refuses to
     * replace, and is just as atomic. */
    if (link(tmp, path) != 0)
        return errno == EEXIST ? ERR_DUPLICATE : ERR_IO;
    unlink(tmp);
    return 0;
}

/* fsyncs the directory holding path, so the new name itself is durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return ERR_IO;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    int rc = fsync(fd) == 0 ? 0 : ERR_IO;
    close(fd);
    return rc;
}

int wallet_save(const wallet_t *w, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return ERR_DUPLICATE;

    uint8_t seckey[32];
    char sec_hex[65], pub_hex[65], text[256];
    keys_keypair_secret(seckey, &w->kp);
    hex_encode(sec_hex, seckey, 32);
    hex_encode(pub_hex, w->pubkey, 32);
    int n = snprintf(text, sizeof text,
                     "{\n  \"version\": %d,\n  \"public_key\": \"%s\",\n"
                     "  \"secret_key\": \"%s\"\n}\n",
                     WALLET_KEYSTORE_VERSION, pub_hex, sec_hex);
    explicit_bzero(seckey, sizeof seckey);
    explicit_bzero(sec_hex, sizeof sec_hex);

    int rc = 0;
    char *tmp = NULL;
    size_t plen = strlen(path);
    if (n < 0 || (size_t)n >= sizeof text)
        rc = ERR_IO;
    else if (!(tmp = malloc(plen + sizeof ".tmp-XXXXXX")))
        rc = ERR_NOMEM;
    int fd = -1;
    if (rc == 0) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
            rc = ERR_IO;
    }
    if (rc == 0 && (fchmod(fd, 0600) != 0 ||
                    write_all(fd, text, (size_t)n) != 0 || fsync(fd) != 0))
        rc = ERR_IO;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    explicit_bzero(text, sizeof text);
    if (rc == 0)
        rc = move_no_replace(tmp, path);
    if (fd >= 0 && rc != 0)
        unlink(tmp); /* not moved into place: leave nothing behind */
    if (rc == 0 && sync_dir(path) != 0)
        log_warn("wallet", "could not fsync the directory of %s", path);
    free(tmp);
    return rc;
}

int wallet_load_or_create(wallet_t **out, bool *created, const char **reason,
                          const char *path)
{
    /* Two tries: if another process creates the keystore between our load
     * and our save, the save refuses to replace it and we load theirs. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = wallet_load(out, reason, path);
        if (rc != ERR_NOT_FOUND) {
            if (rc == 0 && created)
                *created = false;
            return rc;
        }
        wallet_t *w = wallet_new_random();
        if (!w)
            return fail(reason, ERR_IO, "cannot generate a key");
        rc = wallet_save(w, path);
        if (rc == 0) {
            *out = w;
            if (created)
                *created = true;
            return 0;
        }
        wallet_free(&w);
        if (rc != ERR_DUPLICATE)
            return fail(reason, rc, "cannot write keystore");
    }
    return fail(reason, ERR_IO, "keystore keeps appearing and vanishing");
}

/* ---- keys and transactions
 * --------------------------------------------------- */

void wallet_get_public_key(const wallet_t *w, uint8_t out[32])
{
    memcpy(out, w->pubkey, 32);
}

int wallet_get_public_key_str(const wallet_t *w, const char *hrp, char *out,
                              size_t len)
{
    return address_encode(out, len, hrp, w->pubkey);
}

int wallet_sign_transaction(const wallet_t *w, tx_t *tx,
                            const uint8_t network_id[32])
{
    return tx_sign(tx, &w->kp, network_id);
}

int wallet_create_transaction(const wallet_t *w, tx_t *tx_out,
                              const char **reason, const char *recipient,
                              uint64_t amount, uint64_t fee, uint64_t nonce,
                              bool sign, const char *hrp,
                              const uint8_t network_id[32])
{
    uint8_t to[32];
    const char *why = NULL;
    if (address_decode(to, &why, hrp, recipient) != 0)
        return fail(reason, ERR_ARG, why);
    if (amount == 0)
        return fail(reason, ERR_ARG, "amount must be more than zero");
    if (amount > UINT64_MAX - fee)
        return fail(reason, ERR_ARG, "amount plus fee overflows");
    if (amount + fee > MAX_MONEY)
        return fail(reason, ERR_ARG,
                    "amount plus fee exceeds the money supply limit");
    tx_t tx;
    tx_init_transfer(&tx, w->pubkey, to, amount, fee, nonce);
    if (sign) {
        if (!network_id)
            return fail(reason, ERR_ARG, "no network id to sign for");
        int rc = tx_sign(&tx, &w->kp, network_id);
        if (rc != 0)
            return fail(reason, rc, "signing failed");
    }
    *tx_out = tx;
    return 0;
}

void wallet_compute_txid(const tx_t *tx, uint8_t out[32])
{
    tx_compute_txid(out, tx);
}
