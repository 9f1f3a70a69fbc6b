/*
 * attack_flood — the inbox flood (see attack.h): one small frame, many
 * times over, from one peer.
 *
 * The frame is a confirmed transfer, replayed: it costs nothing to make,
 * every copy is well-formed (so the p2p layer scores none of them), and
 * every copy costs an honest node a parse and a mempool lookup before it is
 * refused as a nonce replay -- which, being what an honest peer that
 * lagged behind could send, is not scored either. Nothing would ever ban
 * the flooder; what protects honest peers is the fair inbox (net/msgq.h).
 */
#include "attack_impl.h"
#include "err.h"

int attack_inbox_flood(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    if (!attack_find_transfer(env, &tx, NULL))
        return ERR_NOT_FOUND;
    for (int i = 0; i < ATTACK_INBOX_FLOOD; i++) {
        int rc = attack_push_tx(out, &tx, "bad-txns-nonce-replay");
        if (rc)
            return rc;
    }
    env->seq++;
    return 0;
}
