/* waitid_cost N: the cost of one waitid(WEXITED|WNOHANG) that finds nothing, in a process with
 * N live children, after 0.3 s of idle (as a lone restart finds the manager): P_ALL walks the
 * list of children (O(N)), P_PID looks up one pid. Build: cc -O2 -o waitid_cost waitid_cost.c */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    pid_t *p = malloc(n * sizeof *p);
    for (int i = 0; i < n; i++) { p[i] = fork(); if (!p[i]) { pause(); _exit(0); } }
    usleep(200000);
    for (int r = 0; r < 5; r++) {
        siginfo_t si = {0};
        double t = now(); waitid(P_ALL, 0, &si, WEXITED | WNOHANG); double t2 = now();
        double t3 = now(); waitid(P_PID, p[n / 2], &si, WEXITED | WNOHANG); double t4 = now();
        printf("N=%d P_ALL %.1f us  P_PID %.1f us\n", n, t2 - t, t4 - t3);
        usleep(300000);
    }
    for (int i = 0; i < n; i++) kill(p[i], 9);
    while (wait(0) > 0) {}
    return 0;
}
