/* kvmexitstat record: live exit statistics into the record store (an
 * engine into sink_store.c), or with --from-trace a trace stored in
 * intervals of its own clock (trace_intervals.c). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sink.h"
#include "store.h"
#include "trace_intervals.h"

/* --from-trace: each interval of the trace into the store. */
struct from_trace {
	struct store *store;
	bool failed;            /* the store refused an interval: msg says why */
	char msg[512];
};

static int store_one(void *ctx, uint64_t start_ns, uint64_t end_ns, const struct snapshot *delta)
{
	struct from_trace *f = ctx;
	if (!store_append(f->store, start_ns, end_ns, delta, NULL, NULL, 0, f->msg, sizeof(f->msg)))
		return 0;
	f->failed = true;
	return -EIO;
}

int record_trace(const char *path, const char *store_path, double interval, enum isa isa, int argc, char **argv,
		 bool quiet)
{
	struct from_trace f = { 0 };
	struct trace_read rd;
	char source[600];
	int status = EXIT_FAIL;

	/* (before the store is made: no empty store for a trace not there) */
	if (strcmp(path, "-") && access(path, R_OK)) {
		fprintf(stderr, "kvmexitstat record: %s: cannot open: %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(source, sizeof(source), "trace %s", path);
	/* a trace was taken on a host it does not name: not this one */
	struct store_run run = { source, interval, 0, argc, argv, STORE_NO_HOST };
	if (store_create(&f.store, store_path, &run, f.msg, sizeof(f.msg))) {
		fprintf(stderr, "kvmexitstat record: %s\n", f.msg);
		return EXIT_FAIL;
	}
	int err = trace_intervals(path, (uint64_t)llround(interval * 1e9), isa, store_one, &f, &rd);
	if (err == -ENODATA)
		fprintf(stderr, "kvmexitstat record: %s: no kvm_exit or kvm_entry line with a timestamp\n", path);
	else if (f.failed)
		fprintf(stderr, "kvmexitstat record: %s\n", f.msg);
	else if (err == -ENOMEM)
		fprintf(stderr, "kvmexitstat record: out of memory\n");
	if (err)
		goto out; /* (the others were said) */
	uint64_t nint, nrows;
	store_counts(f.store, &nint, &nrows);
	if (!quiet) {
		fprintf(stderr, "kvmexitstat record: %s: %llu intervals, %llu rows in %s", path, (unsigned long long)nint,
			(unsigned long long)nrows, store_path);
		if (rd.unparsed)
			fprintf(stderr, "; %llu undecodable lines (see above)", (unsigned long long)rd.unparsed);
		fputc('\n', stderr);
	}
	status = EXIT_OK;
out:
	store_close(f.store);
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
	      "      --detail[=N]       also each reason's N (default 5) commonest details of each\n"
	      "                         interval and (other): report --detail shows them\n"
	      "      --slow THRESHOLD   also each exit that took at least THRESHOLD (500us, 2ms, 1s),\n"
	      "                         with its time, VM, vCPU, CPUs, reason, detail and guest RIP\n"
	      "                         (SVM): report lists them, plot marks them (tp_btf)\n"
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
