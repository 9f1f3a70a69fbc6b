/*
 * trackerkey — pinned and remembered tracker keys (see trackerkey.h).
 *
 * The file is read line by line with a bounded line length; a line that
 * is not "ENDPOINT HEX" is skipped, so a hand-edited file with comments
 * still works.
 */
#include "trackerkey.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"

int trackerkey_split(char *endpoint, size_t endpoint_len,
                     uint8_t key[WIRE_KEY_SIZE], bool *pinned, const char *text)
{
    const char *hash = strchr(text, '#');
    size_t n = hash ? (size_t)(hash - text) : strlen(text);
    if (n >= endpoint_len)
        return ERR_ARG;
    if (hash && identity_parse_key(key, hash + 1) != 0)
        return ERR_ARG;
    memcpy(endpoint, text, n);
    endpoint[n] = '\0';
    *pinned = hash != NULL;
    return 0;
}

/* The key recorded for endpoint: 1 found, 0 none, ERR_IO. */
static int lookup(uint8_t key[WIRE_KEY_SIZE], const char *path,
                  const char *endpoint)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : ERR_IO;
    char line[WIRE_MAX_STR + IDENTITY_HEX_LEN + 8];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        char *hex = sp + 1;
        hex[strcspn(hex, "\r\n")] = '\0';
        if (strcmp(line, endpoint) == 0 && identity_parse_key(key, hex) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

static int record(const char *path, const char *endpoint,
                  const uint8_t key[WIRE_KEY_SIZE])
{
    char hex[IDENTITY_HEX_LEN + 1];
    identity_key_hex(hex, key);
    FILE *f = fopen(path, "a");
    if (!f)
        return ERR_IO;
    bool ok = fprintf(f, "%s %s\n", endpoint, hex) > 0;
    return fclose(f) == 0 && ok ? 0 : ERR_IO;
}

int trackerkey_check(bool *first, char *why, size_t why_len, const char *path,
                     const char *endpoint, const uint8_t *pinned,
                     const uint8_t presented[WIRE_KEY_SIZE])
{
    char has[IDENTITY_HEX_LEN + 1], want[IDENTITY_HEX_LEN + 1];
    identity_key_hex(has, presented);
    *first = false;
    if (pinned) {
        if (memcmp(pinned, presented, WIRE_KEY_SIZE) == 0)
            return 0;
        identity_key_hex(want, pinned);
        snprintf(why, why_len,
                 "tracker %s presents key %s, not the pinned %s: refusing it",
                 endpoint, has, want);
        return ERR_INVALID;
    }
    if (!path[0])
        return 0;
    uint8_t known[WIRE_KEY_SIZE];
    int rc = lookup(known, path, endpoint);
    if (rc == 1) {
        if (memcmp(known, presented, WIRE_KEY_SIZE) == 0)
            return 0;
        identity_key_hex(want, known);
        snprintf(why, why_len,
                 "tracker %s presents key %s, but %s has %s for it: refusing "
                 "it (if the tracker's key was changed on purpose, delete "
                 "that line)",
                 endpoint, has, path, want);
        return ERR_INVALID;
    }
    if (rc == 0 && record(path, endpoint, presented) == 0) {
        *first = true;
        return 0;
    }
    snprintf(why, why_len, "cannot record tracker %s's key in %s: %s", endpoint,
             path, strerror(errno));
    return ERR_IO;
}
