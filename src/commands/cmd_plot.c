/* kvmexitstat plot FILE.db|TRACE -o out.svg: exit rates over time, one line
 * per top reason and the rest as "other"; with --latency a second panel of
 * handling-time percentiles. A trace is first stored (record --from-trace)
 * in about 100 intervals of its own clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "detail.h"
#include "numparse.h"
#include "plot.h"
#include "render.h"
#include "store.h"
#include "trace_intervals.h"
#include "trace_line.h"

#define MAX_TOP 10
#define MARK_LABEL_MAX SLOW_DESCRIBE_MAX
#define SERIES_NAME_MAX (2 * REASON_NAME_MAX + 8)

static void usage(FILE *out)
{
	fputs("Usage: kvmexitstat plot [OPTIONS] FILE.db|TRACE\n"
	      "Exit rate over time as an SVG chart: one line per top exit reason, the rest as\n"
	      "\"other\", from a record store or a kvm_exit/kvm_entry trace.\n"
	      "\n"
	      "  -o, --output FILE.svg  where to write it (default: stdout)\n"
	      "  -p, --pid PID          only this VM process (default: every VM, summed)\n"
	      "  -t, --top N            reasons drawn on their own (default 6, at most 10)\n"
	      "  -l, --latency          a second panel: p50 and p99 handling time per interval\n"
	      "                         (a store's slow exits, record --slow, are marked on the first)\n"
	      "      --from T, --to T   a store's time window, as for report\n"
	      "      --isa ISA          vmx or svm, for a trace whose reasons are numbers\n"
	      "  -h, --help\n",
	      out);
}

struct reason_line {
	uint8_t isa;
	uint64_t code;
	uint64_t total;
	double *count; /* per interval */
	char name[REASON_NAME_MAX];
};

struct collect {
	uint32_t pid;          /* 0: every VM */
	size_t n, cap;         /* intervals */
	size_t folded;         /* slivers drawn with the interval before */
	double *x, *secs;      /* interval end (s from the first start), length */
	struct exit_stat *lat; /* per interval, every reason merged */
	struct reason_line *r;
	size_t nr;
	uint64_t first_ns, last_end_ns;
	char vm[96];
	uint32_t vms[64];
	size_t nvms;
	struct snapshot names; /* the VMs' names, for the marks' labels */
	int err;
};

