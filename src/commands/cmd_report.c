/* kvmexitstat report [OPTIONS] FILE... : statistics from trace text and the
 * instrumentation's kernel log. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "importer.h"
#include "numparse.h"
#include "render.h"
#include "guest_symbols.h"
#include "store.h"
#include "trace_dat.h"

static void usage(FILE *out)
{
	fputs("Usage: kvmexitstat report [OPTIONS] FILE...   ('-' reads stdin)\n"
	      "Per-reason VM exit statistics from kvm_exit/kvm_entry lines (ftrace trace or\n"
	      "trace_pipe, trace-cmd report, perf script), trace-cmd data files (trace.dat),\n"
	      "CMPE283 kernel log lines, or a store written by 'kvmexitstat record'.\n"
	      "\n"
	      "  -o, --output FORMAT   table (default), json or csv\n"
	      "  -b, --by WHAT         reason (default), vm or vcpu; WHAT,detail: with --detail\n"
	      "  -s, --sort KEY        count (default), time, avg, max or reason\n"
	      "      --detail[=N]      under each reason its N (default 5) commonest details and\n"
	      "                        (other), from the exit records' info fields and the kvm_pio,\n"
	      "                        kvm_msr, kvm_cr, kvm_page_fault, kvm_mmio, kvm_hypercall,\n"
	      "                        kvm_vcpu_wakeup and kvm_userspace_exit lines after each exit\n"
	      "                        (read in one thread)\n"
	      "      --rip[=N]         under each reason (or detail) the N (default 5) guest RIPs its\n"
	      "                        exits came from most (the 'rip' of kvm_exit; not in stores)\n"
	      "      --guest-symbols [VM=]FILE  name the RIPs from the guest's System.map, kallsyms\n"
	      "                        or vmlinux; VM= (pid or name) for one VM (repeatable)\n"
	      "      --hlt-time        HLT's handling time (the guest idle, with an in-kernel irqchip)\n"
	      "                        in TIME% and the totals' times, where it is left out by default\n"
	      "      --vcpu N          only vCPU N's exits (of every VM)\n"
	      "      --isa ISA         vmx or svm: decode reasons as this ISA (default: from the names)\n"
	      "      --strict          stop with an error at the first line that cannot be decoded\n"
	      "  -j, --threads N       threads for large files (default: the online CPUs)\n"
	      "      --from T, --to T  a store's intervals that lie wholly inside this window: T in\n"
	      "                        seconds from the recording's start, or @ and Unix seconds\n"
	      "  -h, --help            this help\n",
	      out);
}

/* A record store's intervals in the window, added to the report's exits,
 * and its slow exits to *slow. */
static int read_store(struct importer *im, const char *path, const struct store_window *w, struct store_info *all,
		      struct slow_exit **slow, size_t *nslow)
{
	struct snapshot s;
	struct store_info info;
	char msg[512];

	snapshot_init(&s);
	int err = store_read(path, w, &s, &info, msg, sizeof(msg));
	if (!err)
		err = store_read_slow(path, w, slow, nslow, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "kvmexitstat report: %s\n", msg);
	else if (snapshot_merge(&im->exits, &s))
		err = -ENOMEM;
	snapshot_free(&s);
	if (err == -ENOMEM)
		fprintf(stderr, "kvmexitstat report: out of memory\n");
	if (err)
		return err;
	/* several stores: one span from the first start to the last end */
	if (!all->intervals || info.first_ns < all->first_ns)
		all->first_ns = info.first_ns;
	if (info.last_ns > all->last_ns)
		all->last_ns = info.last_ns;
	all->runs += info.runs;
	all->intervals += info.intervals;
	for (int i = 0; i < H_COUNT; i++)
		all->lost.n[i] += info.lost.n[i];
	char lost[512];
	if (health_describe(lost, sizeof(lost), &info.lost))
		fprintf(stderr, "kvmexitstat report: %s: while recording, the collector lost: %s\n", path, lost);
	if (!all->source[0]) {
		memcpy(all->source, info.source, sizeof(all->source));
		memcpy(all->host, info.host, sizeof(all->host));
	}
	return 0;
}

