/* One line of trace text, split into its parts. Knows the line layouts of
 * ftrace (trace, trace_pipe), trace-cmd report, perf script and the kernel
 * log of the in-kernel instrumentation; knows nothing of exit reasons. */
#ifndef KVMEXITSTAT_TRACE_LINE_H
#define KVMEXITSTAT_TRACE_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasons.h"

enum line_kind {
	LINE_OTHER = 0,   /* not a KVM exit event: skipped */
	LINE_EXIT,        /* kvm_exit */
	LINE_ENTRY,       /* kvm_entry */
	LINE_KLOG_HEADER, /* CMPE283: VMX Exit Stats (total=T) [pid=P vcpu=V [skipped=K]] */
	LINE_KLOG_EXIT,   /* CMPE283: exit R count=C */
	LINE_BAD,         /* a kvm_exit or CMPE283 exit line that cannot be decoded */
};

struct trace_line {
	enum line_kind kind;
	const char *why;        /* LINE_BAD: what is wrong */

	bool has_ts;
	uint64_t ts_ns;
	bool has_tid;           /* thread id from the comm column */
	uint32_t tid;
	bool has_tgid;          /* process id: "(tgid)" column or perf's pid/tid */
	uint32_t tgid;
	int32_t cpu;            /* -1 when absent */
	const char *comm;       /* not NUL-terminated; comm_len 0 when absent */
	size_t comm_len;

	int32_t vcpu;           /* -1 when absent */
	const char *reason;     /* LINE_EXIT: the reason text, trimmed */
	size_t reason_len;
	bool reason_last;       /* LINE_EXIT: nothing after it (the line may be cut in it) */

	enum isa klog_isa;      /* LINE_KLOG_HEADER */
	uint64_t klog_total;    /* LINE_KLOG_HEADER: T */
	bool klog_has_id;       /* LINE_KLOG_HEADER: "pid=P vcpu=V" after it */
	uint32_t klog_pid;
	int32_t klog_vcpu;
	uint64_t klog_skipped;  /* "skipped=K": reports left out before this one */
	bool klog_final;        /* "final": the report a vCPU prints as it ends */
	uint64_t klog_count;    /* LINE_KLOG_EXIT: C (reason text in reason/reason_len) */
};

/* Parse one line (without its newline; a trailing CR is ignored). */
void trace_line_parse(const char *line, size_t len, struct trace_line *out);

#endif
