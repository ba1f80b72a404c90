/* The tracepoint source: BPF programs on kvm:kvm_exit and kvm:kvm_entry
 * count every exit per (VM process, vCPU, ISA, reason) and time it; this
 * side loads them and reads their maps into the model. */
#ifndef KVMEXITSTAT_EXITSTAT_BPF_H
#define KVMEXITSTAT_EXITSTAT_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "vm_names.h"
#include "slow.h"
#include "snapshot.h"

enum bpf_flavour { FLAVOUR_AUTO, FLAVOUR_BTF, FLAVOUR_CLASSIC };

struct exitstat_opts {
	bool with_time;           /* attach kvm_entry too and time each exit */
	bool with_detail;         /* key exits by their detail too (tp_btf only; times them) */
	uint64_t slow_ns;         /* > 0: list each exit at least this long (tp_btf only; times them) */
	bool with_rip;            /* count exits by guest RIP too, in the snapshot's rips (tp_btf only; with_detail's way) */
	enum bpf_flavour flavour; /* AUTO: tp_btf when KVM's module has BTF, else classic */
	const struct vm_id *tgids; /* count only these VM processes (in the kernel) */
	size_t ntgids;
	const char *const *names; /* and VMs whose process name is one of these */
	size_t nnames;
};


struct exitstat;

/* Load and attach. On failure returns -errno and a one-line message saying
 * why and what to do. */
int exitstat_open(struct exitstat **out, const struct exitstat_opts *o, char *msg, size_t len);
/* The cumulative counts so far, into snap (cleared first). 0 or -errno. */
int exitstat_read(struct exitstat *s, struct snapshot *snap);
/* Add a VM process (pid, start) to the kernel-side filter (a -n name
 * matched it). 0, or -errno when the filter map has no room. */
int exitstat_allow(struct exitstat *s, uint32_t tgid, uint64_t start);
/* --slow: hand each slow exit the programs listed since the last call to
 * fn, in the order they came. The number handed, or -errno. */
int exitstat_slow(struct exitstat *s, void (*fn)(void *ctx, const struct slow_exit *e), void *ctx);
/* Forget a VM process's counts (it ended and was reported). */
void exitstat_forget(struct exitstat *s, uint32_t tgid, uint64_t start);
/* The VM process's name as the kernel saw it at its first exit. */
bool exitstat_comm(struct exitstat *s, uint32_t tgid, uint64_t start, char *buf, size_t len);
/* Add what the programs could not do so far (exits, pairs, filter verdicts
 * lost; unpaired exits) to h. */
void exitstat_health(struct exitstat *s, struct health *h);
/* Why the default took the classic programs rather than tp_btf (a module
 * without BTF, the verifier's reason), or NULL. */
const char *exitstat_fallback(const struct exitstat *s);
/* "tp_btf (SVM)" or "tracepoint (classic)". */
const char *exitstat_describe(const struct exitstat *s);
void exitstat_close(struct exitstat *s);

#endif
