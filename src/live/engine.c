/* The live engine (engine.h): sources in, one reading at a time. */
#define _GNU_SOURCE
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "host_kvm.h"
#include "reasons.h"
#include "vm_names.h"

#define MAX_SOURCES 2

struct engine {
	struct source src[MAX_SOURCES];
	size_t nsrc;
	const struct live_opts *o;
	struct snapshot prev, cur, retired, names;
	char describe[256];
	struct health lost_here;      /* losses the engine counts (the sources count theirs) */
	struct health warned;         /* the losses when they were last said */
	struct health at_interval;    /* the losses at the last interval's end */
	struct vm_id ended[256];      /* VMs found ended before the latest reading */
	size_t nended;
	struct slow_exit *slow;       /* --slow: listed since engine_take_slow */
	size_t nslow, slow_cap, slow_given;
};

/* At most this many slow exits are kept between two reports; the rest are
 * counted as lost (a threshold that low lists nearly every exit). */
#define SLOW_KEEP 100000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

bool engine_stopped(void)
{
	return stop;
}

void engine_stop(void)
{
	stop = 1;
}

int engine_check_root(void)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "kvmexitstat: live statistics load BPF programs: run as root (or with CAP_BPF, "
			"CAP_PERFMON and CAP_SYS_RESOURCE)\n");
	return EXIT_FAIL;
}

/* -p/-n for the stats source, which reads every vCPU of the host: whether
 * a VM process is one of those asked for. */
static bool wanted_vm(void *ctx, uint32_t pid, uint64_t start)
{
	struct engine *e = ctx;
	const struct live_opts *o = e->o;
	if (!o->npids && !o->nnames)
		return true;
	if (vm_in(o->pids, o->npids, pid, start))
		return true;
	char name[64];
	const char *known = snapshot_name(&e->names, pid, start);
	if (!known && vm_name(pid, start, name, sizeof(name)) && !snapshot_set_name(&e->names, pid, start, name))
		known = name;
	for (size_t k = 0; known && k < o->nnames; k++)
		if (!strcmp(known, o->names[k]))
			return true;
	return false;
}

/* A signal made loading fail (the verifier gives up with EAGAIN when one
 * is pending): the user asked to stop, so this is no error. */
static int stopped_while_loading(void)
{
	fprintf(stderr, "kvmexitstat: stopped while loading its BPF programs; nothing was counted\n");
	return EXIT_OK;
}

/* Which sources: by what KVM is loaded, unless --source says. 0 or an exit status. */
static int choose_sources(const struct live_opts *o, int *sources)
{
	if (host_kvm() == HOST_KVM_NONE) {
		fprintf(stderr, "kvmexitstat: KVM is not loaded (no kvm module): modprobe kvm-intel or kvm-amd\n");
		return EXIT_FAIL;
	}
	bool vmx_svm = host_kvm_hardware(); /* kvm_intel or kvm_amd runs the guests */
	*sources = o->sources;
	if (*sources == SRC_AUTO) {
		/* kvm_exit fires only where kvm_intel or kvm_amd runs the guests */
		*sources = vmx_svm ? SRC_TRACEPOINT : SRC_STATS;
		if (!vmx_svm && (o->latency || o->count_only || o->detail || o->rip || o->slow_ns ||
				 o->flavour != FLAVOUR_AUTO)) {
			fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host (neither kvm_intel nor "
					"kvm_amd is loaded: its KVM runs guests without VMX or SVM, as PVM does), and %s needs it; "
					"KVM's vCPU statistics (--source stats) have counts only\n",
				o->latency ? "--latency" : o->count_only ? "--count-only" : o->detail ? "--detail"
				: o->rip ? "--rip" : o->slow_ns ? "--slow" : "--bpf");
			return EXIT_USAGE;
		}
		if (!vmx_svm)
			fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host (neither kvm_intel nor "
					"kvm_amd is loaded): counting with KVM's vCPU statistics instead\n");
	}
	if ((*sources & SRC_TRACEPOINT) && !vmx_svm) {
		fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host: neither kvm_intel nor kvm_amd "
				"is loaded (its KVM runs guests without VMX or SVM, as PVM does), so the tracepoint source has "
				"nothing to count; use KVM's vCPU statistics (--source stats)\n");
		return EXIT_FAIL;
	}
	return 0;
}

