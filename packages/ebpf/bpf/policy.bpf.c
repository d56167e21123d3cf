// SPDX-License-Identifier: GPL-2.0
/*
 * L4 policy: allow/deny by remote CIDR, protocol and destination port, in TC (ingress and
 * egress) and XDP (ingress). The rules are compiled in user space (src/policy/compile.ts) into
 * two lookups, so a packet costs the same with 10 or 10,000 rules:
 *
 *   1. LPM trie (direction, family, remote address) -> address class: the set of rules whose
 *      CIDR holds the address (the longest matching CIDR decides, because CIDRs nest).
 *   2. LPM trie (class, protocol, destination port) -> verdict {rule slot, action}: for each
 *      class and protocol the port space is cut into intervals with the winning rule already
 *      chosen (priority resolved in user space), each interval as prefix-aligned port blocks.
 *
 * A miss in either step is the direction's default action. Every map the rules live in exists
 * twice (copy 0 and 1); user space fills the copy packets are not using and then flips
 * `policy_active`, so a packet reads one consistent rule set: it reads the active copy once.
 *
 * Replies: an allowed TCP/UDP packet is recorded in `policy_flows` when the other direction
 * could drop its replies; a packet the rules drop passes if it is the reply of such a flow. A
 * flow recorded under an older rule set is checked again against the current one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "include-apps/policy.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TC_ACT_UNSPEC_ (-1)
#define TC_ACT_SHOT_ 2

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy_active);
} policy_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct policy_settings);
} policy_settings SEC(".maps");

#define ADDR_MAP(name)                                         \
	struct {                                               \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);           \
		__uint(max_entries, POLICY_MAX_ADDR_ENTRIES);  \
		__uint(map_flags, BPF_F_NO_PREALLOC);          \
		__type(key, struct policy_addr_key);           \
		__type(value, __u32);                          \
	} name SEC(".maps")

#define PORT_MAP(name)                                         \
	struct {                                               \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);           \
		__uint(max_entries, POLICY_MAX_PORT_ENTRIES);  \
		__uint(map_flags, BPF_F_NO_PREALLOC);          \
		__type(key, struct policy_port_key);           \
		__type(value, struct policy_verdict);          \
	} name SEC(".maps")

ADDR_MAP(policy_addr_0);
ADDR_MAP(policy_addr_1);
PORT_MAP(policy_port_0);
PORT_MAP(policy_port_1);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, POLICY_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, struct policy_counter);
} policy_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY_MAX_FLOWS);
	__type(key, struct policy_flow_key);
	__type(value, struct policy_flow);
} policy_flows SEC(".maps");

struct pkt {
	__u8 family; /* 0: not IP */
	__u8 proto;
	__u8 has_ports;
	__u8 pad;
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* Fills p; returns 0 when the frame is not IP (the policy does not apply: ARP must pass),
 * 1 when it is. Ports are read only when the L4 header is there: a non-first fragment or a cut
 * header leaves has_ports = 0, and then only rules without ports can match. */
