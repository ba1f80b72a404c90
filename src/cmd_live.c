/* kvmexitstat [OPTIONS] [INTERVAL [COUNT]]: live exit statistics of every
 * guest on this host, sysstat style. Without INTERVAL, a summary when
 * stopped (Ctrl-C, SIGTERM); with it, one report per interval (deltas and
 * rates), then the totals. Sources: the kvm_exit/kvm_entry tracepoints
 * (bpf_source), KVM's vCPU statistics (stats_source), or both. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf_source.h"
#include "stats_source.h"
#include "commands.h"
#include "host_kvm.h"
#include "numparse.h"
#include "prom.h"
#include "render.h"
#include "serve.h"
#include "store.h"
#include "top.h"
#include "vm_names.h"

#define MAX_PIDS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void cmd_live_usage(FILE *out)
{
	fputs("Usage: kvmexitstat [OPTIONS] [INTERVAL [COUNT]]\n"
	      "Live VM exit statistics of the guests on this host, from kvm:kvm_exit and kvm:kvm_entry\n"
	      "or from KVM's own per-vCPU statistics.\n"
	      "Without INTERVAL: totals when stopped (Ctrl-C). With it: a report every INTERVAL\n"
	      "seconds (counts and rates in that interval), COUNT times or until stopped, then totals.\n"
	      "\n"
	      "  -p, --pid PID[,PID..]  only these VM processes (repeatable)\n"
	      "  -n, --name NAME        only VMs of this name (QEMU -name, else the process name)\n"
	      "      --vcpu N           only vCPU N of each VM\n"
	      "  -b, --by WHAT          reason (default), vm or vcpu\n"
	      "  -o, --output FORMAT    table (default), json (a line per interval) or csv\n"
	      "      --source WHAT      auto (default): tracepoint where kvm_exit fires, else stats;\n"
	      "                         tracepoint (kvm_exit/kvm_entry: hardware reasons, handling time),\n"
	      "                         stats (KVM's vCPU statistics: its categories, on any KVM),\n"
	      "                         or tracepoint,stats (both, side by side)\n"
	      "  -s, --sort KEY         count (default), time, avg, max or reason\n"
	      "  -l, --latency          handling time columns (avg, p50, p99, max)\n"
	      "      --count-only       attach kvm_exit alone: counts, no handling time, lowest cost\n"
	      "      --bpf KIND         btf or classic: force the BPF program kind (default: btf when\n"
	      "                         KVM's module has BTF, else the classic tracepoint)\n"
	      "  -h, --help\n",
	      out);
}

void cmd_top_usage(FILE *out)
{
	fputs("Usage: kvmexitstat top [OPTIONS] [INTERVAL]\n"
	      "An interactive view of the running VMs' exits, refreshed every INTERVAL seconds\n"
	      "(default 1): VMs with their exit rate, total and average handling time. Keys as in\n"
	      "kvm_stat: Enter goes into a VM's vCPUs and a vCPU's reasons, x shows the reasons over\n"
	      "every VM, o sorts, p filters the VMs (name or pid), f the reasons, c clears both,\n"
	      "r resets the totals, s sets the interval, Space pauses, h helps, q quits. Fits 80x24.\n"
	      "\n"
	      "  -p, --pid PID, -n, --name NAME, --vcpu N, --source WHAT, --count-only, --bpf KIND\n"
	      "                          as for live statistics (kvmexitstat --help)\n"
	      "  -h, --help\n",
	      out);
}

void cmd_serve_usage(FILE *out)
{
	fputs("Usage: kvmexitstat serve [--listen ADDR:PORT] [--vcpu-label] [OPTIONS] [INTERVAL]\n"
	      "Export live exit statistics in Prometheus's text format at http://ADDR:PORT/metrics\n"
	      "(default 127.0.0.1:9541: loopback unless told otherwise), read every INTERVAL seconds\n"
	      "(default 1): kvm_exits_total, kvm_exit_handling_seconds, kvm_vcpu_stat_total,\n"
	      "kvm_vcpu_stat_seconds_total and the collector's own kvmexitstat_* metrics.\n"
	      "\n"
	      "      --listen ADDR:PORT  where to listen ([::1]:PORT for IPv6, 0.0.0.0:PORT for all)\n"
	      "      --vcpu-label        a vcpu label on the per-VM series (more series)\n"
	      "  -p, --pid PID, -n, --name NAME, --vcpu N, --source WHAT, --count-only, --bpf KIND\n"
	      "                          as for live statistics (kvmexitstat --help)\n"
	      "  -h, --help\n",
	      out);
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

enum live_mode {
	MODE_LIVE,   /* reports on stdout */
	MODE_RECORD, /* intervals into the record store */
	MODE_SERVE,  /* Prometheus metrics over HTTP */
	MODE_TOP,    /* the ncurses view */
};

