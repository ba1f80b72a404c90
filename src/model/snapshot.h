/* The statistics model: a snapshot of exit counts and handling times per
 * (VM, vCPU, ISA, reason). Sources fill snapshots, sinks read them; nothing
 * here knows where the numbers came from or how they are shown. */
#ifndef KVMEXITSTAT_SNAPSHOT_H
#define KVMEXITSTAT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm_counters.h"
#include "reasons.h"

/* Log2 histogram of nanoseconds: slot 0 holds [0, 2), slot i >= 1 holds
 * [2^i, 2^(i+1)). 64 slots cover every uint64_t. */
#define HIST_SLOTS 64

#define PID_ALL UINT32_MAX  /* aggregated over VMs */
#define VCPU_ALL (-2)       /* aggregated over vCPUs */
#define VCPU_NONE (-1)      /* vCPU id not known; tid tells the thread */

/* A VM is its process: pid and start time together, since a pid is used
 * again once its process ended. */
struct exit_key {
	uint32_t pid;    /* VM process (0 = not known) */
	int32_t vcpu;    /* vCPU id, VCPU_NONE or VCPU_ALL */
	uint32_t tid;    /* thread, when vcpu is VCPU_NONE; else 0 */
	uint8_t isa;     /* enum isa */
	uint64_t reason; /* full exit reason (VMX flags included) */
	uint64_t start;  /* the VM process's start, clock ticks since boot as in
			  * /proc/PID/stat (0: not known, as in traces) */
	uint64_t detail; /* what KVM said of the exits (detail.h); 0: none, or
			  * not asked for */
	uint64_t rip;    /* guest RIP of the exits: only in a snapshot's rips */
	uint8_t ring;    /* with rip: enum guest_ring */
};

/* The guest's privilege at an exit, where the ISA says it (SVM's CPL). */
enum guest_ring { RING_UNKNOWN = 0, RING_KERNEL = 1, RING_USER = 2, RING_OTHER = 3 /* the RIPs after a top N */ };
/* "kernel", "user", or "" (not known); guest_ring_parse of one of those */
const char *guest_ring_name(uint8_t ring);
uint8_t guest_ring_parse(const char *s);

struct exit_stat {
	uint64_t count;   /* exits */
	uint64_t timed;   /* exits with a known handling time */
	uint64_t sum_ns;  /* handling time of the timed exits */
	uint64_t min_ns;  /* valid when timed > 0 */
	uint64_t max_ns;
	uint64_t hist[HIST_SLOTS];
	bool saturated;   /* a counter hit UINT64_MAX and stopped there */
	bool reset;       /* diff: the counter went backwards (source restarted) */
};

struct snap_entry {
	struct exit_key key;
	struct exit_stat st;
	bool used;
};

struct vm_name {
	uint32_t pid;
	uint64_t start;
	char name[64];
};

struct snapshot {
	struct snap_entry *slots; /* open addressing, power-of-two capacity */
	size_t cap, len;
	struct vm_name *names;    /* VM names by pid and start */
	size_t nnames, names_cap;
	struct kvm_counters *kvm; /* what ISA_KVM codes mean (a reference), or NULL */
	/* --rip: counts per key and guest RIP, apart from the keys' own
	 * entries (a RIP's count is of its key's exits, never summed with
	 * them), or NULL. Every function here that makes a snapshot from
	 * another makes its rips the same way. */
	struct snapshot *rips;
};

enum aggregate_by { BY_REASON, BY_VM, BY_VCPU };

void snapshot_init(struct snapshot *s);
void snapshot_free(struct snapshot *s);
void snapshot_clear(struct snapshot *s);

/* The stat of a key, created zeroed when new. NULL only when out of memory. */
struct exit_stat *snapshot_get(struct snapshot *s, const struct exit_key *k);
const struct exit_stat *snapshot_find(const struct snapshot *s, const struct exit_key *k);

void stat_add_count(struct exit_stat *st, uint64_t n);
void stat_add_time(struct exit_stat *st, uint64_t ns);
void stat_merge(struct exit_stat *dst, const struct exit_stat *src);
/* dst -= part, part being some of dst's exits (counts, times, histogram
 * slots; min and max bounded as in a diff). What part holds beyond dst
 * (it should not) leaves 0. */
void stat_remove(struct exit_stat *dst, const struct exit_stat *part);
unsigned hist_slot(uint64_t ns);
uint64_t hist_slot_low(unsigned slot);  /* smallest value of a slot */
uint64_t hist_slot_high(unsigned slot); /* largest value of a slot */

