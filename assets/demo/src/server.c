/* The demo "server": prints one line naming the architecture it was compiled for, then exits.
 * It stands in for an application binary; archlens only reads its ELF headers, it never runs it. */
#include <stdio.h>

#if defined(__x86_64__)
#define ARCH "amd64"
#elif defined(__aarch64__)
#define ARCH "arm64"
#elif defined(__arm__)
#define ARCH "arm"
#else
#define ARCH "unknown"
#endif

#if defined(__GLIBC__)
#define LIBC "glibc"
#else
#define LIBC "musl"
#endif

int main(void) {
    printf("archlens demo server (linux/%s, %s): listening on :8080\n", ARCH, LIBC);
    return 0;
}