struct live {
	struct render_opts ro;
	bool latency;
	struct bpf_source *src;       /* the tracepoint source, or NULL */
	struct stats_source *stats;   /* the vCPU stats source, or NULL */
	struct snapshot prev, cur, delta, retired, names;
	struct snapshot stats_last;   /* the stats source's last reading */
	struct snapshot stats_base;   /* live, record: the stats source's first reading */
	bool baselined;
	char describe[256];
	const char *names_wanted[MAX_PIDS];
	size_t nnames;
	struct vm_id pids[MAX_PIDS];  /* -p: each process as it was when the run began */
	size_t npids;
	int32_t vcpu;                 /* --vcpu: only this vCPU id; -1: all */
	enum live_mode mode;          /* where the numbers go */
	const char *store_path;       /* record */
	struct store *store;
	char listen_addr[64];         /* serve */
	uint16_t listen_port;
	bool vcpu_label;
	struct http_server *http;
	struct top *top;              /* top */
	struct health lost_here;      /* losses this side counts (the BPF side's are in its map) */
	struct health warned;         /* the losses when they were last said */
	struct health at_interval;    /* the losses at the last interval's end */
	struct vm_id refused[64];     /* VMs the filter map had no room for (counted once) */
	size_t nrefused;
	struct vm_id ended[256];      /* VMs found ended before the latest reading */
	size_t nended;
};

static void now_hms(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* Local time t with its date and zone, ISO 8601: 2026-12-07T02:30:08+01:00. */
static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char zone[8];
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +0100 */
	size_t n = strlen(buf);
	if (strlen(zone) == 5)
		snprintf(buf + n, len - n, "%.3s:%s", zone, zone + 3);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* -n NAME: the VM processes of that name now (new ones join the filter). */
static void resolve_names(struct live *l)
{
	uint32_t vms[1024];
	size_t n = vm_list(vms, 1024);
	for (size_t i = 0; i < n; i++) {
		char name[64];
		uint64_t start = vm_start(vms[i]);
		if (!start || !vm_name(vms[i], start, name, sizeof(name)))
			continue;
		for (size_t k = 0; k < l->nnames; k++)
			if (!strcmp(name, l->names_wanted[k]) && bpf_source_allow(l->src, vms[i], start) &&
			    !vm_in(l->refused, l->nrefused, vms[i], start)) {
				/* the filter map is full: this VM is not counted */
				l->lost_here.n[H_FILTER_FULL]++;
				if (l->nrefused < sizeof(l->refused) / sizeof(l->refused[0]))
					l->refused[l->nrefused++] = (struct vm_id){ vms[i], start };
			}
	}
}

/* Name every VM that has counts: looked up once per process, while it is
 * there, and remembered (also for the totals after it ended). */
static void name_vms(struct live *l, struct snapshot *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		const struct exit_key *k = &s->slots[i].key;
		if (!s->slots[i].used || k->pid == PID_ALL || snapshot_name(s, k->pid, k->start))
			continue;
		const char *known = snapshot_name(&l->names, k->pid, k->start);
		char name[64];
		if (!known) {
			if (!vm_name(k->pid, k->start, name, sizeof(name)) &&
			    !(l->src && bpf_source_comm(l->src, k->pid, k->start, name, sizeof(name)))) {
				strcpy(name, "(ended)");
				l->lost_here.n[H_UNNAMED]++;
			}
			snapshot_set_name(&l->names, k->pid, k->start, name);
			known = name;
		}
		snapshot_set_name(s, k->pid, k->start, known);
	}
}

struct vm_set {
	const struct vm_id *ids;
	size_t n;
};

static bool not_in_set(const struct exit_key *k, void *ctx)
{
	const struct vm_set *set = ctx;
	return !vm_in(set->ids, set->n, k->pid, k->start);
}

/* s without the keys of the given VM processes. 0 or -ENOMEM. */
static int drop_vms(struct snapshot *s, const struct vm_id *ids, size_t n)
{
	struct vm_set set = { ids, n };
	return snapshot_keep(s, not_in_set, &set);
}

/* -p/-n for the stats source, which reads every vCPU of the host: whether
 * a VM process is one of those asked for. */
static bool wanted_vm(struct live *l, uint32_t pid, uint64_t start)
{
	if (!l->npids && !l->nnames)
		return true;
	if (vm_in(l->pids, l->npids, pid, start))
		return true;
	char name[64];
	const char *known = snapshot_name(&l->names, pid, start);
	if (!known && vm_name(pid, start, name, sizeof(name)) && !snapshot_set_name(&l->names, pid, start, name))
		known = name;
	for (size_t k = 0; known && k < l->nnames; k++)
		if (!strcmp(known, l->names_wanted[k]))
			return true;
	return false;
}

/* The stats source's counts now, into l->cur (added). A vCPU whose file
 * was closed since the last reading (its VM ended) keeps its last counts
 * until retire_ended reports and drops the VM. */
