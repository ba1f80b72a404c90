#define _GNU_SOURCE
#include "render.h"

#include "detail.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- option names ------------------------------------------------------ */

struct option_name {
	const char *name;
	int value;
};

static const struct option_name formats[] = {
	{ "table", OUT_TABLE }, { "json", OUT_JSON }, { "csv", OUT_CSV }, { NULL, 0 },
};
static const struct option_name bys[] = {
	{ "reason", BY_REASON }, { "vm", BY_VM }, { "vcpu", BY_VCPU }, { NULL, 0 },
};
static const struct option_name sorts[] = {
	{ "count", SORT_COUNT }, { "time", SORT_TIME }, { "avg", SORT_AVG },
	{ "max", SORT_MAX }, { "reason", SORT_REASON }, { NULL, 0 },
};

static int option_value(const struct option_name *t, const char *s, int *out)
{
	for (; t->name; t++)
		if (!strcmp(s, t->name)) {
			*out = t->value;
			return 0;
		}
	return -EINVAL;
}

int out_format_parse(const char *s, enum out_format *f)
{
	int v, err = option_value(formats, s, &v);
	if (!err)
		*f = (enum out_format)v;
	return err;
}

int aggregate_by_parse(const char *s, enum aggregate_by *by)
{
	int v, err = option_value(bys, s, &v);
	if (!err)
		*by = (enum aggregate_by)v;
	return err;
}

int sort_key_parse(const char *s, enum sort_key *k)
{
	int v, err = option_value(sorts, s, &v);
	if (!err)
		*k = (enum sort_key)v;
	return err;
}

/* --detail[=N], --rip[=N]: N from 1 to 1000 into *top, def without one.
 * 0 or -EINVAL (*top unchanged). */
static int parse_top(const char *arg, unsigned def, unsigned *top)
{
	char *end;
	unsigned long n = arg ? strtoul(arg, &end, 10) : def;
	if (arg && (!*arg || *end || *arg == '-' || n < 1 || n > 1000))
		return -EINVAL;
	*top = (unsigned)n;
	return 0;
}

int render_option(int letter, const char *arg, struct render_opts *o, char *msg, size_t len)
{
	const char *bad = "not an output option";
	switch (letter) {
	case 'o':
		bad = out_format_parse(arg, &o->format) ? "-o: expected table, json or csv" : NULL;
		break;
	case 'b': {
		/* "vm,detail": by VM, with the details under each reason */
		char by[16];
		const char *comma = strchr(arg, ',');
		size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
		snprintf(by, sizeof(by), "%.*s", (int)(n < sizeof(by) ? n : sizeof(by) - 1), arg);
		bad = n >= sizeof(by) || aggregate_by_parse(by, &o->by) || (comma && strcmp(comma, ",detail"))
			      ? "--by: expected reason, vm or vcpu, and after it ,detail or nothing"
			      : NULL;
		if (!bad && comma && !o->detail_top)
			o->detail_top = DETAIL_TOP_DEFAULT;
		break;
	}
	case 'H':
		o->hlt_time = true;
		bad = NULL;
		break;
	case 'D':
		bad = parse_top(arg, DETAIL_TOP_DEFAULT, &o->detail_top)
			      ? "--detail: expected how many details to show of each reason, 1 to 1000"
			      : NULL;
		break;
	case 'R':
		bad = parse_top(arg, RIP_TOP_DEFAULT, &o->rip_top)
			      ? "--rip: expected how many guest RIPs to show of each reason, 1 to 1000"
			      : NULL;
		break;
	case 's':
		bad = sort_key_parse(arg, &o->sort) ? "--sort: expected count, time, avg, max or reason" : NULL;
		break;
	}
	if (bad)
		snprintf(msg, len, "%s", bad);
	return bad ? -EINVAL : 0;
}

const char *aggregate_by_name(enum aggregate_by by)
{
	for (const struct option_name *t = bys; t->name; t++)
		if (t->value == (int)by)
			return t->name;
	return "reason";
}

char *format_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

/* ---- escaping ---------------------------------------------------------- */

void json_string(FILE *out, const char *text)
{
	/* valid UTF-8 whatever came in (a file name, a name): a strict parser
	 * refuses a string that is not */
	char *safe = text_safe_dup(text);
	const char *s = safe ? safe : "";
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else
			fputc(*p, out); /* no control character is left */
	}
	fputc('"', out);
	free(safe);
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF; double quotes. */
void csv_field(FILE *out, const char *text)
{
	char *safe = text_safe_dup(text);
	const char *s = safe ? safe : "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	}
	free(safe);
}

/* ---- rows -------------------------------------------------------------- */

#define RIP_SYMBOL_MAX 128 /* a RIP's name, function+0xoffset */

/* --rip: one of a row's guest RIPs, or its "(other)". */
struct rip_row {
	const struct exit_key *key; /* NULL: "(other)", the row's exits at no RIP above */
	uint64_t count;
	double pct;                 /* of the row's exits */
	char label[160];            /* the table's: "    0x... kernel name+0x1c" */
	char symbol[RIP_SYMBOL_MAX]; /* "": not known */
};

/* Everything a row shows, computed once for every format. Rows come in
 * groups (all exits, a VM, or a vCPU: by --by); percentages are of the
 * row's group. */
struct row {
	const struct exit_key *key;
	const struct exit_stat *st;
	size_t group;             /* index into rows.groups */
	bool group_start;
	bool is_detail;           /* a detail under the reason row before it */
	bool has_details;         /* a reason row with detail rows after it */
	bool time_apart;          /* HLT: its time is left out of the totals' (render_opts.hlt_time) */
	char reason[REASON_NAME_MAX];
	char label[80];           /* "  " and the detail (detail rows) */
	double pct, time_pct;
	uint64_t avg, p50, p90, p99;
	struct rip_row *rips;     /* --rip: its top guest RIPs (rows without detail rows under them) */
	size_t nrips;
};

struct rows {
	struct row *r;
	size_t n;
	struct exit_stat *groups; /* each group's total */
	size_t ngroups;
	/* with details: the reason rows are of `folded` (agg without its
	 * details), the detail rows of agg; each reason's "(other)" row is of
	 * other_keys/other_stats */
	struct snapshot folded;
	const struct snap_entry **fv;
	struct exit_key *other_keys;
	struct exit_stat *other_stats;
	bool details;             /* detail rows asked for (and some key has one) */
	bool hlt_apart;           /* an HLT row's time is left out of the totals */
	bool has_rips;            /* some row has RIP rows */
	int label_width;          /* the table's REASON column */
};

/* The table's REASON column of a row. */
static const char *row_label(const struct row *r)
{
	return r->is_detail ? r->label : r->reason;
}

/* A row of key in snapshot s (which names its reason). */
static void row_fill(struct row *r, const struct snapshot *s, const struct exit_key *key, const struct exit_stat *st,
		     const struct exit_stat *group)
{
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->st = st;
	snapshot_reason_name(s, key, r->reason, sizeof(r->reason));
	/* (a table shows a detail indented under its reason) */
	r->label[0] = r->label[1] = ' ';
	detail_format(key->detail, r->label + 2, sizeof(r->label) - 2);
	r->pct = group->count ? 100.0 * (double)st->count / (double)group->count : 0;
	r->time_pct = group->sum_ns ? 100.0 * (double)st->sum_ns / (double)group->sum_ns : 0;
	r->avg = st->timed ? st->sum_ns / st->timed : 0;
	r->p50 = stat_percentile(st, 50);
	r->p90 = stat_percentile(st, 90);
	r->p99 = stat_percentile(st, 99);
}

static bool same_group(const struct exit_key *a, const struct exit_key *b)
{
	return a->pid == b->pid && a->vcpu == b->vcpu && a->tid == b->tid;
}

