#define _GNU_SOURCE
#include "importer_priv.h"
#include "detail.h"
#include "quoted_printable.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small direct-mapped cache of decoded reason texts. The hint is part of
 * the key: the same text may decode differently under another hint. */
#define CACHE_SLOTS 64
struct reason_cache {
	struct {
		uint8_t len; /* 0 = empty */
		uint8_t hint, isa;
		uint64_t code;
		char text[REASON_NAME_MAX];
	} slot[CACHE_SLOTS];
};

void importer_init(struct importer *im)
{
	memset(im, 0, sizeof(*im));
	snapshot_init(&im->exits);
	im->max_reported = 5;
	im->err = stderr;
	im->input = "-";
	im->threads = 1;
	im->split_min = 32u << 20;
	im->cache = calloc(1, sizeof(*im->cache)); /* NULL: decode without a cache */
}

void importer_free(struct importer *im)
{
	snapshot_free(&im->exits);
	importer_klogs_free(im->klogs, im->nklogs);
	free(im->pairs);
	free(im->bad);
	free(im->cache);
	free(im->soft.s);
	free(im->held.s);
	memset(im, 0, sizeof(*im));
}

/* Who pairs with whom: the thread when the trace names it, else the vCPU,
 * else the CPU; a trace with none of them is one stream. */
static uint64_t pair_id(const struct trace_line *t)
{
	if (t->has_tid)
		return 1ull << 62 | t->tid;
	if (t->vcpu >= 0)
		return 2ull << 60 | (uint64_t)(t->has_tgid ? t->tgid : 0) << 32 | (uint32_t)t->vcpu;
	if (t->cpu >= 0)
		return 3ull << 60 | (uint32_t)t->cpu;
	return 1;
}