int engine_open(struct engine **out, struct live_opts *o, bool baseline)
{
	char msg[512];
	int sources, st;

	/* before loading anything: a Ctrl-C while the programs load (which
	 * can take seconds on a busy or emulated host) ends the run */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		fprintf(stderr, "kvmexitstat: out of memory\n");
		return EXIT_FAIL;
	}
	e->o = o;
	snapshot_init(&e->prev);
	snapshot_init(&e->cur);
	snapshot_init(&e->retired);
	snapshot_init(&e->names);
	/* -p: the processes with those pids now (a pid used again later is
	 * another VM) */
	for (size_t k = 0; k < o->npids; k++)
		if (!(o->pids[k].start = vm_start(o->pids[k].pid))) {
			fprintf(stderr, "kvmexitstat: -p %" PRIu32 ": no such process\n", o->pids[k].pid);
			st = EXIT_FAIL;
			goto fail;
		}
	if ((st = choose_sources(o, &sources)))
		goto fail;
	if (sources & SRC_TRACEPOINT) {
		if (source_tracepoint_open(&e->src[e->nsrc], o, msg, sizeof(msg))) {
			st = stop ? stopped_while_loading() : (fprintf(stderr, "kvmexitstat: %s\n", msg), EXIT_FAIL);
			goto fail;
		}
		if (source_tracepoint_fallback(&e->src[e->nsrc]))
			fprintf(stderr, "kvmexitstat: using the classic tracepoint programs, not tp_btf: %s\n",
				source_tracepoint_fallback(&e->src[e->nsrc]));
		e->nsrc++;
	}
	if (sources & SRC_STATS) {
		if (source_vcpu_stats_open(&e->src[e->nsrc], baseline, !e->nsrc, wanted_vm, e, msg,
					   sizeof(msg))) {
			st = stop ? stopped_while_loading() : (fprintf(stderr, "kvmexitstat: %s\n", msg), EXIT_FAIL);
			goto fail;
		}
		/* the baseline of the VMs running now (see source_vcpu_stats.c) */
		if (baseline && source_vcpu_stats_baseline(&e->src[e->nsrc])) {
			e->nsrc++;
			fprintf(stderr, "kvmexitstat: reading KVM's vCPU statistics failed\n");
			st = EXIT_FAIL;
			goto fail;
		}
		e->nsrc++;
	}
	bool stats = sources & SRC_STATS, tp = sources & SRC_TRACEPOINT;
	snprintf(e->describe, sizeof(e->describe), "%s%s%s%s", tp ? e->src[0].ops->describe(e->src[0].self) : "",
		 tp && stats ? " + " : "", stats ? e->src[e->nsrc - 1].ops->describe(e->src[e->nsrc - 1].self) : "",
		 !stats ? "" : baseline ? "; from the first reading on" : "; each VM's since it started");
	for (size_t i = 0; i < e->nsrc; i++)
		if (e->src[i].ops->tick)
			e->src[i].ops->tick(e->src[i].self);
	*out = e;
	return 0;
fail:
	engine_close(e);
	return st;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsrc; i++)
		e->src[i].ops->close(e->src[i].self);
	snapshot_free(&e->prev);
	snapshot_free(&e->cur);
	snapshot_free(&e->retired);
	snapshot_free(&e->names);
	free(e->slow);
	free(e);
}

static void keep_slow(void *ctx, const struct slow_exit *s)
{
	struct engine *e = ctx;
	if (slow_exit_room(&e->slow, e->nslow, &e->slow_cap, SLOW_KEEP)) {
		e->lost_here.n[H_SLOW_LOST]++;
		return;
	}
	e->slow[e->nslow++] = *s;
}

const struct slow_exit *engine_take_slow(struct engine *e, size_t *n)
{
	/* (the ones handed last time are gone now) */
	if (e->slow_given) {
		memmove(e->slow, e->slow + e->slow_given, (e->nslow - e->slow_given) * sizeof(*e->slow));
		e->nslow -= e->slow_given;
	}
	e->slow_given = e->nslow;
	*n = e->nslow;
	return e->slow;
}

const char *engine_describe(const struct engine *e)
{
	return e->describe;
}

const struct snapshot *engine_current(const struct engine *e)
{
	return &e->cur;
}

/* Name every VM that has counts: looked up once per process, while it is
 * there, and remembered (also for the totals after it ended). */
static void name_vms(struct engine *e, struct snapshot *s)
{
	const struct snap_entry *en;
	for (size_t i = 0; (en = snapshot_next(s, &i));) {
		const struct exit_key *k = &en->key;
		if (k->pid == PID_ALL || snapshot_name(s, k->pid, k->start))
			continue;
		const char *known = snapshot_name(&e->names, k->pid, k->start);
		char name[64];
		if (!known) {
			bool found = vm_name(k->pid, k->start, name, sizeof(name));
			for (size_t j = 0; !found && j < e->nsrc; j++)
				found = e->src[j].ops->comm && e->src[j].ops->comm(e->src[j].self, k->pid, k->start, name,
										     sizeof(name));
			if (!found) {
				strcpy(name, "(ended)");
				e->lost_here.n[H_UNNAMED]++;
			}
			snapshot_set_name(&e->names, k->pid, k->start, name);
			known = name;
		}
		snapshot_set_name(s, k->pid, k->start, known);
	}
}

