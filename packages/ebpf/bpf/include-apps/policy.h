/*
 * Map layouts of the L4 policy engine, shared by policy.bpf.c and src/policy/maps.ts (keep both
 * in step; the TS side encodes these byte for byte). All multi-byte fields inside LPM keys are
 * big-endian, because an LPM trie compares key bytes most significant bit first.
 */
#ifndef KEELSON_POLICY_H
#define KEELSON_POLICY_H

#define POLICY_INGRESS 0
#define POLICY_EGRESS 1

#define POLICY_ALLOW 1
#define POLICY_DENY 2

/* Counter slots below POLICY_FIRST_RULE_SLOT are the engine's own. */
#define POLICY_SLOT_DEFAULT_INGRESS 0
#define POLICY_SLOT_DEFAULT_EGRESS 1
#define POLICY_SLOT_REPLY_INGRESS 2
#define POLICY_SLOT_REPLY_EGRESS 3
#define POLICY_FIRST_RULE_SLOT 8
#define POLICY_MAX_RULES 16384
/* Twice the rules: while one rule set is in force, the next may name entirely new rules. */
#define POLICY_COUNTER_SLOTS (POLICY_FIRST_RULE_SLOT + 2 * POLICY_MAX_RULES)

#define POLICY_MAX_ADDR_ENTRIES 65536
#define POLICY_MAX_PORT_ENTRIES 524288
#define POLICY_MAX_FLOWS 65536

/* Which of the two map copies (0/1) packets use; the writer fills the other one and flips. */
struct policy_active {
	__u32 buffer;
};

/* Per copy, written together with its maps before the flip. */
struct policy_settings {
	__u32 generation;
	__u8 default_action[2]; /* POLICY_ALLOW / POLICY_DENY per direction */
	__u8 track_flows[2];    /* record allowed flows of this direction so replies pass the other */
};

/* CIDR -> address class. prefixlen counts from `dir`: 32 fixed bits (dir, family, 2 zero bytes)
 * plus the address prefix. IPv4 addresses sit in addr[0..3]. */
struct policy_addr_key {
	__u32 prefixlen;
	__u8 dir;
	__u8 family; /* 4 or 6 */
	__u8 pad[2];
	__u8 addr[16];
};
#define POLICY_ADDR_FIXED_BITS 32

/* (address class, protocol, destination port) -> verdict. prefixlen counts from class: 32 bits of
 * class, 8 of protocol, 16 of port: 56 = exact port, 40 + k = a port block of 2^(16-k) ports,
 * 40 = the protocol whatever the port, 32 = any protocol. */
struct policy_port_key {
	__u32 prefixlen;
	__u8 class_be[4];
	__u8 proto;
	__u8 port_be[2];
	__u8 pad;
};
#define POLICY_PORT_FULL_BITS 56
#define POLICY_PORT_PROTO_BITS 40

struct policy_verdict {
	__u16 slot;  /* counter slot of the rule */
	__u8 action; /* POLICY_ALLOW / POLICY_DENY */
	__u8 pad;
};

struct policy_counter {
	__u64 packets;
	__u64 bytes;
};

/* A flow as its first packet saw it (source = initiator). */
struct policy_flow_key {
	__u8 family;
	__u8 proto;
	__u16 pad;
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct policy_flow {
	__u32 generation; /* settings generation that allowed it; re-checked when stale */
	__u8 dir;         /* direction of the initiating packet */
	__u8 pad[3];
};

#endif