static struct reason_line *line_of(struct collect *c, const struct snapshot *d, const struct exit_key *k)
{
	for (size_t i = 0; i < c->nr; i++)
		if (c->r[i].isa == k->isa && c->r[i].code == k->reason)
			return &c->r[i];
	struct reason_line *v = realloc(c->r, (c->nr + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->r = v;
	struct reason_line *l = &v[c->nr++];
	*l = (struct reason_line){ k->isa, k->reason, 0, calloc(c->cap, sizeof(double)), "" };
	snapshot_reason_name(d, k, l->name, sizeof(l->name));
	return l->count ? l : NULL;
}

static int on_interval(void *ctx, uint64_t start_ns, uint64_t end_ns, const struct snapshot *d);

/* Room for one more interval. */
static int grow(struct collect *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		double *x = realloc(c->x, cap * sizeof(*x)), *s = x ? realloc(c->secs, cap * sizeof(*s)) : NULL;
		if (x)
			c->x = x;
		if (s)
			c->secs = s;
		struct exit_stat *lat = s ? realloc(c->lat, cap * sizeof(*lat)) : NULL;
		if (!lat)
			return -ENOMEM;
		c->lat = lat;
		for (size_t i = 0; i < c->nr; i++) {
			double *v = realloc(c->r[i].count, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			memset(v + c->cap, 0, (cap - c->cap) * sizeof(*v));
			c->r[i].count = v;
		}
		c->cap = cap;
	}
	return 0;
}

/* An interval with no exits (a store leaves those out): rates of 0, no time. */
static int add_empty(struct collect *c, uint64_t end_ns, uint64_t len_ns)
{
	if (grow(c))
		return -ENOMEM;
	size_t i = c->n++;
	c->x[i] = (double)(end_ns - c->first_ns) / 1e9;
	c->secs[i] = (double)len_ns / 1e9;
	memset(&c->lat[i], 0, sizeof(c->lat[i]));
	for (size_t r = 0; r < c->nr; r++)
		c->r[r].count[i] = 0;
	return 0;
}

static int on_interval(void *ctx, uint64_t start_ns, uint64_t end_ns, const struct snapshot *d)
{
	struct collect *c = ctx;
	uint64_t len = end_ns - start_ns;
	/* a gap of missing intervals: drawn at 0 from the end of the first
	 * missing one to the start of this one, not as a slope across it */
	if (c->n && start_ns > c->last_end_ns + len / 100) {
		if (add_empty(c, c->last_end_ns + len < start_ns ? c->last_end_ns + len : start_ns, len) ||
		    (c->last_end_ns + len < start_ns && add_empty(c, start_ns, len)))
			return -ENOMEM;
	}
	/* a sliver (a tenth of the interval before it or less, such as the
	 * leftover at Ctrl-C or a trace's last moments): its exits go into
	 * the interval before, whose rate then covers both; a rate over a
	 * sliver would be drawn as a spike out of a handful of exits */
	bool fold = c->n && start_ns <= c->last_end_ns + len && (double)len * 10 <= c->secs[c->n - 1] * 1e9;
	c->last_end_ns = end_ns;
	if (grow(c))
		return -ENOMEM;
	if (!c->n)
		c->first_ns = start_ns;
	size_t i = fold ? c->n - 1 : c->n++;
	c->x[i] = (double)(end_ns - c->first_ns) / 1e9;
	if (fold) {
		c->folded++;
		c->secs[i] += (double)len / 1e9;
	} else {
		c->secs[i] = (double)len / 1e9;
		memset(&c->lat[i], 0, sizeof(c->lat[i]));
	}
	const struct snap_entry *e;
	for (size_t s = 0; (e = snapshot_next(d, &s));) {
		if (c->pid && e->key.pid != c->pid)
			continue;
		struct reason_line *l = line_of(c, d, &e->key);
		if (!l)
			return -ENOMEM;
		l->count[i] += (double)e->st.count;
		l->total += e->st.count;
		stat_merge(&c->lat[i], &e->st);
		bool seen = false;
		for (size_t k = 0; k < c->nvms; k++)
			seen |= c->vms[k] == e->key.pid;
		if (!seen && c->nvms < 64)
			c->vms[c->nvms++] = e->key.pid;
		const char *name = snapshot_name(d, e->key.pid, e->key.start);
		if (c->pid && name && !c->vm[0])
			snprintf(c->vm, sizeof(c->vm), "%s", name);
		if (name && !snapshot_name(&c->names, e->key.pid, e->key.start) &&
		    snapshot_set_name(&c->names, e->key.pid, e->key.start, name))
			return -ENOMEM;
	}
	return 0;
}

/* The slow exits (of c's VM) as marks at their time, each labelled with
 * what a SLOW line of report says. 0 or -ENOMEM. */
static int mark_slow(const struct collect *c, const struct slow_exit *v, size_t n, struct plot_mark **marks,
		     char (**labels)[MARK_LABEL_MAX], size_t *nmarks)
{
	*marks = calloc(n, sizeof(**marks));
	*labels = calloc(n, sizeof(**labels));
	if (!*marks || !*labels)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct slow_exit *e = &v[i];
		if (c->pid && e->key.pid != c->pid)
			continue;
		slow_exit_describe(&c->names, NULL, e, (*labels)[k], MARK_LABEL_MAX);
		(*marks)[k].x = ((double)e->when_ns - (double)c->first_ns) / 1e9;
		(*marks)[k].label = (*labels)[k];
		k++;
	}
	*nmarks = k;
	return 0;
}

/* KVM's counters that count exits (all of them, or a kind of them); the
 * others (fpu_reload, tlb_flush, halt polling, ...) count work KVM did,
 * not exits, and would crowd a chart of exits per second. */
static bool kvm_counts_exits(const char *name)
{
	static const char *kinds[] = { "exits", "insn_emulation", "hypercalls", "pf_taken", NULL };
	size_t n = strlen(name);
	if (n > 6 && !strcmp(name + n - 6, "_exits"))
		return true; /* io_exits, mmio_exits, halt_exits, irq_exits, ... */
	for (size_t i = 0; kinds[i]; i++)
		if (!strcmp(name, kinds[i]))
			return true;
	return false;
}

static int by_total(const void *a, const void *b)
{
	const struct reason_line *x = a, *y = b;
	/* (KVM's counters of exits before its other counters) */
	bool xe = x->isa != ISA_KVM || kvm_counts_exits(x->name), ye = y->isa != ISA_KVM || kvm_counts_exits(y->name);
	if (xe != ye)
		return xe ? -1 : 1;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

/* A trace's first and last timestamps. */
static int nothing(void *ctx, uint64_t start_ns, uint64_t end_ns, const struct snapshot *delta)
{
	(void)ctx;
	(void)start_ns;
	(void)end_ns;
	(void)delta;
	return 0;
}

static void free_collect(struct collect *c)
{
	for (size_t i = 0; i < c->nr; i++)
		free(c->r[i].count);
	free(c->r);
	free(c->x);
	free(c->secs);
	free(c->lat);
	snapshot_free(&c->names);
}

/* Series of the chart from what was collected; *ns series, values owned by vals. */
static int build(struct collect *c, int top, bool latency, struct plot *p, struct plot_series *rates,
		 struct plot_series *lat, double **vals, char names[][SERIES_NAME_MAX])
{
	size_t n = c->n, k = 0;
	qsort(c->r, c->nr, sizeof(*c->r), by_total);
	/* KVM's statistics overlap (io_exits are among exits): no "other" */
	bool kvm = c->nr && c->r[0].isa == ISA_KVM;
	size_t shown = c->nr < (size_t)top ? c->nr : (size_t)top;
	/* of KVM's counters, those of exits only (sorted first) */
	while (kvm && shown > 1 && !kvm_counts_exits(c->r[shown - 1].name))
		shown--;
	for (; k < shown; k++) {
		double *y = vals[k] = malloc(n * sizeof(double));
		if (!y)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			y[i] = c->secs[i] > 0 ? c->r[k].count[i] / c->secs[i] : NAN;
		/* a series equal to one before it in every interval (KVM's
		 * categories overlap: insn_emulation can be every exit) is
		 * drawn on top of it: the legend says so */
		snprintf(names[k], SERIES_NAME_MAX, "%s", c->r[k].name);
		for (size_t j = 0; j < k; j++)
			if (!memcmp(c->r[j].count, c->r[k].count, n * sizeof(double))) {
				snprintf(names[k], SERIES_NAME_MAX, "%s (= %s)", c->r[k].name, c->r[j].name);
				break;
			}
		rates[k] = (struct plot_series){ names[k], y, false };
	}
	if (!kvm && c->nr > shown) {
		double *y = vals[k] = calloc(n, sizeof(double));
		if (!y)
			return -ENOMEM;
		for (size_t r = shown; r < c->nr; r++)
			for (size_t i = 0; i < n; i++)
				y[i] += c->r[r].count[i];
		for (size_t i = 0; i < n; i++)
			y[i] = c->secs[i] > 0 ? y[i] / c->secs[i] : NAN;
		snprintf(names[k], SERIES_NAME_MAX, "other (%zu)", c->nr - shown);
		rates[k] = (struct plot_series){ names[k], y, true };
		k++;
	}
	p->panels[0] = (struct plot_panel){ "exits per second", false, rates, k };
	p->npanels = 1;
	if (latency) {
		double *p50 = vals[k] = malloc(n * sizeof(double)), *p99 = vals[k + 1] = malloc(n * sizeof(double));
		if (!p50 || !p99)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			bool t = c->lat[i].timed > 0;
			p50[i] = t ? (double)stat_percentile(&c->lat[i], 50) / 1000 : NAN;
			p99[i] = t ? (double)stat_percentile(&c->lat[i], 99) / 1000 : NAN;
		}
		lat[0] = (struct plot_series){ "p50 handling time", p50, false };
		lat[1] = (struct plot_series){ "p99 handling time", p99, false };
		p->panels[1] = (struct plot_panel){ "handling time (µs, log)", true, lat, 2 };
		p->npanels = 2;
	}
	p->x = c->x;
	p->seconds = c->secs;
	p->npoints = n;
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "pid", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },    { "latency", no_argument, NULL, 'l' },
		{ "from", required_argument, NULL, 'F' },   { "to", required_argument, NULL, 'T' },
		{ "isa", required_argument, NULL, 'I' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL;
	struct store_window win = { 0 };
	struct collect c = { 0 };
	enum isa isa = ISA_UNKNOWN;
	int top = 6, ch;
	bool latency = false;
	uint64_t v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:p:t:lh", opts, NULL)) != -1) {
		const char *bad = NULL;
		char why[160];
		switch (ch) {
		case 'o':
			out_path = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, &v) || !v || v > INT32_MAX)
				bad = "-p: expected a process id";
			c.pid = (uint32_t)v;
			break;
		case 't':
			if (parse_u64(optarg, &v) || !v || v > MAX_TOP)
				bad = "--top: expected a number from 1 to 10";
			top = (int)v;
			break;
		case 'l':
			latency = true;
			break;
		case 'F':
		case 'T':
			bad = store_window_option(ch, optarg, &win, why, sizeof(why)) ? why : NULL;
			break;
		case 'I':
			if (isa_parse(optarg, &isa) || isa == ISA_KVM)
				bad = "--isa: expected vmx or svm";
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "kvmexitstat plot: %s, got '%s'\n", bad, optarg);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "kvmexitstat plot: give one record store or trace file\n");
		return EXIT_USAGE;
	}
	const char *in = argv[optind];
	char msg[512];
	int status = EXIT_FAIL, err;
	struct store_info info = { 0 };
	struct slow_exit *slow = NULL; /* a store's (record --slow) */
	size_t nslow = 0;
	struct plot_mark *marks = NULL;
	char (*labels)[MARK_LABEL_MAX] = NULL;

	if (access(in, R_OK)) {
		fprintf(stderr, "kvmexitstat plot: %s: cannot open: %s\n", in, strerror(errno));
		return EXIT_FAIL;
	}
	if (store_is_store(in)) {
		err = store_each_interval(in, &win, on_interval, &c, &info, msg, sizeof(msg));
		if (!err)
			err = store_read_slow(in, &win, &slow, &nslow, msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "kvmexitstat plot: %s\n", err == -ENOMEM ? "out of memory" : msg);
			goto out;
		}
	} else {
		/* a trace: its span first, then about 100 intervals over it, each
		 * straight into the chart */
		struct trace_read rd;
		if (win.has_from || win.has_to) {
			fprintf(stderr, "kvmexitstat plot: %s: --from and --to apply to record stores, not traces\n", in);
			return EXIT_USAGE;
		}
		err = trace_intervals(in, UINT64_MAX / 2, isa, nothing, NULL, &rd);
		if (!err) {
			double span = (double)(rd.last_ns - rd.first_ns) / 1e9, step = span > 0 ? span / 100 : 1e-6;
			err = trace_intervals(in, (uint64_t)llround((step < 1e-6 ? 1e-6 : step) * 1e9), isa, on_interval, &c,
					      &rd);
		}
		if (err == -ENODATA)
			fprintf(stderr, "kvmexitstat plot: %s: no kvm_exit or kvm_entry line with a timestamp\n", in);
		else if (err == -ENOMEM)
			fprintf(stderr, "kvmexitstat plot: out of memory\n");
		if (err)
			goto out; /* (the others were said) */
		info.first_ns = c.first_ns;
		snprintf(info.source, sizeof(info.source), "trace %s", in);
	}
	if (!c.nr) {
		fprintf(stderr, "kvmexitstat plot: %s: no exits%s\n", in, c.pid ? " of that VM" : "");
		goto out;
	}

	struct plot p = { 0 };
	struct plot_series rates[MAX_TOP + 1], lat[2];
	double *vals[MAX_TOP + 3] = { 0 };
	char names[MAX_TOP + 1][SERIES_NAME_MAX];
	char title[320], subtitle[512], when[64] = "";
	if (build(&c, top, latency, &p, rates, lat, vals, names)) {
		fprintf(stderr, "kvmexitstat plot: out of memory\n");
		goto free_vals;
	}
	/* where the numbers come from: a trace's file (its host is not
	 * known), else the host that recorded them */
	char on[160] = "";
	const char *file = !strncmp(info.source, "trace ", 6) ? info.source + 6 : NULL;
	if (file)
		snprintf(on, sizeof(on), ", trace %.150s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	else if (info.host[0] && strcmp(info.host, STORE_NO_HOST))
		snprintf(on, sizeof(on), " on %s", info.host);
	if (c.pid)
		snprintf(title, sizeof(title), "VM exits per second: %s (pid %u)%s", c.vm[0] ? c.vm : "VM", c.pid, on);
	else if (c.nvms < 64)
		snprintf(title, sizeof(title), "VM exits per second: %zu VM%s%s", c.nvms, c.nvms == 1 ? "" : "s", on);
	else
		snprintf(title, sizeof(title), "VM exits per second: 64 VMs or more%s", on);
	if (info.first_ns >= 946684800ull * 1000000000u) {
		time_t t = (time_t)(info.first_ns / 1000000000u);
		struct tm tm;
		strftime(when, sizeof(when), "from %Y-%m-%d %H:%M:%S, ", localtime_r(&t, &tm));
	}
	char folded[96] = "";
	if (c.folded)
		snprintf(folded, sizeof(folded), " (+%zu under a tenth of the one before, drawn with it)", c.folded);
	snprintf(subtitle, sizeof(subtitle), "%s%zu intervals%s; %.220s", when, c.n, folded, info.source);
	p.title = title;
	p.subtitle = subtitle;
	p.x_label = "time from the start";
	if (nslow && mark_slow(&c, slow, nslow, &marks, &labels, &p.nmarks)) {
		fprintf(stderr, "kvmexitstat plot: out of memory\n");
		goto free_vals;
	}
	p.marks = marks;
	p.marks_name = "slow exits";
	FILE *out = out_path ? fopen(out_path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "kvmexitstat plot: %s: cannot write: %s\n", out_path, strerror(errno));
		goto free_vals;
	}
	err = plot_svg(out, &p);
	if ((out != stdout && fclose(out)) || err)
		fprintf(stderr, "kvmexitstat plot: %s: write error\n", out_path ? out_path : "stdout");
	else
		status = EXIT_OK;
free_vals:
	for (size_t i = 0; i < MAX_TOP + 3; i++)
		free(vals[i]);
out:
	free_collect(&c);
	free(slow);
	free(marks);
	free(labels);
	return status;
}
