/* The loop every live command shares (sink.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "sink.h"

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int live_run(struct engine *e, const struct sink *k, const struct live_opts *o)
{
	const struct sink_ops *ops = k->ops;
	struct snapshot delta;
	char msg[512] = "out of memory";
	double interval = o->interval;
	int status = ops->start ? ops->start(k->self, e) : 0;

	if (status) {
		ops->close(k->self);
		return status;
	}
	snapshot_init(&delta);
	status = EXIT_FAIL;
	double start = mono_s(), last = start;
	uint64_t done = 0;
	bool first = true;
	while (!engine_stopped() && !(o->count && done >= o->count)) {
		double due = interval > 0 ? last + interval : INFINITY;
		double wake = fmin(due, mono_s() + 1.0);
		for (double left; !engine_stopped() && (left = wake - mono_s()) > 0;) {
			if (ops->wait) {
				double asked = interval;
				if (!ops->wait(k->self, left, &asked))
					engine_stop();
				if (asked != interval) {
					/* the next reading is due by the new interval */
					interval = asked;
					due = last + interval;
					wake = fmin(due, mono_s() + 1.0);
				}
				continue;
			}
			struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
			nanosleep(&ts, NULL); /* a signal ends it early */
		}
		if (engine_stopped())
			break;
		double t = mono_s();
		if (engine_read(e)) {
			snprintf(msg, sizeof(msg), "reading the BPF maps failed");
			goto out;
		}
		engine_warn_losses(e, ops->quiet);
		if (t + 1e-3 < due) {
			if (interval == 0 && engine_retire(e, o->ro.by))
				goto out;
			continue;
		}
		struct reading r = { &delta, t - last, first };
		if (ops->cumulative)
			r.snap = engine_current(e);
		else if (engine_delta(e, &delta))
			goto out;
		if (ops->reading(k->self, e, &r, msg, sizeof(msg)))
			goto out;
		first = false;
		if (engine_advance(e, o->ro.by)) {
			snprintf(msg, sizeof(msg), "out of memory");
			goto out;
		}
		last = t;
		done++;
	}
	status = ops->finish(k->self, e, mono_s() - start);
	msg[0] = '\0';
out:
	snapshot_free(&delta);
	ops->close(k->self); /* (top: before the message reaches the terminal) */
	if (status == EXIT_FAIL && msg[0])
		fprintf(stderr, "kvmexitstat: %s\n", msg);
	return status;
}

int live_command(int argc, char **argv, enum live_cmd cmd, void (*usage)(FILE *out), int (*check)(void),
		 bool baseline, sink_open_fn *open_sink)
{
	struct live_opts o;
	struct engine *e;
	struct sink k;
	int st = live_opts_parse(argc, argv, cmd, usage, &o);

	if (st)
		return st;
	if ((st = engine_check_root()) || (check && (st = check())) || (st = engine_open(&e, &o, baseline))) {
		live_opts_free(&o);
		return st;
	}
	if (open_sink(&k, &o, argc, argv)) {
		fprintf(stderr, "kvmexitstat: out of memory\n");
		engine_close(e);
		live_opts_free(&o);
		return EXIT_FAIL;
	}
	st = live_run(e, &k, &o);
	engine_close(e);
	live_opts_free(&o);
	return st;
}
