/*
 * Tests for miner/sha256_avx512_roll.c, the AVX-512 kernel's scan of
 * several versions at once: the rolled properties of kernel_checks.h (real
 * headers found at their roll index only, every (version, nonce) pair
 * against OpenSSL for job sizes 2..16, stopping mid-nonce). Skipped with a
 * message where the CPU lacks AVX-512.
 */
#include "kernel_checks.h"

KERNEL_ROLL_TESTS(avx512)
