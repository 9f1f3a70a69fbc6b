/*
 * attack_sybil — silent sybils (see attack.h): peers that register at the
 * tracker like any node, accept connections, and never answer a request
 * nor publish a frame.
 *
 * The builder only says how many more to register (ATTACK_SYBIL items, no
 * bytes): sockets and registrations are pickaxe-adversary's (sybil.h), as
 * every socket is. Each sybil costs an honest node what a new peer costs:
 * a subscription, and a tip poll that times out. Before nodes asked their
 * peers concurrently and backed off the silent ones, fifteen of these
 * stalled block relay for seconds.
 */
#include "attack_impl.h"
#include "err.h"

int attack_silent_sybils(attack_env_t *env, attack_out_t *out)
{
    for (int i = 0; i < ATTACK_SYBILS_PER_BUILD; i++)
        if (!attack_push(out, ATTACK_SYBIL, 0, ATTACK_UNRESPONSIVE))
            return ERR_NOMEM;
    env->seq++;
    return 0;
}
