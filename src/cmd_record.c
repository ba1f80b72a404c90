/* kvmexitstat record: live exit statistics into the record store
 * (cmd_live.c runs the sources), or with --from-trace a text trace stored
 * in intervals of the trace's own clock. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "importer.h"
#include "store.h"
#include "sink.h"
#include "trace_dat.h"
#include "trace_line.h"

struct from_trace {
	struct importer im;
	struct store *store;
	struct snapshot prev, delta;
	uint64_t step_ns, start_ns, end_ns; /* the interval being filled */
	bool started;
	char msg[512];
};

/* The exits read so far, minus those already stored, as [start, end). */
static int flush(struct from_trace *f)
{
	snapshot_clear(&f->delta);
	if (snapshot_diff(&f->delta, &f->im.exits, &f->prev))
		return -ENOMEM;
	if (store_append(f->store, f->start_ns, f->end_ns, &f->delta, NULL, f->msg, sizeof(f->msg)))
		return -EIO;
	snapshot_clear(&f->prev);
	return snapshot_merge(&f->prev, &f->im.exits) ? -ENOMEM : 0;
}

/* An event at ts: when it is past the interval being filled, that
 * interval is stored first (and empty ones up to it are skipped). */
static int step_to(struct from_trace *f, uint64_t ts)
{
	if (!f->started) {
		f->started = true;
	} else if (ts >= f->end_ns) {
		int err = flush(f);
		if (err)
			return err;
	} else {
		return 0;
	}
	f->start_ns = ts - ts % f->step_ns;
	f->end_ns = f->start_ns + f->step_ns;
	return 0;
}

/* A trace-cmd data file's event (trace_dat_read_each). */
static int before_event(void *ctx, const struct trace_line *t)
{
	return step_to(ctx, t->ts_ns);
}

/* One line of a text trace. */
static int on_line(struct from_trace *f, const char *line, size_t len)
{
	struct trace_line t;
	trace_line_parse(line, len, &t);
	if ((t.kind == LINE_EXIT || t.kind == LINE_ENTRY) && t.has_ts) {
		/* a held record belongs to the interval before this line */
		int err = importer_settle(&f->im);
		if (!err)
			err = step_to(f, t.ts_ns);
		if (err)
			return err;
	}
	return importer_line(&f->im, line, len);
}

