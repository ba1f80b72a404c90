#include "snapshot.h"
#include "detail_codes.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 64

static bool add_sat(uint64_t *a, uint64_t b)
{
	if (*a > UINT64_MAX - b) {
		*a = UINT64_MAX;
		return true;
	}
	*a += b;
	return false;
}

void snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

const char *guest_ring_name(uint8_t ring)
{
	return ring == RING_KERNEL ? "kernel" : ring == RING_USER ? "user" : "";
}

uint8_t guest_ring_parse(const char *s)
{
	return !s ? RING_UNKNOWN : !strcmp(s, "kernel") ? RING_KERNEL : !strcmp(s, "user") ? RING_USER : RING_UNKNOWN;
}

void snapshot_free(struct snapshot *s)
{
	if (s->rips) {
		snapshot_free(s->rips);
		free(s->rips);
	}
	free(s->slots);
	free(s->names);
	kvm_counters_unref(s->kvm);
	snapshot_init(s);
}

void snapshot_clear(struct snapshot *s)
{
	if (s->slots)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->len = 0;
	if (s->rips)
		snapshot_clear(s->rips);
}

/* s's rips, made empty when it has none; NULL: out of memory */
static struct snapshot *rips_of(struct snapshot *s)
{
	if (!s->rips && (s->rips = malloc(sizeof(*s->rips))) != NULL)
		snapshot_init(s->rips);
	return s->rips;
}

static uint64_t key_hash(const struct exit_key *k)
{
	uint64_t h = k->reason * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)k->pid << 32 | (uint32_t)k->vcpu) * 0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)k->tid << 8 | k->isa) * 0x165667b19e3779f9ull;
	h ^= k->start * 0x27d4eb2f165667c5ull;
	h ^= k->detail * 0x9fb21c651e98df25ull;
	h ^= (k->rip ^ (uint64_t)k->ring << 56) * 0xd6e8feb86659fd93ull;
	return h ^ (h >> 29);
}

static bool key_eq(const struct exit_key *a, const struct exit_key *b)
{
	return a->reason == b->reason && a->pid == b->pid && a->vcpu == b->vcpu &&
	       a->tid == b->tid && a->isa == b->isa && a->start == b->start && a->detail == b->detail &&
	       a->rip == b->rip && a->ring == b->ring;
}

static struct snap_entry *probe(struct snap_entry *slots, size_t cap, const struct exit_key *k)
{
	size_t i = key_hash(k) & (cap - 1);
	while (slots[i].used && !key_eq(&slots[i].key, k))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct snapshot *s)
{
	size_t ncap = s->cap ? s->cap * 2 : INITIAL_CAP;
	struct snap_entry *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].used)
			*probe(n, ncap, &s->slots[i].key) = s->slots[i];
	free(s->slots);
	s->slots = n;
	s->cap = ncap;
	return 0;
}

const struct exit_stat *snapshot_find(const struct snapshot *s, const struct exit_key *k)
{
	if (!s->cap)
		return NULL;
	struct snap_entry *e = probe(s->slots, s->cap, k);
	return e->used ? &e->st : NULL;
}

struct exit_stat *snapshot_get(struct snapshot *s, const struct exit_key *k)
{
	struct snap_entry *e;

	if ((s->len + 1) * 2 > s->cap && grow(s))
		return NULL;
	e = probe(s->slots, s->cap, k);
	if (!e->used) {
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->key = *k;
		s->len++;
	}
	return &e->st;
}

unsigned hist_slot(uint64_t ns)
{
	return ns < 2 ? 0 : 63u - (unsigned)__builtin_clzll(ns);
}

uint64_t hist_slot_low(unsigned slot)
{
	return slot == 0 ? 0 : 1ull << slot;
}

uint64_t hist_slot_high(unsigned slot)
{
	return slot >= 63 ? UINT64_MAX : (1ull << (slot + 1)) - 1;
}

