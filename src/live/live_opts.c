/* Parsing the live commands' shared options (live_opts.h). */
#define _GNU_SOURCE
#include "live_opts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "numparse.h"

#define DEFAULT_LISTEN "127.0.0.1:9541"

void live_opts_free(struct live_opts *o)
{
	guest_symbols_free(&o->syms);
}

const char *live_cmd_name(enum live_cmd cmd)
{
	return cmd == LIVE_RECORD ? "kvmexitstat record"
	       : cmd == LIVE_SERVE ? "kvmexitstat serve"
	       : cmd == LIVE_TOP   ? "kvmexitstat top"
				   : "kvmexitstat";
}

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
static const char *parse_pids(const char *arg, struct live_opts *o)
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
		if (o->npids == LIVE_MAX_PIDS)
			return "-p: at most 64 processes";
		o->pids[o->npids++] = (struct vm_id){ (uint32_t)v, 0 };
		p = *end ? end + 1 : end;
	} while (*p);
	return p[-1] == ',' ? "-p: expected a process id, or ids separated by commas" : NULL;
}

/* "500us", "2ms", "1.5s", "800ns" or nanoseconds alone into ns. */
static int parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double unit = !*end || !strcmp(end, "ns") ? 1 : !strcmp(end, "us") ? 1e3 : !strcmp(end, "ms") ? 1e6
		      : !strcmp(end, "s") ? 1e9 : 0;
	if (end == s || errno || !unit || !isfinite(v) || v < 0 || v * unit > 1e18)
		return -EINVAL;
	*ns = (uint64_t)(v * unit + 0.5);
	return 0;
}

