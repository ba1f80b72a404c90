/* Types shared by the BPF programs (exitstat.bpf.c) and the user side
 * (src/bpf_source.c). Fixed-width types only. */
#ifndef KVMEXITSTAT_BPF_EXITSTAT_H
#define KVMEXITSTAT_BPF_EXITSTAT_H

#define EXITSTAT_HIST_SLOTS 64   /* log2 of nanoseconds, as the model's histogram */
#define EXITSTAT_CPU_SLOTS 256   /* (VM, vCPU, reason) slots of each CPU's array */
#define EXITSTAT_MAX_KEYS 16384  /* keys in the hash the slots overflow to */
#define EXITSTAT_MAX_FILTER 4096 /* VM processes with a filter verdict */
#define EXITSTAT_MAX_NAMES 8     /* -n names the kernel compares with process names */
#define EXITSTAT_COMM_LEN 16
#define EXITSTAT_MAX_DETAILS 16384 /* (key, detail) pairs of --detail beyond the slots */
#define EXITSTAT_DETAIL_SLOTS 128   /* --detail: (key, detail) slots of each CPU's array */
#define EXITSTAT_MAX_RIPS 16384     /* --rip: (key, detail, guest RIP) counts; a RIP beyond is not told */

/* 24 bytes: hashed on every exit, so kept small. The reason is 32 bits,
 * as in the kvm_exit tracepoint (SVM's negative codes read 0xffffffff). A
 * VM is its process, pid and start: a pid is used again once its process
 * ended. */
struct exitstat_key {
	__u32 tgid;     /* VM process */
	__u32 vcpu_id;
	__u32 reason;   /* full exit reason */
	__u32 isa;      /* 1 VMX, 2 SVM */
	__u64 start;    /* the VM process's start_boottime, ns since boot */
};

/* A VM process in the filter and name maps: its pid and start in clock
 * ticks since boot, as /proc/PID/stat says it (the user side's units). */
struct exitstat_vm {
	__u32 tgid;
	__u32 pad;
	__u64 start;
};

struct exitstat_val {
	__u64 count;
	__u64 timed;
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 hist[EXITSTAT_HIST_SLOTS];
};

/* One slot of the per-CPU slot array (CPU c owns slots c*EXITSTAT_CPU_SLOTS
 * and on). Free while key.isa is 0; the programs write key.isa last when
 * they take a slot, and the user side frees a slot by zeroing key.isa. */
struct exitstat_slot {
	struct exitstat_key key;
	struct exitstat_val val;
};

/* A thread's exit->entry pairing state (see exitstat.bpf.c); the user side
 * reads it only to drop the states of ended VMs. */
enum { PAIR_NONE, PAIR_EXITED, PAIR_ENTERED };

struct exitstat_pending {
	__u64 exit_ts;
	__u64 entry_ts;
	struct exitstat_key key;
	__u32 state;
	__u32 tid;
	__u64 detail; /* --detail: what KVM said of the exit so far (detail_codes.h) */
	__u32 firm;   /* detail_merge's */
	__u32 exit_cpu; /* --slow: where it exited */
	__u64 out_ts;   /* --slow: when the thread was switched out, 0: it runs */
	__u64 sched_ns; /* --slow: how long it was switched out since the exit */
	__u64 rip;      /* --rip, and --slow on SVM: the guest's RIP at the exit */
	__u32 ring;     /* --rip: 1 guest kernel, 2 guest user, 0 not known */
	__u32 pad;
};

/* --slow: an exit that took at least the threshold, from the ring buffer. */
struct exitstat_slow {
	struct exitstat_key key;
	__u64 exit_ts;  /* bpf_ktime_get_ns at the exit */
	__u64 ns;       /* its handling time */
	__u64 sched_ns; /* of which its thread was switched out */
	__u64 detail;   /* with --detail */
	__u64 rip;      /* the guest's RIP at the exit, 0 unknown (SVM; VMX with --rip) */
	__u32 tid;
	__u32 exit_cpu, entry_cpu;
	__u32 ring;     /* with rip: 1 kernel, 2 user, 0 unknown */
};

/* --detail: an exit's key and its detail. */
struct exitstat_dkey {
	struct exitstat_key key;
	__u64 detail;
};

/* --rip: a (key, detail) and a guest RIP; its value is a count. */
struct exitstat_rkey {
	struct exitstat_dkey dk;
	__u64 rip;
	__u32 ring; /* as exitstat_pending's */
	__u32 pad;
};

/* VMX --rip: the guest RIP of the exit this CPU is tracing, as the classic
 * kvm_exit tracepoint read it (the VMCS is out of the programs' reach) */
struct exitstat_exit_rip {
	__u32 tid;
	__u32 pad;
	__u64 rip;
};

/* One slot of the per-CPU detail slot array, as exitstat_slot: free while
 * key.key.isa is 0, written last. */
struct exitstat_dslot {
	struct exitstat_dkey key;
	struct exitstat_val val;
};

/* Per-CPU counters of the collector's own health. */
enum exitstat_health {
	HEALTH_KEYS_FULL,    /* an exit not counted: the key map was full */
	HEALTH_UNPAIRED,     /* an exit followed by another exit, not an entry */
	HEALTH_PAIRS_LOST,   /* an exit->entry pair dropped: the pairing hash was full */
	HEALTH_FILTER_FULL,  /* a VM's filter verdict not kept: allowed_tgids was full */
	HEALTH_SLOW_LOST,    /* --slow: a slow exit not listed: the ring buffer was full */
	HEALTH_RIPS_FULL,    /* --rip: an exit's RIP not told (counted all the same): the RIP hash was full */
	HEALTH_COUNT,
};

#endif
