/*
 * Tests for miner/sha256_shani2.c, the two-way interleaved SHA-NI kernel: every
 * property of kernel_checks.h, on one-version jobs and on rolled jobs (which it
 * scans one version after the other through kernel.c). Skipped with a message
 * where the CPU lacks it.
 */
#include "kernel_checks.h"

KERNEL_TESTS(shani2)
KERNEL_ROLL_TESTS(shani2)
