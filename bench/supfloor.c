// The floor of the restart and stop-all figures: a supervisor that does
// nothing but keep N services running. For a restart, the least any
// supervisor does between a service's SIGKILL and its replacement's ready
// datagram. bench.py times a
// restart as SIGKILL of a service -> the new process's report (psvc); that
// span holds the kernel's exit of the old process, the supervisor's wake-up
// and reap, and a whole spawn. bench/cgspawn times only the last part (one
// fork+exec+wait of /bin/true), so it leaves out the first two, which no
// supervisor can skip either. This one does nothing else: N psvc children,
// a blocking waitpid(-1), and at once the same child again, before anything
// else (no log line, no state, no timer).
//
// Modes:
//   plain  vfork + exec, no cgroup: the cheapest spawn there is (the child
//          shares the parent's memory until its exec, so no page tables are
//          copied; runit, s6, daemontools and supervisord fork)
//   into   clone3(CLONE_INTO_CGROUP) into the service's own cgroup, made once
//          under CGROUP_PARENT_DIR and kept, as vigil keeps it across a
//          restart; without CLONE_VM (a raw clone3 that shares the caller's
//          stack is not safe from C), so it copies page tables as fork does
// stdin, stdout and stderr of every child are /dev/null.
//
// Usage: supfloor plain|into PSVC N [CGROUP_PARENT_DIR]
// Runs until SIGTERM: then it SIGTERMs every child at once (bench.py times
// that as the stop of all, until every child is gone), reaps them all,
// removes its cgroups and exits 0.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static const char *psvc;
static int into, n;
static volatile pid_t *pids;
static int *cgfd;

// SIGTERM: pass it on to every child at once (kill is async-signal-safe),
// so the stop costs what the children's deaths cost; the main loop then
// reaps them without spawning again, and SIGTERMs once more any child
// spawned while this ran.
static void on_term(int sig) {
  (void)sig;
  stop = 1;
  for (int i = 0; i < n; i++)
    if (pids[i] > 0) kill(pids[i], SIGTERM);
}

static pid_t spawn(int i) {
  char name[32];
  snprintf(name, sizeof name, "s%d", i);
  pid_t pid;
  if (into) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = cgfd[i];
    pid = syscall(SYS_clone3, &ca, sizeof ca);
  } else {
    pid = vfork();
  }
  if (pid == 0) {
    // Only calls that touch the child's own descriptors before the exec
    // (vfork: the memory is the parent's); the exec resets the parent's
    // SIGTERM handler to the default.
    int nul = open("/dev/null", O_RDWR);
    dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
    if (nul > 2) close(nul);
    execl(psvc, psvc, name, (char *)NULL);
    _exit(127);
  }
  return pid;
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "plain") && strcmp(argv[1], "into")) || (!strcmp(argv[1], "into") && argc < 5)) {
    fprintf(stderr, "usage: supfloor plain|into PSVC N [CGROUP_PARENT_DIR]\n");
    return 2;
  }
  into = !strcmp(argv[1], "into");
  psvc = argv[2];
  n = atoi(argv[3]);
  if (n < 1 || n > 100000) { fprintf(stderr, "supfloor: bad N %s\n", argv[3]); return 2; }
  const char *base = into ? argv[4] : NULL;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  pids = calloc(n, sizeof *pids);
  cgfd = calloc(n, sizeof *cgfd);
  if (into) {
    for (int i = 0; i < n; i++) {
      char dir[512];
      snprintf(dir, sizeof dir, "%s/s%d", base, i);
      if (mkdir(dir, 0755) != 0 && errno != EEXIST) { perror(dir); return 1; }
      cgfd[i] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (cgfd[i] < 0) { perror(dir); return 1; }
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  for (int i = 0; i < n; i++) {
    pids[i] = spawn(i);
    if (pids[i] < 0) { perror("spawn"); return 1; }
  }
  while (!stop) {
    int st;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      perror("waitpid");
      break;
    }
    for (int i = 0; i < n; i++) {
      if (pids[i] == pid) { pids[i] = stop ? 0 : spawn(i); break; }
    }
  }
  for (int i = 0; i < n; i++)
    if (pids[i] > 0) kill(pids[i], SIGTERM);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
  if (into) {
    for (int i = 0; i < n; i++) {
      char dir[512];
      close(cgfd[i]);
      snprintf(dir, sizeof dir, "%s/s%d", base, i);
      rmdir(dir);
    }
  }
  return 0;
}