void stat_add_count(struct exit_stat *st, uint64_t n)
{
	st->saturated |= add_sat(&st->count, n);
}

void stat_add_time(struct exit_stat *st, uint64_t ns)
{
	if (!st->timed || ns < st->min_ns)
		st->min_ns = ns;
	if (ns > st->max_ns)
		st->max_ns = ns;
	st->saturated |= add_sat(&st->timed, 1);
	st->saturated |= add_sat(&st->sum_ns, ns);
	st->saturated |= add_sat(&st->hist[hist_slot(ns)], 1);
}

void stat_merge(struct exit_stat *dst, const struct exit_stat *src)
{
	if (src->timed) {
		if (!dst->timed || src->min_ns < dst->min_ns)
			dst->min_ns = src->min_ns;
		if (src->max_ns > dst->max_ns)
			dst->max_ns = src->max_ns;
	}
	dst->saturated |= add_sat(&dst->count, src->count) | src->saturated;
	dst->saturated |= add_sat(&dst->timed, src->timed);
	dst->saturated |= add_sat(&dst->sum_ns, src->sum_ns);
	for (unsigned i = 0; i < HIST_SLOTS; i++)
		dst->saturated |= add_sat(&dst->hist[i], src->hist[i]);
	dst->reset |= src->reset;
}

uint64_t stat_percentile(const struct exit_stat *st, double p)
{
	uint64_t n = 0, cum = 0, rank;

	for (unsigned i = 0; i < HIST_SLOTS; i++)
		n += st->hist[i];
	if (!n || p <= 0)
		return 0;
	if (p > 100)
		p = 100;
	rank = (uint64_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HIST_SLOTS; i++) {
		if (!st->hist[i] || cum + st->hist[i] < rank) {
			cum += st->hist[i];
			continue;
		}
		double lo = (double)hist_slot_low(i);
		double width = (double)hist_slot_high(i) + 1.0 - lo;
		double v = lo + width * (double)(rank - cum) / (double)st->hist[i];
		uint64_t r = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
		if (r < st->min_ns)
			r = st->min_ns;
		if (r > st->max_ns)
			r = st->max_ns;
		return r;
	}
	return st->max_ns;
}

/* A snapshot made from another one means its codes the same way. */
static void carry_kvm(struct snapshot *dst, const struct snapshot *src)
{
	if (!dst->kvm)
		snapshot_set_kvm(dst, src->kvm);
}

int snapshot_merge(struct snapshot *dst, const struct snapshot *src)
{
	carry_kvm(dst, src);
	if (src->rips && (!rips_of(dst) || snapshot_merge(dst->rips, src->rips)))
		return -ENOMEM;
	for (size_t i = 0; i < src->cap; i++) {
		const struct snap_entry *e = &src->slots[i];
		if (!e->used)
			continue;
		struct exit_stat *st = snapshot_get(dst, &e->key);
		if (!st)
			return -ENOMEM;
		stat_merge(st, &e->st);
	}
	for (size_t i = 0; i < src->nnames; i++)
		if (!snapshot_name(dst, src->names[i].pid, src->names[i].start) &&
		    snapshot_set_name(dst, src->names[i].pid, src->names[i].start, src->names[i].name))
			return -ENOMEM;
	return 0;
}

int snapshot_keep(struct snapshot *s, bool (*keep)(const struct exit_key *k, void *ctx), void *ctx)
{
	struct snapshot kept;
	snapshot_init(&kept);
	if (s->rips && snapshot_keep(s->rips, keep, ctx))
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		const struct snap_entry *e = &s->slots[i];
		if (!e->used || !keep(&e->key, ctx))
			continue;
		struct exit_stat *st = snapshot_get(&kept, &e->key);
		if (!st) {
			snapshot_free(&kept);
			return -ENOMEM;
		}
		*st = e->st;
	}
	/* (names stay: they are the VMs', not the keys'; so does the meaning
	 * of the codes) */
	struct vm_name *names = s->names;
	size_t nnames = s->nnames, names_cap = s->names_cap;
	struct kvm_counters *kvm = s->kvm;
	struct snapshot *rips = s->rips;
	s->names = NULL;
	s->nnames = s->names_cap = 0;
	s->kvm = NULL;
	s->rips = NULL;
	snapshot_free(s);
	*s = kept;
	s->rips = rips;
	s->names = names;
	s->nnames = nnames;
	s->names_cap = names_cap;
	s->kvm = kvm;
	return 0;
}