static __always_inline int parse(void *data, void *data_end, struct pkt *p)
{
	struct ethhdr *eth = data;
	void *l4;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return 0;
		p->family = 4;
		proto = ip->protocol;
		__builtin_memcpy(p->saddr, &ip->saddr, 4);
		__builtin_memcpy(p->daddr, &ip->daddr, 4);
		p->proto = proto;
		if (ip->frag_off & bpf_htons(0x1fff))
			return 1;
		if (ip->ihl < 5)
			return 1;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		int i;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		p->family = 6;
		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
		proto = ip6->nexthdr;
		l4 = ip6 + 1;
#pragma unroll
		for (i = 0; i < 4; i++) {
			if (proto == 0 || proto == 43 || proto == 60) { /* hop-by-hop, routing, destination options */
				struct ipv6_ext *h = l4;

				if ((void *)(h + 1) > data_end)
					break;
				proto = h->nexthdr;
				l4 += (h->hdrlen + 1) * 8;
			} else if (proto == 44) { /* fragment */
				struct ipv6_frag *f = l4;

				if ((void *)(f + 1) > data_end)
					break;
				proto = f->nexthdr;
				if (f->frag_off & bpf_htons(0xfff8)) {
					p->proto = proto;
					return 1;
				}
				l4 = f + 1;
			} else {
				break;
			}
		}
		p->proto = proto;
	} else {
		return 0;
	}

	if (proto == IPPROTO_TCP_) {
		struct tcphdr *t = l4;

		if ((void *)(t + 1) > data_end)
			return 1;
		p->sport = t->source;
		p->dport = t->dest;
		p->has_ports = 1;
	} else if (proto == IPPROTO_UDP_) {
		struct udphdr *u = l4;

		if ((void *)(u + 1) > data_end)
			return 1;
		p->sport = u->source;
		p->dport = u->dest;
		p->has_ports = 1;
	}
	return 1;
}

static __always_inline void count(__u32 slot, __u64 bytes)
{
	struct policy_counter *c = bpf_map_lookup_elem(&policy_counters, &slot);

	if (c) {
		/* Per-CPU slot: plain adds, no atomics. */
		c->packets += 1;
		c->bytes += bytes;
	}
}

/* The verdict for a packet of direction dir from/to `remote`, by the copy `buf`. */
static __always_inline void classify(__u32 buf, struct policy_settings *s, __u32 dir, __u8 family,
				     const __u8 *remote, __u8 proto, __be16 dport, __u8 has_ports,
				     struct policy_verdict *out)
{
	struct policy_addr_key ak = {};
	struct policy_port_key pk = {};
	struct policy_verdict *v;
	__u32 *cls;

	dir &= 1;
	ak.prefixlen = POLICY_ADDR_FIXED_BITS + (family == 4 ? 32 : 128);
	ak.dir = dir;
	ak.family = family;
	if (family == 4)
		__builtin_memcpy(ak.addr, remote, 4);
	else
		__builtin_memcpy(ak.addr, remote, 16);
	cls = buf ? bpf_map_lookup_elem(&policy_addr_1, &ak) : bpf_map_lookup_elem(&policy_addr_0, &ak);
	if (cls) {
		__u32 c = bpf_htonl(*cls);

		pk.prefixlen = has_ports ? POLICY_PORT_FULL_BITS : POLICY_PORT_PROTO_BITS;
		__builtin_memcpy(pk.class_be, &c, 4);
		pk.proto = proto;
		__builtin_memcpy(pk.port_be, &dport, 2);
		v = buf ? bpf_map_lookup_elem(&policy_port_1, &pk) : bpf_map_lookup_elem(&policy_port_0, &pk);
		if (v) {
			*out = *v;
			return;
		}
	}
	out->slot = dir == POLICY_INGRESS ? POLICY_SLOT_DEFAULT_INGRESS : POLICY_SLOT_DEFAULT_EGRESS;
	out->action = s->default_action[dir];
	out->pad = 0;
}

/* Is p (of direction dir, dropped by the rules) the reply of a flow allowed the other way? */
static __always_inline int is_reply(__u32 buf, struct policy_settings *s, __u32 dir, struct pkt *p)
{
	struct policy_flow_key fk = {};
	struct policy_verdict v;
	struct policy_flow *f;
	__u32 odir = (dir ^ 1) & 1;

	fk.family = p->family;
	fk.proto = p->proto;
	fk.sport = p->dport;
	fk.dport = p->sport;
	__builtin_memcpy(fk.saddr, p->daddr, 16);
	__builtin_memcpy(fk.daddr, p->saddr, 16);
	f = bpf_map_lookup_elem(&policy_flows, &fk);
	if (!f || f->dir != odir)
		return 0;
	if (f->generation == s->generation)
		return 1;
	/* Recorded under an older rule set: would its first packet still pass? The initiator's
	 * remote peer is our source on egress-initiated flows and our destination otherwise. */
	classify(buf, s, odir, p->family, odir == POLICY_INGRESS ? p->daddr : p->saddr, p->proto,
		 p->sport, 1, &v);
	if (v.action == POLICY_ALLOW) {
		f->generation = s->generation;
		return 1;
	}
	bpf_map_delete_elem(&policy_flows, &fk);
	return 0;
}