/* Whether a key's handling time stays out of the totals: HLT's, unless
 * asked for (--hlt-time). With an in-kernel irqchip a vCPU waits in HLT
 * for its next interrupt, so HLT's "handling time" is the guest idle. */
static bool time_apart(const struct exit_key *k, bool hlt_time)
{
	return !hlt_time && reason_is_halt((enum isa)k->isa, k->reason);
}

/* A key's stat into a total: its count; its times too unless apart. */
static void total_add(struct exit_stat *total, const struct exit_key *k, const struct exit_stat *st, bool hlt_time)
{
	if (time_apart(k, hlt_time))
		stat_add_count(total, st->count);
	else
		stat_merge(total, st);
}

/* The total over s of the keys in a total of exits (snapshot_total, HLT's
 * time apart). */
static void render_total(const struct snapshot *s, struct exit_stat *total, bool hlt_time)
{
	const struct snap_entry *e;
	memset(total, 0, sizeof(*total));
	for (size_t i = 0; (e = snapshot_next(s, &i));)
		if (snapshot_in_total(s, &e->key))
			total_add(total, &e->key, &e->st, hlt_time);
}

/* Rows of sorted entries of s (grouped by VM, vCPU: see cmp_entries). */
static int rows_build(struct rows *rs, const struct snapshot *s, const struct snap_entry **v, size_t n, bool hlt_time)
{
	memset(rs, 0, sizeof(*rs));
	if (!n)
		return 0;
	rs->r = calloc(n, sizeof(*rs->r));
	rs->groups = calloc(n, sizeof(*rs->groups));
	if (!rs->r || !rs->groups)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!i || !same_group(&v[i]->key, &v[i - 1]->key))
			rs->ngroups++;
		if (snapshot_in_total(s, &v[i]->key))
			total_add(&rs->groups[rs->ngroups - 1], &v[i]->key, &v[i]->st, hlt_time);
	}
	size_t g = 0;
	for (size_t i = 0; i < n; i++) {
		bool start = i && !same_group(&v[i]->key, &v[i - 1]->key);
		g += start;
		row_fill(&rs->r[i], s, &v[i]->key, &v[i]->st, &rs->groups[g]);
		rs->r[i].group = g;
		rs->r[i].group_start = !i || start;
		if (time_apart(&v[i]->key, hlt_time) && v[i]->st.timed) {
			rs->r[i].time_apart = true;
			rs->r[i].time_pct = 0;
			rs->hlt_apart = true;
		}
	}
	rs->n = n;
	return 0;
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; rs->r && i < rs->n; i++)
		free(rs->r[i].rips);
	free(rs->r);
	free(rs->groups);
	free(rs->fv);
	free(rs->other_keys);
	free(rs->other_stats);
	snapshot_free(&rs->folded);
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* The same exits but for the detail. */
static bool same_reason(const struct exit_key *a, const struct exit_key *b)
{
	return a->pid == b->pid && a->vcpu == b->vcpu && a->tid == b->tid && a->isa == b->isa &&
	       a->reason == b->reason && a->start == b->start;
}

static int cmp_detail_count(const void *pa, const void *pb)
{
	const struct snap_entry *a = *(const struct snap_entry *const *)pa;
	const struct snap_entry *b = *(const struct snap_entry *const *)pb;
	int c = cmp_u64_desc(a->st.count, b->st.count);
	return c ? c : a->key.detail < b->key.detail ? -1 : a->key.detail > b->key.detail;
}

/* Under each reason row of rs its details in agg, the top `top` by count
 * and the rest as one "(other)" row; a reason with no detail but "(no
 * detail)" gets none. 0 or -ENOMEM. */
static int rows_add_details(struct rows *rs, const struct snapshot *agg, unsigned top)
{
	size_t n = 0;
	const struct snap_entry **all = snapshot_entries(agg, &n);
	const struct snap_entry **mine = calloc(n ? n : 1, sizeof(*mine));
	/* reasons, details, an "(other)" each, and a zeroed row after the
	 * last: json_row walks a reason's details up to a row that is none */
	struct row *out = calloc(rs->n + n + rs->n + 1, sizeof(*out));
	size_t nout = 0;

	rs->other_keys = calloc(rs->n ? rs->n : 1, sizeof(*rs->other_keys));
	rs->other_stats = calloc(rs->n ? rs->n : 1, sizeof(*rs->other_stats));
	if ((n && !all) || !mine || !out || !rs->other_keys || !rs->other_stats) {
		free(all);
		free(mine);
		free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct row *reason = &out[nout++];
		*reason = rs->r[i];
		size_t m = 0;
		for (size_t j = 0; j < n; j++) /* (a trace's count moved to a detail leaves a 0) */
			if (same_reason(&all[j]->key, reason->key) && (all[j]->st.count || all[j]->st.timed))
				mine[m++] = all[j];
		if (m == 0 || (m == 1 && !mine[0]->key.detail))
			continue;
		reason->has_details = true;
		qsort(mine, m, sizeof(*mine), cmp_detail_count);
		for (size_t j = 0; j < m; j++) {
			struct row *d = &out[nout];
			if (j >= top) {
				struct exit_stat *o = &rs->other_stats[i];
				if (j == top) {
					rs->other_keys[i] = *reason->key;
					rs->other_keys[i].detail = (uint64_t)DETAIL_OTHER << DETAIL_KIND_SHIFT;
					nout++;
				} else {
					d--;
				}
				stat_merge(o, &mine[j]->st);
				row_fill(d, agg, &rs->other_keys[i], o, reason->st);
			} else {
				nout++;
				row_fill(d, agg, &mine[j]->key, &mine[j]->st, reason->st);
			}
			d->is_detail = true;
			d->group = reason->group;
		}
	}
	int width = 28;
	for (size_t i = 0; i < nout; i++) {
		int w = (int)strlen(row_label(&out[i]));
		if (w > width)
			width = w;
	}
	free(rs->r);
	rs->r = out;
	rs->n = nout;
	rs->label_width = width;
	free(all);
	free(mine);
	return 0;
}

#define RIP_LABEL_MAX 100 /* the table's REASON column at most, with RIP rows */

/* --rip: under each row with no detail rows under it, its top guest RIPs
 * and "(other RIPs)", the rest of its exits. 0 or -ENOMEM. */
/* k's RIP named from the guest's symbols, or "" */
static void rip_symbol(const struct render_opts *o, const struct exit_key *k, const char *vm, char *buf, size_t len)
{
	if (!o || !o->rip_name || !o->rip_name(o->rip_ctx, k, vm, buf, len))
		buf[0] = '\0';
}

/* "PREFIX0xRIP kernel f+0x1c": a RIP, its ring and its symbol (into sym)
 * where known; the same words in a table's RIP row and a SLOW line */
static void rip_label(const struct render_opts *o, const struct exit_key *k, const char *vm, const char *prefix,
		      char *sym, size_t symlen, char *buf, size_t len)
{
	rip_symbol(o, k, vm, sym, symlen);
	const char *ring = guest_ring_name(k->ring);
	snprintf(buf, len, "%s0x%" PRIx64 "%s%s%s%s", prefix, k->rip, *ring ? " " : "", ring, *sym ? " " : "", sym);
}

