/* A large trace file read by several threads, each a part of the file, then
 * joined so that the result equals reading it as one stream:
 *  - an exit still waiting at the end of a part pairs with the kvm_entry its
 *    thread makes first in the next part;
 *  - vCPU ids a thread's kvm_entry named carry over, and are applied when
 *    the input ends (as for one stream);
 *  - parts start where a line is a KVM event or a kernel-log header, so no
 *    kernel-log block is split;
 *  - a part that decoded a reason the ISA hint decides (a number, or a name
 *    spelt alike in both tables) while an earlier part had set the hint is
 *    read again with that hint (rare);
 *  - undecodable lines are reported at the end, in file order, with their
 *    line numbers in the whole file;
 *  - a record wrapped over lines never spans parts: a part starts at a
 *    record, which continues none; quoted-printable text is read as one
 *    stream. */
#define _GNU_SOURCE
#include "importer_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PARTS 16
#define BOUNDARY_WINDOW (1u << 20) /* where to look for a line to start a part at */

struct part {
	struct importer im;
	int fd;
	uint64_t start, end;
	int err;
	pthread_t thread;
};

static void *part_run(void *arg)
{
	struct part *p = arg;
	p->err = importer_read_range(&p->im, p->fd, p->start, p->end);
	if (!p->err)
		p->err = importer_klog_close(&p->im);
	return NULL;
}

/* The first line starting at or after pos whose kind may begin a part; 0 if
 * none in the window (the part boundary is dropped then). */
static uint64_t find_boundary(int fd, uint64_t pos, uint64_t size)
{
	char *buf = malloc(BOUNDARY_WINDOW);
	uint64_t found = 0;

	if (!buf)
		return 0;
	ssize_t n = pread(fd, buf, BOUNDARY_WINDOW, (off_t)pos);
	if (n > 0) {
		char *p = memchr(buf, '\n', (size_t)n), *end = buf + n;
		while (p && p + 1 < end) {
			char *line = p + 1, *nl = memchr(line, '\n', (size_t)(end - line));
			if (!nl)
				break;
			struct trace_line t;
			trace_line_parse(line, (size_t)(nl - line), &t);
			if (t.kind == LINE_EXIT || t.kind == LINE_ENTRY || t.kind == LINE_KLOG_HEADER) {
				found = pos + (uint64_t)(line - buf);
				break;
			}
			p = nl;
		}
	}
	free(buf);
	return found < size ? found : 0;
}

static void part_init(struct part *p, const struct importer *im, int fd, uint64_t start, uint64_t end)
{
	importer_init(&p->im);
	p->im.forced_isa = im->forced_isa;
	p->im.rips = im->rips;
	p->im.max_reported = im->max_reported;
	p->im.err = im->err;
	p->im.input = im->input;
	p->im.defer_reports = true;
	p->fd = fd;
	p->start = start;
	p->end = end;
}

/* An exit waiting at the end of what came before meets the next part:
 * paired unless a capture ended between them (anywhere: the capture counts
 * differ). base: acc's capture count that next's own counts start from;
 * between: a capture ended at next's first timestamped line, so events
 * before that line are still in acc's last capture. */
static int join_pairs(struct importer *acc, const struct importer *next, uint32_t base, bool between)
{
	for (size_t i = 0; i < next->pairs_cap; i++) {
		const struct pair_state *n = &next->pairs[i];
		if (!n->id)
			continue;
		struct pair_state *a = importer_pair_get(acc, n->id);
		if (!a)
			return -ENOMEM;
		if (a->pending) {
			uint32_t first = n->first_pre_head ? base - between : base + n->first_epoch;
			if (n->first_is_entry && a->exit_epoch != first) {
				acc->unpaired_boundary++;
			} else if (n->first_is_entry) {
				if (n->first_has_ts && n->first_ts >= a->exit_ts) {
					struct exit_stat *st = snapshot_get(&acc->exits, &a->key);
					if (!st)
						return -ENOMEM;
					stat_add_time(st, n->first_ts - a->exit_ts);
					acc->paired++;
				}
			} else {
				acc->unpaired_exits++; /* the next part began with another exit */
			}
		}
		if (!a->seen) {
			a->first_is_entry = n->first_is_entry;
			a->first_has_ts = n->first_has_ts;
			a->first_ts = n->first_ts;
		}
		a->seen = true;
		a->pending = n->pending;
		a->exit_ts = n->exit_ts;
		a->exit_epoch = base + n->exit_epoch;
		a->key = n->key;
		if (n->vcpu >= 0)
			a->vcpu = n->vcpu;
	}
	return 0;
}

