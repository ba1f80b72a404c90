/* Where a live run's readings go: the table/JSON/CSV printer
 * (sink_print.c), the record store (sink_store.c), the Prometheus
 * endpoint (sink_prom.c) and the ncurses view (top.c). live_run (the loop
 * every live command shares) calls a sink's functions; none of them know
 * where the counts came from (engine.h). */
#ifndef KVMEXITSTAT_SINK_H
#define KVMEXITSTAT_SINK_H

#include <stdbool.h>
#include <time.h>

#include "engine.h"

/* One reading as a sink gets it. */
struct reading {
	const struct snapshot *snap; /* the interval's deltas, or (cumulative sinks) the counts so far */
	double seconds;              /* the interval's length */
	bool first;                  /* the first one the sink gets */
};

struct sink_ops {
	/* readings as cumulative counts (serve, top), not the interval's deltas */
	bool cumulative;
	/* quiet: the losses are not said on stderr (top marks them on its screen) */
	bool quiet;
	/* after the engine opened: set up, say where the numbers go; 0 or an
	 * exit status (the message said) */
	int (*start)(void *self, struct engine *e);
	/* wait up to seconds, answering the user (NULL: sleep); false: the
	 * user quit; *interval may be changed */
	bool (*wait)(void *self, double seconds, double *interval);
	/* a reading at each interval; 0 or -errno with msg filled */
	int (*reading)(void *self, struct engine *e, const struct reading *r, char *msg, size_t len);
	/* the run ends (stopped, or COUNT intervals done): the exit status */
	int (*finish)(void *self, struct engine *e, double seconds);
	void (*close)(void *self);
};

struct sink {
	const struct sink_ops *ops;
	void *self;
};

/* Read e every interval into k until stopped or o->count intervals are
 * done; waking at least every second (to name VMs while they run and to
 * notice those that ended). Closes k. The exit status. */
int live_run(struct engine *e, const struct sink *k, const struct live_opts *o);

/* The sinks (argv: what the store keeps of the command line): 0, or
 * -ENOMEM (nothing to close). */
typedef int sink_open_fn(struct sink *out, const struct live_opts *o, int argc, char **argv);
sink_open_fn sink_print_open, sink_store_open, sink_prom_open, sink_top_open;

/* A live command: its options parsed (usage its help), root checked,
 * check (NULL: none) passed, an engine opened (baseline as engine_open
 * takes it) and run into the sink open_sink makes. The exit status. */
int live_command(int argc, char **argv, enum live_cmd cmd, void (*usage)(FILE *out), int (*check)(void),
		 bool baseline, sink_open_fn *open_sink);

#endif
