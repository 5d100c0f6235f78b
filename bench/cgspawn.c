// The floor of one *isolated* spawn, as a restart after SIGKILL is: the
// machine idle for 100 ms, then fork/clone + exec of /bin/true + wait.
// Three ways of putting the child where a service manager puts it:
//   plain      fork, no cgroup (runit, s6, daemontools, supervisord)
//   procs      fork, then the child writes itself into a fresh cgroup's
//              cgroup.procs before exec (what systemd 252 and vigil do)
//   into       clone3(CLONE_INTO_CGROUP): the kernel creates the child in
//              the cgroup (Linux >= 5.7)
// Usage: cgspawn CGROUP_PARENT_DIR [REPS]   prints "MODE median_ms=.. max_ms=.."
// The parent dir must be on a writable cgroup v2 hierarchy; test groups
// t0..tN are created and removed under it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: cgspawn CGROUP_PARENT_DIR [REPS]\n"); return 2; }
  const char *base = argv[1];
  int reps = argc > 2 ? atoi(argv[2]) : 15;
  if (reps < 1 || reps > 1000) reps = 15;
  const char *names[] = {"plain", "procs", "into"};
  double *t = calloc(reps, sizeof *t);
  for (int mode = 0; mode < 3; mode++) {
    int ok = 1;
    for (int i = 0; i < reps && ok; i++) {
      char dir[512], procs[600];
      snprintf(dir, sizeof dir, "%s/t%d", base, i);
      snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
      if (mkdir(dir, 0755) != 0) { perror(dir); return 1; }
      int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      usleep(100000);
      double t0 = now();
      pid_t pid;
      if (mode == 2) {
        struct clone_args ca; memset(&ca, 0, sizeof ca);
        ca.flags = CLONE_INTO_CGROUP; ca.exit_signal = SIGCHLD; ca.cgroup = dfd;
        pid = syscall(SYS_clone3, &ca, sizeof ca);
        if (pid == 0) { execl("/bin/true", "true", (char *)NULL); _exit(127); }
      } else {
        pid = fork();
        if (pid == 0) {
          if (mode == 1) { int fd = open(procs, O_WRONLY | O_CLOEXEC); if (fd < 0 || write(fd, "0", 1) != 1) _exit(126); }
          execl("/bin/true", "true", (char *)NULL);
          _exit(127);
        }
      }
      int st = 0;
      if (pid < 0) { perror(names[mode]); ok = 0; }
      else if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) ok = 0;
      t[i] = now() - t0;
      close(dfd);
      rmdir(dir);
    }
    if (!ok) { printf("%s failed\n", names[mode]); continue; }
    qsort(t, reps, sizeof *t, cmp);
    printf("%s median_ms=%.3f max_ms=%.3f reps=%d\n", names[mode], t[reps / 2] * 1e3, t[reps - 1] * 1e3, reps);
  }
  free(t);
  return 0;
}