static int rows_add_rips(struct rows *rs, const struct snapshot *agg, const struct render_opts *o)
{
	if (!o->rip_top)
		return 0;
	const struct snap_entry **v = calloc(o->rip_top, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int width = rs->label_width;
	for (size_t i = 0; i < rs->n; i++) {
		struct row *r = &rs->r[i];
		if (r->has_details)
			continue;
		/* (reason rows with details asked for are of the folded copy) */
		const struct snapshot *src = r->is_detail || !rs->details ? agg : &rs->folded;
		size_t n = snapshot_top_rips(src, r->key, v, o->rip_top);
		if (!n)
			continue;
		uint64_t shown = 0;
		for (size_t j = 0; j < n; j++)
			shown += v[j]->st.count;
		size_t other = shown < r->st->count;
		if (!(r->rips = calloc(n + other, sizeof(*r->rips)))) {
			free(v);
			return -ENOMEM;
		}
		const char *vm = snapshot_name(src, r->key->pid, r->key->start);
		int indent = r->is_detail ? 4 : 2;
		for (size_t j = 0; j < n + other; j++) {
			struct rip_row *x = &r->rips[j];
			x->key = j < n ? &v[j]->key : NULL;
			x->count = j < n ? v[j]->st.count : r->st->count - shown;
			x->pct = r->st->count ? 100.0 * (double)x->count / (double)r->st->count : 0;
			if (!x->key) {
				snprintf(x->label, sizeof(x->label), "%*s(other RIPs)", indent, "");
			} else {
				rip_label(o, x->key, vm, indent == 4 ? "    " : "  ", x->symbol, sizeof(x->symbol), x->label,
					  sizeof(x->label));
			}
			int w = (int)strlen(x->label);
			if (w > width)
				width = w < RIP_LABEL_MAX ? w : RIP_LABEL_MAX;
		}
		r->nrips = n + other;
		rs->has_rips = true;
	}
	rs->label_width = width;
	free(v);
	return 0;
}

/* Rows group by VM then vCPU; inside a group, by the chosen key. */
static int cmp_entries(const void *pa, const void *pb, void *ctx)
{
	const struct snap_entry *a = *(const struct snap_entry *const *)pa;
	const struct snap_entry *b = *(const struct snap_entry *const *)pb;
	enum sort_key key = *(const enum sort_key *)ctx;
	int c;

	if (a->key.pid != b->key.pid)
		return a->key.pid < b->key.pid ? -1 : 1;
	if (a->key.vcpu != b->key.vcpu)
		return a->key.vcpu < b->key.vcpu ? -1 : 1;
	if (a->key.tid != b->key.tid)
		return a->key.tid < b->key.tid ? -1 : 1;
	switch (key) {
	case SORT_TIME:
		c = cmp_u64_desc(a->st.sum_ns, b->st.sum_ns);
		break;
	case SORT_AVG:
		c = cmp_u64_desc(a->st.timed ? a->st.sum_ns / a->st.timed : 0,
				 b->st.timed ? b->st.sum_ns / b->st.timed : 0);
		break;
	case SORT_MAX:
		c = cmp_u64_desc(a->st.max_ns, b->st.max_ns);
		break;
	case SORT_REASON:
		c = 0;
		break;
	default:
		c = cmp_u64_desc(a->st.count, b->st.count);
	}
	if (c)
		return c;
	if (a->key.isa != b->key.isa)
		return a->key.isa < b->key.isa ? -1 : 1;
	return a->key.reason < b->key.reason ? -1 : a->key.reason > b->key.reason;
}

static const char *vm_label(const struct snapshot *s, const struct exit_key *k)
{
	const char *n = snapshot_name(s, k->pid, k->start);
	return n ? n : "";
}

/* Kernel-log growth of a reason since the first report. */
static void klog_growth(const struct klog_series *k, const struct row *r, char *buf, size_t len)
{
	const struct exit_stat *f = snapshot_find(&k->first, r->key);
	uint64_t first = f ? f->count : 0;

	if (r->st->count >= first)
		snprintf(buf, len, "%" PRIu64, r->st->count - first);
	else /* the counters were reset (module reloaded) between the reports */
		snprintf(buf, len, "-%" PRIu64, first - r->st->count);
}

/* ---- table ------------------------------------------------------------- */

static void table_time(FILE *out, const struct exit_stat *st, uint64_t v)
{
	char buf[32];
	fprintf(out, " %9s", st->timed ? format_ns(v, buf, sizeof(buf)) : "-");
}

/* timing: whether any row has handling times; without, the time columns
 * are left out (table_exits says why once) */
static void table_header(FILE *out, bool timing, int width)
{
	fprintf(out, "%-*s %-4s %12s %8s", width, "REASON", "ISA", "COUNT", "%");
	if (timing)
		fprintf(out, " %8s %9s %9s %9s %9s", "TIME%", "MIN", "AVG", "P99", "MAX");
	fputc('\n', out);
}

static void table_row(FILE *out, const char *label, const char *isa, const struct row *r, bool timing, int width)
{
	fprintf(out, "%-*s %-4s %12" PRIu64 " %7.2f%%", width, label, isa, r->st->count, r->pct);
	if (!timing) {
		fputc('\n', out);
		return;
	}
	if (r->st->timed && !r->time_apart)
		fprintf(out, " %7.2f%%", r->time_pct);
	else
		fprintf(out, " %8s", "-");
	table_time(out, r->st, r->st->min_ns);
	table_time(out, r->st, r->avg);
	table_time(out, r->st, r->p99);
	table_time(out, r->st, r->st->max_ns);
	fputc('\n', out);
}

static void table_group_title(FILE *out, const struct snapshot *s, const struct exit_key *k,
			      enum aggregate_by by)
{
	if (by == BY_REASON)
		return;
	if (!k->pid)
		fputs("\nVM (the trace names no process)", out);
	else if (*vm_label(s, k))
		fprintf(out, "\nVM %s (pid %" PRIu32 ")", vm_label(s, k), k->pid);
	else
		fprintf(out, "\nVM pid %" PRIu32, k->pid);
	if (by == BY_VCPU) {
		if (k->vcpu >= 0)
			fprintf(out, " vCPU %" PRId32, k->vcpu);
		else
			fprintf(out, " thread %" PRIu32 " (vCPU id not in the trace)", k->tid);
	}
	fputc('\n', out);
}

static void table_exits(FILE *out, const struct snapshot *s, const struct rows *rs, enum aggregate_by by)
{
	bool timing = false;
	for (size_t i = 0; i < rs->n; i++)
		timing |= rs->r[i].st->timed > 0;
	if (rs->n && !timing)
		fputs("No exit here has a handling time (KVM's own counters and --count-only keep none; a trace "
		      "needs kvm_entry lines): TIME%, MIN, AVG, P99 and MAX are left out\n",
		      out);
	if (rs->hlt_apart)
		fputs("HLT's handling time (with an in-kernel irqchip, mostly the guest idle) is left out of TIME% and "
		      "the TOTAL row's times; --hlt-time counts it in\n",
		      out);
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];
		if (r->group_start) {
			table_group_title(out, s, r->key, by);
			table_header(out, timing, rs->label_width);
		}
		table_row(out, row_label(r), r->is_detail ? "" : isa_name((enum isa)r->key->isa), r, timing,
			  rs->label_width);
		for (size_t j = 0; j < r->nrips; j++) {
			struct exit_stat st = { .count = r->rips[j].count };
			struct row x = { .st = &st, .pct = r->rips[j].pct };
			table_row(out, r->rips[j].label, "", &x, timing, rs->label_width);
		}
		if (i + 1 == rs->n || rs->r[i + 1].group_start) {
			struct row total;
			row_fill(&total, s, r->key, &rs->groups[r->group], &rs->groups[r->group]);
			table_row(out, "TOTAL", "", &total, timing, rs->label_width);
		}
	}
}

