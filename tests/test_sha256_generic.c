/*
 * Tests for miner/sha256_generic.c, the portable C kernel: every property of
 * kernel_checks.h, on one-version jobs and on rolled jobs (which it scans one
 * version after the other through kernel.c). Skipped with a message where the
 * CPU lacks it.
 */
#include "kernel_checks.h"

KERNEL_TESTS(generic)
KERNEL_ROLL_TESTS(generic)
