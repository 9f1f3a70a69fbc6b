/*
 * gen_stateful — seeds for the stateful harnesses (fuzz_chain,
 * fuzz_mempool): programs in the byte languages of ops.h, written by
 * gen-corpus (gen_corpus.c) next to the other targets' seeds.
 */
#ifndef PICKAXE_FUZZ_GEN_STATEFUL_H
#define PICKAXE_FUZZ_GEN_STATEFUL_H

/*
 * Writes ROOT/chain/ and ROOT/mempool/: seed-<name> files, and the named
 * regressions (regress-<name>) that reproduce bugs once found. Exits the
 * process with a message when a file cannot be written.
 */
void gen_stateful_seeds(const char *root);

#endif