/* The VMs of the last reading whose processes are gone. Found before the
 * next reading, so that it holds their final exits: a VM found ended after
 * a reading may have exited after it, and those exits would be forgotten
 * with its keys. */
static void find_ended(struct engine *e)
{
	e->nended = 0;
	const struct snap_entry *en;
	for (size_t i = 0; e->nended < sizeof(e->ended) / sizeof(e->ended[0]) && (en = snapshot_next(&e->cur, &i));) {
		const struct exit_key *k = &en->key;
		if (!vm_in(e->ended, e->nended, k->pid, k->start) && !vm_alive(k->pid, k->start))
			e->ended[e->nended++] = (struct vm_id){ k->pid, k->start };
	}
}

int engine_read(struct engine *e)
{
	int err = 0;
	for (size_t i = 0; i < e->nsrc; i++)
		if (e->src[i].ops->tick)
			e->src[i].ops->tick(e->src[i].self);
	find_ended(e);
	snapshot_clear(&e->cur);
	for (size_t i = 0; i < e->nsrc && !err; i++)
		err = e->src[i].ops->read(e->src[i].self, &e->cur);
	/* (after the counts: a slow exit listed is counted in this reading) */
	for (size_t i = 0; i < e->nsrc && !err; i++)
		if (e->src[i].ops->slow && e->o->slow_ns)
			e->src[i].ops->slow(e->src[i].self, keep_slow, e);
	int32_t vcpu = e->o->vcpu;
	if (!err && vcpu >= 0)
		err = snapshot_keep(&e->cur, exit_key_of_vcpu, &vcpu); /* --vcpu */
	if (!err)
		name_vms(e, &e->cur);
	return err;
}

int engine_delta(struct engine *e, struct snapshot *out)
{
	snapshot_clear(out);
	return snapshot_diff(out, &e->cur, &e->prev);
}

int engine_retire(struct engine *e, enum aggregate_by by)
{
	const struct vm_id *gone = e->ended;
	size_t ngone = e->nended;

	e->nended = 0;
	if (!ngone)
		return 0;
	struct snapshot keep;
	snapshot_init(&keep);
	const struct snap_entry *s;
	for (size_t i = 0; (s = snapshot_next(&e->cur, &i));) {
		bool dead = vm_in(gone, ngone, s->key.pid, s->key.start);
		/* an ended VM is kept only as finely as the report shows it:
		 * with --by reason, a host whose VMs come and go keeps a
		 * bounded number of keys however long it runs */
		struct exit_key k = s->key;
		if (dead && by != BY_VCPU)
			k.vcpu = VCPU_ALL;
		if (dead && by == BY_REASON)
			k.pid = PID_ALL, k.start = 0;
		struct exit_stat *st = snapshot_get(dead ? &e->retired : &keep, &k);
		if (!st) {
			snapshot_free(&keep);
			return -ENOMEM;
		}
		stat_merge(st, &s->st);
	}
	for (size_t k = 0; k < ngone; k++)
		for (size_t i = 0; i < e->nsrc; i++)
			e->src[i].ops->forget(e->src[i].self, gone[k].pid, gone[k].start);
	snapshot_free(&e->cur);
	e->cur = keep;
	return 0;
}

int engine_advance(struct engine *e, enum aggregate_by by)
{
	if (engine_retire(e, by))
		return -ENOMEM;
	snapshot_clear(&e->prev);
	return snapshot_merge(&e->prev, &e->cur);
}

int engine_totals(struct engine *e, struct snapshot *out)
{
	snapshot_clear(out);
	if (snapshot_merge(out, &e->cur) || snapshot_merge(out, &e->retired))
		return -ENOMEM;
	name_vms(e, out);
	return 0;
}

void engine_losses(struct engine *e, struct health *h)
{
	*h = e->lost_here;
	for (size_t i = 0; i < e->nsrc; i++)
		if (e->src[i].ops->health)
			e->src[i].ops->health(e->src[i].self, h);
}

void engine_warn_losses(struct engine *e, bool quiet)
{
	struct health now, rose;
	char what[512], when[16];
	engine_losses(e, &now);
	if (!quiet && health_diff(&rose, &now, &e->warned) && health_describe(what, sizeof(what), &rose)) {
		time_t t = time(NULL);
		struct tm tm;
		strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&t, &tm));
		fprintf(stderr, "kvmexitstat: %s: %s\n", when, what);
	}
	e->warned = now;
}

void engine_interval_losses(struct engine *e, struct health *d)
{
	struct health now;
	engine_losses(e, &now);
	health_diff(d, &now, &e->at_interval);
	e->at_interval = now;
}
