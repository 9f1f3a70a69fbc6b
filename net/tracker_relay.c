/*
 * tracker_relay — the tracker's relay of submitted transactions
 * (SUBMIT_TX, SUBMIT_TXS) to every node (tracker.h; state in
 * tracker_impl.h).
 *
 * Submitted transactions are relayed once: a small ring of recent
 * transaction digests turns the repeats a retrying client produces (the lazy
 * pirate pattern resends after a lost reply) into a plain ACK. The digest
 * covers the whole transaction, signature included, so a corrected
 * resubmission of a badly signed transfer (same txid) is still relayed.
 *
 * Relayed transactions wait in one txbatch (txbatch.h) under the txid
 * every node would compute, and go out as one NEW_TXS frame when the batch
 * is full or when tracker_flush() ends the serving loop's turn: one frame
 * and one wakeup per node for a turn's worth of submissions, and a node
 * drops the copies it already holds by txid before parsing them.
 */
#include "tracker_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sha256.h"
#include "tx.h"

static bool recent_has(const tracker_t *t, const uint8_t digest[32])
{
    for (size_t i = 0; i < t->recent_n; i++)
        if (memcmp(t->recent[i], digest, 32) == 0)
            return true;
    return false;
}

static void recent_add(tracker_t *t, const uint8_t digest[32])
{
    memcpy(t->recent[t->recent_next], digest, 32);
    t->recent_next = (t->recent_next + 1) % RECENT_TXS;
    if (t->recent_n < RECENT_TXS)
        t->recent_n++;
}

void tracker_flush(tracker_t *t)
{
    if (txbatch_count(&t->batch) == 0)
        return;
    buf_t b;
    buf_init(&b);
    if (txbatch_encode(&t->batch, &b, t->cfg.network_id) == 0) {
        t->tx_frames++;
        if (t->publish)
            t->publish(t->publish_arg, b.data, b.len);
    }
    buf_deinit(&b);
    txbatch_clear(&t->batch);
}

size_t tracker_pending_txs(const tracker_t *t)
{
    return txbatch_count(&t->batch);
}

/*
 * Checks one submitted transaction for plausibility and queues it for
 * relay, unless it was relayed recently (then it is accepted silently).
 * A batch that fills is published at once.
 * Returns: 0; ERR_PARSE or ERR_NOMEM with *why set (static string).
 */
static int relay_submitted(tracker_t *t, const char **why, const uint8_t *raw,
                           size_t len)
{
    /* Wallets submit transfers; a coinbase only ever comes inside a block.
     * A transfer has a fixed size, so these two checks make it parse. */
    tx_t tx;
    if (len != TX_TRANSFER_SIZE || raw[0] != TX_TRANSFER ||
        tx_parse_bytes(&tx, raw, len) != 0) {
        t->txs_refused++;
        *why = "not a transfer transaction (wrong size or kind)";
        return ERR_PARSE;
    }
    uint8_t digest[32], txid[32];
    sha256(digest, raw, len);
    if (recent_has(t, digest))
        return 0;
    tx_compute_txid(txid, &tx);
    if (txbatch_full(&t->batch))
        tracker_flush(t);
    if (txbatch_add(&t->batch, txid, raw, len) != 0) {
        *why = "out of memory";
        return ERR_NOMEM;
    }
    recent_add(t, digest);
    t->txs_relayed++;
    if (txbatch_full(&t->batch))
        tracker_flush(t);
    return 0;
}

int tracker_relay_tx(tracker_t *t, buf_t *reply, const wire_blob_t *tx)
{
    const char *why = NULL;
    int rc = relay_submitted(t, &why, tx->data, tx->len);
    if (rc)
        return tracker_reply_error(t, reply, rc, why);
    return wire_encode_empty(reply, t->cfg.network_id, WIRE_ACK);
}

int tracker_relay_txs(tracker_t *t, buf_t *reply, const wire_msg_t *m)
{
    wire_result_t *res =
        calloc(m->u.list.count ? m->u.list.count : 1, sizeof *res);
    if (!res)
        return ERR_NOMEM;
    for (size_t i = 0; i < m->u.list.count; i++) {
        const char *why = NULL;
        int rc = relay_submitted(t, &why, m->u.list.items[i].data,
                                 m->u.list.items[i].len);
        if (rc) {
            res[i].code = rc;
            snprintf(res[i].reason, sizeof res[i].reason, "%s", why);
        }
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_SUBMITTED);
    r.u.results.count = m->u.list.count;
    r.u.results.items = res;
    int rc = wire_encode(reply, t->cfg.network_id, &r);
    free(res);
    return rc;
}