static void table_klog(FILE *out, const struct klog_series *k, const struct rows *rs, bool first_section)
{
	const struct klog_point *first = &k->points[0], *last = &k->points[k->npoints - 1];
	char growth[32];

	fprintf(out, "%sKernel log (CMPE283 %s exit stats)", first_section ? "" : "\n",
		k->isa == ISA_SVM ? "SVM" : "VMX");
	if (k->has_id)
		fprintf(out, " of VM pid %" PRIu32 " vCPU %" PRId32, k->pid, k->vcpu);
	fprintf(out, ": %zu report%s, last total=%" PRIu64, k->npoints, k->npoints == 1 ? "" : "s", last->total);
	if (last->has_ts)
		fprintf(out, " at %.6f s", (double)last->ts_ns / 1e9);
	if (k->final)
		fputs(", the vCPU's final report", out);
	fputc('\n', out);
	if (k->skipped)
		fprintf(out, "The kernel skipped %" PRIu64 " reports of this vCPU before the last (rate limit)\n",
			k->skipped);
	fprintf(out, "%-28s %-4s %12s %8s %12s\n", "REASON", "ISA", "COUNT", "%", "GROWTH");
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];
		klog_growth(k, r, growth, sizeof(growth));
		fprintf(out, "%-28s %-4s %12" PRIu64 " %7.2f%% %12s\n", r->reason,
			isa_name((enum isa)r->key->isa), r->st->count, r->pct, growth);
	}
	uint64_t count = rs->ngroups ? rs->groups[0].count : 0;
	fprintf(out, "%-28s %-4s %12" PRIu64 " %7.2f%% %12" PRIu64 "\n", "TOTAL", "", count,
		count ? 100.0 : 0.0, last->total >= first->total ? last->total - first->total : 0);
	if (k->npoints > 1 && first->has_ts && last->has_ts && last->ts_ns > first->ts_ns &&
	    last->total >= first->total) {
		double secs = (double)(last->ts_ns - first->ts_ns) / 1e9;
		fprintf(out, "Growth from the first report (total=%" PRIu64 " at %.6f s) to the last: %" PRIu64
			" exits in %.3f s, %.1f exits/s\n", first->total, (double)first->ts_ns / 1e9,
			last->total - first->total, secs, (double)(last->total - first->total) / secs);
	}
	if (last->total && last->sum != last->total)
		fprintf(out, "Note: the last report's exit lines sum to %" PRIu64
			", its header says total=%" PRIu64 "\n", last->sum, last->total);
}

/* A kernel-log series and its last block's rows, sorted. */
struct klog_view {
	const struct klog_series *k;
	const struct snap_entry **v;
	struct rows rows;
};

/* --slow: the slow exits, a line each, or JSON's "slow" array */
static void table_slow(FILE *out, const struct snapshot *agg, const struct render_opts *o,
		       const struct slow_exit *slow, size_t nslow);
static void json_slow(FILE *out, const struct snapshot *agg, const struct render_opts *o,
		      const struct slow_exit *slow, size_t nslow);

static void table_report(FILE *out, const struct snapshot *agg, const struct rows *rows,
			 const struct klog_view *kv, size_t nk, const struct render_opts *o,
			 const struct report_meta *m)
{
	char span[32] = "";

	if (m->has_span)
		format_ns(m->span_ns, span, sizeof(span));
	/* a kernel log alone needs no line about trace events */
	bool trace = m->exits || m->unparsed || !nk;
	if (m->recorded) {
		const struct store_info *r = m->recorded;
		char a[32], b[32];
		time_t ta = (time_t)(r->first_ns / 1000000000u), tb = (time_t)(r->last_ns / 1000000000u);
		struct tm tma, tmb;
		if (r->first_ns >= 946684800ull * 1000000000u) { /* wall clock */
			strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", localtime_r(&ta, &tma));
			strftime(b, sizeof(b), "%H:%M:%S", localtime_r(&tb, &tmb));
		} else { /* a trace's clock (seconds since boot) */
			snprintf(a, sizeof(a), "%.6f s", (double)r->first_ns / 1e9);
			snprintf(b, sizeof(b), "%.6f s", (double)r->last_ns / 1e9);
		}
		fprintf(out, "Recorded: %" PRIu64 " interval%s of %" PRIu64 " run%s, %s to %s (%s), host %s, source %s\n",
			r->intervals, r->intervals == 1 ? "" : "s", r->runs, r->runs == 1 ? "" : "s", a, b, span,
			r->host, r->source);
		fprintf(out, "%" PRIu64 " exits, %" PRIu64 " with handling time\n", m->exits, m->paired);
	} else if (trace) {
		fprintf(out, "%" PRIu64 " exits in %" PRIu64 " lines, %" PRIu64 " with handling time%s%s, %" PRIu64
			" undecodable\n", m->exits, m->lines, m->paired, m->has_span ? ", span " : "", span,
			m->unparsed);
		if (m->unpaired_boundary)
			fprintf(out, "The input holds several captures: %" PRIu64 " exit%s at the end of one %s no "
				"handling time (%s in the next)\n", m->unpaired_boundary,
				m->unpaired_boundary == 1 ? "" : "s", m->unpaired_boundary == 1 ? "has" : "have",
				m->unpaired_boundary == 1 ? "the entry after it is" : "the entries after them are");
	}
	if (m->lost_events)
		fprintf(out, "The kernel dropped %" PRIu64 " event%s while the trace was recorded: the counts are short\n",
			m->lost_events, m->lost_events == 1 ? "" : "s");
	table_exits(out, agg, rows, o->by);
	table_slow(out, agg, o, m->slow, m->nslow);
	for (size_t i = 0; i < nk; i++)
		table_klog(out, kv[i].k, &kv[i].rows, !trace && i == 0);
	if (m->unparsed && m->first_bad_input)
		fprintf(out, "%s%" PRIu64 " line%s could not be decoded and %s not counted; the first at %s:%" PRIu64 "\n",
			m->exits || nk ? "\n" : "", m->unparsed, m->unparsed == 1 ? "" : "s",
			m->unparsed == 1 ? "is" : "are", m->first_bad_input, m->first_bad_line);
	if (snapshot_saturated(agg))
		fputs("Warning: a counter reached 2^64-1 and stopped there\n", out);
}

/* ---- CSV --------------------------------------------------------------- */

/* A report's length in seconds: its input's span, 0 when not known. */
static double report_seconds(const struct report_meta *m)
{
	return m->has_span ? (double)m->span_ns / 1e9 : 0;
}

/* The row of a whole table (or interval): total over agg, no key. */
static void total_row(struct row *r, const struct snapshot *agg, const struct exit_stat *total)
{
	static const struct exit_key all = { .pid = PID_ALL, .vcpu = VCPU_ALL };
	row_fill(r, agg, &all, total, total);
}

/* One CSV layout for every command (docs/output.md): live intervals fill
 * time and interval_s; a report's rows are over the whole input (time
 * "total", interval_s its span when known). */
static const char *csv_columns =
	"time,interval_s,source,vm,pid,vcpu,tid,isa,reason,code,count,rate,percent,timed,time_ns,time_percent,"
	"min_ns,avg_ns,p50_ns,p90_ns,p99_ns,max_ns,growth";

/* Where a CSV row's numbers come from and over how long. */
struct csv_when {
	const char *time;   /* ISO 8601 end of the interval, or "total" */
	double seconds;     /* the interval's length; <= 0: not known */
	const char *source; /* "live", "trace", "record", "kernel-log" */
	bool details;       /* the detail columns, after growth */
};

/* The "vm,pid,vcpu" fields of a CSV row (empty when aggregated away). */
static void csv_vm_vcpu(FILE *out, const struct snapshot *s, const struct exit_key *k)
{
	if (k->pid != PID_ALL) {
		csv_field(out, vm_label(s, k));
		fprintf(out, ",%" PRIu32, k->pid);
	} else {
		fputc(',', out);
	}
	fputc(',', out);
	if (k->vcpu >= 0)
		fprintf(out, "%" PRId32, k->vcpu);
}

/* The header; with details, their two columns after the others. */
static void csv_header(FILE *out, bool details)
{
	fputs(csv_columns, out);
	if (details)
		fputs(",detail,detail_kind", out);
	fputc('\n', out);
}