/* The slot of id: its own, or the empty one where it belongs. */
static struct pair_state *pair_probe(struct pair_state *pairs, size_t cap, uint64_t id)
{
	size_t j = (id * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
	while (pairs[j].id && pairs[j].id != id)
		j = (j + 1) & (cap - 1);
	return &pairs[j];
}

struct pair_state *importer_pair_get(struct importer *im, uint64_t id)
{
	if ((im->npairs + 1) * 2 > im->pairs_cap) {
		size_t ncap = im->pairs_cap ? im->pairs_cap * 2 : 64;
		struct pair_state *n = calloc(ncap, sizeof(*n));
		if (!n)
			return NULL;
		for (size_t i = 0; i < im->pairs_cap; i++)
			if (im->pairs[i].id)
				*pair_probe(n, ncap, im->pairs[i].id) = im->pairs[i];
		free(im->pairs);
		im->pairs = n;
		im->pairs_cap = ncap;
	}
	struct pair_state *ps = pair_probe(im->pairs, im->pairs_cap, id);
	if (!ps->id) {
		ps->id = id;
		ps->vcpu = -1;
		im->npairs++;
	}
	return ps;
}

const struct pair_state *importer_pair_find(const struct importer *im, uint64_t id)
{
	if (!im->pairs_cap)
		return NULL;
	const struct pair_state *ps = pair_probe(im->pairs, im->pairs_cap, id);
	return ps->id ? ps : NULL;
}

/* from's entries into moved (into its rips when rips), rekeyed. */
static int rekey_into(struct snapshot *moved, const struct snapshot *from, bool rips, const struct importer *known,
		      enum isa isa)
{
	const struct snap_entry *e;
	for (size_t i = 0; from && (e = snapshot_next(from, &i));) {
		struct exit_key k = e->key;
		if (k.isa == ISA_UNKNOWN)
			k.isa = (uint8_t)isa;
		if (k.vcpu == VCPU_NONE && k.tid) {
			const struct pair_state *ps = importer_pair_find(known, 1ull << 62 | k.tid);
			if (ps && ps->vcpu >= 0) {
				k.vcpu = ps->vcpu;
				k.tid = 0;
			}
		}
		struct exit_stat *st = rips ? snapshot_get_rip(moved, &k) : snapshot_get(moved, &k);
		if (!st)
			return -ENOMEM;
		stat_merge(st, &e->st);
	}
	return 0;
}

int importer_rekey(struct importer *im, const struct importer *known, enum isa isa)
{
	struct snapshot moved;

	snapshot_init(&moved);
	int err = rekey_into(&moved, &im->exits, false, known, isa);
	if (!err)
		err = rekey_into(&moved, im->exits.rips, true, known, isa);
	for (size_t i = 0; i < im->exits.nnames && !err; i++)
		err = snapshot_set_name(&moved, im->exits.names[i].pid, im->exits.names[i].start, im->exits.names[i].name);
	if (err) {
		snapshot_free(&moved);
		return err;
	}
	snapshot_free(&im->exits);
	im->exits = moved;
	return 0;
}

/* An input ended: its threads' vCPUs are known now, and no exit of it may
 * pair with an entry of the next input. */
int importer_end_input(struct importer *im)
{
	int err = importer_rekey(im, im, ISA_UNKNOWN);
	if (im->pairs)
		memset(im->pairs, 0, im->pairs_cap * sizeof(*im->pairs));
	im->npairs = 0;
	im->has_ev_ts = false;
	im->since = 0;
	return err;
}

void importer_print_bad(const struct importer *im, const struct bad_line *b, uint64_t line_offset)
{
	fprintf(im->err, "kvmexitstat: %s:%llu: cannot decode: %s: '%.*s%s'\n", im->input,
		(unsigned long long)(b->lineno + line_offset), b->why, b->len, b->text, b->cut ? "..." : "");
}

void importer_print_more(const struct importer *im)
{
	fprintf(im->err, "kvmexitstat: %s: more undecodable lines follow; their count is in the report\n",
		im->input);
}

static int report_bad(struct importer *im, const char *why, const char *line, size_t len)
{
	struct bad_line b = { im->at_line, why, len > 120 ? 120 : (int)len, len > 120, "" };

	memcpy(b.text, line, (size_t)b.len);
	im->unparsed++;
	if (!im->has_first_bad) {
		/* (in a part, its own line number: the join makes it the file's) */
		im->has_first_bad = true;
		im->first_bad_input = im->input;
		im->first_bad_line = im->at_line;
	}
	if (im->defer_reports) {
		/* one more than is shown, so that the "more follow" note is right */
		if (im->nbad <= im->max_reported) {
			struct bad_line *n = realloc(im->bad, (im->nbad + 1) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			im->bad = n;
			im->bad[im->nbad++] = b;
		}
		return 0;
	}
	if (im->strict || im->unparsed <= im->max_reported)
		importer_print_bad(im, &b, 0);
	if (im->strict)
		return -EINVAL;
	if (im->unparsed == im->max_reported + 1)
		importer_print_more(im);
	return 0;
}

static uint32_t text_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Reason text to (isa, code). Returns 0 or the lookup's -errno. */
static int decode_reason(struct importer *im, const char *text, size_t len, enum isa *isa,
			 uint64_t *code)
{
	enum isa hint = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : im->hint;
	uint32_t h = (text_hash(text, len) ^ hint) % CACHE_SLOTS;
	struct reason_cache *c = im->cache;

	if (c && c->slot[h].len == len && c->slot[h].hint == hint && !memcmp(c->slot[h].text, text, len)) {
		*isa = (enum isa)c->slot[h].isa;
		*code = c->slot[h].code;
		return 0;
	}
	*isa = hint;
	int err = reason_lookup(text, len, isa, code);
	if (err)
		return err;
	if (!im->hint_dependent && im->forced_isa == ISA_UNKNOWN) {
		/* Would another hint have decoded this differently? (Numbers, and
		 * names spelt alike in both tables.) A part of a file read in
		 * parallel, which began without the hint, must know. */
		enum isa vi = ISA_VMX, si = ISA_SVM;
		uint64_t vc, sc;
		int ve = reason_lookup(text, len, &vi, &vc), se = reason_lookup(text, len, &si, &sc);
		if (ve != se || (!ve && (vi != si || vc != sc)))
			im->hint_dependent = true;
	}
	if (c && len > 0 && len < sizeof(c->slot[h].text)) {
		memcpy(c->slot[h].text, text, len);
		c->slot[h].len = (uint8_t)len;
		c->slot[h].hint = (uint8_t)hint;
		c->slot[h].isa = (uint8_t)*isa;
		c->slot[h].code = *code;
	}
	return 0;
}

static bool names_isa(const char *text)
{
	char c = text[0];
	return !(c == '-' || (c >= '0' && c <= '9'));
}

static void note_ts(struct importer *im, const struct trace_line *t)
{
	if (!t->has_ts)
		return;
	if (!im->has_ts || t->ts_ns < im->first_ts)
		im->first_ts = t->ts_ns;
	if (!im->has_ts || t->ts_ns > im->last_ts)
		im->last_ts = t->ts_ns;
	im->has_ts = true;
}

/* Captures pasted one after another into a file must not pair an exit at
 * the end of one with an entry in the next. A capture ends where the time
 * goes backwards, where a trace header comes (ftrace's "# ..." lines,
 * trace-cmd's "cpus=N"), where prose comes with more than a second of
 * trace time across it, or where more than a minute passes with no exit or
 * entry at all. Not at a mere gap of seconds: a halted vCPU's HLT lasts as
 * long as the guest idles, and an author's remark between lines of one
 * capture spans no time. */
#define BOUNDARY_PROSE_GAP_NS 1000000000ull
#define BOUNDARY_GAP_NS 60000000000ull

bool importer_boundary(unsigned since, uint64_t prev_ts, uint64_t ts)
{
	if (since & SINCE_HEADER)
		return true;
	if (ts < prev_ts)
		return true;
	uint64_t gap = ts - prev_ts;
	return gap > BOUNDARY_GAP_NS || ((since & SINCE_PROSE) && gap > BOUNDARY_PROSE_GAP_NS);
}

/* A line of another kind than exit/entry/kernel log: another trace event
 * (a timestamp "123.456789:" in it), a header, blank, or prose. */
static void note_other(struct importer *im, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '>' || s[i] == '\r'))
		i++;
	if (i == len)
		return; /* blank (or an empty quote) */
	if (s[i] == '#' || (len - i >= 5 && !memcmp(s + i, "cpus=", 5))) {
		im->since |= SINCE_HEADER;
		return;
	}
	if (im->since & SINCE_PROSE)
		return;
	for (const char *c = s + i, *end = s + len; (c = memchr(c, ':', (size_t)(end - c))) != NULL; c++) {
		const char *d = c;
		while (d > s && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d < c && d > s + 1 && d[-1] == '.' && d[-2] >= '0' && d[-2] <= '9')
			return; /* "...123.456789:": a trace event of another kind */
	}
	im->since |= SINCE_PROSE;
}

