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
	LINE_DETAIL,      /* kvm_pio, kvm_msr, kvm_cr, kvm_page_fault, kvm_mmio, kvm_fast_mmio,
			   * kvm_hypercall, kvm_userspace_exit: what KVM did with the exit */
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

	size_t fields;          /* LINE_EXIT/ENTRY, or BAD of a kvm_exit: where its fields start */

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
	uint64_t detail;        /* LINE_DETAIL: the value (detail.h) */
	bool has_rip;           /* LINE_EXIT: the guest RIP of the exit ("rip 0x..") */
	uint64_t rip;
	bool has_info;          /* LINE_EXIT from a trace.dat record: its info fields */
	uint64_t info1, info2;
	bool has_intr_info;
	uint32_t intr_info;
};

/* Parse one line (without its newline; a trailing CR is ignored). */
void trace_line_parse(const char *line, size_t len, struct trace_line *out);

/* The exit record's info fields of a kvm_exit line (t from
 * trace_line_parse): "info1 A info2 B intr_info C" or the older "info A
 * B". False when it has none. */
struct exit_info {
	uint64_t info1, info2;
	bool has_intr_info;
	uint32_t intr_info;
};
bool trace_line_exit_info(const char *line, size_t len, const struct trace_line *t, struct exit_info *out);

/* Whether a kvm_exit/kvm_entry line (t from trace_line_parse) may go on in
 * the next line: it does not end as the kernel's layouts end (after
 * "error_code V" or "info A B"; an entry after a value), so a mail client
 * may have wrapped it. */
bool trace_line_open(const char *line, size_t len, const struct trace_line *t);

/* Whether next, a line that is no record of its own, continues open (a
 * record trace_line_open said may go on): it supplies the value of a field
 * open ends with, or starts with a field of the record's layout. */
bool trace_line_continues(const char *open, size_t open_len, const char *next, size_t next_len);

/* Where a line proper starts after a paste's quote marks and margin label. */
size_t trace_line_body(const char *line, size_t len);

#endif
