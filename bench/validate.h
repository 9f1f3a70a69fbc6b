/*
 * validate — the block-validation benchmark behind `pickaxe-bench validate`.
 *
 * Builds a regtest chain with funded accounts, fills one block to the size
 * limit with signed transfers, and times chain_verify_block on it with one
 * signature thread and with every core, next to the raw rate at which
 * libsecp256k1 verifies the same signatures on one thread (the yardstick,
 * measured in the same run).
 */
#ifndef PICKAXE_BENCH_VALIDATE_H
#define PICKAXE_BENCH_VALIDATE_H

/* Runs the benchmark with pickaxe-bench's remaining arguments; returns the
 * process exit code. */
int bench_validate_main(int argc, char **argv);

#endif