/* A timestamped exit/entry line: does a new capture begin with it? */
static void note_capture(struct importer *im, const struct trace_line *t)
{
	if (!t->has_ts)
		return;
	if (im->has_ev_ts) {
		if (importer_boundary(im->since, im->ev_ts, t->ts_ns))
			im->epoch++;
	} else if (!im->has_head) {
		im->has_head = true;
		im->head_ts = t->ts_ns;
		im->head_since = im->since;
	}
	im->has_ev_ts = true;
	im->ev_ts = t->ts_ns;
	im->since = 0;
}

static int count_exit(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t code, uint64_t detail);

static int on_exit_line(struct importer *im, const struct trace_line *t, const char *line, size_t len)
{
	enum isa isa;
	uint64_t code;
	int err = decode_reason(im, t->reason, t->reason_len, &isa, &code);

	if (err == -ERANGE)
		return report_bad(im, "exit reason number out of range", line, len);
	if (err)
		return report_bad(im, t->reason_last ? "unknown exit reason name (line cut short?)"
						     : "unknown exit reason name", line, len);
	if (im->forced_isa != ISA_UNKNOWN && isa != im->forced_isa)
		return report_bad(im, "exit reason of the other ISA than --isa", line, len);
	if (names_isa(t->reason)) {
		im->isa_seen |= 1u << isa;
		if (im->hint == ISA_UNKNOWN)
			im->hint = isa;
	}
	uint64_t detail = 0;
	struct exit_info info;
	if (im->details && trace_line_exit_info(line, len, t, &info))
		detail = detail_from_exit(isa, code, info.info1, info.info2, info.has_intr_info, info.intr_info);
	return count_exit(im, t, isa, code, detail);
}