bool exit_key_of_vcpu(const struct exit_key *k, void *ctx)
{
	return k->vcpu == *(const int32_t *)ctx;
}

/* a - b for one counter of cumulative snapshots; a restarted source (a < b)
 * counts from zero again, so its whole value is the delta. */
static uint64_t delta(uint64_t a, uint64_t b, bool *reset)
{
	if (a >= b)
		return a - b;
	*reset = true;
	return a;
}

static void stat_diff(struct exit_stat *out, const struct exit_stat *cur, const struct exit_stat *prev)
{
	bool reset = false;
	uint64_t lo_slot = HIST_SLOTS, hi_slot = 0;

	out->count = delta(cur->count, prev->count, &reset);
	out->timed = delta(cur->timed, prev->timed, &reset);
	out->sum_ns = delta(cur->sum_ns, prev->sum_ns, &reset);
	for (unsigned i = 0; i < HIST_SLOTS; i++) {
		out->hist[i] = delta(cur->hist[i], prev->hist[i], &reset);
		if (out->hist[i]) {
			if (lo_slot == HIST_SLOTS)
				lo_slot = i;
			hi_slot = i;
		}
	}
	if (reset) {
		/* The source restarted: everything it has now is new. */
		*out = *cur;
		out->reset = true;
		return;
	}
	out->saturated = cur->saturated;
	if (out->timed) {
		/* Interval min/max are not subtractable: bound the lifetime
		 * extremes by the interval's own histogram slots. */
		out->min_ns = cur->min_ns > hist_slot_low((unsigned)lo_slot) ? cur->min_ns
									    : hist_slot_low((unsigned)lo_slot);
		out->max_ns = cur->max_ns < hist_slot_high((unsigned)hi_slot) ? cur->max_ns
									     : hist_slot_high((unsigned)hi_slot);
		if (out->min_ns > out->max_ns)
			out->min_ns = out->max_ns;
	}
}

void stat_remove(struct exit_stat *dst, const struct exit_stat *part)
{
	struct exit_stat out;
	memset(&out, 0, sizeof(out));
	stat_diff(&out, dst, part);
	if (out.reset) { /* more removed than there was: none left */
		memset(dst, 0, sizeof(*dst));
		return;
	}
	*dst = out;
}

int snapshot_diff(struct snapshot *out, const struct snapshot *cur, const struct snapshot *prev)
{
	static const struct exit_stat zero;
	static const struct snapshot none;

	carry_kvm(out, cur);
	if (cur->rips && (!rips_of(out) || snapshot_diff(out->rips, cur->rips, prev->rips ? prev->rips : &none)))
		return -ENOMEM;
	for (size_t i = 0; i < cur->cap; i++) {
		const struct snap_entry *e = &cur->slots[i];
		if (!e->used)
			continue;
		const struct exit_stat *p = snapshot_find(prev, &e->key);
		struct exit_stat d;
		memset(&d, 0, sizeof(d));
		stat_diff(&d, &e->st, p ? p : &zero);
		if (!d.count && !d.timed)
			continue;
		struct exit_stat *st = snapshot_get(out, &e->key);
		if (!st)
			return -ENOMEM;
		*st = d;
	}
	for (size_t i = 0; i < cur->nnames; i++)
		if (snapshot_set_name(out, cur->names[i].pid, cur->names[i].start, cur->names[i].name))
			return -ENOMEM;
	return 0;
}

