/* The live engine: opens the sources the options ask for, reads them into
 * one cumulative snapshot per reading, names the VMs, notices the VMs that
 * ended and retires them, keeps the collector's losses, and hands each
 * reading to one sink (sink.h), whatever the sink does with it.
 *
 * The route of one exit: the BPF programs count it in a slot of their
 * per-CPU array (bpf/exitstat.bpf.c); engine_read asks each source to add
 * its counts to the reading (source_tracepoint.c: exitstat_read; or
 * source_vcpu_stats.c); live_run (live_run.c) takes the interval's delta
 * and hands it to the sink (sink_print.c), which renders it (render.c). */
#ifndef KVMEXITSTAT_ENGINE_H
#define KVMEXITSTAT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "live_opts.h"
#include "slow.h"
#include "snapshot.h"

/* A source of live counts. Each reading adds its cumulative counts to a
 * snapshot; a VM that ended is forgotten once it was reported. */
struct source_ops {
	const char *name;
	/* add the counts now (VMs with their pid, start and vCPU) */
	int (*read)(void *self, struct snapshot *into);
	/* before each reading: -n names learnt since (NULL: nothing to do) */
	void (*tick)(void *self);
	void (*forget)(void *self, uint32_t pid, uint64_t start);
	/* add what it lost so far (NULL: it loses nothing) */
	void (*health)(void *self, struct health *h);
	/* the name of a VM process that is gone, as the source saw it (NULL: none) */
	bool (*comm)(void *self, uint32_t pid, uint64_t start, char *buf, size_t len);
	const char *(*describe)(const void *self);
	/* --slow: hand each slow exit listed since the last call to fn (NULL:
	 * the source lists none); the number, or -errno */
	int (*slow)(void *self, void (*fn)(void *ctx, const struct slow_exit *e), void *ctx);
	void (*close)(void *self);
};

struct source {
	const struct source_ops *ops;
	void *self;
};

struct engine;

/* Open the sources o asks for (messages said), and fill o->pids' start
 * times (the processes with those pids now); baseline: a VM running now
 * counts from the first reading on (live statistics, record), not from
 * its start (serve, top). o must outlive the engine. 0, or the exit
 * status to end with. */
int engine_open(struct engine **out, struct live_opts *o, bool baseline);
void engine_close(struct engine *e);

/* A reading: every source's cumulative counts now, the VMs named. */
int engine_read(struct engine *e);
/* The last reading. */
const struct snapshot *engine_current(const struct engine *e);
/* out = the last reading - the one engine_advance last kept. */
int engine_delta(struct engine *e, struct snapshot *out);
/* After a reading was handed on: the VMs that ended before it are
 * retired (their totals kept as finely as by shows them), and it becomes
 * the base of the next delta. */
int engine_advance(struct engine *e, enum aggregate_by by);
/* --slow: the slow exits the readings since the last call listed, in the
 * order they came (valid until the next call); then forgets them. */
const struct slow_exit *engine_take_slow(struct engine *e, size_t *n);
/* Retire ended VMs only (the totals-only run between its wake-ups). */
int engine_retire(struct engine *e, enum aggregate_by by);
/* The last reading and every retired VM: the run's totals, named. */
int engine_totals(struct engine *e, struct snapshot *out);

/* What the collector lost so far; since the last call of
 * engine_interval_losses; said on stderr when it rose (quiet: not). */
void engine_losses(struct engine *e, struct health *h);
void engine_interval_losses(struct engine *e, struct health *d);
void engine_warn_losses(struct engine *e, bool quiet);
/* "tp_btf (SVM, exit->entry timing) + KVM vCPU stats ...". */
const char *engine_describe(const struct engine *e);

/* Whether a signal asked the run to stop. */
bool engine_stopped(void);
void engine_stop(void);

/* The live commands load BPF programs: root, or say what is needed. 0 or
 * EXIT_FAIL. */
int engine_check_root(void);

/* The sources (source_tracepoint.c, source_vcpu_stats.c). wanted: whether
 * -p/-n let a VM process through (the stats source reads every vCPU).
 * exits_in_total: KVM's "exits" makes the totals (only without the
 * tracepoint, whose exits it counts again). */
int source_tracepoint_open(struct source *out, const struct live_opts *o, char *msg, size_t len);
const char *source_tracepoint_fallback(const struct source *s);
int source_vcpu_stats_open(struct source *out, bool baseline, bool exits_in_total,
			   bool (*wanted)(void *ctx, uint32_t pid, uint64_t start), void *ctx, char *msg, size_t len);
/* the stats source's first reading: what VMs running now had done */
int source_vcpu_stats_baseline(struct source *s);

#endif