/* One exit of key k more (n 1) or less (n -1) at guest RIP rip. Traces
 * say nothing of the guest's privilege: its ring stays unknown. */
static int count_rip(struct importer *im, const struct exit_key *k, uint64_t rip, int n)
{
	struct exit_key rk = *k;
	rk.rip = rip;
	rk.ring = RING_UNKNOWN;
	struct exit_stat *st = snapshot_get_rip(&im->exits, &rk);
	if (!st)
		return -ENOMEM;
	if (n > 0)
		stat_add_count(st, 1);
	else if (st->count && !st->saturated)
		st->count--;
	return 0;
}

/* An exit of thread/vCPU t: counted (under detail, what its record tells
 * of it; with rips, at its guest RIP), and waiting for its kvm_entry. */
static int count_exit(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t code, uint64_t detail)
{
	struct pair_state *ps = importer_pair_get(im, pair_id(t));
	if (!ps)
		return -ENOMEM;
	struct exit_key k = { 0 };
	k.pid = t->has_tgid ? t->tgid : t->has_tid ? t->tid : 0;
	k.vcpu = t->vcpu >= 0 ? t->vcpu : ps->vcpu;
	if (k.vcpu < 0) {
		k.vcpu = VCPU_NONE;
		k.tid = t->has_tid ? t->tid : 0;
	}
	k.isa = (uint8_t)isa;
	k.reason = code;
	k.detail = detail;

	struct exit_stat *st = snapshot_get(&im->exits, &k);
	if (!st)
		return -ENOMEM;
	stat_add_count(st, 1);
	if (im->rips && t->has_rip && count_rip(im, &k, t->rip, 1))
		return -ENOMEM;
	if (k.pid && t->comm_len && !(t->comm_len == 5 && !memcmp(t->comm, "<...>", 5)) &&
	    !snapshot_name(&im->exits, k.pid, 0)) {
		char name[64];
		size_t n = t->comm_len < sizeof(name) - 1 ? t->comm_len : sizeof(name) - 1;
		memcpy(name, t->comm, n);
		name[n] = '\0';
		if (snapshot_set_name(&im->exits, k.pid, 0, name))
			return -ENOMEM;
	}

	if (!ps->seen) {
		ps->first_epoch = im->epoch;
		ps->first_pre_head = !im->has_ev_ts;
	}
	ps->seen = true;
	if (ps->pending)
		im->unpaired_exits++; /* its kvm_entry is missing: no handling time */
	ps->pending = t->has_ts;
	ps->exit_ts = t->ts_ns;
	ps->exit_epoch = im->epoch;
	ps->key = k;
	ps->open = true;
	ps->firm = false;
	ps->has_rip = im->rips && t->has_rip;
	ps->rip = t->rip;
	im->exit_lines++;
	return 0;
}

/* A kvm_pio, kvm_msr... line: said of its thread's open exit, whose count
 * moves to the key with the detail detail_merge makes of it (and its
 * handling time goes there). */
static int on_detail_line(struct importer *im, const struct trace_line *t)
{
	if (!im->details)
		return 0;
	struct pair_state *ps = importer_pair_get(im, pair_id(t));
	if (!ps)
		return -ENOMEM;
	if (!ps->open)
		return 0;
	uint64_t d = detail_merge(ps->key.detail, &ps->firm, t->detail, true);
	if (d == ps->key.detail)
		return 0;
	struct exit_stat *was = snapshot_get(&im->exits, &ps->key);
	if (!was)
		return -ENOMEM;
	if (was->count && !was->saturated)
		was->count--;
	if (ps->has_rip && count_rip(im, &ps->key, ps->rip, -1))
		return -ENOMEM;
	ps->key.detail = d;
	struct exit_stat *st = snapshot_get(&im->exits, &ps->key);
	if (!st)
		return -ENOMEM;
	stat_add_count(st, 1);
	if (ps->has_rip && count_rip(im, &ps->key, ps->rip, 1))
		return -ENOMEM;
	return 0;
}

