/* A trace (text, or a trace-cmd data file) as intervals of its own clock,
 * read once: each interval that holds an event is handed on with the
 * exits it added (record --from-trace stores them, plot draws them). */
#ifndef KVMEXITSTAT_TRACE_INTERVALS_H
#define KVMEXITSTAT_TRACE_INTERVALS_H

#include <stdint.h>

#include "reasons.h"
#include "snapshot.h"

struct trace_read {
	uint64_t unparsed;        /* kvm_exit lines that could not be decoded (said on stderr) */
	uint64_t first_ns, last_ns; /* the first and the last event's time */
};

/* Read path ("-": stdin) in intervals of step_ns, reasons of unknown ISA
 * as isa. Returns 0; -ENODATA when no kvm_exit/kvm_entry has a timestamp;
 * -EIO after a read error (said); -EINVAL for a trace-cmd file that cannot
 * be read (said); -ENOMEM; or what fn returned. */
int trace_intervals(const char *path, uint64_t step_ns, enum isa isa, interval_fn fn, void *ctx,
		    struct trace_read *out);

#endif
