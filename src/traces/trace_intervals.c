/* Traces into intervals of their own clock (trace_intervals.h). */
#include "trace_intervals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importer.h"
#include "trace_dat.h"
#include "trace_line.h"

struct intervals {
	struct importer im;
	struct snapshot prev, delta;
	uint64_t step_ns, start_ns, end_ns; /* the interval being filled */
	bool started;
	uint64_t first_ns, last_ns;
	interval_fn fn;
	void *ctx;
};

/* The exits read so far, minus those handed on, as [start, end). */
static int flush(struct intervals *v)
{
	snapshot_clear(&v->delta);
	if (snapshot_diff(&v->delta, &v->im.exits, &v->prev))
		return -ENOMEM;
	int err = v->fn(v->ctx, v->start_ns, v->end_ns, &v->delta);
	if (err)
		return err;
	snapshot_clear(&v->prev);
	return snapshot_merge(&v->prev, &v->im.exits) ? -ENOMEM : 0;
}

/* An event at ts: when it is past the interval being filled, that
 * interval is handed on first (and empty ones up to it are skipped). */
static int step_to(struct intervals *v, uint64_t ts)
{
	v->last_ns = ts;
	if (!v->started) {
		v->started = true;
		v->first_ns = ts;
	} else if (ts >= v->end_ns) {
		int err = flush(v);
		if (err)
			return err;
	} else {
		return 0;
	}
	v->start_ns = ts - ts % v->step_ns;
	v->end_ns = v->start_ns + v->step_ns;
	return 0;
}

/* A trace-cmd data file's event (trace_dat_read_each). */
static int before_event(void *ctx, const struct trace_line *t)
{
	return step_to(ctx, t->ts_ns);
}

/* One line of a text trace. */
static int on_line(struct intervals *v, const char *line, size_t len)
{
	struct trace_line t;
	trace_line_parse(line, len, &t);
	if ((t.kind == LINE_EXIT || t.kind == LINE_ENTRY) && t.has_ts) {
		/* a held record belongs to the interval before this line */
		int err = importer_settle(&v->im);
		if (!err)
			err = step_to(v, t.ts_ns);
		if (err)
			return err;
	}
	return importer_line(&v->im, line, len);
}

static int read_lines(struct intervals *v, const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	if (!in) {
		fprintf(v->im.err, "kvmexitstat: %s: cannot open: %s\n", path, strerror(errno));
		return -EIO;
	}
	while (!err && (n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		err = on_line(v, line, (size_t)n);
	}
	if (!err && ferror(in)) {
		fprintf(v->im.err, "kvmexitstat: %s: read error: %s\n", path, strerror(errno));
		err = -EIO;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return err ? err : importer_end_lines(&v->im);
}

int trace_intervals(const char *path, uint64_t step_ns, enum isa isa, interval_fn fn, void *ctx,
		    struct trace_read *out)
{
	struct intervals v = { .step_ns = step_ns ? step_ns : 1, .fn = fn, .ctx = ctx };
	int err;

	importer_init(&v.im);
	v.im.forced_isa = isa;
	v.im.input = path;
	snapshot_init(&v.prev);
	snapshot_init(&v.delta);
	if (strcmp(path, "-") && importer_file_is_trace_dat(path)) {
		err = trace_dat_read_each(&v.im, path, before_event, &v);
		if (err == -ENODATA || err == -ENOTSUP)
			err = -EINVAL; /* (said) */
	} else {
		err = read_lines(&v, path);
	}
	if (!err && !v.started)
		err = -ENODATA;
	if (!err)
		err = flush(&v);
	if (out)
		*out = (struct trace_read){ v.im.unparsed, v.first_ns, v.last_ns };
	snapshot_free(&v.prev);
	snapshot_free(&v.delta);
	importer_free(&v.im);
	return err;
}
