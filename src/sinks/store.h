/* The record store: one snapshot delta per interval, in an SQLite file that
 * users can query with sqlite3 (schema in store.c and README.md). Every
 * interval is one transaction in WAL mode, so a recorder killed at any
 * moment leaves a readable file that lost at most the interval in progress. */
#ifndef KVMEXITSTAT_STORE_H
#define KVMEXITSTAT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "recording.h"
#include "slow.h"
#include "snapshot.h"

struct store;

/* What a recording run was. */
/* The host of a run whose host is not known (a trace's). */
#define STORE_NO_HOST "(none)"

struct store_run {
	const char *source;   /* as the live source describes itself, or "trace FILE" */
	double interval_s;
	uint64_t started_ns;  /* wall clock (or the trace's clock) */
	int argc;             /* the command line (argv[0] is the command's name) */
	char **argv;
	const char *host;     /* where the numbers come from; NULL: this host */
};

/* Open path for writing (created with the schema when new; a new run, with
 * the host's name and the command line, is appended to an existing store).
 * 0, or -errno / -EINVAL with a one-line message in err. */
int store_create(struct store **out, const char *path, const struct store_run *run, char *err, size_t errlen);
/* One interval [start_ns, end_ns): delta's keys with their counts, times and
 * histograms, the names of its VMs, what the collector lost in it (lost:
 * NULL or its counts) and the nslow slow exits listed in it. 0 or -EIO
 * (message in err). */
int store_append(struct store *st, uint64_t start_ns, uint64_t end_ns, const struct snapshot *delta,
		 const struct health *lost, const struct slow_exit *slow, size_t nslow, char *err, size_t errlen);
/* Intervals and rows written so far by this run. */
void store_counts(const struct store *st, uint64_t *intervals, uint64_t *rows);
void store_close(struct store *st);

/* Whether the file at path starts as an SQLite database does. */
bool store_is_store(const char *path);

/* A time window over a store: seconds from the start of its first interval
 * (from_s/to_s), or absolute wall-clock ns when abs is set. */
struct store_window {
	bool has_from, has_to;
	bool from_abs, to_abs;
	double from_s, to_s;
	uint64_t from_ns, to_ns;
};

/* What a store holds, for the report's header. */

/* Sum the intervals that lie wholly inside the window into out (every key,
 * VM names too). 0, or a negative errno with a one-line message in err. */
int store_read(const char *path, const struct store_window *w, struct snapshot *out, struct store_info *info,
	       char *err, size_t errlen);

/* The slow exits (record --slow) of the intervals in the window, in the
 * order they exited, appended to *v (grown with realloc; *n of them). A
 * store with none, or written before they were kept, adds none. 0, or a
 * negative errno with a one-line message in err. */
int store_read_slow(const char *path, const struct store_window *w, struct slow_exit **v, size_t *n, char *err,
		    size_t errlen);

/* One interval's rows, for plot: called for each interval in time order
 * with its delta (valid during the call). */
int store_each_interval(const char *path, const struct store_window *w, interval_fn fn, void *ctx,
			struct store_info *info, char *err, size_t errlen);

/* --from (letter 'F') or --to ('T'): "30" (seconds from the start) or
 * "@1764170000.5" (Unix time, seconds) into w. 0, or -EINVAL and in msg
 * what was expected. */
int store_window_option(int letter, const char *arg, struct store_window *w, char *msg, size_t len);

#endif
