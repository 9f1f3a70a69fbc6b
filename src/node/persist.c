/*
 * persist — a chain in a store (see persist.h).
 */
#include "persist.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define PERSIST_NETWORK_KEY "network_id"

static const char *store_error(int rc)
{
    return rc == ERR_FULL ? "no room on the disk" : err_str(rc);
}

int persist_open(store_t **out, const char **reason, const char *dir,
                 const params_t *p)
{
    store_t *s = NULL;
    int rc = store_open(&s, dir, 0);
    if (rc) {
        if (reason)
            *reason = "cannot open the block store (see the log above)";
        return rc;
    }
    uint8_t *id = NULL;
    size_t len = 0;
    rc = store_meta_get(s, &id, &len, PERSIST_NETWORK_KEY);
    if (rc == ERR_NOT_FOUND) {
        rc = store_meta_put(s, PERSIST_NETWORK_KEY, p->network_id, 32);
    } else if (rc == 0 && (len != 32 || memcmp(id, p->network_id, 32) != 0)) {
        if (reason)
            *reason = "the data directory belongs to another network";
        rc = ERR_INVALID;
    }
    free(id);
    if (rc) {
        if (reason && rc != ERR_INVALID)
            *reason = "cannot read the block store";
        store_close(&s);
        return rc;
    }
    *out = s;
    return 0;
}

int persist_block_added(store_t *s, const chain_node_t *node)
{
    buf_t raw;
    buf_init(&raw);
    int rc = block_serialize(&raw, &node->block);
    if (rc == 0)
        rc = store_put_block(s, node->hash, node->block.header.prev_hash,
                             node->height, 0, raw.data, raw.len);
    buf_deinit(&raw);
    return rc;
}

void persist_block_removed(store_t *s, const chain_node_t *node)
{
    int rc = store_delete_block(s, node->hash);
    if (rc && rc != ERR_NOT_FOUND)
        log_warn("persist", "could not delete a pruned block: %s",
                 store_error(rc));
}

void persist_tip_changed(store_t *s, const chain_node_t *tip)
{
    int rc = store_set_tip(s, tip->hash);
    if (rc)
        log_warn("persist", "could not record the tip: %s", store_error(rc));
}

/* Blocks are read out first and added afterwards: adding a block may write
 * to the store (through the chain's callbacks), which must not happen while
 * the store is being iterated. */
typedef struct {
    store_block_t *v; /* raw buffers owned */
    size_t n, cap;
} loaded_t;

static int collect(const store_block_t *sb, void *arg)
{
    loaded_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        store_block_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    uint8_t *raw = malloc(sb->len ? sb->len : 1);
    if (!raw)
        return ERR_NOMEM;
    memcpy(raw, sb->raw, sb->len);
    l->v[l->n] = *sb;
    l->v[l->n].raw = raw;
    l->n++;
    return 0;
}

int persist_load(chain_t *c, store_t *s, size_t *loaded, size_t *refused)
{
    loaded_t l = {NULL, 0, 0};
    int rc = store_iterate(s, collect, &l);
    size_t ok = 0, bad = 0;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        const store_block_t *sb = &l.v[i];
        block_t b;
        const char *why = "unparsable";
        int r = block_parse(&b, sb->raw, sb->len);
        if (r == 0) {
            r = chain_add_block(c, &why, &b);
            block_deinit(&b);
        }
        if (r == 0 || r == ERR_DUPLICATE) {
            ok++;
        } else if (r == ERR_NOMEM) {
            rc = r;
        } else {
            log_warn("persist",
                     "stored block at height %u refused (%s); "
                     "dropping it",
                     sb->height, why ? why : err_str(r));
            store_delete_block(s, sb->hash);
            bad++;
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free((void *)l.v[i].raw);
    free(l.v);
    if (loaded)
        *loaded = ok;
    if (refused)
        *refused = bad;
    return rc;
}
