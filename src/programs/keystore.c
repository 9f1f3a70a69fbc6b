/*
 * keystore — opening a program's keystore file (see keystore.h).
 */
#include "keystore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"

wallet_t *keystore_open(char *address, size_t len, const char *path,
                        const params_t *params, const char *module,
                        const char *what, bool quiet)
{
    char dir[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir) {
        cmdline_fail("%s: the path is too long", path);
        return NULL;
    }
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (cmdline_make_dir(dir) != 0) {
            cmdline_fail("cannot create the directory of %s: %s", path,
                         strerror(errno));
            return NULL;
        }
    }
    wallet_t *w = NULL;
    bool created = false;
    const char *why = NULL;
    if (wallet_load_or_create(&w, &created, &why, path) != 0) {
        cmdline_fail("%s: %s", path,
                     why ? why : "cannot load or create the keystore");
        return NULL;
    }
    if (wallet_get_public_key_str(w, params->hrp, address, len) != 0) {
        cmdline_fail("cannot format the address of %s", path);
        wallet_free(&w);
        return NULL;
    }
    if (!quiet)
        log_info(module, "%s %s %s: %s", created ? "created" : "using", what,
                 path, address);
    return w;
}