static void csv_row(FILE *out, const struct csv_when *w, const struct snapshot *s, const struct row *r,
		    const char *growth)
{
	const struct exit_key *k = r->key;
	const struct exit_stat *st = r->st;

	csv_field(out, w->time);
	if (w->seconds > 0)
		fprintf(out, ",%.6f", w->seconds);
	else
		fputc(',', out);
	fputc(',', out);
	csv_field(out, w->source);
	fputc(',', out);
	csv_vm_vcpu(out, s, k);
	fputc(',', out);
	if (k->vcpu == VCPU_NONE)
		fprintf(out, "%" PRIu32, k->tid);
	fprintf(out, ",%s,", isa_name((enum isa)k->isa));
	csv_field(out, r->reason);
	fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", k->reason, st->count);
	if (w->seconds > 0)
		fprintf(out, "%.6g", (double)st->count / w->seconds);
	fprintf(out, ",%.4f,%" PRIu64 ",%" PRIu64 ",", r->pct, st->timed, st->sum_ns);
	if (st->timed && !r->time_apart)
		fprintf(out, "%.4f", r->time_pct);
	if (st->timed)
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, st->min_ns, r->avg,
			r->p50, r->p90, r->p99, st->max_ns);
	else
		fputs(",,,,,,", out);
	fprintf(out, ",%s", growth ? growth : "");
	if (w->details) {
		fputc(',', out);
		if (r->is_detail) {
			csv_field(out, r->label + 2);
			fprintf(out, ",%s", detail_kind_name(k->detail));
		} else {
			fputc(',', out);
		}
	}
	fputc('\n', out);
}

/* A row of the report's own accounting: what it is in "source", the count
 * in "count", and (undecodable lines) where the first one is in "reason". */
static void csv_note_row(FILE *out, const char *what, const char *where, uint64_t n, bool details)
{
	fprintf(out, "total,,%s,,,,,,", what);
	csv_field(out, where ? where : "");
	fprintf(out, ",,%" PRIu64 ",,,,,,,,,,,,%s\n", n, details ? ",," : "");
}

static void csv_report(FILE *out, const struct snapshot *agg, const struct rows *rows,
		       const struct klog_view *kv, size_t nk, const struct report_meta *m)
{
	char growth[32];
	struct csv_when w = { "total", report_seconds(m), m->source, rows->details };

	csv_header(out, rows->details);
	for (size_t i = 0; i < rows->n; i++)
		csv_row(out, &w, agg, &rows->r[i], NULL);
	w = (struct csv_when){ "total", 0, "kernel-log", rows->details };
	for (size_t j = 0; j < nk; j++) {
		for (size_t i = 0; i < kv[j].rows.n; i++) {
			klog_growth(kv[j].k, &kv[j].rows.r[i], growth, sizeof(growth));
			csv_row(out, &w, &kv[j].k->last, &kv[j].rows.r[i], growth);
		}
	}
	/* lines not counted: how many, and in "reason" where the first is */
	if (m->unparsed && m->first_bad_input) {
		char where[4096];
		snprintf(where, sizeof(where), "%s:%" PRIu64, m->first_bad_input, m->first_bad_line);
		csv_note_row(out, "undecodable", where, m->unparsed, rows->details);
	}
	if (m->lost_events)
		csv_note_row(out, "lost", NULL, m->lost_events, rows->details);
}

/* ---- JSON -------------------------------------------------------------- */

/* A detail's fields (after its text): its kind and what it holds, as
 * numbers a program can use. */
static void json_detail_fields(FILE *out, uint64_t d)
{
	uint64_t f = d & (DETAIL_VIA_VMM - 1);
	fprintf(out, ",\"kind\":\"%s\"", detail_kind_name(d));
	switch (detail_kind(d)) {
	case DETAIL_IO:
		fprintf(out, ",\"port\":%" PRIu64 ",\"in\":%s,\"size\":%" PRIu64 ",\"string\":%s", f & 0xffff,
			f >> 16 & 1 ? "true" : "false", f >> 17 & 15, f >> 21 & 1 ? "true" : "false");
		break;
	case DETAIL_MSR:
		fprintf(out, ",\"msr\":%" PRIu64 ",\"write\":%s", f & 0xffffffffu, f >> 32 & 1 ? "true" : "false");
		break;
	case DETAIL_CR:
		fprintf(out, ",\"cr\":%" PRIu64 ",\"write\":%s", f & 0xff, f >> 8 & 1 ? "true" : "false");
		break;
	case DETAIL_GPA:
		fprintf(out, ",\"gpa\":%" PRIu64, f << 12);
		break;
	case DETAIL_HCALL:
		fprintf(out, ",\"hypercall\":%" PRIu64, f);
		break;
	case DETAIL_VMM:
		fprintf(out, ",\"kvm_exit\":%" PRIu64, f & 0xffffffffu);
		break;
	case DETAIL_VEC:
		fprintf(out, ",\"vector\":%" PRIu64, f & 0xff);
		break;
	case DETAIL_HALT:
		fprintf(out, ",\"blocked\":%s", f & 1 ? "true" : "false");
		break;
	default:
		break;
	}
	if (d & DETAIL_VIA_VMM)
		fputs(",\"to_vmm\":true", out);
	fputc(',', out);
}

/* --rip: "rips":[{"rip":"0xffffffff8100abcd","ring":"kernel","symbol":
 * "f+0x1c","count":N,"percent":P},...,{"other":true,"count":N,"percent":P}].
 * The RIP is a hex string: as a number, a kernel address is past what
 * JSON readers that use doubles (jq, JavaScript) hold exactly. */
static void json_rip(FILE *out, const struct exit_key *k, const char *symbol, bool comma)
{
	fprintf(out, "%s\"rip\":\"0x%" PRIx64 "\",\"ring\":", comma ? "," : "", k->rip);
	json_string(out, *guest_ring_name(k->ring) ? guest_ring_name(k->ring) : "unknown");
	if (*symbol) {
		fputs(",\"symbol\":", out);
		json_string(out, symbol);
	}
}

static void json_rips(FILE *out, const struct row *r)
{
	fputs(",\"rips\":[", out);
	for (size_t j = 0; j < r->nrips; j++) {
		const struct rip_row *x = &r->rips[j];
		fputs(j ? ",{" : "{", out);
		if (!x->key)
			fputs("\"other\":true", out);
		else
			json_rip(out, x->key, x->symbol, false);
		fprintf(out, ",\"count\":%" PRIu64 ",\"percent\":%.4f}", x->count, x->pct);
	}
	fputc(']', out);
}

/* A reason row, or with total set the group's total (no key fields); one
 * layout in live, report and record. seconds > 0: with its rate. */
static void json_row(FILE *out, const struct snapshot *s, const struct row *r, bool total, double seconds)
{
	const struct exit_key *k = r->key;
	const struct exit_stat *st = r->st;

	fputs("{", out);
	if (total)
		goto numbers;
	if (r->is_detail) {
		/* (percent: of its reason's exits) */
		fputs("\"detail\":", out);
		json_string(out, r->label + 2);
		json_detail_fields(out, k->detail);
		goto numbers;
	}
	if (k->pid != PID_ALL) {
		fputs("\"vm\":", out);
		json_string(out, vm_label(s, k));
		fprintf(out, ",\"pid\":%" PRIu32 ",", k->pid);
	}
	if (k->vcpu >= 0)
		fprintf(out, "\"vcpu\":%" PRId32 ",", k->vcpu);
	else if (k->vcpu == VCPU_NONE)
		fprintf(out, "\"tid\":%" PRIu32 ",", k->tid);
	fprintf(out, "\"isa\":\"%s\",\"reason\":", isa_name((enum isa)k->isa));
	json_string(out, r->reason);
	fprintf(out, ",\"code\":%" PRIu64 ",", k->reason);
numbers:
	fprintf(out, "\"count\":%" PRIu64 ",", st->count);
	if (seconds > 0)
		fprintf(out, "\"rate\":%.6g,", (double)st->count / seconds);
	fprintf(out, "\"percent\":%.4f,\"timed\":%" PRIu64 ",\"time_ns\":%" PRIu64,
		r->pct, st->timed, st->sum_ns);
	if (st->timed && r->time_apart)
		fputs(",\"time_apart\":true", out); /* (out of the totals' times: no time_percent) */
	else if (st->timed)
		fprintf(out, ",\"time_percent\":%.4f", r->time_pct);
	if (st->timed)
		fprintf(out, ",\"min_ns\":%" PRIu64 ",\"avg_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			",\"p90_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64, st->min_ns, r->avg,
			r->p50, r->p90, r->p99, st->max_ns);
	if (st->saturated)
		fputs(",\"saturated\":true", out);
	if (!total && r->nrips)
		json_rips(out, r);
	if (total || !r->has_details) {
		fputs("}", out);
		return;
	}
	fputs(",\"details\":[", out);
	for (const struct row *d = r + 1; d->is_detail; d++) {
		if (d != r + 1)
			fputc(',', out);
		json_row(out, s, d, false, seconds);
	}
	fputs("]}", out);
}