static int on_entry_line(struct importer *im, const struct trace_line *t)
{
	struct pair_state *ps = importer_pair_get(im, pair_id(t));

	if (!ps)
		return -ENOMEM;
	im->entry_lines++;
	if (!ps->seen) {
		ps->first_is_entry = true;
		ps->first_has_ts = t->has_ts;
		ps->first_ts = t->ts_ns;
		ps->first_epoch = im->epoch;
		ps->first_pre_head = !im->has_ev_ts;
	}
	ps->seen = true;
	if (t->vcpu >= 0)
		ps->vcpu = t->vcpu;
	if (ps->pending && ps->exit_epoch != im->epoch) {
		im->unpaired_boundary++; /* its entry is in the next capture */
	} else if (ps->pending && t->has_ts && t->ts_ns >= ps->exit_ts) {
		struct exit_stat *st = snapshot_get(&im->exits, &ps->key);
		if (!st)
			return -ENOMEM;
		stat_add_time(st, t->ts_ns - ps->exit_ts);
		im->paired++;
	}
	ps->pending = false;
	ps->open = false;
	return 0;
}

/* ---- kernel log series ------------------------------------------------- */

void importer_klogs_free(struct klog_series *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snapshot_free(&v[i].first);
		snapshot_free(&v[i].last);
		free(v[i].points);
	}
	free(v);
}

int importer_klog_close(struct importer *im)
{
	struct klog_series *k = im->klog_open;

	if (!k)
		return 0;
	im->klog_open = NULL;
	if (k->npoints == 1) {
		snapshot_clear(&k->first);
		if (snapshot_merge(&k->first, &k->last))
			return -ENOMEM;
	}
	return 0;
}

