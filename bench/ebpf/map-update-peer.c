// The peer of bench/ebpf/policy.ts's map_update_us: what the same map writes cost from C, straight
// through libbpf's bpf_map_update_elem (one bpf(2) syscall each), with no runtime around them.
//
// The maps are shaped as policy.bpf.c's: an LPM trie like policy_port_N (12-byte key: __u32
// prefixlen + class, protocol, port, pad; 4-byte value; BPF_F_NO_PREALLOC) filled with <entries>
// keys, an array like policy_settings (8-byte values) and one like policy_active (a __u32). A change
// of W writes is what the installer issues: W - 2 trie updates (every other one a new key, the
// others overwrites), then the settings, then the "flip"; keys a change added are deleted after it,
// outside the timing, as the installer's background catch-up does.
//
// Per round: a gap (the keelson side compiles rules between changes: <gap_ms> of CPU work
// writing through a 32 MiB buffer, no syscalls; or, in the idle rounds, a sleep of the same
// length), then the W writes, timed with CLOCK_MONOTONIC: the first write alone ("first") and all
// W ("all"); then the same W writes again at once: warm. Prints JSON (microseconds) on stdout:
// per case, in the order given, the CPU-work rounds, then the idle ones.
//
//   map-update-peer <entries> <gap_ms> <rounds> <writes>[,<writes>...]
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct port_key {
  uint32_t prefixlen;
  uint8_t class_be[4];
  uint8_t proto;
  uint8_t port_be[2];
  uint8_t pad;
};