int live_opts_parse(int argc, char **argv, enum live_cmd cmd, void (*usage)(FILE *out), struct live_opts *o)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' }, { "name", required_argument, NULL, 'n' },
		{ "by", required_argument, NULL, 'b' }, { "output", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' }, { "source", required_argument, NULL, 'U' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "latency", no_argument, NULL, 'l' }, { "detail", optional_argument, NULL, 'D' },
		{ "slow", required_argument, NULL, 'W' }, { "rip", optional_argument, NULL, 'R' },
		{ "guest-symbols", required_argument, NULL, 'G' },
		{ "hlt-time", no_argument, NULL, 'H' },
		{ "count-only", no_argument, NULL, 'C' }, { "bpf", required_argument, NULL, 'B' },
		{ "listen", required_argument, NULL, 'L' }, { "vcpu-label", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->ro = (struct render_opts){ .format = OUT_TABLE, .by = BY_REASON, .sort = SORT_COUNT };
	o->vcpu = -1;
	o->interval = cmd != LIVE_STATS ? 1 : 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:n:b:o:s:S:v:lh", opts, NULL)) != -1) {
		const char *bad = NULL;
		char why[160];
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
			bad = parse_pids(optarg, o);
			break;
		case 'v':
			if (parse_u64(optarg, &v) || v > INT32_MAX)
				bad = "--vcpu: expected a vCPU id (0, 1, ...)";
			else
				o->vcpu = (int32_t)v;
			break;
		case 'n':
			if (o->nnames == 8)
				bad = "-n: at most 8 names";
			else
				o->names[o->nnames++] = optarg;
			break;
		case 'o':
			if (o->cmd == LIVE_RECORD) {
				o->store_path = optarg;
				break;
			}
			/* fall through */
		case 'b':
			bad = render_option(c, optarg, &o->ro, why, sizeof(why)) ? why : NULL;
			break;
		case 's':
			bad = render_option('s', optarg, &o->ro, why, sizeof(why)) ? why : NULL;
			break;
		case 'W':
			bad = parse_duration(optarg, &o->slow_ns) || !o->slow_ns
				      ? "--slow: expected a handling time such as 500us, 2ms or 1s (ns, us, ms, s)"
				      : NULL;
			break;
		case 'D':
		case 'H':
		case 'R':
			bad = render_option(c, optarg, &o->ro, why, sizeof(why)) ? why : NULL;
			break;
		case 'G':
			if (guest_symbols_add(&o->syms, optarg, why, sizeof(why))) {
				fprintf(stderr, "kvmexitstat: %s\n", why);
				live_opts_free(o);
				return EXIT_USAGE;
			}
			break;
		case 'U':
			bad = parse_sources(optarg, &o->sources);
			break;
		case 'l':
			o->latency = true;
			break;
		case 'C':
			o->count_only = true;
			break;
		case 'L':
			bad = parse_listen(optarg, o->listen_addr, sizeof(o->listen_addr), &o->listen_port);
			break;
		case 'V':
			o->vcpu_label = true;
			break;
		case 'B':
			if (!strcmp(optarg, "btf"))
				o->flavour = FLAVOUR_BTF;
			else if (!strcmp(optarg, "classic"))
				o->flavour = FLAVOUR_CLASSIC;
			else
				bad = "--bpf: expected btf or classic";
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (o->cmd != LIVE_STATS && (c == 'b' || c == 's' || c == 'l' || (c == 'o' && o->cmd != LIVE_RECORD))) {
			fprintf(stderr, "kvmexitstat %s: -%c is for what live statistics show; %s\n",
				o->cmd == LIVE_RECORD ? "record" : o->cmd == LIVE_SERVE ? "serve" : "top", c,
				o->cmd == LIVE_RECORD ? "the store keeps every VM, vCPU and reason with its handling time"
				: o->cmd == LIVE_SERVE ? "the metrics have every VM and reason with its handling time"
							: "top has keys for sorting and drilling down");
			return EXIT_USAGE;
		}
		if ((c == 'L' || c == 'V') && o->cmd != LIVE_SERVE) {
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
		o->interval = strtod(argv[optind], &end);
		if (*end || errno || !isfinite(o->interval) || o->interval < 0.01 || o->interval > 86400) {
			fprintf(stderr, "kvmexitstat: INTERVAL '%s' is not a number of seconds from 0.01 to 86400 "
					"(or an unknown command: try --help)\n", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		if (parse_u64(argv[optind], &o->count) || o->count == 0) {
			fprintf(stderr, "kvmexitstat: COUNT '%s' is not a positive number\n", argv[optind]);
			return EXIT_USAGE;
		}
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "kvmexitstat: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->cmd == LIVE_RECORD && !o->store_path) {
		fprintf(stderr, "kvmexitstat record: no store: give -o FILE.db\n");
		return EXIT_USAGE;
	}
	o->detail = o->ro.detail_top > 0;
	o->rip = o->ro.rip_top > 0;
	if (o->syms.n && o->cmd == LIVE_RECORD) {
		fprintf(stderr, "kvmexitstat record: the store keeps the RIPs themselves: give --guest-symbols to "
				"report\n");
		live_opts_free(o);
		return EXIT_USAGE;
	}
	if (o->syms.n && !o->rip && !o->slow_ns) {
		fprintf(stderr, "kvmexitstat: --guest-symbols names the guest RIPs that --rip and --slow show; give "
				"--rip or --slow too\n");
		live_opts_free(o);
		return EXIT_USAGE;
	}
	o->ro.rip_name = o->syms.n ? guest_symbols_rip_name : NULL;
	o->ro.rip_ctx = &o->syms;
	if (o->rip && (o->cmd != LIVE_STATS || o->count_only || o->sources == SRC_STATS)) {
		fprintf(stderr, "kvmexitstat: --rip is for live statistics from the tracepoint source, "
				"with handling times%s\n", o->count_only ? " (--count-only leaves them out)" : "");
		live_opts_free(o);
		return EXIT_USAGE;
	}
	if (o->slow_ns && (o->count_only || o->sources == SRC_STATS || (o->cmd != LIVE_STATS && o->cmd != LIVE_RECORD))) {
		fprintf(stderr, "kvmexitstat: --slow is for live statistics and record from the tracepoint source, "
				"with handling times%s\n", o->count_only ? " (--count-only leaves them out)" : "");
		live_opts_free(o);
		return EXIT_USAGE;
	}
	if (o->detail && o->cmd == LIVE_SERVE) {
		fprintf(stderr, "%s: --detail is for live statistics, record, top and report; serve keeps "
				"no details\n", live_cmd_name(o->cmd));
		return EXIT_USAGE;
	}
	if (o->detail && (o->count_only || o->sources == SRC_STATS)) {
		fprintf(stderr, "kvmexitstat: --detail is for the tracepoint source, with handling times: %s\n",
			o->count_only ? "--count-only leaves them out" : "KVM's vCPU statistics (--source stats) have none");
		return EXIT_USAGE;
	}
	if (o->count_only && o->latency) {
		fprintf(stderr, "kvmexitstat: --latency needs handling times, which --count-only leaves out\n");
		return EXIT_USAGE;
	}
	if (o->sources == SRC_STATS && (o->latency || o->count_only || o->flavour != FLAVOUR_AUTO)) {
		fprintf(stderr, "kvmexitstat: %s is for the tracepoint source; KVM's vCPU statistics (--source stats) "
				"have counts only\n", o->latency ? "--latency" : o->count_only ? "--count-only" : "--bpf");
		return EXIT_USAGE;
	}
	if (o->cmd == LIVE_SERVE && !o->listen_port)
		parse_listen(DEFAULT_LISTEN, o->listen_addr, sizeof(o->listen_addr), &o->listen_port);
	return 0;
}