static int read_stats(struct live *l)
{
	struct snapshot fresh, all;
	int err;

	snapshot_init(&fresh);
	snapshot_init(&all);
	if ((err = stats_source_read(l->stats, &all)))
		goto out;
	err = -ENOMEM;
	for (size_t i = 0; i < all.cap; i++) {
		const struct snap_entry *e = &all.slots[i];
		if (!e->used || !wanted_vm(l, e->key.pid, e->key.start))
			continue;
		struct exit_stat *st = snapshot_get(&fresh, &e->key);
		if (!st)
			goto out;
		*st = e->st;
	}
	for (size_t i = 0; i < l->stats_last.cap; i++) {
		const struct snap_entry *e = &l->stats_last.slots[i];
		if (!e->used || snapshot_find(&fresh, &e->key))
			continue;
		struct exit_stat *st = snapshot_get(&fresh, &e->key);
		if (!st)
			goto out;
		*st = e->st;
	}
	/* KVM counts since each VM started. Live reports and the record store
	 * count from the first reading: the history of a VM already running
	 * then is no interval's (it would show as one interval's rate). serve
	 * and top show KVM's counts as they are: counters since the VM started,
	 * whose rates they take between readings. */
	if (l->mode == MODE_LIVE || l->mode == MODE_RECORD) {
		struct snapshot since;
		snapshot_init(&since);
		if ((!l->baselined && snapshot_merge(&l->stats_base, &fresh)) ||
		    snapshot_diff(&since, &fresh, &l->stats_base) || snapshot_merge(&l->cur, &since)) {
			snapshot_free(&since);
			goto out;
		}
		snapshot_free(&since);
		l->baselined = true;
	} else if (snapshot_merge(&l->cur, &fresh)) {
		goto out;
	}
	snapshot_free(&l->stats_last);
	l->stats_last = fresh;
	snapshot_init(&fresh);
	err = 0;
out:
	snapshot_free(&fresh);
	snapshot_free(&all);
	return err;
}

/* The VMs of the last reading whose processes are gone. Found before the
 * next reading, so that it holds their final exits: a VM found ended after
 * a reading may have exited after it, and those exits would be forgotten
 * with its keys. */
static void find_ended(struct live *l)
{
	l->nended = 0;
	for (size_t i = 0; i < l->cur.cap && l->nended < sizeof(l->ended) / sizeof(l->ended[0]); i++) {
		const struct exit_key *k = &l->cur.slots[i].key;
		if (l->cur.slots[i].used && !vm_in(l->ended, l->nended, k->pid, k->start) && !vm_alive(k->pid, k->start))
			l->ended[l->nended++] = (struct vm_id){ k->pid, k->start };
	}
}

/* Every source's cumulative counts now, into l->cur. */
static int read_sources(struct live *l)
{
	int err = 0;
	find_ended(l);
	snapshot_clear(&l->cur);
	if (l->src && (err = bpf_source_read(l->src, &l->cur)))
		return err;
	if (l->stats)
		err = read_stats(l);
	if (!err && l->vcpu >= 0)
		err = snapshot_keep(&l->cur, exit_key_of_vcpu, &l->vcpu); /* --vcpu */
	return err;
}

/* VMs that ended before this reading were reported with it, whole: keep
 * their totals, drop them from the maps and from the next diff. */