/* The rows of rs, each reason's details inside it. */
static void json_rows(FILE *out, const struct snapshot *s, const struct rows *rs, double seconds)
{
	bool first = true;
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->r[i].is_detail)
			continue;
		if (!first)
			fputc(',', out);
		first = false;
		json_row(out, s, &rs->r[i], false, seconds);
	}
}

/* (The report's rows are over the whole input, as live's "total" is over
 * the whole run: the same first keys.) */
static void json_meta(FILE *out, const struct report_meta *m, const struct render_opts *o)
{
	fputs("{\"time\":\"total\",", out);
	if (m->has_span)
		fprintf(out, "\"interval_s\":%.6f,", report_seconds(m));
	fputs("\"source\":", out);
	json_string(out, m->source);
	fputs(",\"inputs\":[", out);
	for (size_t i = 0; i < m->ninputs; i++) {
		if (i)
			fputc(',', out);
		json_string(out, m->inputs[i]);
	}
	fprintf(out, "],\"by\":\"%s\",\"lines\":%" PRIu64 ",\"exits\":%" PRIu64 ",\"timed\":%" PRIu64
		",\"unparsed\":%" PRIu64, aggregate_by_name(o->by), m->lines, m->exits, m->paired,
		m->unparsed);
	if (!m->recorded)
		fprintf(out, ",\"unpaired_at_capture_end\":%" PRIu64 ",\"lost_events\":%" PRIu64, m->unpaired_boundary,
			m->lost_events);
	if (m->unparsed && m->first_bad_input) {
		fputs(",\"first_undecodable\":{\"input\":", out);
		json_string(out, m->first_bad_input);
		fprintf(out, ",\"line\":%" PRIu64 "}", m->first_bad_line);
	}
	if (m->has_span)
		fprintf(out, ",\"span_ns\":%" PRIu64, m->span_ns);
	if (m->recorded) {
		fprintf(out, ",\"recorded\":{\"runs\":%" PRIu64 ",\"intervals\":%" PRIu64 ",\"start_ns\":%" PRIu64
			",\"end_ns\":%" PRIu64 ",\"source\":", m->recorded->runs, m->recorded->intervals,
			m->recorded->first_ns, m->recorded->last_ns);
		json_string(out, m->recorded->source);
		fputs(",\"host\":", out);
		json_string(out, m->recorded->host);
		fputs(",\"health\":", out);
		health_json(out, &m->recorded->lost);
		fputc('}', out);
	}
}

static void json_klog(FILE *out, const struct klog_series *k, const struct rows *krows)
{
	char growth[32];

	fputc('{', out);
	if (k->has_id)
		fprintf(out, "\"pid\":%" PRIu32 ",\"vcpu\":%" PRId32 ",\"skipped\":%" PRIu64 ",\"final\":%s,",
			k->pid, k->vcpu, k->skipped, k->final ? "true" : "false");
	fputs("\"reports\":[", out);
	for (size_t i = 0; i < k->npoints; i++) {
		const struct klog_point *p = &k->points[i];
		fprintf(out, "%s{\"total\":%" PRIu64 ",\"sum\":%" PRIu64, i ? "," : "", p->total, p->sum);
		if (p->has_ts)
			fprintf(out, ",\"ts_ns\":%" PRIu64, p->ts_ns);
		fputc('}', out);
	}
	fputs("],\"last\":[", out);
	for (size_t i = 0; i < krows->n; i++) {
		const struct row *r = &krows->r[i];
		klog_growth(k, r, growth, sizeof(growth));
		fprintf(out, "%s{\"isa\":\"%s\",\"reason\":", i ? "," : "", isa_name((enum isa)r->key->isa));
		json_string(out, r->reason);
		fprintf(out, ",\"code\":%" PRIu64 ",\"count\":%" PRIu64 ",\"percent\":%.4f,\"growth\":%s}",
			r->key->reason, r->st->count, r->pct, growth);
	}
	fputs("]}", out);
}