/* Exits a thread made in next before a kvm_entry there named its vCPU:
 * one pass gave them the vCPU the thread's entries named before next
 * began, if any. */
static int adopt_vcpus(const struct importer *acc, struct importer *next)
{
	int err = importer_rekey(next, acc, ISA_UNKNOWN);
	if (err)
		return err;
	/* and the exit each thread has waiting for its entry */
	for (size_t i = 0; i < next->pairs_cap; i++) {
		struct pair_state *n = &next->pairs[i];
		const struct pair_state *a;
		if (n->id && n->key.vcpu == VCPU_NONE && n->key.tid &&
		    (a = importer_pair_find(acc, 1ull << 62 | n->key.tid)) && a->vcpu >= 0) {
			n->key.vcpu = a->vcpu;
			n->key.tid = 0;
		}
	}
	return 0;
}

/* next's series after acc's: a reporter both saw continues in acc's. */
static int join_klog(struct importer *acc, struct importer *next)
{
	for (size_t i = 0; i < next->nklogs; i++) {
		struct klog_series *n = &next->klogs[i];
		struct klog_series *a = importer_klog_series(acc, n->has_id, n->pid, n->vcpu);
		if (!a)
			return -ENOMEM;
		if (a->npoints + n->npoints > a->cap) {
			size_t ncap = a->npoints + n->npoints;
			struct klog_point *p = realloc(a->points, ncap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			a->points = p;
			a->cap = ncap;
		}
		memcpy(a->points + a->npoints, n->points, n->npoints * sizeof(*n->points));
		if (!a->npoints) {
			snapshot_free(&a->first);
			a->first = n->first;
			snapshot_init(&n->first);
		}
		a->npoints += n->npoints;
		snapshot_free(&a->last);
		a->last = n->last;
		snapshot_init(&n->last);
		a->isa = n->isa;
		a->skipped = n->skipped;
		a->final = n->final;
	}
	return 0;
}

/* Whether a capture ends where next begins (as one pass would decide it
 * at next's first timestamped exit/entry line); brings acc's capture state
 * to the end of next. *base: the capture count next's own counts start from. */
static bool join_captures(struct importer *acc, const struct importer *next, uint32_t *base)
{
	bool between = false;
	if (next->has_head) {
		if (acc->has_ev_ts)
			between = importer_boundary(acc->since | next->head_since, acc->ev_ts, next->head_ts);
		else if (!acc->has_head) {
			acc->has_head = true;
			acc->head_ts = next->head_ts;
			acc->head_since = acc->since | next->head_since;
		}
	}
	*base = acc->epoch + between;
	acc->epoch = *base + next->epoch;
	if (next->has_ev_ts) {
		acc->has_ev_ts = true;
		acc->ev_ts = next->ev_ts;
		acc->since = next->since;
	} else {
		acc->since |= next->since;
	}
	return between;
}

static int join(struct importer *acc, struct importer *next)
{
	uint32_t base;
	bool between = join_captures(acc, next, &base);
	int err = adopt_vcpus(acc, next);
	if (!err)
		err = join_pairs(acc, next, base, between);

	if (!err)
		err = snapshot_merge(&acc->exits, &next->exits);
	if (!err)
		err = join_klog(acc, next);
	if (err)
		return err;
	acc->lines += next->lines;
	/* (before lineno moves on: next's line numbers count from it) */
	if (next->has_first_bad && !acc->has_first_bad) {
		acc->has_first_bad = true;
		acc->first_bad_input = next->first_bad_input;
		acc->first_bad_line = next->first_bad_line + acc->lineno;
	}
	acc->lineno += next->lineno;
	acc->events += next->events;
	acc->exit_lines += next->exit_lines;
	acc->entry_lines += next->entry_lines;
	acc->unparsed += next->unparsed;
	acc->paired += next->paired;
	acc->unpaired_exits += next->unpaired_exits;
	acc->unpaired_boundary += next->unpaired_boundary;
	acc->isa_seen |= next->isa_seen;
	if (next->has_ts) {
		if (!acc->has_ts || next->first_ts < acc->first_ts)
			acc->first_ts = next->first_ts;
		if (!acc->has_ts || next->last_ts > acc->last_ts)
			acc->last_ts = next->last_ts;
		acc->has_ts = true;
	}
	if (acc->hint == ISA_UNKNOWN)
		acc->hint = next->hint;
	return 0;
}

int importer_read_parallel(struct importer *im, int fd, uint64_t size)
{
	struct part parts[MAX_PARTS];
	uint64_t bounds[MAX_PARTS + 1];
	unsigned n = 0, want = im->threads < MAX_PARTS ? im->threads : MAX_PARTS;
	int err = 0;

	if (size / want < im->split_min)
		want = (unsigned)(size / im->split_min);
	if (want < 2)
		return -EAGAIN;
	/* binary data in the first chunk, which one stream would refuse,
	 * even where it falls into a later part */
	char *head = malloc(READ_CHUNK);
	if (!head)
		return -ENOMEM;
	ssize_t got = pread(fd, head, READ_CHUNK, 0);
	err = got > 0 ? importer_check_binary(im, head, (size_t)got) : 0;
	free(head);
	if (err || got < 0)
		return err ? err : -EAGAIN; /* (a read error: one stream says it) */
	bounds[n++] = 0;
	for (unsigned k = 1; k < want; k++) {
		uint64_t b = find_boundary(fd, size / want * k, size);
		if (b > bounds[n - 1])
			bounds[n++] = b;
	}
	if (n < 2)
		return -EAGAIN;
	bounds[n] = size;

	for (unsigned k = 0; k < n; k++)
		part_init(&parts[k], im, fd, bounds[k], bounds[k + 1]);
	unsigned started = 0;
	for (; started < n; started++)
		if (pthread_create(&parts[started].thread, NULL, part_run, &parts[started]))
			break;
	for (unsigned k = 0; k < started; k++)
		pthread_join(parts[k].thread, NULL);
	for (unsigned k = started; k < n; k++)
		part_run(&parts[k]); /* no thread to be had: read it here */

	/* Quoted-printable text: a soft break may join lines across a part
	 * boundary, and the lines before the first sign of the encoding are
	 * read as they are; one stream does both as it should (mail is small). */
	for (unsigned k = 0; k < n; k++) {
		if (parts[k].im.qp) {
			for (unsigned j = 0; j < n; j++)
				importer_free(&parts[j].im);
			return -EAGAIN;
		}
	}

	/* The hint an earlier part set, which a later part may have needed. */
	enum isa hint = ISA_UNKNOWN;
	for (unsigned k = 0; k < n && !err; k++) {
		if (k > 0 && hint != ISA_UNKNOWN && parts[k].im.hint_dependent && !parts[k].err) {
			struct importer *pi = &parts[k].im;
			importer_free(pi);
			part_init(&parts[k], im, fd, bounds[k], bounds[k + 1]);
			parts[k].im.hint = hint;
			part_run(&parts[k]);
		}
		if (hint == ISA_UNKNOWN)
			hint = parts[k].im.hint;
		err = parts[k].err;
	}

	/* Join in file order into im, then report the undecodable lines. */
	uint64_t shown = 0;
	for (unsigned k = 0; k < n && !err; k++) {
		struct importer *pi = &parts[k].im;
		for (size_t i = 0; i < pi->nbad; i++) {
			if (shown < im->max_reported)
				importer_print_bad(im, &pi->bad[i], im->lineno);
			else if (shown == im->max_reported)
				importer_print_more(im);
			shown++;
		}
		err = join(im, pi);
	}
	for (unsigned k = 0; k < n; k++)
		importer_free(&parts[k].im);
	im->parts = n;
	return err;
}