int record_trace(const char *path, const char *store_path, double interval, enum isa isa, int argc, char **argv,
		 bool quiet)
{
	struct from_trace f = { .step_ns = (uint64_t)llround(interval * 1e9) };
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, source[600];
	size_t cap = 0;
	ssize_t n;
	int status = EXIT_FAIL, err = 0;

	if (!in) {
		fprintf(stderr, "kvmexitstat record: %s: cannot open: %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(source, sizeof(source), "trace %s", path);
	importer_init(&f.im);
	f.im.forced_isa = isa;
	f.im.input = path;
	snapshot_init(&f.prev);
	snapshot_init(&f.delta);
	struct store_run run = { source, interval, 0, argc, argv };
	if (store_create(&f.store, store_path, &run, f.msg, sizeof(f.msg))) {
		fprintf(stderr, "kvmexitstat record: %s\n", f.msg);
		goto out;
	}
	bool dat = in != stdin && importer_file_is_trace_dat(path);
	if (dat) {
		err = trace_dat_read_each(&f.im, path, before_event, &f);
		if (err && err != -ENOMEM && err != -EIO)
			goto out; /* said */
	}
	while (!dat && !err && (n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		err = on_line(&f, line, (size_t)n);
	}
	if (!err && ferror(in)) {
		fprintf(stderr, "kvmexitstat record: %s: read error: %s\n", path, strerror(errno));
		goto out;
	}
	if (!err)
		err = importer_end_lines(&f.im);
	if (!err && !f.started) {
		fprintf(stderr, "kvmexitstat record: %s: no kvm_exit or kvm_entry line with a timestamp\n", path);
		goto out;
	}
	if (!err)
		err = flush(&f);
	if (err == -EINVAL)
		goto out; /* --strict is not offered: not reached */
	if (err) {
		fprintf(stderr, "kvmexitstat record: %s\n", err == -EIO ? f.msg : "out of memory");
		goto out;
	}
	uint64_t nint, nrows;
	store_counts(f.store, &nint, &nrows);
	if (quiet)
		goto done;
	fprintf(stderr, "kvmexitstat record: %s: %llu intervals, %llu rows in %s", path, (unsigned long long)nint,
		(unsigned long long)nrows, store_path);
	if (f.im.unparsed)
		fprintf(stderr, "; %llu undecodable lines (see above)", (unsigned long long)f.im.unparsed);
	fputc('\n', stderr);
done:
	status = EXIT_OK;
out:
	free(line);
	if (in != stdin)
		fclose(in);
	store_close(f.store);
	snapshot_free(&f.prev);
	snapshot_free(&f.delta);
	importer_free(&f.im);
	return status;
}

void cmd_record_usage(FILE *out)
{
	fputs("Usage: kvmexitstat record -o FILE.db [OPTIONS] [INTERVAL [COUNT]]\n"
	      "       kvmexitstat record -o FILE.db --from-trace TRACE [--isa ISA] [INTERVAL]\n"
	      "Record live exit statistics into an SQLite store: what each interval (default 1 s)\n"
	      "added per VM, vCPU and reason (count, handling time, histogram), COUNT times or\n"
	      "until stopped. A run killed at any moment loses at most the interval in progress.\n"
	      "With --from-trace, a text trace is stored instead, in intervals of its own clock.\n"
	      "Read it back with 'kvmexitstat report FILE.db' or sqlite3 (schema: docs/record.md).\n"
	      "\n"
	      "  -o, --output FILE.db   the store (created, or a new run appended to it)\n"
	      "      --from-trace FILE  a kvm_exit/kvm_entry trace ('-': stdin) instead of live exits\n"
	      "      --isa ISA          with --from-trace: vmx or svm for reasons given as numbers\n"
	      "  -p, --pid PID, -n, --name NAME, --vcpu N, --source WHAT, --count-only, --bpf KIND\n"
	      "                         as for live statistics (kvmexitstat --help)\n"
	      "  -h, --help\n",
	      out);
}

/* Live recording: the engine's readings (engine.h) into the store (sink_store.c). */
static int record_live(int argc, char **argv)
{
	return live_command(argc, argv, LIVE_RECORD, cmd_record_usage, NULL, true, sink_store_open);
}

int cmd_record(int argc, char **argv)
{
	const char *trace = NULL, *store = NULL, *isa_arg = NULL;

	/* --from-trace is its own mode; everything else is live recording */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--from-trace") || !strncmp(argv[i], "--from-trace=", 13))
			trace = "";
	if (!trace)
		return record_live(argc, argv);

	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "from-trace", required_argument, NULL, 'T' },
		{ "isa", required_argument, NULL, 'I' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			store = optarg;
			break;
		case 'T':
			trace = optarg;
			break;
		case 'I':
			isa_arg = optarg;
			break;
		case 'h':
			cmd_record_usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "kvmexitstat record: with --from-trace only -o, --isa and INTERVAL apply\n");
			return EXIT_USAGE;
		}
	}
	enum isa isa = ISA_UNKNOWN;
	if (isa_arg && (isa_parse(isa_arg, &isa) || isa == ISA_KVM)) {
		fprintf(stderr, "kvmexitstat record: --isa: expected vmx or svm, got '%s'\n", isa_arg);
		return EXIT_USAGE;
	}
	if (!store) {
		fprintf(stderr, "kvmexitstat record: no store: give -o FILE.db\n");
		return EXIT_USAGE;
	}
	double interval = 1;
	if (optind < argc) {
		char *end;
		errno = 0;
		interval = strtod(argv[optind], &end);
		if (*end || errno || !isfinite(interval) || interval < 1e-6 || interval > 86400) {
			fprintf(stderr, "kvmexitstat record: INTERVAL '%s' is not a number of seconds from 0.000001 "
					"to 86400\n", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "kvmexitstat record: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return record_trace(trace, store, interval, isa, argc, argv, false);
}
