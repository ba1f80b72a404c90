/* KVM's per-vCPU statistics (vcpustats_bpf.c) behind the engine's source
 * interface. It reads every vCPU of the host, so -p/-n are applied here;
 * a vCPU whose file was closed since the last reading (its VM ended) keeps
 * its last counts until the engine retires the VM. */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "vcpustats_bpf.h"

struct vcpu_stats {
	struct vcpustats *src;
	bool baseline;          /* count from the first reading on (see read_counts) */
	bool baselined;
	struct snapshot last;   /* the last reading */
	struct snapshot base;   /* baseline: the first reading */
	bool (*wanted)(void *ctx, uint32_t pid, uint64_t start);
	void *ctx;
};

static bool wanted_key(const struct exit_key *k, void *ctx)
{
	struct vcpu_stats *v = ctx;
	return v->wanted(v->ctx, k->pid, k->start);
}

/* The counts now, added to into. */
static int read_counts(void *self, struct snapshot *into)
{
	struct vcpu_stats *v = self;
	struct snapshot fresh;
	int err;

	snapshot_init(&fresh);
	if ((err = vcpustats_read(v->src, &fresh)) || (err = snapshot_keep(&fresh, wanted_key, v)))
		goto out;
	err = -ENOMEM;
	const struct snap_entry *e;
	for (size_t i = 0; (e = snapshot_next(&v->last, &i));) {
		if (snapshot_find(&fresh, &e->key))
			continue;
		struct exit_stat *st = snapshot_get(&fresh, &e->key);
		if (!st)
			goto out;
		*st = e->st;
	}
	/* KVM counts since each VM started. Live reports and the record store
	 * count from the first reading: the history of a VM already running
	 * then is no interval's (it would show as one interval's rate). serve
	 * and top show KVM's counts as they are: counters since the VM started,
	 * whose rates they take between readings. */
	if (v->baseline) {
		struct snapshot since;
		snapshot_init(&since);
		if ((!v->baselined && snapshot_merge(&v->base, &fresh)) || snapshot_diff(&since, &fresh, &v->base) ||
		    snapshot_merge(into, &since)) {
			snapshot_free(&since);
			goto out;
		}
		snapshot_free(&since);
		v->baselined = true;
	} else if (snapshot_merge(into, &fresh)) {
		goto out;
	}
	snapshot_free(&v->last);
	v->last = fresh;
	snapshot_init(&fresh);
	err = 0;
out:
	snapshot_free(&fresh);
	return err;
}

struct vm_key {
	uint32_t pid;
	uint64_t start;
};

static bool other_vm(const struct exit_key *k, void *ctx)
{
	const struct vm_key *vm = ctx;
	return k->pid != vm->pid || k->start != vm->start;
}

static void forget(void *self, uint32_t pid, uint64_t start)
{
	struct vcpu_stats *v = self;
	struct vm_key vm = { pid, start };
	vcpustats_forget(v->src, pid, start);
	/* (out of memory: the VM's keys stay, and count nothing more) */
	snapshot_keep(&v->last, other_vm, &vm);
	snapshot_keep(&v->base, other_vm, &vm);
}

static const char *describe(const void *self)
{
	return vcpustats_describe(((const struct vcpu_stats *)self)->src);
}

static void close_source(void *self)
{
	struct vcpu_stats *v = self;
	vcpustats_close(v->src);
	snapshot_free(&v->last);
	snapshot_free(&v->base);
	free(v);
}

static const struct source_ops vcpu_stats_ops = {
	.name = "stats", .read = read_counts, .forget = forget, .describe = describe, .close = close_source,
};

int source_vcpu_stats_open(struct source *out, bool baseline, bool exits_in_total,
			   bool (*wanted)(void *ctx, uint32_t pid, uint64_t start), void *ctx, char *msg, size_t len)
{
	struct vcpu_stats *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	int err = vcpustats_open(&v->src, exits_in_total, msg, len);
	if (err) {
		free(v);
		return err;
	}
	v->baseline = baseline;
	v->wanted = wanted;
	v->ctx = ctx;
	snapshot_init(&v->last);
	snapshot_init(&v->base);
	*out = (struct source){ &vcpu_stats_ops, v };
	return 0;
}

int source_vcpu_stats_baseline(struct source *s)
{
	struct snapshot ignored;
	snapshot_init(&ignored);
	int err = read_counts(s->self, &ignored);
	snapshot_free(&ignored);
	return err;
}