struct klog_series *importer_klog_series(struct importer *im, bool has_id, uint32_t pid, int32_t vcpu)
{
	for (size_t i = 0; i < im->nklogs; i++) {
		struct klog_series *k = &im->klogs[i];
		if (k->has_id == has_id && k->pid == pid && k->vcpu == vcpu)
			return k;
	}
	struct klog_series *v = realloc(im->klogs, (im->nklogs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	im->klogs = v;
	struct klog_series *k = &v[im->nklogs++];
	memset(k, 0, sizeof(*k));
	k->has_id = has_id;
	k->pid = pid;
	k->vcpu = vcpu;
	snapshot_init(&k->first);
	snapshot_init(&k->last);
	return k;
}

static int klog_open_block(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t total)
{
	bool id = t->kind == LINE_KLOG_HEADER && t->klog_has_id;

	if (importer_klog_close(im))
		return -ENOMEM;
	struct klog_series *k = importer_klog_series(im, id, id ? t->klog_pid : PID_ALL, id ? t->klog_vcpu : VCPU_ALL);
	if (!k)
		return -ENOMEM;
	if (k->npoints == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 16;
		struct klog_point *n = realloc(k->points, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		k->points = n;
		k->cap = ncap;
	}
	k->points[k->npoints++] = (struct klog_point){ t->has_ts, t->ts_ns, total, 0 };
	k->isa = isa;
	if (t->kind == LINE_KLOG_HEADER) {
		k->skipped = t->klog_skipped;
		k->final = t->klog_final;
	}
	im->klog_open = k;
	snapshot_clear(&k->last);
	return 0;
}

static int on_klog_line(struct importer *im, const struct trace_line *t, const char *line, size_t len)
{
	if (t->kind == LINE_KLOG_HEADER) {
		enum isa isa = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : t->klog_isa;
		return klog_open_block(im, t, isa, t->klog_total);
	}
	if (!im->klog_open) {
		/* exit lines without a header: a block of its own, total unknown,
		 * its ISA the names' so far (a part read in parallel, which began
		 * without them, must be read again with them) */
		enum isa isa = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : im->hint;
		if (im->forced_isa == ISA_UNKNOWN)
			im->hint_dependent = true;
		if (klog_open_block(im, t, isa, 0))
			return -ENOMEM;
	}
	struct klog_series *k = im->klog_open;
	enum isa isa = k->isa;
	uint64_t code = REASON_OTHER;
	/* "unknown": the patch's count of the reasons its module does not know */
	bool other = t->reason_len == 7 && !memcmp(t->reason, "unknown", 7);
	int err = other ? 0 : reason_lookup(t->reason, t->reason_len, &isa, &code);
	if (err)
		return report_bad(im, err == -ERANGE ? "exit reason number out of range"
						     : "unknown exit reason name", line, len);
	struct exit_key key = { .pid = k->pid, .vcpu = k->vcpu, .tid = 0, .isa = (uint8_t)isa, .reason = code };
	struct exit_stat *st = snapshot_get(&k->last, &key);
	if (!st)
		return -ENOMEM;
	/* A reason printed twice in one block is the same cumulative counter:
	 * keep the later value rather than adding. */
	struct klog_point *pt = &k->points[k->npoints - 1];
	pt->sum -= st->count;
	st->count = t->klog_count;
	pt->sum += st->count;
	return 0;
}

/* One line as the trace had it (joined, if it was wrapped), first of them at lineno. */
static int record_line(struct importer *im, const char *line, size_t len, const struct trace_line *t, uint64_t lineno)
{
	im->at_line = lineno;
	switch (t->kind) {
	case LINE_OTHER:
		note_other(im, line, len);
		return 0;
	case LINE_BAD:
		im->events++;
		return report_bad(im, t->why, line, len);
	case LINE_EXIT:
		im->events++;
		/* a trace event ends a kernel-log block (as a part that starts
		 * at it, read in parallel, begins with none open) */
		if (importer_klog_close(im))
			return -ENOMEM;
		note_ts(im, t);
		note_capture(im, t);
		return on_exit_line(im, t, line, len);
	case LINE_ENTRY:
		im->events++;
		if (importer_klog_close(im))
			return -ENOMEM;
		note_ts(im, t);
		note_capture(im, t);
		return on_entry_line(im, t);
	case LINE_KLOG_HEADER:
	case LINE_KLOG_EXIT:
		im->events++;
		return on_klog_line(im, t, line, len);
	case LINE_DETAIL:
		return on_detail_line(im, t);
	}
	return 0;
}

int importer_event_bad(struct importer *im, const char *why, const char *what)
{
	im->lines++;
	im->at_line = im->lines;
	im->events++;
	return report_bad(im, why, what, strlen(what));
}

int importer_event(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t code,
		   const char *what)
{
	im->lines++;
	im->at_line = im->lines;
	im->events++;
	note_ts(im, t);
	note_capture(im, t);
	if (t->kind == LINE_ENTRY)
		return on_entry_line(im, t);
	if (im->forced_isa != ISA_UNKNOWN && isa == ISA_UNKNOWN)
		isa = im->forced_isa; /* a record of a layout without the field */
	else if (im->forced_isa != ISA_UNKNOWN && isa != im->forced_isa)
		return report_bad(im, "exit reason of the other ISA than --isa", what, strlen(what));
	if (isa != ISA_UNKNOWN) {
		im->isa_seen |= 1u << isa;
		if (im->hint == ISA_UNKNOWN)
			im->hint = isa;
	}
	uint64_t detail = 0;
	if (im->details && t->has_info)
		detail = detail_from_exit(isa, code, t->info1, t->info2, t->has_intr_info, t->intr_info);
	return count_exit(im, t, isa, code, detail);
}

int importer_detail(struct importer *im, const struct trace_line *t)
{
	return on_detail_line(im, t);
}

/* Room in b for n more bytes. */
static int buf_reserve(struct text_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->s, cap);
	if (!p)
		return -ENOMEM;
	b->s = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes to b, keeping at most MAX_LINE of them (a longer joined
 * line is judged by its first MAX_LINE bytes, as an overlong line is). */
static int buf_append(struct text_buf *b, const char *s, size_t n)
{
	if (n > MAX_LINE - b->len)
		n = MAX_LINE - b->len;
	int err = buf_reserve(b, n);
	if (!err) {
		memcpy(b->s + b->len, s, n);
		b->len += n;
	}
	return err;
}

static int flush_held(struct importer *im)
{
	if (!im->has_held)
		return 0;
	struct trace_line t;
	im->has_held = false;
	trace_line_parse(im->held.s, im->held.len, &t);
	return record_line(im, im->held.s, im->held.len, &t, im->held_lineno);
}

/* A line after quoted-printable is undone: a record that does not end as
 * the kernel's layouts do is held, and the lines that continue it (no
 * records of their own) are joined to it with a space. */
static int logical_line(struct importer *im, const char *s, size_t len, uint64_t lineno)
{
	struct trace_line t;
	int err;

	trace_line_parse(s, len, &t);
	if (im->has_held) {
		if (t.kind == LINE_OTHER && trace_line_continues(im->held.s, im->held.len, s, len)) {
			size_t b = trace_line_body(s, len);
			if (im->held.len && im->held.s[im->held.len - 1] == '\r')
				im->held.len--;
			if ((err = buf_append(&im->held, " ", 1)) || (err = buf_append(&im->held, s + b, len - b)))
				return err;
			trace_line_parse(im->held.s, im->held.len, &t);
			if (im->held.len < MAX_LINE && trace_line_open(im->held.s, im->held.len, &t))
				return 0;
			im->has_held = false;
			return record_line(im, im->held.s, im->held.len, &t, im->held_lineno);
		}
		if ((err = flush_held(im)))
			return err;
	}
	if (trace_line_open(s, len, &t)) {
		im->held.len = 0;
		im->has_held = true;
		im->held_lineno = lineno;
		return buf_append(&im->held, s, len);
	}
	return record_line(im, s, len, &t, lineno);
}

int importer_line(struct importer *im, const char *line, size_t len)
{
	im->lines++;
	im->lineno++;
	if (!im->qp && qp_shows(line, len))
		im->qp = true;
	if (!im->qp)
		return logical_line(im, line, len, im->lineno);
	bool more = qp_soft_break(line, len);
	if (more) /* (the '=' and a CR after it) */
		len -= line[len - 1] == '\r' ? 2 : 1;
	if (!im->has_soft) {
		im->has_soft = true;
		im->soft.len = 0;
		im->soft_lineno = im->lineno;
	}
	size_t room = MAX_LINE - im->soft.len, n = len < room ? len : room;
	int err = buf_reserve(&im->soft, n);
	if (err)
		return err;
	im->soft.len += qp_decode(line, n, im->soft.s + im->soft.len);
	if (more && im->soft.len < MAX_LINE)
		return 0;
	im->has_soft = false;
	return logical_line(im, im->soft.s, im->soft.len, im->soft_lineno);
}

int importer_settle(struct importer *im)
{
	return flush_held(im);
}

/* The end of a range of lines: a soft break or a held record with no line after it. */
int importer_end_lines(struct importer *im)
{
	int err = 0;
	if (im->has_soft) {
		im->has_soft = false;
		err = logical_line(im, im->soft.s, im->soft.len, im->soft_lineno);
	}
	return err ? err : flush_held(im);
}

/* Binary files that users might pass by mistake, with what to do instead. */
bool importer_is_trace_dat(const char *buf, size_t n)
{
	return n >= 10 && !memcmp(buf, "\x17\x08\x44tracing", 10);
}

bool importer_file_is_trace_dat(const char *path)
{
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && importer_is_trace_dat(buf, (size_t)n);
}

static const char *binary_hint(const unsigned char *buf, size_t n)
{
	if (importer_is_trace_dat((const char *)buf, n))
		return "a trace-cmd data file: give its path (kvmexitstat report FILE), not standard input";
	if (n >= 8 && !memcmp(buf, "PERFILE2", 8))
		return "a perf data file: convert it with 'perf script -i FILE'";
	if (n >= 15 && !memcmp(buf, "SQLite format 3", 15))
		return "an SQLite file, not a trace";
	if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return "gzip-compressed: decompress it first (zcat FILE | kvmexitstat report -)";
	return NULL;
}

int importer_check_binary(struct importer *im, const char *buf, size_t n)
{
	const char *hint = binary_hint((const unsigned char *)buf, n);
	const char *nul = memchr(buf, '\0', n);

	if (!hint && !nul)
		return 0;
	fprintf(im->err, "kvmexitstat: %s: binary data at byte %llu, not a text trace%s%s\n", im->input,
		hint ? 0ull : (unsigned long long)(nul - buf), hint ? ": " : "", hint ? hint : "");
	return -EINVAL;
}

int importer_read_range(struct importer *im, int fd, uint64_t start, uint64_t end)
{
	char *buf = malloc(READ_CHUNK + MAX_LINE);
	size_t have = 0;
	uint64_t pos = start;
	bool cut = false;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = READ_CHUNK;
		if (end != UINT64_MAX && end - pos < want)
			want = (size_t)(end - pos);
		ssize_t n = end == UINT64_MAX ? read(fd, buf + have, want)
					      : want ? pread(fd, buf + have, want, (off_t)pos) : 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(im->err, "kvmexitstat: %s: read failed at byte %llu: %s\n", im->input,
				(unsigned long long)pos, strerror(errno));
			break;
		}
		if (pos == 0 && n > 0 && (err = importer_check_binary(im, buf, (size_t)n)))
			break;
		if (n == 0) {
			if (have && !cut)
				err = importer_line(im, buf, have); /* last line without newline */
			break;
		}
		have += (size_t)n;
		pos += (uint64_t)n;

		char *p = buf, *stop = buf + have;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(stop - p));
			if (!nl)
				break;
			if (cut)
				cut = false; /* the rest of an overlong line */
			else if ((err = importer_line(im, p, (size_t)(nl - p))))
				goto out;
			p = nl + 1;
		}
		have = (size_t)(stop - p);
		if (have >= MAX_LINE && !cut) {
			/* Overlong line: judge it by its first MAX_LINE bytes. */
			if ((err = importer_line(im, p, MAX_LINE)))
				goto out;
			cut = true;
			have = 0;
		} else if (cut) {
			have = 0;
		} else {
			memmove(buf, p, have);
		}
	}
