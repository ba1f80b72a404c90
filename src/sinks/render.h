/* Renderers: a snapshot (and the kernel log series) as a table, JSON or CSV.
 * They read the model only; the same numbers go into every format. */
#ifndef KVMEXITSTAT_RENDER_H
#define KVMEXITSTAT_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "health.h"
#include "klog.h"
#include "recording.h"
#include "slow.h"
#include "snapshot.h"

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };
enum sort_key { SORT_COUNT, SORT_TIME, SORT_AVG, SORT_MAX, SORT_REASON };

#define DETAIL_TOP_DEFAULT 5 /* --detail without a number */
#define RIP_TOP_DEFAULT 5    /* --rip without a number */

struct render_opts {
	enum out_format format;
	enum aggregate_by by;
	enum sort_key sort;
	unsigned detail_top; /* > 0: under each reason its top N details and "(other)" */
	bool hlt_time;       /* HLT's handling time in the totals' (default: apart) */
	unsigned rip_top;    /* > 0: under each reason (or detail) its top N guest RIPs and "(other)" */
	/* --guest-symbols: a RIP's "function+0xoff" into buf (vm: the row's VM
	 * name, or NULL), or NULL when not known; NULL: RIPs bare */
	const char *(*rip_name)(void *ctx, const struct exit_key *k, const char *vm, char *buf, size_t len);
	void *rip_ctx;
};

/* What the report is about, printed with it. */
struct report_meta {
	const char *source;         /* "trace" */
	const char *const *inputs;
	size_t ninputs;
	uint64_t lines, exits, paired, unparsed;
	uint64_t unpaired_boundary;  /* exits whose entry was in the next capture */
	uint64_t lost_events;        /* events the recording kernel dropped (trace-cmd data files) */
	const char *first_bad_input; /* where the first undecodable line is (unparsed > 0) */
	uint64_t first_bad_line;
	int has_span;
	uint64_t span_ns;
	const struct store_info *recorded; /* the report reads record stores */
	const struct slow_exit *slow; /* the stores' slow exits (record --slow), in time order */
	size_t nslow;
};

/* A slow exit in the words of a SLOW line of report, without "SLOW ":
 * when, VM (named from names), vCPU, thread, CPUs, reason, detail, RIP
 * (named by o's symbols; o may be NULL) and times. */
#define SLOW_DESCRIBE_MAX 512
void slow_exit_describe(const struct snapshot *names, const struct render_opts *o, const struct slow_exit *e,
			char *buf, size_t len);

int out_format_parse(const char *s, enum out_format *f);
int aggregate_by_parse(const char *s, enum aggregate_by *by);
int sort_key_parse(const char *s, enum sort_key *k);
const char *aggregate_by_name(enum aggregate_by by);
/* -o/--output, -b/--by, -s/--sort, --detail[=N], --hlt-time, --rip[=N], as
 * getopt letters 'o', 'b', 's', 'D' (arg NULL: --detail alone), 'H', 'R'
 * (arg NULL: --rip alone): apply arg to o. 0, or -EINVAL
 * and in msg what was expected. */
int render_option(int letter, const char *arg, struct render_opts *o, char *msg, size_t len);

/* Human time: 850ns, 12.3us, 4.56ms, 1.23s. */
char *format_ns(uint64_t ns, char *buf, size_t len);

/* The whole report: exits (aggregated by opts->by) and, when there are
 * any, the kernel log series. Returns 0 or -errno. */
int render_report(FILE *out, const struct snapshot *exits, const struct klog_series *klogs, size_t nklogs,
		  const struct render_opts *opts, const struct report_meta *meta);

/* One interval of live statistics (or, with total set, the whole run). */
struct interval_meta {
	const char *when;     /* wall-clock time of the interval's end, "HH:MM:SS" (table) */
	const char *when_iso; /* the same with its date and zone, ISO 8601 (JSON, CSV) */
	double seconds;       /* the interval's length: rates are per second of it */
	const char *source;   /* "tp_btf (SVM, exit->entry timing)" */
	bool total;           /* the summary at the end of the run */
	bool latency;         /* show handling-time columns */
	bool first;           /* first interval printed: CSV header, table title */
	const struct health *health; /* JSON: what the collector lost in it, or NULL */
	bool slow_asked;             /* --slow was given: list (JSON: "slow") what follows */
	const struct slow_exit *slow; /* the slow exits listed in it, in order */
	size_t nslow;
};

/* snap: the interval's deltas (aggregated here by opts->by). Table: rows
 * with a timestamp, sysstat style; JSON: one object per line; CSV: one row
 * per key, the header once. 0 or -errno. */
int render_interval(FILE *out, const struct snapshot *snap, const struct render_opts *opts,
		    const struct interval_meta *meta);

/* The decode tables (`kvmexitstat reasons`). isa ISA_UNKNOWN: both. */
int render_reasons(FILE *out, enum isa isa, enum out_format format);

void json_string(FILE *out, const char *s);
void csv_field(FILE *out, const char *s);

#endif
