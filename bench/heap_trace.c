/*
 * heap_trace.so: an LD_PRELOAD shim that records every malloc, free and
 * realloc of `vigil daemon` (the process whose argv[1] is "daemon"; the
 * journal and the services are left alone) to $HEAP_TRACE, with the ten
 * return addresses above the call (glibc's backtrace(3)), and copies
 * /proc/self/maps to $HEAP_TRACE.maps for symbolizing. A measuring tool,
 * not part of vigil: bench/heap_trace.sh runs it, bench/heap_holes.py reads
 * what it wrote.
 *
 * Each event is one fixed-size record written with write(2) as it happens,
 * so the trace's size at any moment marks the heap's state at that moment.
 * The shim allocates nothing: it calls glibc's __libc_* entry points, and
 * backtrace(3) is called once before tracing starts, so that its own
 * loading of libgcc_s is not traced. It does not change the heap's layout:
 * the traced manager's [heap] Rss equals the untraced one's.
 *
 *   gcc -O2 -shared -fPIC -o heap_trace.so bench/heap_trace.c
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define DEPTH 10
enum { ALLOC = 1, FREE = 2, REALLOC = 3 };
/* Must match heap_holes.py's REC. */
struct event {
    uint64_t kind, ptr, size, old;
    uint64_t frames[DEPTH];
};

static int fd = -1, traced_pid, busy;

static void record(int kind, void *p, size_t size, void *old) {
    /* After a fork the child has the same fd: only the traced pid writes. */
    if (fd < 0 || busy || syscall(SYS_getpid) != traced_pid)
        return;
    busy = 1;
    struct event e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.ptr = (uint64_t)p;
    e.size = size;
    e.old = (uint64_t)old;
    if (kind != FREE) {
        void *b[DEPTH + 2];
        int n = backtrace(b, DEPTH + 2);
        /* Skip this function and the wrapper. */
        for (int i = 2; i < n && i - 2 < DEPTH; i++)
            e.frames[i - 2] = (uint64_t)b[i];
    }
    if (write(fd, &e, sizeof e) != sizeof e)
        fd = -1;
    busy = 0;
}

__attribute__((constructor)) static void start(void) {
    char buf[4096];
    int c = open("/proc/self/cmdline", O_RDONLY);
    if (c < 0)
        return;
    ssize_t n = read(c, buf, sizeof buf - 1);
    close(c);
    if (n <= 0)
        return;
    buf[n] = 0;
    char *arg1 = buf + strlen(buf) + 1;
    const char *out = getenv("HEAP_TRACE");
    if (arg1 >= buf + n || strcmp(arg1, "daemon") != 0 || !out || strlen(out) > 200)
        return;
    busy = 1;
    void *warm[4];
    backtrace(warm, 4);
    busy = 0;
    traced_pid = syscall(SYS_getpid);
    char maps[256];
    strcpy(maps, out);
    strcat(maps, ".maps");
    int m = open("/proc/self/maps", O_RDONLY), o = open(maps, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    while (m >= 0 && o >= 0 && (n = read(m, buf, sizeof buf)) > 0)
        if (write(o, buf, n) != n)
            break;
    if (m >= 0)
        close(m);
    if (o >= 0)
        close(o);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

void *malloc(size_t s) {
    void *p = __libc_malloc(s);
    record(ALLOC, p, s, 0);
    return p;
}

void free(void *p) {
    if (p)
        record(FREE, p, 0, 0);
    __libc_free(p);
}

void *calloc(size_t a, size_t b) {
    void *p = __libc_calloc(a, b);
    record(ALLOC, p, a * b, 0);
    return p;
}

void *realloc(void *old, size_t s) {
    void *p = __libc_realloc(old, s);
    record(REALLOC, p, s, old);
    return p;
}

void *memalign(size_t al, size_t s) {
    void *p = __libc_memalign(al, s);
    record(ALLOC, p, s, 0);
    return p;
}

void *aligned_alloc(size_t al, size_t s) {
    void *p = __libc_memalign(al, s);
    record(ALLOC, p, s, 0);
    return p;
}

int posix_memalign(void **r, size_t al, size_t s) {
    void *p = __libc_memalign(al, s);
    if (!p)
        return 12; /* ENOMEM */
    *r = p;
    record(ALLOC, p, s, 0);
    return 0;
}
