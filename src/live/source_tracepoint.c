/* The kvm_exit/kvm_entry tracepoint source (exitstat.c) behind the
 * engine's source interface, with the -n names it must let through: VMs
 * whose QEMU -name matches join the kernel's filter as they appear. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct tracepoint {
	struct exitstat *src;
	const char *const *names;
	size_t nnames;
	uint64_t filter_full;       /* VMs the filter map had no room for */
	struct vm_id refused[64];   /* (each counted once) */
	size_t nrefused;
};

/* -n NAME: the VM processes of that name now (new ones join the filter). */
static void tick(void *self)
{
	struct tracepoint *t = self;
	uint32_t vms[1024];
	if (!t->nnames)
		return;
	size_t n = vm_list(vms, 1024);
	for (size_t i = 0; i < n; i++) {
		char name[64];
		uint64_t start = vm_start(vms[i]);
		if (!start || !vm_name(vms[i], start, name, sizeof(name)))
			continue;
		for (size_t k = 0; k < t->nnames; k++)
			if (!strcmp(name, t->names[k]) && exitstat_allow(t->src, vms[i], start) &&
			    !vm_in(t->refused, t->nrefused, vms[i], start)) {
				/* the filter map is full: this VM is not counted */
				t->filter_full++;
				if (t->nrefused < sizeof(t->refused) / sizeof(t->refused[0]))
					t->refused[t->nrefused++] = (struct vm_id){ vms[i], start };
			}
	}
}

static int read_counts(void *self, struct snapshot *into)
{
	return exitstat_read(((struct tracepoint *)self)->src, into);
}

static void forget(void *self, uint32_t pid, uint64_t start)
{
	exitstat_forget(((struct tracepoint *)self)->src, pid, start);
}

static void health(void *self, struct health *h)
{
	struct tracepoint *t = self;
	h->n[H_FILTER_FULL] += t->filter_full;
	exitstat_health(t->src, h);
}

static bool comm(void *self, uint32_t pid, uint64_t start, char *buf, size_t len)
{
	return exitstat_comm(((struct tracepoint *)self)->src, pid, start, buf, len);
}

static const char *describe(const void *self)
{
	return exitstat_describe(((const struct tracepoint *)self)->src);
}

static int slow(void *self, void (*fn)(void *ctx, const struct slow_exit *e), void *ctx)
{
	return exitstat_slow(((struct tracepoint *)self)->src, fn, ctx);
}

static void close_source(void *self)
{
	struct tracepoint *t = self;
	exitstat_close(t->src);
	free(t);
}

static const struct source_ops tracepoint_ops = {
	.name = "tracepoint", .read = read_counts, .tick = tick, .forget = forget, .health = health,
	.comm = comm, .describe = describe, .slow = slow, .close = close_source,
};

int source_tracepoint_open(struct source *out, const struct live_opts *o, char *msg, size_t len)
{
	struct tracepoint *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	struct exitstat_opts so = { .with_time = !o->count_only, .with_detail = o->detail, .slow_ns = o->slow_ns,
				      .with_rip = o->rip,
				      .flavour = o->flavour,
				      .tgids = o->pids, .ntgids = o->npids, .names = o->names, .nnames = o->nnames };
	int err = exitstat_open(&t->src, &so, msg, len);
	if (err) {
		free(t);
		return err;
	}
	t->names = o->names;
	t->nnames = o->nnames;
	*out = (struct source){ &tracepoint_ops, t };
	return 0;
}

const char *source_tracepoint_fallback(const struct source *s)
{
	return exitstat_fallback(((const struct tracepoint *)s->self)->src);
}
