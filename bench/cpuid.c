// What the CPUID instruction costs a process start on this machine.
//
// glibc identifies the CPU as every dynamically linked program starts (the
// loader's init_cpu_features and its cache-size detection, which walks
// CPUID leaves 2 and 4; a static glibc binary does the same): dozens of
// CPUID instructions. On bare metal each is ~100 cycles; under a
// hypervisor each one exits to it. So on a VM every exec, /bin/true's as
// much as any control command's, pays COUNT x COST before main runs. Perf
// sampling in the guest does not see that time (it passes outside the
// guest), only the task clock does.
//
// Usage:
//   cpuid                 the cost of one CPUID (leaves 2 and 4, median of 2000)
//   cpuid PROG [ARG...]   also runs PROG single-stepped under ptrace and
//                         counts the CPUID instructions it executes (with
//                         its loader's), then prints COUNT x COST
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

// Median microseconds of one CPUID of leaf 2 and of leaf 4, timed in
// batches of 10.
static double cost_us(void) {
  enum { BATCHES = 200 };
  double t[BATCHES];
  unsigned a, b, c, d;
  for (int i = 0; i < BATCHES; i++) {
    double t0 = now();
    for (int j = 0; j < 5; j++) { __cpuid(2, a, b, c, d); __cpuid_count(4, j & 3, a, b, c, d); }
    t[i] = (now() - t0) / 10 * 1e6;
  }
  qsort(t, BATCHES, sizeof *t, cmp);
  return t[BATCHES / 2];
}

int main(int argc, char **argv) {
  double us = cost_us();
  printf("one cpuid: %.2f us\n", us);
  if (argc < 2) return 0;
  pid_t p = fork();
  if (p == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[1], argv + 1);
    _exit(127);
  }
  int st;
  if (p < 0 || waitpid(p, &st, 0) < 0) { perror("cpuid"); return 1; }
  long steps = 0, cpuids = 0;
  for (;;) {
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, p, 0, &r) < 0) break;
    errno = 0;
    long w = ptrace(PTRACE_PEEKTEXT, p, (void *)r.rip, 0);
    if (errno == 0 && (w & 0xffff) == 0xa20f) cpuids++;  // 0F A2
    if (ptrace(PTRACE_SINGLESTEP, p, 0, 0) < 0) break;
    if (waitpid(p, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st)) break;
    steps++;
  }
  printf("%s: %ld instructions, %ld cpuid: %.0f us of cpuid per run\n", argv[1], steps, cpuids, cpuids * us);
  return 0;
}