static void json_report(FILE *out, const struct snapshot *agg, const struct rows *rows,
			const struct klog_view *kv, size_t nk, const struct render_opts *o,
			const struct report_meta *m)
{
	struct exit_stat total;
	struct row tr;
	double span = report_seconds(m);

	json_meta(out, m, o);
	fputs(",\"rows\":[", out);
	json_rows(out, agg, rows, span);
	render_total(agg, &total, o->hlt_time);
	total_row(&tr, agg, &total);
	fputs("],\"total\":", out);
	json_row(out, agg, &tr, true, span);
	if (m->nslow)
		json_slow(out, agg, o, m->slow, m->nslow);
	if (nk) {
		/* one series per reporter: per vCPU when the headers name it */
		fputs(",\"kernel_log\":[", out);
		for (size_t i = 0; i < nk; i++) {
			if (i)
				fputc(',', out);
			json_klog(out, kv[i].k, &kv[i].rows);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
}

/* ---- report ------------------------------------------------------------ */

static const struct snap_entry **sorted_entries(const struct snapshot *s, enum sort_key key, size_t *n)
{
	const struct snap_entry **v = snapshot_entries(s, n);
	if (v)
		qsort_r(v, *n, sizeof(*v), cmp_entries, &key);
	return v;
}

/* src aggregated by opts->by into agg, then sorted into rows (*v holds the
 * entries the rows point into; free it after the rows). 0 or -ENOMEM. */
static int prepare_rows(const struct snapshot *src, const struct render_opts *o, struct snapshot *agg,
			const struct snap_entry ***v, struct rows *rows)
{
	size_t n = 0;
	snapshot_init(&rows->folded);
	if (snapshot_aggregate(agg, src, o->by))
		return -ENOMEM;
	bool details = snapshot_has_details(agg);
	if (!o->detail_top && details) {
		/* a store recorded with --detail, read without: its reasons */
		struct snapshot folded;
		snapshot_init(&folded);
		if (snapshot_fold_details(&folded, agg)) {
			snapshot_free(&folded);
			return -ENOMEM;
		}
		snapshot_free(agg);
		*agg = folded;
	}
	if (!o->detail_top || !details) {
		*v = sorted_entries(agg, o->sort, &n);
		if ((agg->len && !*v) || rows_build(rows, agg, *v, n, o->hlt_time))
			return -ENOMEM;
		rows->label_width = 28;
		rows->details = o->detail_top > 0; /* (the CSV columns stay) */
		return rows_add_rips(rows, agg, o);
	}
	/* the reason rows from the counts per reason, each with its details */
	struct snapshot folded;
	snapshot_init(&folded);
	if (snapshot_fold_details(&folded, agg)) {
		snapshot_free(&folded);
		return -ENOMEM;
	}
	const struct snap_entry **fv = sorted_entries(&folded, o->sort, &n);
	if ((folded.len && !fv) || rows_build(rows, &folded, fv, n, o->hlt_time)) {
		free(fv);
		snapshot_free(&folded);
		return -ENOMEM;
	}
	/* (the rows point into folded's slots: moved, not copied) */
	rows->folded = folded;
	rows->fv = fv;
	rows->details = true;
	*v = NULL;
	int err = rows_add_details(rows, agg, o->detail_top);
	return err ? err : rows_add_rips(rows, agg, o);
}

int render_report(FILE *out, const struct snapshot *exits, const struct klog_series *klogs, size_t nklogs,
		  const struct render_opts *o, const struct report_meta *m)
{
	const struct snap_entry **v = NULL;
	struct rows rows = { 0 };
	struct klog_view *kv = calloc(nklogs ? nklogs : 1, sizeof(*kv));
	struct snapshot agg;
	size_t nk = 0;
	int err = -ENOMEM;

	snapshot_init(&agg);
	if (!kv || prepare_rows(exits, o, &agg, &v, &rows))
		goto out;
	for (; nk < nklogs; nk++) {
		const struct klog_series *k = &klogs[nk];
		size_t n = 0;
		kv[nk].k = k;
		kv[nk].v = sorted_entries(&k->last, o->sort == SORT_REASON ? SORT_REASON : SORT_COUNT, &n);
		if ((k->last.len && !kv[nk].v) || rows_build(&kv[nk].rows, &k->last, kv[nk].v, n, true)) {
			nk++;
			goto out;
		}
	}
	if (o->format == OUT_TABLE)
		table_report(out, &agg, &rows, kv, nk, o, m);
	else if (o->format == OUT_CSV)
		csv_report(out, &agg, &rows, kv, nk, m);
	else
		json_report(out, &agg, &rows, kv, nk, o, m);
	err = fflush(out) || ferror(out) ? -EIO : 0;
out:
	rows_free(&rows);
	for (size_t i = 0; i < nk; i++) {
		rows_free(&kv[i].rows);
		free(kv[i].v);
	}
	free(kv);
	free(v);
	snapshot_free(&agg);
	return err;
}

/* ---- live intervals ---------------------------------------------------- */

static const char *vm_or_all(const struct snapshot *s, const struct exit_key *k, char *buf, size_t len)
{
	if (k->pid == PID_ALL)
		return "all";
	const char *n = vm_label(s, k);
	snprintf(buf, len, "%s/%" PRIu32, *n ? n : "?", k->pid);
	return buf;
}


static void interval_table(FILE *out, const struct snapshot *agg, const struct rows *rs, const struct render_opts *o,
			   const struct interval_meta *m, const struct exit_stat *total)
{
	char vm[96], col[128], vc[16], b1[16], b2[16], b3[16], b4[16];
	const char *title = m->total ? "Total" : m->when;
	bool show_vm = o->by != BY_REASON, show_vcpu = o->by == BY_VCPU;

	if (m->first || m->total)
		fprintf(out, "%s# source: %s%s\n", m->total ? "\n" : "", m->source,
			m->total ? "" : ", counts per interval, rates per second");
	fprintf(out, "%-9s", title);
	if (show_vm)
		fprintf(out, " %-24s", "VM");
	if (show_vcpu)
		fprintf(out, " %5s", "VCPU");
	int width = rs->details || rs->has_rips ? rs->label_width : 24;
	fprintf(out, " %-*s %-4s %12s %12s %7s", width, "REASON", "ISA", "COUNT", "RATE/s", "%");
	if (m->latency)
		fprintf(out, " %9s %9s %9s %9s", "AVG", "P50", "P99", "MAX");
	fputc('\n', out);
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];
		const struct exit_key *k = r->key;
		/* the row, then its RIPs' (counts only) */
		for (size_t j = 0; j <= r->nrips; j++) {
			const struct rip_row *x = j ? &r->rips[j - 1] : NULL;
			uint64_t count = x ? x->count : r->st->count;
			bool times = !x && m->latency;
			fprintf(out, "%-9s", title);
			if (show_vm)
				fprintf(out, " %s", text_fit(col, sizeof(col), vm_or_all(agg, k, vm, sizeof(vm)), 24, false));
			if (show_vcpu) {
				snprintf(vc, sizeof(vc), "%" PRId32, k->vcpu);
				fprintf(out, " %5s", vc);
			}
			fprintf(out, " %-*s %-4s %12" PRIu64 " %12.1f %6.2f%%", width, x ? x->label : row_label(r),
				x || r->is_detail ? "" : isa_name((enum isa)k->isa), count,
				m->seconds > 0 ? (double)count / m->seconds : 0.0, x ? x->pct : r->pct);
			if (times)
				fprintf(out, " %9s %9s %9s %9s", r->st->timed ? format_ns(r->avg, b1, sizeof(b1)) : "-",
					r->st->timed ? format_ns(r->p50, b2, sizeof(b2)) : "-",
					r->st->timed ? format_ns(r->p99, b3, sizeof(b3)) : "-",
					r->st->timed ? format_ns(r->st->max_ns, b4, sizeof(b4)) : "-");
			else if (m->latency)
				fprintf(out, " %9s %9s %9s %9s", "-", "-", "-", "-");
			fputc('\n', out);
		}
	}
	fprintf(out, "%-9s", title);
	if (show_vm)
		fprintf(out, " %-24s", "all");
	if (show_vcpu)
		fprintf(out, " %5s", "all");
	fprintf(out, " %-*s %-4s %12" PRIu64 " %12.1f\n", width, "TOTAL", "", total->count,
		m->seconds > 0 ? (double)total->count / m->seconds : 0.0);
	table_slow(out, agg, o, m->slow, m->nslow);
}

/* --slow: an exit's wall-clock time, local, to the microsecond. */
static void slow_when(const struct slow_exit *e, bool iso, char *buf, size_t len)
{
	time_t t = (time_t)(e->when_ns / 1000000000u);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06u", (unsigned)(e->when_ns % 1000000000u / 1000));
	if (iso) {
		char zone[8];
		strftime(zone, sizeof(zone), "%z", &tm);
		n = strlen(buf);
		if (strlen(zone) == 5)
			snprintf(buf + n, len - n, "%.3s:%s", zone, zone + 3);
	}
}

/* --slow: a slow exit's reason, and its detail when it has one. */
static void slow_what(const struct snapshot *s, const struct slow_exit *e, char *buf, size_t len)
{
	snapshot_reason_name(s, &e->key, buf, len);
	size_t n = strlen(buf);
	if (e->key.detail && n + 2 < len) {
		buf[n] = ' ';
		detail_format(e->key.detail, buf + n + 1, len - n - 1);
	}
}

/* --slow: " at 0xRIP kernel f+0x1c" where the exit's RIP is known, or "" */
static void slow_where(const struct snapshot *s, const struct render_opts *o, const struct slow_exit *e, char *buf,
		       size_t len)
{
	char sym[RIP_SYMBOL_MAX];
	buf[0] = '\0';
	if (e->key.rip)
		rip_label(o, &e->key, snapshot_name(s, e->key.pid, e->key.start), " at ", sym, sizeof(sym), buf, len);
}

/* --slow, table: a line each, after the interval's rows */
void slow_exit_describe(const struct snapshot *names, const struct render_opts *o, const struct slow_exit *e,
			char *buf, size_t len)
{
	char when[32], what[REASON_NAME_MAX + 96], where[RIP_SYMBOL_MAX + 48], vm[96], b1[16], b2[16];
	slow_when(e, false, when, sizeof(when));
	slow_what(names, e, what, sizeof(what));
	slow_where(names, o, e, where, sizeof(where));
	snprintf(buf, len, "%s %s vCPU %" PRId32 " (thread %" PRIu32 ") CPU %" PRIu32 "->%" PRIu32 " %s%s: %s, %s of "
		 "it switched out", when, vm_or_all(names, &e->key, vm, sizeof(vm)), e->key.vcpu, e->tid, e->exit_cpu,
		 e->entry_cpu, what, where, format_ns(e->ns, b1, sizeof(b1)), format_ns(e->sched_ns, b2, sizeof(b2)));
}