/* out = src with its keys mapped: summed by `by`, and with fold their
 * details dropped. */
static int regroup(struct snapshot *out, const struct snapshot *src, enum aggregate_by by, bool fold)
{
	carry_kvm(out, src);
	if (src->rips && (!rips_of(out) || regroup(out->rips, src->rips, by, fold)))
		return -ENOMEM;
	for (size_t i = 0; i < src->cap; i++) {
		const struct snap_entry *e = &src->slots[i];
		if (!e->used)
			continue;
		struct exit_key k = e->key;
		if (by == BY_REASON) {
			k.pid = PID_ALL;
			k.start = 0;
		}
		if (by != BY_VCPU) {
			k.vcpu = VCPU_ALL;
			k.tid = 0;
		}
		if (fold)
			k.detail = 0;
		struct exit_stat *st = snapshot_get(out, &k);
		if (!st)
			return -ENOMEM;
		stat_merge(st, &e->st);
	}
	for (size_t i = 0; i < src->nnames; i++)
		if (snapshot_set_name(out, src->names[i].pid, src->names[i].start, src->names[i].name))
			return -ENOMEM;
	return 0;
}

int snapshot_aggregate(struct snapshot *out, const struct snapshot *src, enum aggregate_by by)
{
	return regroup(out, src, by, false);
}

int snapshot_fold_details(struct snapshot *out, const struct snapshot *src)
{
	return regroup(out, src, BY_VCPU, true);
}

/* Keys in an order of their fields but the detail (-1, 0, 1). */
static int cmp_but_detail(const struct exit_key *a, const struct exit_key *b)
{
#define CMP(f) \
	if (a->f != b->f) \
		return a->f < b->f ? -1 : 1
	CMP(pid);
	CMP(start);
	CMP(vcpu);
	CMP(tid);
	CMP(isa);
	CMP(reason);
#undef CMP
	return 0;
}

/* Entries grouped by their key but the detail, each group's most frequent
 * first. */
static int cmp_by_detail_count(const void *pa, const void *pb)
{
	const struct snap_entry *a = *(const struct snap_entry *const *)pa;
	const struct snap_entry *b = *(const struct snap_entry *const *)pb;
	int c = cmp_but_detail(&a->key, &b->key);
	if (c)
		return c;
	if (a->st.count != b->st.count)
		return a->st.count > b->st.count ? -1 : 1;
	return a->key.detail < b->key.detail ? -1 : a->key.detail > b->key.detail;
}

int snapshot_top_details(struct snapshot *out, const struct snapshot *src, unsigned top)
{
	size_t n = 0;
	const struct snap_entry **v = snapshot_entries(src, &n);
	if (n && !v)
		return -ENOMEM;
	if (n)
		qsort(v, n, sizeof(*v), cmp_by_detail_count);
	carry_kvm(out, src);
	unsigned rank = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && cmp_but_detail(&v[i - 1]->key, &v[i]->key))
			rank = 0; /* the next key's details */
		struct exit_key k = v[i]->key;
		if (rank++ >= top)
			k.detail = (uint64_t)DETAIL_OTHER << DETAIL_KIND_SHIFT;
		struct exit_stat *st = snapshot_get(out, &k);
		if (!st) {
			free(v);
			return -ENOMEM;
		}
		stat_merge(st, &v[i]->st);
	}
	free(v);
	for (size_t i = 0; i < src->nnames; i++)
		if (snapshot_set_name(out, src->names[i].pid, src->names[i].start, src->names[i].name))
			return -ENOMEM;
	return 0;
}

struct exit_stat *snapshot_get_rip(struct snapshot *s, const struct exit_key *k)
{
	return rips_of(s) ? snapshot_get(s->rips, k) : NULL;
}

