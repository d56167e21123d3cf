// One program per attach kind, each counting into `counters` (index per kind), for the attach
// tests: tracepoint and raw tracepoint (kill(2) by the target process), uprobe/uretprobe (calls
// of a function and its arguments/results), TC and XDP (UDP datagrams to one port).
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum counter {
  TRACEPOINT = 0,
  RAW_TRACEPOINT = 1,
  UPROBE_CALLS = 2,
  UPROBE_ARG_SUM = 3,
  URETPROBE_CALLS = 4,
  URETPROBE_RET_SUM = 5,
  TC_INGRESS = 6,
  TC_EGRESS = 7,
  XDP_PACKETS = 8,
  COUNTERS = 9,
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

const volatile __u32 target_tgid = 0;
const volatile __u16 udp_port = 0;

#define ETH_P_IP 0x0800
#define IPPROTO_UDP_NUM 17
#define NR_KILL_X86_64 62

static __always_inline void add(__u32 index, __u64 n) {
  __u64 *v = bpf_map_lookup_elem(&counters, &index);
  if (v) __sync_fetch_and_add(v, n);
}

static __always_inline int is_target(void) { return (bpf_get_current_pid_tgid() >> 32) == target_tgid; }

// Whether [data, data_end) is an IPv4 UDP datagram to udp_port.
static __always_inline int udp_to_port(void *data, void *data_end) {
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP_NUM || ip->ihl != 5) return 0;
  struct udphdr *udp = (void *)(ip + 1);
  if ((void *)(udp + 1) > data_end) return 0;
  return udp->dest == bpf_htons(udp_port);
}

SEC("tp/syscalls/sys_enter_kill")
int count_kill(struct trace_event_raw_sys_enter *ctx) {
  if (is_target()) add(TRACEPOINT, 1);
  return 0;
}

SEC("raw_tp/sys_enter")
int count_kill_raw(struct bpf_raw_tracepoint_args *ctx) {
  if (is_target() && ctx->args[1] == NR_KILL_X86_64) add(RAW_TRACEPOINT, 1);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_call, int x) {
  add(UPROBE_CALLS, 1);
  add(UPROBE_ARG_SUM, x);
  return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(on_return, int ret) {
  add(URETPROBE_CALLS, 1);
  add(URETPROBE_RET_SUM, ret);
  return 0;
}

SEC("tc")
int count_tc_ingress(struct __sk_buff *skb) {
  if (udp_to_port((void *)(long)skb->data, (void *)(long)skb->data_end)) add(TC_INGRESS, 1);
  return 0;  // TC_ACT_OK, which tcx reads as TCX_PASS
}

SEC("tc")
int count_tc_egress(struct __sk_buff *skb) {
  if (udp_to_port((void *)(long)skb->data, (void *)(long)skb->data_end)) add(TC_EGRESS, 1);
  return 0;
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx) {
  if (udp_to_port((void *)(long)ctx->data, (void *)(long)ctx->data_end)) add(XDP_PACKETS, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
