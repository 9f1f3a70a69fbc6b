/*
 * identity — key pairs and the file that keeps one (see identity.h).
 */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "err.h"
#include "hex.h"

int identity_generate(identity_t *id)
{
    char pub[41], sec[41];
    if (!zmq_has("curve"))
        return ERR_UNSUPPORTED;
    if (zmq_curve_keypair(pub, sec) != 0)
        return ERR_NOMEM;
    identity_t k;
    int rc = zmq_z85_decode(k.pub, pub) && zmq_z85_decode(k.sec, sec)
                 ? 0
                 : ERR_NOMEM;
    explicit_bzero(sec, sizeof sec);
    if (rc == 0)
        *id = k;
    identity_wipe(&k);
    return rc;
}

void identity_key_hex(char *out, const uint8_t key[IDENTITY_KEY_SIZE])
{
    hex_encode(out, key, IDENTITY_KEY_SIZE);
}

int identity_parse_key(uint8_t key[IDENTITY_KEY_SIZE], const char *hex)
{
    return hex ? hex_decode(key, IDENTITY_KEY_SIZE, hex) : ERR_PARSE;
}

bool identity_key_is_zero(const uint8_t key[IDENTITY_KEY_SIZE])
{
    uint8_t acc = 0;
    for (size_t i = 0; i < IDENTITY_KEY_SIZE; i++)
        acc |= key[i];
    return acc == 0;
}

void identity_wipe(identity_t *id)
{
    if (id)
        explicit_bzero(id, sizeof *id);
}

/* The public key that belongs to a secret key (libzmq computes it). */
static bool halves_match(const identity_t *id)
{
    char sec[41], pub[41];
    uint8_t derived[IDENTITY_KEY_SIZE];
    bool ok = zmq_z85_encode(sec, id->sec, IDENTITY_KEY_SIZE) &&
              zmq_curve_public(pub, sec) == 0 && zmq_z85_decode(derived, pub) &&
              memcmp(derived, id->pub, sizeof derived) == 0;
    explicit_bzero(sec, sizeof sec);
    return ok;
}

static int parse_file(identity_t *id, const char *text)
{
    char pub[IDENTITY_HEX_LEN + 1], sec[IDENTITY_HEX_LEN + 1];
    char tail;
    identity_t k;
    int rc = ERR_PARSE;
    if (sscanf(text, "public %64s secret %64s %c", pub, sec, &tail) == 2 &&
        identity_parse_key(k.pub, pub) == 0 &&
        identity_parse_key(k.sec, sec) == 0) {
        *id = k;
        rc = 0;
    }
    explicit_bzero(sec, sizeof sec);
    identity_wipe(&k);
    return rc;
}

static int load(identity_t *id, char *why, size_t why_len, const char *path,
                int fd)
{
    struct stat st;
    char text[256];
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && !(st.st_mode & 077))
        n = read(fd, text, sizeof text - 1);
    else if (fstat(fd, &st) == 0) {
        snprintf(why, why_len,
                 "%s may be read by others (mode %04o): make it 0600 "
                 "(chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        return ERR_INVALID;
    }
    if (n < 0) {
        snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    text[n] = '\0';
    identity_t k;
    int rc = parse_file(&k, text);
    explicit_bzero(text, sizeof text);
    if (rc) {
        snprintf(why, why_len, "%s is not a pickaxe key pair", path);
        return rc;
    }
    if (!halves_match(&k)) {
        identity_wipe(&k);
        snprintf(why, why_len,
                 "%s: its public key does not belong to its secret key", path);
        return ERR_INVALID;
    }
    *id = k;
    identity_wipe(&k);
    return 0;
}

static int create(identity_t *id, char *why, size_t why_len, const char *path)
{
    identity_t k;
    int rc = identity_generate(&k);
    if (rc) {
        snprintf(why, why_len, "cannot make a key pair: %s", err_str(rc));
        return rc;
    }
    char text[2 * IDENTITY_HEX_LEN + 32], pub[IDENTITY_HEX_LEN + 1],
        sec[IDENTITY_HEX_LEN + 1];
    identity_key_hex(pub, k.pub);
    identity_key_hex(sec, k.sec);
    int len = snprintf(text, sizeof text, "public %s\nsecret %s\n", pub, sec);
    explicit_bzero(sec, sizeof sec);
    /* Exclusive: two processes starting on one directory do not both
     * write a key; the loser reads the winner's. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    rc = 0;
    if (fd < 0) {
        rc = errno == EEXIST ? ERR_DUPLICATE : ERR_IO;
    } else {
        bool ok = write(fd, text, (size_t)len) == len && fsync(fd) == 0;
        if (close(fd) != 0 || !ok) {
            unlink(path);
            rc = ERR_IO;
        }
    }
    explicit_bzero(text, sizeof text);
    if (rc == ERR_IO)
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
    if (rc == 0)
        *id = k;
    identity_wipe(&k);
    return rc;
}

int identity_load_or_create(identity_t *id, bool *created, char *why,
                            size_t why_len, const char *path)
{
    char scratch[8];
    if (!why) {
        why = scratch;
        why_len = sizeof scratch;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            int rc = load(id, why, why_len, path, fd);
            close(fd);
            if (rc == 0 && created)
                *created = false;
            return rc;
        }
        if (errno != ENOENT) {
            snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
            return ERR_IO;
        }
        int rc = create(id, why, why_len, path);
        if (rc == 0 && created)
            *created = true;
        if (rc != ERR_DUPLICATE) /* made meanwhile: read it */
            return rc;
    }
    snprintf(why, why_len, "cannot open %s", path);
    return ERR_IO;
}