/* The same exits but for the RIP. */
static bool same_but_rip(const struct exit_key *a, const struct exit_key *b)
{
	struct exit_key x = *a;
	x.rip = b->rip;
	x.ring = b->ring;
	return key_eq(&x, b);
}

size_t snapshot_top_rips(const struct snapshot *s, const struct exit_key *key, const struct snap_entry **v,
			 size_t top)
{
	const struct snap_entry *e;
	size_t n = 0;

	if (!s->rips || !top)
		return 0;
	/* (one pass, an insertion into the few kept: top is small) */
	for (size_t i = 0; (e = snapshot_next(s->rips, &i));) {
		if (!e->st.count || !same_but_rip(&e->key, key))
			continue;
		size_t j = n < top ? n++ : top;
		while (j > 0 && (v[j - 1]->st.count < e->st.count ||
				 (v[j - 1]->st.count == e->st.count && v[j - 1]->key.rip > e->key.rip))) {
			if (j < top)
				v[j] = v[j - 1];
			j--;
		}
		if (j < top)
			v[j] = e;
	}
	return n;
}

bool snapshot_has_details(const struct snapshot *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].used && s->slots[i].key.detail)
			return true;
	return false;
}

void snapshot_total(const struct snapshot *s, struct exit_stat *total)
{
	memset(total, 0, sizeof(*total));
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].used && snapshot_in_total(s, &s->slots[i].key))
			stat_merge(total, &s->slots[i].st);
}

bool snapshot_saturated(const struct snapshot *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].used && s->slots[i].st.saturated)
			return true;
	return false;
}

int snapshot_set_name(struct snapshot *s, uint32_t pid, uint64_t start, const char *name)
{
	struct vm_name *v = NULL;

	for (size_t i = 0; i < s->nnames; i++)
		if (s->names[i].pid == pid && s->names[i].start == start)
			v = &s->names[i];
	if (!v) {
		if (s->nnames == s->names_cap) {
			size_t ncap = s->names_cap ? s->names_cap * 2 : 8;
			struct vm_name *n = realloc(s->names, ncap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			s->names = n;
			s->names_cap = ncap;
		}
		v = &s->names[s->nnames++];
		v->pid = pid;
		v->start = start;
	}
	text_safe(v->name, sizeof(v->name), name); /* names are data: see text.h */
	return 0;
}

void snapshot_set_kvm(struct snapshot *s, struct kvm_counters *kc)
{
	if (kc == s->kvm)
		return;
	kvm_counters_unref(s->kvm);
	s->kvm = kvm_counters_ref(kc);
}

char *snapshot_reason_name(const struct snapshot *s, const struct exit_key *k, char *buf, size_t len)
{
	const char *name = k->isa == ISA_KVM ? kvm_counters_name(s->kvm, k->reason) : NULL;
	if (name && len)
		snprintf(buf, len, "%s", name);
	return name ? buf : reason_format((enum isa)k->isa, k->reason, buf, len);
}

bool snapshot_in_total(const struct snapshot *s, const struct exit_key *k)
{
	return k->isa != ISA_KVM || kvm_counters_in_total(s->kvm, k->reason);
}

const char *snapshot_name(const struct snapshot *s, uint32_t pid, uint64_t start)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (s->names[i].pid == pid && s->names[i].start == start)
			return s->names[i].name;
	return NULL;
}

const struct snap_entry *snapshot_next(const struct snapshot *s, size_t *pos)
{
	while (*pos < s->cap) {
		const struct snap_entry *e = &s->slots[(*pos)++];
		if (e->used)
			return e;
	}
	return NULL;
}

const struct snap_entry **snapshot_entries(const struct snapshot *s, size_t *n)
{
	const struct snap_entry **v;
	size_t j = 0;

	*n = 0;
	if (!s->len)
		return NULL;
	v = malloc(s->len * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].used)
			v[j++] = &s->slots[i];
	*n = j;
	return v;
}
