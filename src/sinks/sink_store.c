/* record: each interval's deltas, with what the collector lost in it,
 * appended to the record store (store.c) as one transaction. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "sink.h"
#include "store.h"

struct recorder {
	const struct live_opts *o;
	int argc;
	char **argv;
	struct store *store;
	uint64_t last_ns;       /* the end of the last interval stored */
	struct snapshot delta;
};

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int start(void *self, struct engine *e)
{
	struct recorder *r = self;
	char msg[512];
	r->last_ns = real_ns();
	struct store_run run = { engine_describe(e), r->o->interval, r->last_ns, r->argc, r->argv, NULL };
	if (store_create(&r->store, r->o->store_path, &run, msg, sizeof(msg))) {
		fprintf(stderr, "kvmexitstat record: %s\n", msg);
		return EXIT_FAIL;
	}
	fprintf(stderr, "kvmexitstat: recording VM exits with %s into %s, every %g s\n", engine_describe(e),
		r->o->store_path, r->o->interval);
	return 0;
}

/* The interval from the last one's end to now (an empty stretch of no
 * time is not stored). */
static int store_interval(struct recorder *r, struct engine *e, const struct snapshot *delta, char *msg, size_t len)
{
	uint64_t now_ns = real_ns();
	if (now_ns <= r->last_ns)
		return 0;
	struct health lost;
	engine_interval_losses(e, &lost);
	/* --detail=N: each reason's top N details of the interval, the rest
	 * as (other), so that the store grows by a bounded number of rows */
	struct snapshot top;
	snapshot_init(&top);
	if (r->o->detail && snapshot_top_details(&top, delta, r->o->ro.detail_top)) {
		snapshot_free(&top);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	size_t nslow = 0;
	const struct slow_exit *slow = r->o->slow_ns ? engine_take_slow(e, &nslow) : NULL;
	int err = store_append(r->store, r->last_ns, now_ns, r->o->detail ? &top : delta, &lost, slow, nslow, msg,
			       len);
	snapshot_free(&top);
	if (!err)
		r->last_ns = now_ns;
	return err;
}

static int reading(void *self, struct engine *e, const struct reading *rd, char *msg, size_t len)
{
	return store_interval(self, e, rd->snap, msg, len);
}

/* stopped (not killed): the interval in progress too */
static int finish(void *self, struct engine *e, double seconds)
{
	struct recorder *r = self;
	char msg[512];
	uint64_t nint, nrows;
	(void)seconds;
	if (engine_read(e)) {
		fprintf(stderr, "kvmexitstat: reading the BPF maps failed\n");
		return EXIT_FAIL;
	}
	if (engine_delta(e, &r->delta)) {
		fprintf(stderr, "kvmexitstat: out of memory\n");
		return EXIT_FAIL;
	}
	int err = store_interval(r, e, &r->delta, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "kvmexitstat: %s\n", err == -ENOMEM ? "out of memory" : msg);
		return EXIT_FAIL;
	}
	store_counts(r->store, &nint, &nrows);
	fprintf(stderr, "kvmexitstat record: %llu intervals, %llu rows in %s\n", (unsigned long long)nint,
		(unsigned long long)nrows, r->o->store_path);
	return EXIT_OK;
}

static void close_recorder(void *self)
{
	struct recorder *r = self;
	store_close(r->store);
	snapshot_free(&r->delta);
	free(r);
}

static const struct sink_ops store_ops = {
	.start = start, .reading = reading, .finish = finish, .close = close_recorder,
};

int sink_store_open(struct sink *out, const struct live_opts *o, int argc, char **argv)
{
	struct recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = o;
	r->argc = argc;
	r->argv = argv;
	snapshot_init(&r->delta);
	*out = (struct sink){ &store_ops, r };
	return 0;
}