static int retire_ended(struct live *l)
{
	const struct vm_id *gone = l->ended;
	size_t ngone = l->nended;

	l->nended = 0;
	if (!ngone)
		return 0;
	struct snapshot keep;
	snapshot_init(&keep);
	for (size_t i = 0; i < l->cur.cap; i++) {
		struct snap_entry *e = &l->cur.slots[i];
		if (!e->used)
			continue;
		bool dead = vm_in(gone, ngone, e->key.pid, e->key.start);
		/* an ended VM is kept only as finely as the report shows it:
		 * with --by reason, a host whose VMs come and go keeps a
		 * bounded number of keys however long it runs */
		struct exit_key k = e->key;
		if (dead && l->ro.by != BY_VCPU)
			k.vcpu = VCPU_ALL;
		if (dead && l->ro.by == BY_REASON)
			k.pid = PID_ALL, k.start = 0;
		struct exit_stat *st = snapshot_get(dead ? &l->retired : &keep, &k);
		if (!st) {
			snapshot_free(&keep);
			return -ENOMEM;
		}
		stat_merge(st, &e->st);
	}
	for (size_t k = 0; k < ngone; k++) {
		if (l->src)
			bpf_source_forget(l->src, gone[k].pid, gone[k].start);
		if (l->stats)
			stats_source_forget(l->stats, gone[k].pid, gone[k].start);
	}
	snapshot_free(&l->cur);
	l->cur = keep;
	if (l->stats)
		return drop_vms(&l->stats_last, gone, ngone) || drop_vms(&l->stats_base, gone, ngone) ? -ENOMEM : 0;
	return 0;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the collector lost so far: this side's count and the programs'. */
static void losses(struct live *l, struct health *h)
{
	*h = l->lost_here;
	if (l->src)
		bpf_source_health(l->src, h);
}

/* Say a loss when it happens, not only at the end (top marks it on its
 * screen instead). */
static void warn_losses(struct live *l)
{
	struct health now, rose;
	char what[512], when[16];
	losses(l, &now);
	if (l->mode != MODE_TOP && health_diff(&rose, &now, &l->warned) && health_describe(what, sizeof(what), &rose)) {
		now_hms(when, sizeof(when));
		fprintf(stderr, "kvmexitstat: %s: %s\n", when, what);
	}
	l->warned = now;
}

/* The losses since the last interval's end (and that end moved to now). */
static void interval_losses(struct live *l, struct health *d)
{
	struct health now;
	losses(l, &now);
	health_diff(d, &now, &l->at_interval);
	l->at_interval = now;
}

/* record: what the reading in l->cur adds to l->prev, stored as the
 * interval from *last_ns to now (an empty stretch of no time is not). */
static int store_interval(struct live *l, uint64_t *last_ns, char *msg, size_t len)
{
	uint64_t now_ns = real_ns();
	snapshot_clear(&l->delta);
	if (snapshot_diff(&l->delta, &l->cur, &l->prev))
		return -ENOMEM;
	if (now_ns <= *last_ns)
		return 0;
	struct health lost;
	interval_losses(l, &lost);
	int err = store_append(l->store, *last_ns, now_ns, &l->delta, &lost, msg, len);
	if (!err)
		*last_ns = now_ns;
	return err;
}

static int report(struct live *l, const struct snapshot *s, double seconds, bool total, bool first)
{
	char when[16], iso[40];
	struct health lost;
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	iso_time(now, iso, sizeof(iso));
	if (total)
		losses(l, &lost);
	else
		interval_losses(l, &lost);
	struct interval_meta m = { when, iso, seconds, l->describe, total, l->latency, first, &lost };
	return render_interval(stdout, s, &l->ro, &m);
}

typedef void (*usage_fn)(FILE *out);

static usage_fn usage_of(enum live_mode mode)
{
	return mode == MODE_RECORD ? cmd_record_usage
	       : mode == MODE_SERVE ? cmd_serve_usage
	       : mode == MODE_TOP   ? cmd_top_usage
				    : cmd_live_usage;
}

#define DEFAULT_LISTEN "127.0.0.1:9541"

/* "127.0.0.1:9541", "[::1]:9541", ":9541" (loopback) into addr and port.
 * NULL, or the message for a value that is not one. */
static const char *parse_listen(const char *arg, char *addr, size_t addrlen, uint16_t *port)
{
	static const char *bad = "--listen: expected ADDR:PORT, [IPv6]:PORT or :PORT";
	const char *colon = strrchr(arg, ':');
	uint64_t p;
	if (!colon || parse_u64(colon + 1, &p) || p == 0 || p > 65535)
		return bad;
	size_t n = (size_t)(colon - arg);
	const char *a = arg;
	if (n >= 2 && a[0] == '[' && a[n - 1] == ']')
		a++, n -= 2;
	if (n == 0)
		a = "127.0.0.1", n = strlen(a);
	if (n >= addrlen)
		return bad;
	memcpy(addr, a, n);
	addr[n] = '\0';
	*port = (uint16_t)p;
	unsigned char ip[16];
	if (inet_pton(AF_INET, addr, ip) != 1 && inet_pton(AF_INET6, addr, ip) != 1)
		return "--listen: expected an IPv4 or IPv6 address (not a host name) and a port";
	return NULL;
}


static int start_serving(struct live *l, char *msg, size_t len)
{
	if (!l->listen_port)
		parse_listen(DEFAULT_LISTEN, l->listen_addr, sizeof(l->listen_addr), &l->listen_port);
	return http_server_start(&l->http, l->listen_addr, l->listen_port, msg, len);
}

/* The metrics of the VMs running now (an ended VM's series end with it). */
static int publish(struct live *l, uint64_t readings)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	struct prom_health h = { .source = l->describe, .last_update = (double)real_ns() / 1e9, .readings = readings };
	losses(l, &h.lost);
	int err = prom_render(f, &l->cur, l->vcpu_label, &h);
	if (fclose(f) || !buf)
		err = -ENOMEM;
	if (!err)
		err = http_server_publish(l->http, buf, len);
	free(buf);
	return err;
}

enum { SRC_AUTO = 0, SRC_TRACEPOINT = 1, SRC_STATS = 2 };

static const char *parse_sources(const char *arg, int *sources)
{
	static const char *bad = "--source: expected auto, tracepoint, stats or tracepoint,stats";
	char buf[64];

	*sources = SRC_AUTO;
	if (!strcmp(arg, "auto"))
		return NULL;
	size_t n = strlen(arg);
	if (!n || n >= sizeof(buf) || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		return bad;
	strcpy(buf, arg);
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "tracepoint"))
			*sources |= SRC_TRACEPOINT;
		else if (!strcmp(w, "stats"))
			*sources |= SRC_STATS;
		else
			return bad;
	}
	return *sources ? NULL : bad;
}

