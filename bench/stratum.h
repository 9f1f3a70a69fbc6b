/*
 * stratum — the Stratum share benchmark behind `pickaxe-bench stratum`.
 *
 * On one thread: how many shares a second the server can check with the
 * reference hash (coinbase, merkle branch of a 1,000-transfer template,
 * header, SHA256d, target), and how many whole mining.submit lines a
 * session handles a second (JSON parse, job lookup, the check, duplicate
 * lookup, the answer).
 */
#ifndef PICKAXE_BENCH_STRATUM_H
#define PICKAXE_BENCH_STRATUM_H

/* Runs the benchmark with pickaxe-bench's remaining arguments; returns the
 * process exit code. */
int bench_stratum_main(int argc, char **argv);

#endif
