// The event source of bench/ebpf/ringbuf.ts: waits for a line on stdin (the reader is attached by
// then), then calls getppid(2) in a loop for the given number of seconds and prints
// "<calls> <seconds>". Each call fires the syscalls:sys_enter_getppid tracepoint once.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3;
  char line[8];
  if (!fgets(line, sizeof line, stdin)) return 1;
  double start = now(), t;
  long calls = 0;
  do {
    for (int i = 0; i < 64; i++) syscall(SYS_getppid);
    calls += 64;
    t = now();
  } while (t - start < seconds);
  printf("%ld %.6f\n", calls, t - start);
  return 0;
}