static __always_inline void track(struct pkt *p, __u32 dir, __u32 generation)
{
	struct policy_flow_key fk = {};
	struct policy_flow nf = {};
	struct policy_flow *f;

	fk.family = p->family;
	fk.proto = p->proto;
	fk.sport = p->sport;
	fk.dport = p->dport;
	__builtin_memcpy(fk.saddr, p->saddr, 16);
	__builtin_memcpy(fk.daddr, p->daddr, 16);
	f = bpf_map_lookup_elem(&policy_flows, &fk);
	if (f && f->generation == generation && f->dir == dir)
		return;
	nf.generation = generation;
	nf.dir = dir;
	bpf_map_update_elem(&policy_flows, &fk, &nf, BPF_ANY);
}

/* 1: let it through, 0: drop it. */
static __always_inline int decide(void *data, void *data_end, __u64 bytes, __u32 dir)
{
	struct pkt p = {};
	struct policy_settings *s;
	struct policy_active *a;
	struct policy_verdict v;
	__u32 zero = 0, buf;

	if (!parse(data, data_end, &p))
		return 1;
	a = bpf_map_lookup_elem(&policy_active, &zero);
	if (!a)
		return 1;
	buf = a->buffer & 1;
	s = bpf_map_lookup_elem(&policy_settings, &buf);
	if (!s || s->generation == 0)
		return 1; /* no rule set installed yet */

	classify(buf, s, dir, p.family, dir == POLICY_INGRESS ? p.saddr : p.daddr, p.proto, p.dport,
		 p.has_ports, &v);
	if (v.action == POLICY_ALLOW) {
		if (s->track_flows[dir & 1] && p.has_ports)
			track(&p, dir, s->generation);
		count(v.slot, bytes);
		return 1;
	}
	if (p.has_ports && is_reply(buf, s, dir, &p)) {
		count(dir == POLICY_INGRESS ? POLICY_SLOT_REPLY_INGRESS : POLICY_SLOT_REPLY_EGRESS, bytes);
		return 1;
	}
	count(v.slot, bytes);
	return 0;
}

static __always_inline int tc_decide(struct __sk_buff *skb, __u32 dir)
{
	/* Headers of a non-linear skb may sit outside the directly readable part. */
	__u32 want = skb->len < 128 ? skb->len : 128;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (data + want > data_end) {
		bpf_skb_pull_data(skb, want);
		/* The pull moved the packet: read both pointers again. */
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		asm volatile("" : "+r"(data), "+r"(data_end));
	}
	return decide(data, data_end, skb->len, dir);
}

/* Allowed packets go on with TC_ACT_UNSPEC (tcx: TCX_NEXT), so programs attached after this one
 * still run; dropped ones end with TC_ACT_SHOT. */
SEC("tc")
int policy_tc_ingress(struct __sk_buff *skb)
{
	return tc_decide(skb, POLICY_INGRESS) ? TC_ACT_UNSPEC_ : TC_ACT_SHOT_;
}

SEC("tc")
int policy_tc_egress(struct __sk_buff *skb)
{
	return tc_decide(skb, POLICY_EGRESS) ? TC_ACT_UNSPEC_ : TC_ACT_SHOT_;
}

SEC("xdp")
int policy_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	return decide(data, data_end, data_end - data, POLICY_INGRESS) ? XDP_PASS : XDP_DROP;
}

/* The floor for bench/ebpf: what TC and XDP cost with no work at all. */
SEC("tc")
int policy_tc_empty(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC_;
}

SEC("xdp")
int policy_xdp_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}
