/*
 * store_dir — the data directory and its lock (see store_dir.h).
 */
#include "store_dir.h"
#include "err.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOD "store"

int store_dir_make(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return ERR_NOMEM;
    int ret = 0;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            log_error(MOD, "cannot create data directory %s: %s", p,
                      strerror(errno));
            ret = ERR_IO;
            break;
        }
        *c = saved;
        if (saved == '\0')
            break;
    }
    free(p);
    if (ret != 0)
        return ret;
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        log_error(MOD, "data directory %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        log_error(MOD, "data directory %s: not a directory", dir);
        return ERR_IO;
    }
    return 0;
}

char *store_dir_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int store_dir_lock(int *fd, const char *dir)
{
    char *path = store_dir_path(dir, STORE_LOCK_NAME);
    if (!path)
        return ERR_NOMEM;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
        log_error(MOD, "cannot open lock file %s: %s", path, strerror(errno));
        free(path);
        return ERR_IO;
    }
    free(path);
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[24] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            log_error(MOD,
                      "data directory %s is in use by another pickaxe "
                      "process (pid %s); one node per data directory",
                      dir, pid[0] ? pid : "unknown");
        else
            log_error(MOD, "cannot lock data directory %s: %s", dir,
                      strerror(e));
        close(f);
        return ERR_IO;
    }
    /* The pid is only for the message above; failing to write it is fine. */
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) == 0 && pwrite(f, pid, (size_t)n, 0) != n)
        log_warn(MOD, "%s: could not write pid to lock file", dir);
    *fd = f;
    return 0;
}