#define MAX_ROUNDS 1000
#define MAX_CASES 8
#define MAX_WRITES 64
#define WORK_BYTES (32u << 20)

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char *what) {
  fprintf(stderr, "map-update-peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static struct port_key key_of(uint32_t cls, uint16_t port) {
  struct port_key k;
  memset(&k, 0, sizeof k);
  k.prefixlen = 56;  // 32 bits of class + 8 of protocol + 16 of port, as POLICY_PORT_FULL_BITS
  k.class_be[0] = cls >> 24;
  k.class_be[1] = cls >> 16;
  k.class_be[2] = cls >> 8;
  k.class_be[3] = cls;
  k.proto = 17;
  k.port_be[0] = port >> 8;
  k.port_be[1] = port;
  return k;
}

static uint8_t *work;
static volatile uint64_t sink;

// CPU work for gap_us: writes to every cache line of a buffer larger than the caches, over and
// over, as a compile churning through its heap.
static void cpu_gap(double gap_us) {
  double end = now_us() + gap_us;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  size_t i = 0;
  do {
    for (int n = 0; n < 4096; n++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      work[i] += (uint8_t)x;
      i = (i + 64) % WORK_BYTES;
    }
  } while (now_us() < end);
  sink += x;
}

static void idle_gap(double gap_us) {
  long long ns = (long long)(gap_us * 1e3);
  struct timespec t = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

struct change {
  int writes;
  struct port_key keys[MAX_WRITES];
  uint32_t values[MAX_WRITES];
  int fresh[MAX_WRITES];  // a key the trie did not hold (deleted after the round)
};

static int port_fd, settings_fd, active_fd;
static uint32_t entries;

// The writes of change number `n`: trie keys next to existing ones (every other one new).
static void make_change(struct change *c, int writes, uint32_t n) {
  c->writes = writes;
  for (int i = 0; i < writes - 2; i++) {
    uint32_t cls = (n * 7919u + i * 104729u) % entries;
    c->fresh[i] = i % 2 == 0;
    // Existing keys are (class, 1000 + class % 1000); a new one takes another port of the class.
    c->keys[i] = key_of(cls, c->fresh[i] ? 30000 + (n + i) % 30000 : 1000 + cls % 1000);
    c->values[i] = 8 + (n + i) % 1000;
  }
}

static void run_change(const struct change *c, uint32_t generation, uint32_t copy, double *first_us, double *all_us) {
  uint64_t settings = generation | (uint64_t)0x01020102 << 32;
  uint32_t zero = 0;
  double t0 = now_us();
  double t1 = 0;
  for (int i = 0; i < c->writes - 2; i++) {
    if (bpf_map_update_elem(port_fd, &c->keys[i], &c->values[i], BPF_ANY) != 0) die("update the trie");
    if (i == 0) t1 = now_us();
  }
  if (bpf_map_update_elem(settings_fd, &copy, &settings, BPF_ANY) != 0) die("update the settings");
  if (bpf_map_update_elem(active_fd, &zero, &copy, BPF_ANY) != 0) die("flip");
  double t2 = now_us();
  *first_us = t1 - t0;
  *all_us = t2 - t0;
}

static void print_samples(const char *name, const double *v, int n, int last) {
  printf("      \"%s\": [", name);
  for (int i = 0; i < n; i++) printf("%s%.2f", i ? ", " : "", v[i]);
  printf("]%s\n", last ? "" : ",");
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: map-update-peer <entries> <gap_ms> <rounds> <writes>[,<writes>...]\n");
    return 2;
  }
  entries = (uint32_t)atoi(argv[1]);
  double gap_us = atof(argv[2]) * 1000;
  int rounds = atoi(argv[3]);
  int cases[MAX_CASES];
  int ncases = 0;
  for (char *s = strtok(argv[4], ","); s && ncases < MAX_CASES; s = strtok(NULL, ",")) cases[ncases++] = atoi(s);
  if (entries < 1 || rounds < 1 || rounds > MAX_ROUNDS || ncases == 0) {
    fprintf(stderr, "map-update-peer: bad arguments\n");
    return 2;
  }
  for (int i = 0; i < ncases; i++) {
    if (cases[i] < 3 || cases[i] > MAX_WRITES) {
      fprintf(stderr, "map-update-peer: writes must be 3..%d\n", MAX_WRITES);
      return 2;
    }
  }

  LIBBPF_OPTS(bpf_map_create_opts, lpm_opts, .map_flags = BPF_F_NO_PREALLOC);
  port_fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "peer_port", sizeof(struct port_key), 4, 524288, &lpm_opts);
  if (port_fd < 0) die("create the trie");
  settings_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "peer_settings", 4, 8, 2, NULL);
  if (settings_fd < 0) die("create the settings array");
  active_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "peer_active", 4, 4, 1, NULL);
  if (active_fd < 0) die("create the active array");
  for (uint32_t cls = 0; cls < entries; cls++) {
    struct port_key k = key_of(cls, 1000 + cls % 1000);
    uint32_t v = 8 + cls;
    if (bpf_map_update_elem(port_fd, &k, &v, BPF_NOEXIST) != 0) die("fill the trie");
  }
  work = malloc(WORK_BYTES);
  if (!work) die("malloc");
  memset(work, 1, WORK_BYTES);

  static double cold_first[MAX_ROUNDS], cold_all[MAX_ROUNDS], warm_first[MAX_ROUNDS], warm_all[MAX_ROUNDS];
  uint32_t generation = 0;
  printf("{\n  \"entries\": %u,\n  \"gapMs\": %.1f,\n  \"rounds\": %d,\n  \"cases\": [\n", entries, gap_us / 1000, rounds);
  for (int ci = 0; ci < ncases; ci++) {
    for (int idle = 0; idle <= 1; idle++) {
      for (int r = 0; r < rounds; r++) {
        struct change c;
        make_change(&c, cases[ci], generation);
        if (idle) idle_gap(gap_us);
        else cpu_gap(gap_us);
        generation++;
        run_change(&c, generation, generation & 1, &cold_first[r], &cold_all[r]);
        // The same writes again at once (all overwrites now, as a replayed install).
        run_change(&c, generation, generation & 1, &warm_first[r], &warm_all[r]);
        for (int i = 0; i < c.writes - 2; i++) {
          if (c.fresh[i] && bpf_map_delete_elem(port_fd, &c.keys[i]) != 0 && errno != ENOENT) die("delete");
        }
      }
      printf("    {\n      \"writes\": %d,\n      \"gap\": \"%s\",\n", cases[ci], idle ? "idle" : "cpu");
      print_samples("coldFirstUs", cold_first, rounds, 0);
      print_samples("coldAllUs", cold_all, rounds, 0);
      print_samples("warmFirstUs", warm_first, rounds, 0);
      print_samples("warmAllUs", warm_all, rounds, 1);
      printf("    }%s\n", ci == ncases - 1 && idle ? "" : ",");
    }
  }
  printf("  ]\n}\n");
  return 0;
}
