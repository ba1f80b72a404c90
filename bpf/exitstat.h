/* Types shared by the BPF programs (exitstat.bpf.c) and the user side
 * (src/bpf_source.c). Fixed-width types only. */
#ifndef KVMEXITSTAT_BPF_EXITSTAT_H
#define KVMEXITSTAT_BPF_EXITSTAT_H

#define EXITSTAT_HIST_SLOTS 64   /* log2 of nanoseconds, as the model's histogram */
#define EXITSTAT_MAX_KEYS 16384  /* (VM, vCPU, reason) keys */
#define EXITSTAT_MAX_FILTER 4096 /* VM processes with a filter verdict */
#define EXITSTAT_MAX_NAMES 8     /* -n names the kernel compares with process names */
#define EXITSTAT_COMM_LEN 16

/* 16 bytes: hashed on every exit, so kept small. The reason is 32 bits,
 * as in the kvm_exit tracepoint (SVM's negative codes read 0xffffffff). */
struct exitstat_key {
	__u32 tgid;     /* VM process */
	__u32 vcpu_id;
	__u32 reason;   /* full exit reason */
	__u32 isa;      /* 1 VMX, 2 SVM */
};

struct exitstat_val {
	__u64 count;
	__u64 timed;
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 hist[EXITSTAT_HIST_SLOTS];
};

/* Per-CPU counters of the collector's own health. */
enum exitstat_health {
	HEALTH_KEYS_FULL,    /* an exit not counted: the key map was full */
	HEALTH_UNPAIRED,     /* an exit followed by another exit, not an entry */
	HEALTH_COUNT,
};

#endif
