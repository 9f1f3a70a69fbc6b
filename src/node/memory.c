/*
 * memory — glibc's allocator settings and figures, /proc's resident size
 * (see memory.h).
 */
#include "memory.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void memory_tune(void)
{
#if defined(__GLIBC__)
    /* Setting the threshold at all is what stops glibc from raising it;
     * the value is glibc's own starting one. */
    mallopt(M_MMAP_THRESHOLD, (int)MEMORY_MMAP_THRESHOLD);
#endif
}

void memory_trim(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

/* Resident pages from /proc/self/statm (second field). */
static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    if (got != 2 || page <= 0)
        return 0;
    return (uint64_t)resident * (uint64_t)page;
}

void memory_read(memory_view_t *out)
{
    memset(out, 0, sizeof *out);
    out->rss_bytes = resident_bytes();
#if defined(__GLIBC__)
    struct mallinfo2 mi = mallinfo2();
    out->in_use_bytes = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    out->free_bytes = (uint64_t)mi.fordblks;
    out->mapped_bytes = (uint64_t)mi.hblkhd;
#endif
}