/* -p PID[,PID...], repeatable (perf's comma list). */
static const char *parse_pids(const char *arg, struct live *l)
{
	const char *p = arg;
	do {
		char *end;
		if (!isdigit((unsigned char)*p))
			return "-p: expected a process id, or ids separated by commas";
		errno = 0;
		unsigned long long v = strtoull(p, &end, 10);
		if ((*end && *end != ',') || errno || v == 0 || v > INT32_MAX)
			return "-p: expected a process id, or ids separated by commas";
		if (l->npids == MAX_PIDS)
			return "-p: at most 64 processes";
		l->pids[l->npids++] = (struct vm_id){ (uint32_t)v, 0 };
		p = *end ? end + 1 : end;
	} while (*p);
	return p[-1] == ',' ? "-p: expected a process id, or ids separated by commas" : NULL;
}

static int parse(int argc, char **argv, struct live *l, bool *count_only, enum bpf_flavour *flavour,
		 int *sources, double *interval, uint64_t *count)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' }, { "name", required_argument, NULL, 'n' },
		{ "by", required_argument, NULL, 'b' }, { "output", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' }, { "source", required_argument, NULL, 'U' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "latency", no_argument, NULL, 'l' },
		{ "count-only", no_argument, NULL, 'C' }, { "bpf", required_argument, NULL, 'B' },
		{ "listen", required_argument, NULL, 'L' }, { "vcpu-label", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:n:b:o:s:S:v:lh", opts, NULL)) != -1) {
		const char *bad = NULL;
		/* Until the next release: -S sorted, and -s chose the source. The
		 * words of the two never meet, so an old -s still does what it did. */
		int was_source;
		if (c == 'S' || (c == 's' && !parse_sources(optarg, &was_source))) {
			fprintf(stderr, "kvmexitstat: note: %s is now %s, as in kvmexitstat report; the old spelling "
					"goes in the next release\n", c == 'S' ? "-S" : "-s SOURCE",
				c == 'S' ? "-s" : "--source SOURCE (-s sorts)");
			c = c == 'S' ? 's' : 'U';
		}
		switch (c) {
		case 'p':
			bad = parse_pids(optarg, l);
			break;
		case 'v':
			if (parse_u64(optarg, &v) || v > INT32_MAX)
				bad = "--vcpu: expected a vCPU id (0, 1, ...)";
			else
				l->vcpu = (int32_t)v;
			break;
		case 'n':
			if (l->nnames == 8)
				bad = "-n: at most 8 names";
			else
				l->names_wanted[l->nnames++] = optarg;
			break;
		case 'o':
			if (l->mode == MODE_RECORD) {
				l->store_path = optarg;
				break;
			}
			/* fall through */
		case 'b':
			bad = render_option(c, optarg, &l->ro);
			break;
		case 's':
			bad = render_option('s', optarg, &l->ro);
			break;
		case 'U':
			bad = parse_sources(optarg, sources);
			break;
		case 'l':
			l->latency = true;
			break;
		case 'C':
			*count_only = true;
			break;
		case 'L':
			bad = parse_listen(optarg, l->listen_addr, sizeof(l->listen_addr), &l->listen_port);
			break;
		case 'V':
			l->vcpu_label = true;
			break;
		case 'B':
			if (!strcmp(optarg, "btf"))
				*flavour = FLAVOUR_BTF;
			else if (!strcmp(optarg, "classic"))
				*flavour = FLAVOUR_CLASSIC;
			else
				bad = "--bpf: expected btf or classic";
			break;
		case 'h':
			usage_of(l->mode)(stdout);
			exit(EXIT_OK);
		default:
			usage_of(l->mode)(stderr);
			return EXIT_USAGE;
		}
		if (l->mode != MODE_LIVE && (c == 'b' || c == 's' || c == 'l' || (c == 'o' && l->mode != MODE_RECORD))) {
			fprintf(stderr, "kvmexitstat %s: -%c is for what live statistics show; %s\n",
				l->mode == MODE_RECORD ? "record" : l->mode == MODE_SERVE ? "serve" : "top", c,
				l->mode == MODE_RECORD ? "the store keeps every VM, vCPU and reason with its handling time"
				: l->mode == MODE_SERVE ? "the metrics have every VM and reason with its handling time"
							: "top has keys for sorting and drilling down");
			return EXIT_USAGE;
		}
		if ((c == 'L' || c == 'V') && l->mode != MODE_SERVE) {
			fprintf(stderr, "kvmexitstat: --%s is for kvmexitstat serve\n", c == 'L' ? "listen" : "vcpu-label");
			return EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "kvmexitstat: %s, got '%s'\n", bad, optarg);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		char *end;
		errno = 0;
		*interval = strtod(argv[optind], &end);
		if (*end || errno || !isfinite(*interval) || *interval < 0.01 || *interval > 86400) {
			fprintf(stderr, "kvmexitstat: INTERVAL '%s' is not a number of seconds from 0.01 to 86400 "
					"(or an unknown command: try --help)\n", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		if (parse_u64(argv[optind], count) || *count == 0) {
			fprintf(stderr, "kvmexitstat: COUNT '%s' is not a positive number\n", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "kvmexitstat: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (l->mode == MODE_RECORD && !l->store_path) {
		fprintf(stderr, "kvmexitstat record: no store: give -o FILE.db\n");
		return EXIT_USAGE;
	}
	if (*count_only && l->latency) {
		fprintf(stderr, "kvmexitstat: --latency needs handling times, which --count-only leaves out\n");
		return EXIT_USAGE;
	}
	if (*sources == SRC_STATS && (l->latency || *count_only || *flavour != FLAVOUR_AUTO)) {
		fprintf(stderr, "kvmexitstat: %s is for the tracepoint source; KVM's vCPU statistics (--source stats) "
				"have counts only\n", l->latency ? "--latency" : *count_only ? "--count-only" : "--bpf");
		return EXIT_USAGE;
	}
	return 0;
}

/* A signal made loading fail (the verifier gives up with EAGAIN when one
 * is pending): the user asked to stop, so this is no error. */
static int stopped_while_loading(void)
{
	fprintf(stderr, "kvmexitstat: stopped while loading its BPF programs; nothing was counted\n");
	return EXIT_OK;
}

static int live_main(int argc, char **argv, enum live_mode mode)
{
	/* record and serve keep ended VMs' totals only per reason: they print none */
	struct live l = { .ro = { OUT_TABLE, BY_REASON, SORT_COUNT }, .mode = mode, .vcpu = -1 };
	bool record = mode == MODE_RECORD;
	bool count_only = false;
	enum bpf_flavour flavour = FLAVOUR_AUTO;
	int sources = SRC_AUTO;
	double interval = mode != MODE_LIVE ? 1 : 0;
	uint64_t count = 0;
	char msg[512];
	int status = EXIT_FAIL, err;
	const char *err_msg = "out of memory";

	if ((err = parse(argc, argv, &l, &count_only, &flavour, &sources, &interval, &count)))
		return err;
	/* before loading anything: a Ctrl-C while the programs load (which
	 * can take seconds on a busy or emulated host) ends the run */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (geteuid() != 0) {
		fprintf(stderr, "kvmexitstat: live statistics load BPF programs: run as root (or with CAP_BPF, "
				"CAP_PERFMON and CAP_SYS_RESOURCE)\n");
		return EXIT_FAIL;
	}
	if (mode == MODE_TOP && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "kvmexitstat top: needs a terminal on stdin and stdout; for a file or a pipe, "
				"use kvmexitstat -o json or -o csv\n");
		return EXIT_FAIL;
	}
	/* -p: the processes with those pids now (a pid used again later is
	 * another VM) */
	for (size_t k = 0; k < l.npids; k++)
		if (!(l.pids[k].start = vm_start(l.pids[k].pid))) {
			fprintf(stderr, "kvmexitstat: -p %" PRIu32 ": no such process\n", l.pids[k].pid);
			return EXIT_FAIL;
		}
	if (host_kvm() == HOST_KVM_NONE) {
		fprintf(stderr, "kvmexitstat: KVM is not loaded (no kvm module): modprobe kvm-intel or kvm-amd\n");
		return EXIT_FAIL;
	}
	bool vmx_svm = host_kvm_hardware(); /* kvm_intel or kvm_amd runs the guests */
	if (sources == SRC_AUTO) {
		/* kvm_exit fires only where kvm_intel or kvm_amd runs the guests */
		sources = vmx_svm ? SRC_TRACEPOINT : SRC_STATS;
		if (!vmx_svm && (l.latency || count_only || flavour != FLAVOUR_AUTO)) {
			fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host (neither kvm_intel nor "
					"kvm_amd is loaded: its KVM runs guests without VMX or SVM, as PVM does), and %s needs it; "
					"KVM's vCPU statistics (--source stats) have counts only\n",
				l.latency ? "--latency" : count_only ? "--count-only" : "--bpf");
			return EXIT_USAGE;
		}
		if (!vmx_svm)
			fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host (neither kvm_intel nor "
					"kvm_amd is loaded): counting with KVM's vCPU statistics instead\n");
	}
	if ((sources & SRC_TRACEPOINT) && !vmx_svm) {
		fprintf(stderr, "kvmexitstat: kvm:kvm_exit never fires on this host: neither kvm_intel nor kvm_amd "
				"is loaded (its KVM runs guests without VMX or SVM, as PVM does), so the tracepoint source has "
				"nothing to count; use KVM's vCPU statistics (--source stats)\n");
		return EXIT_FAIL;
	}
	if (sources & SRC_TRACEPOINT) {
		struct bpf_source_opts so = { .with_time = !count_only, .flavour = flavour, .tgids = l.pids,
					      .ntgids = l.npids, .names = l.names_wanted, .nnames = l.nnames };
		if ((err = bpf_source_open(&l.src, &so, msg, sizeof(msg)))) {
			if (stop)
				return stopped_while_loading();
			fprintf(stderr, "kvmexitstat: %s\n", msg);
			return EXIT_FAIL;
		}
		if (bpf_source_fallback(l.src))
			fprintf(stderr, "kvmexitstat: using the classic tracepoint programs, not tp_btf: %s\n",
				bpf_source_fallback(l.src));
	}
	if (sources & SRC_STATS) {
		if ((err = stats_source_open(&l.stats, msg, sizeof(msg)))) {
			bpf_source_close(l.src);
			if (stop)
				return stopped_while_loading();
			fprintf(stderr, "kvmexitstat: %s\n", msg);
			return EXIT_FAIL;
		}
		/* both sources: the tracepoint's exits make the totals, KVM's
		 * "exits" counts the same exits again */
		if (l.src)
			reasons_set_kvm_stats_total(false);
	}
	snprintf(l.describe, sizeof(l.describe), "%s%s%s%s", l.src ? bpf_source_describe(l.src) : "",
		 l.src && l.stats ? " + " : "", l.stats ? stats_source_describe(l.stats) : "",
		 !l.stats ? "" : mode == MODE_LIVE || mode == MODE_RECORD ? "; from the first reading on"
								 : "; each VM's since it started");
	uint64_t last_ns = real_ns();
	if (record) {
		struct store_run run = { l.describe, interval, last_ns, argc, argv };
		if (store_create(&l.store, l.store_path, &run, msg, sizeof(msg))) {
			fprintf(stderr, "kvmexitstat record: %s\n", msg);
			bpf_source_close(l.src);
			stats_source_close(l.stats);
			return EXIT_FAIL;
		}
	}
	snapshot_init(&l.prev);
	snapshot_init(&l.cur);
	snapshot_init(&l.delta);
	snapshot_init(&l.retired);
	snapshot_init(&l.names);
	snapshot_init(&l.stats_last);
	snapshot_init(&l.stats_base);
	/* the baseline of the VMs running now (see read_stats) */
	if (l.stats && (mode == MODE_LIVE || mode == MODE_RECORD)) {
		if (read_stats(&l)) {
			fprintf(stderr, "kvmexitstat: reading KVM's vCPU statistics failed\n");
			goto out;
		}
		snapshot_clear(&l.cur);
	}
	if (l.nnames && l.src)
		resolve_names(&l);

	if (mode == MODE_SERVE && start_serving(&l, msg, sizeof(msg))) {
		fprintf(stderr, "kvmexitstat serve: %s\n", msg);
		bpf_source_close(l.src);
		stats_source_close(l.stats);
		return EXIT_FAIL;
	}
	if (mode == MODE_SERVE)
		fprintf(stderr, "kvmexitstat: serving VM exit metrics from %s at http://%s%s%s:%u/metrics, read every %g s\n",
			l.describe, strchr(l.listen_addr, ':') ? "[" : "", l.listen_addr, strchr(l.listen_addr, ':') ? "]" : "",
			l.listen_port, interval);
	else if (record)
		fprintf(stderr, "kvmexitstat: recording VM exits with %s into %s, every %g s\n", l.describe,
			l.store_path, interval);
	else
		fprintf(stderr, "kvmexitstat: counting VM exits with %s%s\n", l.describe,
			interval > 0 ? "" : "; Ctrl-C prints the totals");
	if (mode == MODE_TOP) {
		if (!(l.top = top_open(l.describe)) || read_sources(&l) ||
		    (name_vms(&l, &l.cur), top_update(l.top, &l.cur, &l.lost_here)))
			goto out;
	}
	/* the first scrape finds the VMs already running */
	if (mode == MODE_SERVE && (read_sources(&l) || (name_vms(&l, &l.cur), publish(&l, 0)))) {
		fprintf(stderr, "kvmexitstat serve: the first reading failed\n");
		goto out;
	}

	/* Wake at least every second, to name VMs while their processes are
	 * there and to notice VMs that ended; print only at the interval. */
	double start = mono_s(), last = start;
	uint64_t done = 0, readings = 0;
	bool first = true;
	while (!stop && !(count && done >= count)) {
		double due = interval > 0 ? last + interval : INFINITY;
		double wake = fmin(due, mono_s() + 1.0);
		for (double left; !stop && (left = wake - mono_s()) > 0;) {
			if (l.top) {
				/* keys are answered between readings */
				if (!top_keys(l.top, (int)(left * 1000) + 1))
					stop = 1;
				if (top_interval(l.top) > 0 && top_interval(l.top) != interval) {
					/* 's': the next reading is due by the new interval */
					interval = top_interval(l.top);
					due = last + interval;
					wake = fmin(due, mono_s() + 1.0);
				}
				continue;
			}
			struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
			nanosleep(&ts, NULL); /* a signal ends it early */
		}
		if (stop)
			break;
		double t = mono_s();
		if (l.nnames && l.src)
			resolve_names(&l);
		if ((err = read_sources(&l))) {
			err_msg = "reading the BPF maps failed";
			goto out;
		}
		name_vms(&l, &l.cur);
		warn_losses(&l);
		if (t + 1e-3 < due) {
			if (interval == 0 && retire_ended(&l))
				goto out;
			continue;
		}
		/* serve and top show the cumulative counts; the others the interval's */
		if (mode == MODE_SERVE) {
			if (publish(&l, ++readings)) {
				err_msg = "out of memory";
				goto out;
			}
		} else if (mode == MODE_TOP) {
			struct health lost;
			losses(&l, &lost);
			if (top_update(l.top, &l.cur, &lost))
				goto out;
		} else if (record) {
			if ((err = store_interval(&l, &last_ns, msg, sizeof(msg)))) {
				err_msg = err == -ENOMEM ? "out of memory" : msg;
				goto out;
			}
		} else if (snapshot_clear(&l.delta), snapshot_diff(&l.delta, &l.cur, &l.prev)) {
			goto out;
		} else if (report(&l, &l.delta, t - last, false, first)) {
			err_msg = "writing the report failed";
			goto out;
		}
		first = false;
		if (retire_ended(&l))
			goto out;
		snapshot_clear(&l.prev);
		if (snapshot_merge(&l.prev, &l.cur))
			goto out;
		last = t;
		done++;
	}

	if (mode == MODE_TOP) {
		status = EXIT_OK;
		err_msg = NULL;
		goto out;
	}
	if (mode == MODE_SERVE) {
		uint64_t served, refused;
		http_server_counts(l.http, &served, &refused);
		fprintf(stderr, "kvmexitstat serve: %llu requests answered, %llu refused\n", (unsigned long long)served,
			(unsigned long long)refused);
		status = EXIT_OK;
		err_msg = NULL;
		goto out;
	}
	if (record) {
		/* stopped (not killed): the interval in progress too */
		uint64_t nint, nrows;
		if (read_sources(&l)) {
			err_msg = "reading the BPF maps failed";
			goto out;
		}
		name_vms(&l, &l.cur);
		if ((err = store_interval(&l, &last_ns, msg, sizeof(msg)))) {
			err_msg = err == -ENOMEM ? "out of memory" : msg;
			goto out;
		}
		store_counts(l.store, &nint, &nrows);
		fprintf(stderr, "kvmexitstat record: %llu intervals, %llu rows in %s\n", (unsigned long long)nint,
			(unsigned long long)nrows, l.store_path);
		status = EXIT_OK;
		err_msg = NULL;
		goto out;
	}

	/* Totals: what the maps hold now, and the VMs that ended on the way. */
	double end = mono_s();
	if ((err = read_sources(&l)))
		goto out;
	name_vms(&l, &l.cur);
	if (snapshot_merge(&l.cur, &l.retired))
		goto out;
	name_vms(&l, &l.cur);
	if (report(&l, &l.cur, end - start, true, first)) {
		err_msg = "writing the report failed";
		goto out;
	}
	struct health h;
	char what[512];
	losses(&l, &h);
	if (health_describe(what, sizeof(what), &h))
		fprintf(stderr, "kvmexitstat: in all, the collector lost: %s\n", what);
	/* counts that miss exits are a failed run */
	status = h.n[H_EXITS_LOST] ? EXIT_FAIL : EXIT_OK;
	err_msg = NULL;
out:
	if (status == EXIT_FAIL && err_msg)
		fprintf(stderr, "kvmexitstat: %s\n", err_msg);
	bpf_source_close(l.src);
	stats_source_close(l.stats);
	store_close(l.store);
	http_server_stop(l.http);
	top_close(l.top); /* before the message below reaches the terminal */
	snapshot_free(&l.stats_last);
	snapshot_free(&l.stats_base);
	snapshot_free(&l.prev);
	snapshot_free(&l.cur);
	snapshot_free(&l.delta);
	snapshot_free(&l.retired);
	snapshot_free(&l.names);
	return status;
}

int cmd_live(int argc, char **argv)
{
	return live_main(argc, argv, MODE_LIVE);
}

int cmd_record_live(int argc, char **argv)
{
	return live_main(argc, argv, MODE_RECORD);
}

int cmd_serve(int argc, char **argv)
{
	return live_main(argc, argv, MODE_SERVE);
}

int cmd_top(int argc, char **argv)
{
	return live_main(argc, argv, MODE_TOP);
}
