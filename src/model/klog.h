/* The model of the instrumentation's kernel log: the series of cumulative
 * reports of one reporter (the importer reads them, the renderers show
 * them). */
#ifndef KVMEXITSTAT_KLOG_H
#define KVMEXITSTAT_KLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasons.h"
#include "snapshot.h"

/* One block of the kernel log report: cumulative counts at one moment. */
struct klog_point {
	bool has_ts;
	uint64_t ts_ns;
	uint64_t total; /* the header's total */
	uint64_t sum;   /* the sum of the block's exit lines */
};

/* The reports of one reporter: a vCPU when the headers name it ("pid=P
 * vcpu=V", as kvmexitstat's kernel patch prints), else the whole log. */
struct klog_series {
	bool has_id;
	uint32_t pid;
	int32_t vcpu;
	uint64_t skipped;      /* the last header's skipped= */
	bool final;            /* the last header says "final": the vCPU ended */
	struct klog_point *points;
	size_t npoints, cap;
	struct snapshot first; /* counts of the first and last block */
	struct snapshot last;
	enum isa isa;
};

#endif