static int slow_by_time(const void *a, const void *b)
{
	const struct slow_exit *x = a, *y = b;
	return x->when_ns < y->when_ns ? -1 : x->when_ns > y->when_ns;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "by", required_argument, NULL, 'b' },
		{ "sort", required_argument, NULL, 's' },
		{ "detail", optional_argument, NULL, 'D' },
		{ "rip", optional_argument, NULL, 'R' },
		{ "guest-symbols", required_argument, NULL, 'G' },
		{ "hlt-time", no_argument, NULL, 'H' },
		{ "isa", required_argument, NULL, 'I' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "strict", no_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct render_opts ro = { .format = OUT_TABLE, .by = BY_REASON, .sort = SORT_COUNT };
	struct importer im;
	int c, status = EXIT_OK;
	bool any_data = false;
	struct store_window win = { 0 };
	struct store_info info = { 0 };
	size_t nstores = 0;
	int32_t vcpu = -1; /* --vcpu */
	struct guest_symbols syms = { 0 };
	struct slow_exit *slow = NULL; /* the stores' */
	size_t nslow = 0;

	importer_init(&im);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	im.threads = cpus > 1 ? (unsigned)(cpus < 16 ? cpus : 16) : 1;
	/* for tests only: parts this small, so that small files are split
	 * too and the parallel reader can be held to one pass's output */
	const char *split = getenv("KVMEXITSTAT_SPLIT_MIN");
	uint64_t split_min;
	if (split && !parse_u64(split, &split_min) && split_min > 0)
		im.split_min = split_min;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:b:s:j:h", opts, NULL)) != -1) {
		uint64_t num;
		const char *bad = NULL;
		char why[160];
		switch (c) {
		case 'o':
		case 'b':
		case 's':
		case 'D':
		case 'H':
		case 'R':
			bad = render_option(c, optarg, &ro, why, sizeof(why)) ? why : NULL;
			break;
		case 'G':
			if (guest_symbols_add(&syms, optarg, why, sizeof(why))) {
				fprintf(stderr, "kvmexitstat report: %s\n", why);
				goto usage_fail;
			}
			break;
		case 'I':
			if (isa_parse(optarg, &im.forced_isa))
				bad = "--isa: expected vmx or svm";
			break;
		case 'S':
			im.strict = true;
			break;
		case 'v':
			if (parse_u64(optarg, &num) || num > INT32_MAX)
				bad = "--vcpu: expected a vCPU id (0, 1, ...)";
			else
				vcpu = (int32_t)num;
			break;
		case 'j':
			if (parse_u64(optarg, &num) || num < 1 || num > 16)
				bad = "--threads: expected a number from 1 to 16";
			else
				im.threads = (unsigned)num;
			break;
		case 'F':
		case 'T':
			bad = store_window_option(c, optarg, &win, why, sizeof(why)) ? why : NULL;
			break;
		case 'h':
			usage(stdout);
			importer_free(&im);
			return EXIT_OK;
		default:
			usage(stderr);
			goto usage_fail;
		}
		if (bad) {
			fprintf(stderr, "kvmexitstat report: %s, got '%s'\n", bad, optarg);
			goto usage_fail;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kvmexitstat report: no input (give a trace file, or '-' for stdin)\n");
		goto usage_fail;
	}
	im.rips = ro.rip_top > 0;
	ro.rip_name = syms.n ? guest_symbols_rip_name : NULL;
	ro.rip_ctx = &syms;

	/* a detail line belongs to the exit before it: one reader sees both */
	im.details = ro.detail_top > 0;
	if (im.details)
		im.threads = 1;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") && store_is_store(argv[i])) {
			if (im.rips) {
				fprintf(stderr, "kvmexitstat report: %s: --rip: a record store keeps no guest RIPs (only "
						"traces do)\n", argv[i]);
				goto fail;
			}
			int err = read_store(&im, argv[i], &win, &info, &slow, &nslow);
			if (err == -ENOMEM)
				goto fail;
			if (err)
				status = EXIT_FAIL;
			else
				any_data = true, nstores++;
			continue;
		}
		if (win.has_from || win.has_to) {
			fprintf(stderr, "kvmexitstat report: %s: --from and --to apply to record stores, not traces\n",
				argv[i]);
			goto fail;
		}
		bool dat = strcmp(argv[i], "-") && importer_file_is_trace_dat(argv[i]);
		int err = dat ? trace_dat_read(&im, argv[i]) : importer_read_path(&im, argv[i]);
		if (split)
			fprintf(stderr, "kvmexitstat report: %s: read in %u part%s\n", argv[i], im.parts,
				im.parts == 1 ? "" : "s");
		if (err == -EINVAL && im.strict)
			goto fail; /* the bad line was reported */
		if (err == -ENOMEM) {
			fprintf(stderr, "kvmexitstat report: out of memory\n");
			goto fail;
		}
		if (err && err != -ENODATA)
			status = EXIT_FAIL; /* unreadable input, reported; the others still count */
		if (!err)
			any_data = true;
	}
	if (!any_data) {
		fprintf(stderr, "kvmexitstat report: no KVM exit events in the input\n");
		goto fail;
	}
	if (importer_finish(&im)) {
		fprintf(stderr, "kvmexitstat report: out of memory\n");
		goto fail;
	}

	if (vcpu >= 0 && snapshot_keep(&im.exits, exit_key_of_vcpu, &vcpu)) {
		fprintf(stderr, "kvmexitstat report: out of memory\n");
		goto fail;
	}
	struct exit_stat total;
	snapshot_total(&im.exits, &total);
	if (im.rips && total.count && !(im.exits.rips && im.exits.rips->len))
		fprintf(stderr, "kvmexitstat report: --rip: no exit in the input says its guest RIP "
				"(kvm_exit lines without 'rip')\n");
	struct report_meta meta = {
		.source = nstores == (size_t)(argc - optind) ? "record" : nstores ? "record+trace" : "trace",
		.inputs = (const char *const *)argv + optind,
		.ninputs = (size_t)(argc - optind),
		.lines = im.lines,
		.exits = total.count,
		.paired = im.paired,
		.unparsed = im.unparsed,
		.unpaired_boundary = im.unpaired_boundary,
		.lost_events = im.lost_events,
		.first_bad_input = im.has_first_bad ? im.first_bad_input : NULL,
		.first_bad_line = im.first_bad_line,
		.has_span = im.has_ts,
		.span_ns = im.last_ts - im.first_ts,
		.recorded = nstores ? &info : NULL,
	};
	if (syms.n && !ro.rip_top && !nslow) {
		fprintf(stderr, "kvmexitstat report: --guest-symbols names the guest RIPs that --rip and a store's "
				"slow exits show: give --rip (there are no slow exits)\n");
		goto usage_fail;
	}
	/* several stores: their slow exits in time order; --vcpu: that vCPU's */
	size_t kept = 0;
	for (size_t i = 0; i < nslow; i++)
		if (vcpu < 0 || slow[i].key.vcpu == vcpu)
			slow[kept++] = slow[i];
	if (nstores > 1)
		qsort(slow, kept, sizeof(*slow), slow_by_time);
	meta.slow = slow;
	meta.nslow = kept;
	if (nstores || vcpu >= 0)
		meta.paired = total.timed;
	if (nstores && !im.has_ts) {
		meta.has_span = true;
		meta.span_ns = info.last_ns - info.first_ns;
	}
	if (render_report(stdout, &im.exits, im.klogs, im.nklogs, &ro, &meta)) {
		fprintf(stderr, "kvmexitstat report: writing the report failed: %s\n", strerror(errno));
		goto fail;
	}
	if (im.unparsed && !total.count && !im.nklogs) {
		/* never an empty report that looks like a success */
		fprintf(stderr, "kvmexitstat report: none of the %llu exit line%s could be decoded (see above)\n",
			(unsigned long long)im.unparsed, im.unparsed == 1 ? "" : "s");
		status = EXIT_FAIL;
	} else if (im.unparsed) {
		fprintf(stderr, "kvmexitstat report: %llu exit line%s could not be decoded (see above)\n",
			(unsigned long long)im.unparsed, im.unparsed == 1 ? "" : "s");
		if (status == EXIT_OK)
			status = EXIT_PARTIAL;
	}
	if (im.lost_events && status == EXIT_OK)
		status = EXIT_PARTIAL; /* (said when the file was read) */
	importer_free(&im);
	guest_symbols_free(&syms);
	free(slow);
	return status;
fail:
	importer_free(&im);
	guest_symbols_free(&syms);
	free(slow);
	return EXIT_FAIL;
usage_fail:
	importer_free(&im);
	guest_symbols_free(&syms);
	free(slow);
	return EXIT_USAGE;
}
