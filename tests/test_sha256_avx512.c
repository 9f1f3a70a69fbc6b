/*
 * Tests for miner/sha256_avx512.c, the 16-lane AVX-512 kernel on
 * one-version jobs: every property of kernel_checks.h. Its rolled scan has
 * tests of its own (test_sha256_avx512_roll.c). Skipped with a message
 * where the CPU lacks AVX-512.
 */
#include "kernel_checks.h"

KERNEL_TESTS(avx512)