static void table_slow(FILE *out, const struct snapshot *agg, const struct render_opts *o,
		       const struct slow_exit *slow, size_t nslow)
{
	char line[SLOW_DESCRIBE_MAX];
	for (size_t i = 0; i < nslow; i++) {
		slow_exit_describe(agg, o, &slow[i], line, sizeof(line));
		fprintf(out, "SLOW %s\n", line);
	}
}

static void json_slow(FILE *out, const struct snapshot *agg, const struct render_opts *o,
		      const struct slow_exit *slow, size_t nslow)
{
	char when[48], name[REASON_NAME_MAX];
	fputs(",\"slow\":[", out);
	for (size_t i = 0; i < nslow; i++) {
		const struct slow_exit *e = &slow[i];
		slow_when(e, true, when, sizeof(when));
		fputs(i ? ",{\"time\":" : "{\"time\":", out);
		json_string(out, when);
		fputs(",\"vm\":", out);
		json_string(out, vm_label(agg, &e->key));
		fprintf(out, ",\"pid\":%" PRIu32 ",\"vcpu\":%" PRId32 ",\"tid\":%" PRIu32 ",\"exit_cpu\":%" PRIu32
			",\"entry_cpu\":%" PRIu32 ",\"isa\":\"%s\",\"reason\":", e->key.pid, e->key.vcpu, e->tid,
			e->exit_cpu, e->entry_cpu, isa_name((enum isa)e->key.isa));
		json_string(out, snapshot_reason_name(agg, &e->key, name, sizeof(name)));
		fprintf(out, ",\"code\":%" PRIu64, e->key.reason);
		if (e->key.detail) {
			char d[96];
			fputs(",\"detail\":", out);
			json_string(out, detail_format(e->key.detail, d, sizeof(d)));
		}
		if (e->key.rip) {
			char sym[RIP_SYMBOL_MAX];
			rip_symbol(o, &e->key, snapshot_name(agg, e->key.pid, e->key.start), sym, sizeof(sym));
			json_rip(out, &e->key, sym, true);
		}
		fprintf(out, ",\"ns\":%" PRIu64 ",\"switched_out_ns\":%" PRIu64 "}", e->ns, e->sched_ns);
	}
	fputc(']', out);
}

static void interval_csv(FILE *out, const struct snapshot *agg, const struct rows *rs, const struct interval_meta *m)
{
	struct csv_when w = { m->total ? "total" : m->when_iso, m->seconds, "live", rs->details };
	if (m->first)
		csv_header(out, rs->details);
	for (size_t i = 0; i < rs->n; i++)
		csv_row(out, &w, agg, &rs->r[i], NULL);
}

static void interval_json(FILE *out, const struct snapshot *agg, const struct rows *rs, const struct render_opts *o,
			  const struct interval_meta *m, const struct exit_stat *total)
{
	fputs("{\"time\":", out);
	json_string(out, m->total ? "total" : m->when_iso);
	/* "source" as in a report's; what collected the numbers beside it */
	fprintf(out, ",\"interval_s\":%.6f,\"source\":\"live\",\"collector\":", m->seconds);
	json_string(out, m->source);
	fputs(",\"rows\":[", out);
	json_rows(out, agg, rs, m->seconds);
	fputc(']', out);
	if (m->slow_asked)
		json_slow(out, agg, o, m->slow, m->nslow);
	if (m->health) {
		fputs(",\"health\":", out);
		health_json(out, m->health);
		fputs(",\"total\":", out);
	} else {
		fputs(",\"total\":", out);
	}
	struct row tr;
	total_row(&tr, agg, total);
	json_row(out, agg, &tr, true, m->seconds);
	fputs("}\n", out);
}

int render_interval(FILE *out, const struct snapshot *snap, const struct render_opts *o,
		    const struct interval_meta *m)
{
	const struct snap_entry **v = NULL;
	struct rows rows = { 0 };
	struct snapshot agg;
	struct exit_stat total;
	int err = -ENOMEM;

	snapshot_init(&agg);
	if (prepare_rows(snap, o, &agg, &v, &rows))
		goto out;
	render_total(&agg, &total, o->hlt_time);
	if (o->format == OUT_TABLE)
		interval_table(out, &agg, &rows, o, m, &total);
	else if (o->format == OUT_CSV)
		interval_csv(out, &agg, &rows, m);
	else
		interval_json(out, &agg, &rows, o, m, &total);
	err = fflush(out) || ferror(out) ? -EIO : 0;
out:
	rows_free(&rows);
	free(v);
	snapshot_free(&agg);
	return err;
}

/* ---- reasons ----------------------------------------------------------- */

int render_reasons(FILE *out, enum isa only, enum out_format format)
{
	static const enum isa isas[] = { ISA_VMX, ISA_SVM };
	bool first = true;

	if (format == OUT_CSV)
		fputs("isa,code,hex,name,alias,in_linux_table,description\n", out);
	else if (format == OUT_JSON)
		fputc('[', out);
	for (size_t a = 0; a < 2; a++) {
		enum isa isa = isas[a];
		if (only != ISA_UNKNOWN && only != isa)
			continue;
		if (format == OUT_TABLE)
			fprintf(out, "%s%s exit reasons (%s)\n%-12s %-28s %-24s %s\n", first ? "" : "\n",
				isa == ISA_VMX ? "VMX" : "SVM",
				isa == ISA_VMX ? "basic exit reason, bits 15:0; flags: FAILED_VMENTRY (bit 31), "
						 "FROM_VMX_ROOT (29), PENDING_MTF (28), ENCLAVE_MODE (27)"
					       : "EXITCODE",
				"CODE", "NAME", isa == ISA_VMX ? "ALIAS" : "DEFINE (SVM_EXIT_*)", "DESCRIPTION");
		for (size_t i = 0; i < reasons_count(isa); i++) {
			const struct reason_info *ri = reasons_at(isa, i);
			char code[32];
			if (isa == ISA_SVM && (int64_t)ri->code < 0)
				snprintf(code, sizeof(code), "%" PRId64, (int64_t)ri->code);
			else if (isa == ISA_SVM)
				snprintf(code, sizeof(code), "0x%03" PRIx64, ri->code);
			else
				snprintf(code, sizeof(code), "%" PRIu64, ri->code);
			const char *alias = ri->define ? ri->define : "";
			if (format == OUT_TABLE) {
				fprintf(out, "%-12s %-28s %-24s %s%s\n", code, ri->name, alias, ri->desc,
					ri->linux_table ? "" : " [not in Linux's trace table]");
			} else if (format == OUT_CSV) {
				fprintf(out, "%s,%s,0x%" PRIx64 ",", isa_name(isa), code, ri->code);
				csv_field(out, ri->name);
				fputc(',', out);
				csv_field(out, alias);
				fprintf(out, ",%d,", ri->linux_table);
				csv_field(out, ri->desc);
				fputc('\n', out);
			} else {
				/* JSON has no hex: the value, signed for SVM's error codes */
				fprintf(out, "%s{\"isa\":\"%s\",\"code\":", first ? "" : ",", isa_name(isa));
				if (isa == ISA_SVM && (int64_t)ri->code < 0)
					fprintf(out, "%" PRId64, (int64_t)ri->code);
				else
					fprintf(out, "%" PRIu64, ri->code);
				fputs(",\"name\":", out);
				json_string(out, ri->name);
				fputs(",\"alias\":", out);
				json_string(out, alias);
				fprintf(out, ",\"in_linux_table\":%s,\"description\":",
					ri->linux_table ? "true" : "false");
				json_string(out, ri->desc);
				fputc('}', out);
			}
			first = false;
		}
	}
	if (format == OUT_JSON)
		fputs("]\n", out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
