/* A fixed stream of "random" bytes for tests: preloaded (LD_PRELOAD) into a process, it
 * answers getrandom(2), as libc's function and as the raw system call, from a splitmix64
 * stream seeded by CTDC_ENTROPY_SEED. pac-synth seeds its noise from the operating system
 * (Rust's thread_rng) and takes no seed of its own; under this library the same seed gives
 * the same DP aggregates and synthetic records, which is what a reproducible test needs.
 * Never for a release: noise that can be recomputed protects nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>

static uint64_t state;
static int ready;

static uint64_t next64(void) {  /* splitmix64 */
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static ssize_t fill(void *buf, size_t len) {
    if (!ready) {
        const char *seed = getenv("CTDC_ENTROPY_SEED");
        state = seed ? strtoull(seed, NULL, 10) : 0;
        ready = 1;
    }
    unsigned char *out = buf;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = next64();
        size_t n = len - i < 8 ? len - i : 8;
        memcpy(out + i, &v, n);
    }
    return (ssize_t)len;
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    (void)flags;
    return fill(buf, len);
}

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_getrandom) return fill((void *)a[0], (size_t)a[1]);
    static long (*real)(long, ...) = NULL;
    if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