out:
	free(buf);
	return err ? err : importer_end_lines(im);
}

void importer_begin_input(struct importer *im, const char *name)
{
	im->input = name;
	im->lineno = 0;
	im->qp = false;
	im->hint = ISA_UNKNOWN;
	im->hint_dependent = false;
	im->parts = 1;
}

static int read_input(struct importer *im, int fd, const char *name)
{
	uint64_t events_before = im->events;
	struct stat st;
	int err;

	importer_begin_input(im, name);
	err = -EAGAIN;
	if (im->threads > 1 && !im->strict && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size >= 2 * im->split_min)
		err = importer_read_parallel(im, fd, (uint64_t)st.st_size);
	if (err == -EAGAIN)
		err = importer_read_range(im, fd, 0, UINT64_MAX);
	importer_klog_close(im);
	if (!err && im->lineno == 0) {
		fprintf(im->err, "kvmexitstat: %s: empty input\n", name);
		err = -ENODATA;
	} else if (!err && im->events == events_before) {
		fprintf(im->err, "kvmexitstat: %s: no kvm_exit, kvm_entry or CMPE283 lines in %llu lines\n",
			name, (unsigned long long)im->lineno);
		err = -ENODATA;
	}
	if (importer_end_input(im) && !err)
		err = -ENOMEM;
	return err;
}

int importer_read_fd(struct importer *im, int fd, const char *name)
{
	return read_input(im, fd, name);
}

int importer_read_path(struct importer *im, const char *path)
{
	if (!strcmp(path, "-"))
		return importer_read_fd(im, 0, "<stdin>");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		fprintf(im->err, "kvmexitstat: %s: cannot open: %s\n", path, strerror(e));
		return -e;
	}
	int err = importer_read_fd(im, fd, path);
	close(fd);
	return err;
}

int importer_finish(struct importer *im)
{
	unsigned seen = im->isa_seen & (1u << ISA_VMX | 1u << ISA_SVM);
	enum isa only = seen == 1u << ISA_VMX ? ISA_VMX : seen == 1u << ISA_SVM ? ISA_SVM : ISA_UNKNOWN;

	int err = importer_end_lines(im); /* (lines fed one by one) */
	if (err)
		return err;
	return only == ISA_UNKNOWN && !im->npairs ? 0 : importer_rekey(im, im, only);
}
