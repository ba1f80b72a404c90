#define _GNU_SOURCE
#include "importer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)
#define MAX_LINE (64u << 10)  /* a longer line is cut here; no trace line is near it */

/* Per-thread state: the exit waiting for its kvm_entry, and the vCPU id the
 * thread's kvm_entry lines named (old kvm_exit layouts do not carry it). */
struct pair_state {
	uint64_t id;         /* pairing identity, 0 = empty slot */
	bool pending;
	uint64_t exit_ts;
	struct exit_key key;
	int32_t vcpu;        /* learnt from kvm_entry, -1 if none */
};

void importer_init(struct importer *im)
{
	memset(im, 0, sizeof(*im));
	snapshot_init(&im->exits);
	snapshot_init(&im->klog.first);
	snapshot_init(&im->klog.last);
	im->max_reported = 5;
	im->err = stderr;
	im->input = "-";
}

void importer_free(struct importer *im)
{
	snapshot_free(&im->exits);
	snapshot_free(&im->klog.first);
	snapshot_free(&im->klog.last);
	free(im->klog.points);
	free(im->pairs);
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

static struct pair_state *pair_get(struct importer *im, uint64_t id)
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

static const struct pair_state *pair_find(const struct importer *im, uint64_t id)
{
	if (!im->pairs_cap)
		return NULL;
	const struct pair_state *ps = pair_probe(im->pairs, im->pairs_cap, id);
	return ps->id ? ps : NULL;
}

/* Move keys to what later lines taught: numbers seen before any name take
 * the one ISA the names showed (isa), and exits a thread made before its
 * first kvm_entry named its vCPU belong to that vCPU. */
static int rekey(struct importer *im, enum isa isa)
{
	struct snapshot moved;
	int err = 0;

	snapshot_init(&moved);
	for (size_t i = 0; i < im->exits.cap && !err; i++) {
		struct snap_entry *e = &im->exits.slots[i];
		struct exit_key k = e->key;
		if (!e->used)
			continue;
		if (k.isa == ISA_UNKNOWN)
			k.isa = (uint8_t)isa;
		if (k.vcpu == VCPU_NONE && k.tid) {
			const struct pair_state *ps = pair_find(im, 1ull << 62 | k.tid);
			if (ps && ps->vcpu >= 0) {
				k.vcpu = ps->vcpu;
				k.tid = 0;
			}
		}
		struct exit_stat *st = snapshot_get(&moved, &k);
		if (st)
			stat_merge(st, &e->st);
		else
			err = -ENOMEM;
	}
	for (size_t i = 0; i < im->exits.nnames && !err; i++)
		err = snapshot_set_name(&moved, im->exits.names[i].pid, im->exits.names[i].name);
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
static int end_input(struct importer *im)
{
	int err = rekey(im, ISA_UNKNOWN);
	if (im->pairs)
		memset(im->pairs, 0, im->pairs_cap * sizeof(*im->pairs));
	im->npairs = 0;
	return err;
}

static int report_bad(struct importer *im, const char *why, const char *line, size_t len)
{
	im->unparsed++;
	if (im->strict || im->unparsed <= im->max_reported) {
		int shown = len > 120 ? 120 : (int)len;
		fprintf(im->err, "kvmexitstat: %s:%llu: cannot decode: %s: '%.*s%s'\n", im->input,
			(unsigned long long)im->lineno, why, shown, line, len > 120 ? "..." : "");
	}
	if (im->strict)
		return -EINVAL;
	if (im->unparsed == im->max_reported + 1)
		fprintf(im->err, "kvmexitstat: %s: more undecodable lines follow; their count is in the report\n",
			im->input);
	return 0;
}

/* Reason text to (isa, code), with a one-entry cache: traces repeat the same
 * few reasons over and over. Returns 0 or the lookup's -errno. */
static int decode_reason(struct importer *im, const char *text, size_t len, enum isa *isa,
			 uint64_t *code)
{
	if (len == im->cache_len && !memcmp(text, im->cache_text, len) &&
	    (im->cache_isa != ISA_UNKNOWN || im->hint == ISA_UNKNOWN)) {
		*isa = im->cache_isa;
		*code = im->cache_code;
		return 0;
	}
	*isa = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : im->hint;
	int err = reason_lookup(text, len, isa, code);
	if (err)
		return err;
	if (len < sizeof(im->cache_text)) {
		memcpy(im->cache_text, text, len);
		im->cache_len = len;
		im->cache_isa = *isa;
		im->cache_code = *code;
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

static int on_exit_line(struct importer *im, const struct trace_line *t, const char *line, size_t len)
{
	enum isa isa;
	uint64_t code;
	int err = decode_reason(im, t->reason, t->reason_len, &isa, &code);

	if (err == -ERANGE)
		return report_bad(im, "exit reason number out of range", line, len);
	if (err)
		return report_bad(im, "unknown exit reason name", line, len);
	if (im->forced_isa != ISA_UNKNOWN && isa != im->forced_isa)
		return report_bad(im, "exit reason of the other ISA than --isa", line, len);
	if (names_isa(t->reason)) {
		im->isa_seen |= 1u << isa;
		if (im->hint == ISA_UNKNOWN)
			im->hint = isa;
	}

	struct pair_state *ps = pair_get(im, pair_id(t));
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

	struct exit_stat *st = snapshot_get(&im->exits, &k);
	if (!st)
		return -ENOMEM;
	stat_add_count(st, 1);
	if (k.pid && t->comm_len && !(t->comm_len == 5 && !memcmp(t->comm, "<...>", 5)) &&
	    !snapshot_name(&im->exits, k.pid)) {
		char name[64];
		size_t n = t->comm_len < sizeof(name) - 1 ? t->comm_len : sizeof(name) - 1;
		memcpy(name, t->comm, n);
		name[n] = '\0';
		if (snapshot_set_name(&im->exits, k.pid, name))
			return -ENOMEM;
	}

	if (ps->pending)
		im->unpaired_exits++; /* its kvm_entry is missing: no handling time */
	ps->pending = t->has_ts;
	ps->exit_ts = t->ts_ns;
	ps->key = k;
	im->exit_lines++;
	return 0;
}

static int on_entry_line(struct importer *im, const struct trace_line *t)
{
	struct pair_state *ps = pair_get(im, pair_id(t));

	if (!ps)
		return -ENOMEM;
	im->entry_lines++;
	if (t->vcpu >= 0)
		ps->vcpu = t->vcpu;
	if (ps->pending && t->has_ts && t->ts_ns >= ps->exit_ts) {
		struct exit_stat *st = snapshot_get(&im->exits, &ps->key);
		if (!st)
			return -ENOMEM;
		stat_add_time(st, t->ts_ns - ps->exit_ts);
		im->paired++;
	}
	ps->pending = false;
	return 0;
}

/* ---- kernel log series ------------------------------------------------- */

static int klog_close_block(struct importer *im)
{
	struct klog_series *k = &im->klog;

	if (!k->open)
		return 0;
	k->open = false;
	if (k->npoints == 1) {
		snapshot_clear(&k->first);
		if (snapshot_merge(&k->first, &k->last))
			return -ENOMEM;
	}
	return 0;
}

static int klog_open_block(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t total)
{
	struct klog_series *k = &im->klog;

	if (klog_close_block(im))
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
	k->open = true;
	snapshot_clear(&k->last);
	return 0;
}

static int on_klog_line(struct importer *im, const struct trace_line *t, const char *line, size_t len)
{
	struct klog_series *k = &im->klog;

	if (t->kind == LINE_KLOG_HEADER) {
		enum isa isa = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : t->klog_isa;
		return klog_open_block(im, t, isa, t->klog_total);
	}
	if (!k->open) {
		/* exit lines without a header: a block of its own, total unknown */
		enum isa isa = im->forced_isa != ISA_UNKNOWN ? im->forced_isa : im->hint;
		if (klog_open_block(im, t, isa, 0))
			return -ENOMEM;
	}
	enum isa isa = k->isa;
	uint64_t code;
	int err = reason_lookup(t->reason, t->reason_len, &isa, &code);
	if (err)
		return report_bad(im, err == -ERANGE ? "exit reason number out of range"
						     : "unknown exit reason name", line, len);
	struct exit_key key = { .pid = 0, .vcpu = VCPU_ALL, .tid = 0, .isa = (uint8_t)isa, .reason = code };
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

int importer_line(struct importer *im, const char *line, size_t len)
{
	struct trace_line t;

	im->lines++;
	im->lineno++;
	trace_line_parse(line, len, &t);
	switch (t.kind) {
	case LINE_OTHER:
		return 0;
	case LINE_BAD:
		im->events++;
		return report_bad(im, t.why, line, len);
	case LINE_EXIT:
		im->events++;
		note_ts(im, &t);
		return on_exit_line(im, &t, line, len);
	case LINE_ENTRY:
		im->events++;
		note_ts(im, &t);
		return on_entry_line(im, &t);
	case LINE_KLOG_HEADER:
	case LINE_KLOG_EXIT:
		im->events++;
		return on_klog_line(im, &t, line, len);
	}
	return 0;
}

/* Binary files that users might pass by mistake, with what to do instead. */
static const char *binary_hint(const unsigned char *buf, size_t n)
{
	if (n >= 10 && !memcmp(buf, "\x17\x08\x44tracing", 10))
		return "a trace-cmd data file: convert it with 'trace-cmd report FILE'";
	if (n >= 8 && !memcmp(buf, "PERFILE2", 8))
		return "a perf data file: convert it with 'perf script -i FILE'";
	if (n >= 15 && !memcmp(buf, "SQLite format 3", 15))
		return "an SQLite file, not a trace";
	if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return "gzip-compressed: decompress it first (zcat FILE | kvmexitstat report -)";
	return NULL;
}

int importer_read_fd(struct importer *im, int fd, const char *name)
{
	char *buf = malloc(READ_CHUNK + MAX_LINE);
	size_t have = 0;
	uint64_t offset = 0, events_before = im->events;
	bool first = true, cut = false;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	im->input = name;
	im->lineno = 0;
	im->hint = ISA_UNKNOWN;
	im->cache_len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, READ_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(im->err, "kvmexitstat: %s: read failed at byte %llu: %s\n", name,
				(unsigned long long)offset, strerror(errno));
			goto out;
		}
		if (first && n > 0) {
			const char *hint = binary_hint((unsigned char *)buf, (size_t)n);
			const char *nul = memchr(buf, '\0', (size_t)n);
			if (hint || nul) {
				fprintf(im->err, "kvmexitstat: %s: binary data at byte %llu, not a text trace%s%s\n",
					name, hint ? 0ull : (unsigned long long)(nul - buf),
					hint ? ": " : "", hint ? hint : "");
				err = -EINVAL;
				goto out;
			}
		}
		first = false;
		if (n == 0) {
			if (have && !cut)
				err = importer_line(im, buf, have); /* last line without newline */
			break;
		}
		have += (size_t)n;
		offset += (uint64_t)n;

		char *p = buf, *end = buf + have;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			if (cut)
				cut = false; /* the rest of an overlong line */
			else if ((err = importer_line(im, p, (size_t)(nl - p))))
				goto out;
			p = nl + 1;
		}
		have = (size_t)(end - p);
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
	if (!err && offset == 0) {
		fprintf(im->err, "kvmexitstat: %s: empty input\n", name);
		err = -ENODATA;
	} else if (!err && im->events == events_before) {
		fprintf(im->err, "kvmexitstat: %s: no kvm_exit, kvm_entry or CMPE283 lines in %llu lines\n",
			name, (unsigned long long)im->lineno);
		err = -ENODATA;
	}
out:
	klog_close_block(im);
	if (end_input(im) && !err)
		err = -ENOMEM;
	free(buf);
	return err;
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

	return only == ISA_UNKNOWN && !im->npairs ? 0 : rekey(im, only);
}
