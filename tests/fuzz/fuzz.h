/*
 * fuzz — what every libFuzzer harness in tests/fuzz/ shares.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput() and is linked with
 * -fsanitize=fuzzer,address,undefined against the library built the same
 * way (build/fuzz/libpickaxe-*.a). A harness does more than look for crashes:
 * whatever a decoder accepts is encoded again and must give back the same
 * bytes (every codec here is canonical), and the decoders' documented
 * contracts are checked (outputs untouched on failure, related decoders
 * agreeing). A broken property calls FUZZ_CHECK, which prints what failed
 * and aborts, so libFuzzer saves the input as a crash.
 *
 * Inputs that once crashed or broke a property live in
 * tests/fuzz/corpus/<target>/ next to the seeds, so every run (make test,
 * make fuzz) replays them first.
 */
#ifndef PICKAXE_FUZZ_H
#define PICKAXE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A NUL-terminated copy of the input, for decoders that take C strings
 * (the text ends at the first NUL byte, as it would for them). Owned by the
 * caller (free()); NULL when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* s with ASCII letters in lower case, in place. */
static inline void fuzz_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

#endif
