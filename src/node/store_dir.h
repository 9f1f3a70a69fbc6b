/*
 * store_dir — the block store's data directory: made with mode 0700 (it is
 * the node's private state), and locked for one node at a time.
 *
 * LOCKING. One node per data directory: two nodes writing one chain.db would
 * not corrupt it (SQLite serialises them) but would each believe their own
 * view of the tip. store_open() therefore takes flock(LOCK_EX | LOCK_NB) on
 * dir/LOCK and refuses to open when that fails, naming the pid that the
 * holder wrote into the file. flock rather than a pid file because the kernel
 * drops the lock when the holder dies, even by SIGKILL, so a crash never
 * leaves a stale lock behind; flock rather than fcntl locks because an flock
 * belongs to the open file, so a second store_open() in the same process is
 * refused too (fcntl locks would let it through). The LOCK file is never
 * deleted: deleting a lock file races with the next opener. Its descriptor
 * is close-on-exec, so a program the node executes does not keep the
 * directory locked (a child forked without exec does, until it exits: fork
 * and the store do not mix).
 *
 * Thread safety: every function is reentrant.
 */
#ifndef PICKAXE_STORE_DIR_H
#define PICKAXE_STORE_DIR_H

/*
 * Creates dir and its missing parents with mode 0700, and checks that it is
 * a directory.
 * Returns: 0; ERR_IO (logged); ERR_NOMEM.
 */
int store_dir_make(const char *dir);

/*
 * Takes the directory's lock (dir/STORE_LOCK_NAME) and writes our pid into
 * it.
 * Returns: 0 with *fd holding the lock (closing it lets go); ERR_IO when
 *          another process holds it (logged with its pid) or the file
 *          cannot be opened; ERR_NOMEM.
 */
int store_dir_lock(int *fd, const char *dir);

/* dir/name in a new string (owned: free()), or NULL when out of memory. */
char *store_dir_path(const char *dir, const char *name);

#endif