/* Percentile p in (0, 100] of the handling time, from the histogram,
 * interpolated linearly inside the slot that holds the rank ceil(p/100*n)
 * and clamped to [min, max]. 0 when nothing was timed. */
uint64_t stat_percentile(const struct exit_stat *st, double p);

/* dst += src (every key, names too). 0 or -ENOMEM. */
int snapshot_merge(struct snapshot *dst, const struct snapshot *src);
/* s without the keys keep(key, ctx) says no to (their VMs' names stay).
 * 0 or -ENOMEM (s unchanged). */
int snapshot_keep(struct snapshot *s, bool (*keep)(const struct exit_key *k, void *ctx), void *ctx);
/* A keep of snapshot_keep: the keys of vCPU *(const int32_t *)ctx. */
bool exit_key_of_vcpu(const struct exit_key *k, void *ctx);
/* out = cur - prev for cumulative snapshots: the interval's deltas. Keys
 * whose delta is zero are left out. 0 or -ENOMEM. */
int snapshot_diff(struct snapshot *out, const struct snapshot *cur, const struct snapshot *prev);
/* out = src summed over vCPUs (BY_VM) or over VMs and vCPUs (BY_REASON);
 * BY_VCPU copies. 0 or -ENOMEM. */
int snapshot_aggregate(struct snapshot *out, const struct snapshot *src, enum aggregate_by by);
/* out = src with every key's detail 0: the counts per reason. 0 or -ENOMEM. */
int snapshot_fold_details(struct snapshot *out, const struct snapshot *src);
/* out = src with, of each key's details, the top `top` by count kept and
 * the rest summed under detail DETAIL_OTHER: bounded whatever the number
 * of details (a store's rows, Prometheus' series). 0 or -ENOMEM. */
int snapshot_top_details(struct snapshot *out, const struct snapshot *src, unsigned top);
/* The count of key's exits at a guest RIP (key.rip, key.ring), in s's
 * rips (made when s has none). NULL only when out of memory. */
struct exit_stat *snapshot_get_rip(struct snapshot *s, const struct exit_key *k);
/* Of s's rips, those of key (all its fields but rip and ring equal), the
 * `top` most frequent, most first, into v (room for top); how many. */
size_t snapshot_top_rips(const struct snapshot *s, const struct exit_key *key, const struct snap_entry **v,
			 size_t top);
/* Whether any key has a detail. */
bool snapshot_has_details(const struct snapshot *s);
/* Total over all keys. */
void snapshot_total(const struct snapshot *s, struct exit_stat *total);
bool snapshot_saturated(const struct snapshot *s);

/* The KVM statistics the ISA_KVM keys are indexes of (a reference is
 * taken; NULL drops it). Snapshots made from s (merge into an empty one,
 * diff, aggregate) carry it on; clear keeps it. */
void snapshot_set_kvm(struct snapshot *s, struct kvm_counters *kc);
/* Printable name of a key's reason (see reason_format); ISA_KVM codes by
 * the snapshot's KVM statistics. Always NUL-terminates; returns buf. */
char *snapshot_reason_name(const struct snapshot *s, const struct exit_key *k, char *buf, size_t len);
/* Whether a key's count belongs in a total of exits: every hardware
 * reason; of KVM's statistics only "exits", and only when the snapshot's
 * counters say so (kvm_counters_in_total). */
bool snapshot_in_total(const struct snapshot *s, const struct exit_key *k);

int snapshot_set_name(struct snapshot *s, uint32_t pid, uint64_t start, const char *name);
const char *snapshot_name(const struct snapshot *s, uint32_t pid, uint64_t start);

/* One interval [start_ns, end_ns) of a replayed recording and the exits
 * it added (valid during the call): what the replay sources, a trace on
 * its own clock (trace_intervals) and a record store (store_each_interval),
 * hand their sink (a store, a plot). Non-zero stops the replay and is
 * returned. */
typedef int (*interval_fn)(void *ctx, uint64_t start_ns, uint64_t end_ns, const struct snapshot *delta);

/* The entries one after another, in no order, from *pos = 0 on: NULL
 * after the last. Modules outside the model walk a snapshot this way
 * only: for (size_t i = 0; (e = snapshot_next(s, &i));) */
const struct snap_entry *snapshot_next(const struct snapshot *s, size_t *pos);

/* Entries as an array of pointers, in table order (callers sort it);
 * caller frees. NULL on out of memory (and for an empty snapshot, *n = 0). */
const struct snap_entry **snapshot_entries(const struct snapshot *s, size_t *n);

#endif
