/* A noisy service for the journal ingest benchmark (bench/journal.py):
 * writes N distinct lines "NAME line I ..." to stdout as fast as it can
 * (stdio, 64 KiB buffer, so the journal's stream sees full buffers, as
 * from a busy daemon), then exits 0. Exit 1 if a write fails.
 *
 *   journal_flood NAME N
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: journal_flood NAME N\n"); return 2; }
    const char *name = argv[1];
    long n = atol(argv[2]);
    static char buf[65536];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    for (long i = 0; i < n; i++)
        if (printf("%s line %ld: request served in %ld ms, status %ld\n", name, i, (i * 7919) % 997, 200 + i % 5) < 0) return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
