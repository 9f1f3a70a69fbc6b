/*
 * score — what each kind of misbehaviour costs a peer, in one place.
 *
 * Every peer has a score (p2p.h). The p2p layer adds points for what it sees
 * wrong with a frame; the node adds points for what only it can judge (an
 * invalid block, a transaction with a bad signature, a reply that is not
 * what was asked). At SCORE_BAN_THRESHOLD (p2p_config_t.ban_threshold's
 * default) the peer is banned for a while and its score starts again from 0.
 *
 * Scores forget: points halve every SCORE_HALF_LIFE_MS (continuously, so a
 * score of 40 is 20 a half-life later and 10 after two). A ban is for what
 * a peer did lately, then: an honest node that now and then sends something
 * we refuse under load never adds up to a ban, while a peer that keeps
 * misbehaving does. At a steady rate of r points a minute a score settles
 * near r * SCORE_HALF_LIFE_MS / (60000 * ln 2), about 1.44 r for a one-
 * minute half-life: a ban takes some 70 points a minute, sustained, or a
 * burst of 100.
 *
 * The figures are relative to the threshold: 100 is "ban at once", 25 is
 * "four of these", 5 is "twenty". Refusals that honest peers produce --
 * an orphan, a block from slightly in the future (time-too-new), a
 * transfer whose nonce or funds a race made wrong, a busy or rate-limited
 * answer, a frame dropped because the inbox was full -- cost nothing.
 */
#ifndef PICKAXE_SCORE_H
#define PICKAXE_SCORE_H

/* The default score at which a peer is banned. */
#define SCORE_BAN_THRESHOLD 100
/* A score halves in this long (see above). */
#define SCORE_HALF_LIFE_MS 60000

/* ---- the p2p layer, on a peer's frames -------------------------------- */

/* A frame that does not decode (or has more than one part). */
#define SCORE_MALFORMED 20
/* A frame of another network: not even a confused peer of ours. */
#define SCORE_WRONG_NETWORK 100
/* A protocol version this build does not speak: may be an honest node of
 * another release. */
#define SCORE_WRONG_VERSION 5
/* A well-formed message of a type that has no business on a gossip socket. */
#define SCORE_MISPLACED 10

/* ---- the node, on what only it can judge ------------------------------ */

/* A block refused by a consensus rule, or one that does not parse. */
#define SCORE_BAD_BLOCK 25
/* A gossiped block on a branch already stale on arrival: it may carry
 * valid work, and an honest node that was cut off or slow (a loaded
 * machine, two blocks found at once) sends one before it catches up, so it
 * costs little: some 35 a minute, sustained, to be banned. */
#define SCORE_STALE_FORK 2
/* A transaction with a bad signature, none, or a coinbase; one that does
 * not parse; a NEW_TXS item that is not what its txid claims. */
#define SCORE_BAD_TX 5
/* A reply to our request that is not what was asked: another type, a
 * header or block that does not parse, a block we did not ask for. */
#define SCORE_BAD_REPLY 20

#endif
