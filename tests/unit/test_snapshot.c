/* The model: counts, histograms, merge, diff, aggregation, percentiles. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot.h"

static struct exit_key key(uint32_t pid, int32_t vcpu, enum isa isa, uint64_t reason)
{
	struct exit_key k = { pid, vcpu, 0, (uint8_t)isa, reason, 0, 0, 0, 0 };
	return k;
}

static void add(struct snapshot *s, struct exit_key k, uint64_t count, const uint64_t *ns, size_t nns)
{
	struct exit_stat *st = snapshot_get(s, &k);
	assert_non_null(st);
	stat_add_count(st, count);
	for (size_t i = 0; i < nns; i++)
		stat_add_time(st, ns[i]);
}

static void slots(void **state)
{
	(void)state;
	assert_int_equal(hist_slot(0), 0);
	assert_int_equal(hist_slot(1), 0);
	assert_int_equal(hist_slot(2), 1);
	assert_int_equal(hist_slot(3), 1);
	assert_int_equal(hist_slot(4), 2);
	assert_int_equal(hist_slot(1023), 9);
	assert_int_equal(hist_slot(1024), 10);
	assert_int_equal(hist_slot(UINT64_MAX), 63);
	assert_int_equal(hist_slot_low(10), 1024);
	assert_int_equal(hist_slot_high(10), 2047);
	assert_true(hist_slot_high(63) == UINT64_MAX);
}

static void counts_and_times(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	uint64_t t[] = { 100, 200, 300, 1000 };
	add(&s, key(10, 0, ISA_VMX, 10), 5, t, 4);
	const struct exit_stat *st = snapshot_find(&s, &(struct exit_key){ 10, 0, 0, ISA_VMX, 10, 0, 0, 0, 0 });
	assert_non_null(st);
	assert_int_equal(st->count, 5);
	assert_int_equal(st->timed, 4);
	assert_int_equal(st->sum_ns, 1600);
	assert_int_equal(st->min_ns, 100);
	assert_int_equal(st->max_ns, 1000);
	assert_int_equal(st->hist[6], 1);  /* 100 in [64,128) */
	assert_int_equal(st->hist[7], 1);  /* 200 in [128,256) */
	assert_int_equal(st->hist[8], 1);  /* 300 in [256,512) */
	assert_int_equal(st->hist[9], 1);  /* 1000 in [512,1024) */
	assert_null(snapshot_find(&s, &(struct exit_key){ 10, 1, 0, ISA_VMX, 10, 0, 0, 0, 0 }));
	snapshot_free(&s);
}

/* Percentiles, worked by hand from the rule in stats.h:
 * rank = ceil(p/100*n); inside the slot holding it,
 * value = low + width * (rank - before) / in_slot; clamp to [min, max]. */
static void percentiles(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	uint64_t a[] = { 100, 200, 300, 1000 };
	add(&s, key(1, 0, ISA_VMX, 10), 4, a, 4);
	const struct exit_stat *st = snapshot_find(&s, &(struct exit_key){ 1, 0, 0, ISA_VMX, 10, 0, 0, 0, 0 });
	/* p50: rank 2 -> slot 7 [128,256), 1 before, 1 in: 128 + 128*1/1 = 256 */
	assert_int_equal(stat_percentile(st, 50), 256);
	/* p25: rank 1 -> slot 6 [64,128): 64 + 64 = 128 */
	assert_int_equal(stat_percentile(st, 25), 128);
	/* p90: rank ceil(3.6) = 4 -> slot 9: 512 + 512 = 1024, clamped to max 1000 */
	assert_int_equal(stat_percentile(st, 90), 1000);
	assert_int_equal(stat_percentile(st, 99), 1000);

	uint64_t b[] = { 65, 70, 100, 120 }; /* all in slot 6 [64,128) */
	add(&s, key(1, 0, ISA_VMX, 12), 4, b, 4);
	st = snapshot_find(&s, &(struct exit_key){ 1, 0, 0, ISA_VMX, 12, 0, 0, 0, 0 });
	assert_int_equal(stat_percentile(st, 50), 96);  /* 64 + 64*2/4 */
	assert_int_equal(stat_percentile(st, 25), 80);  /* 64 + 64*1/4 */
	assert_int_equal(stat_percentile(st, 75), 112); /* 64 + 64*3/4 */
	assert_int_equal(stat_percentile(st, 90), 120); /* 128 clamped to max */
	assert_int_equal(stat_percentile(st, 1), 80);   /* rank ceil(0.04) = 1, as p25 */
	snapshot_free(&s);
}

static void percentile_empty(void **state)
{
	(void)state;
	struct exit_stat st;
	memset(&st, 0, sizeof(st));
	st.count = 7; /* counted, never timed */
	assert_int_equal(stat_percentile(&st, 50), 0);
	assert_int_equal(stat_percentile(&st, 99), 0);
}

static void merge(void **state)
{
	(void)state;
	struct snapshot a, b;
	snapshot_init(&a);
	snapshot_init(&b);
	uint64_t ta[] = { 50, 60 }, tb[] = { 10, 5000 };
	add(&a, key(1, 0, ISA_SVM, 0x72), 3, ta, 2);
	add(&b, key(1, 0, ISA_SVM, 0x72), 4, tb, 2);
	add(&b, key(2, 1, ISA_SVM, 0x78), 1, NULL, 0);
	snapshot_set_name(&b, 2, 0, "guest-b");
	assert_int_equal(snapshot_merge(&a, &b), 0);
	assert_int_equal(a.len, 2);
	const struct exit_stat *st = snapshot_find(&a, &(struct exit_key){ 1, 0, 0, ISA_SVM, 0x72, 0, 0, 0, 0 });
	assert_int_equal(st->count, 7);
	assert_int_equal(st->timed, 4);
	assert_int_equal(st->sum_ns, 5120);
	assert_int_equal(st->min_ns, 10);
	assert_int_equal(st->max_ns, 5000);
	assert_string_equal(snapshot_name(&a, 2, 0), "guest-b");
	snapshot_free(&a);
	snapshot_free(&b);
}

static void diff(void **state)
{
	(void)state;
	struct snapshot prev, cur, d;
	snapshot_init(&prev);
	snapshot_init(&cur);
	snapshot_init(&d);
	uint64_t t1[] = { 100, 100 }, t2[] = { 100, 100, 3000 };
	add(&prev, key(1, 0, ISA_VMX, 10), 10, t1, 2);
	add(&prev, key(1, 0, ISA_VMX, 12), 5, NULL, 0);
	add(&cur, key(1, 0, ISA_VMX, 10), 25, t2, 3);     /* +15, one more timed */
	add(&cur, key(1, 0, ISA_VMX, 12), 5, NULL, 0);    /* unchanged: left out */
	add(&cur, key(1, 0, ISA_VMX, 30), 2, NULL, 0);    /* new */
	assert_int_equal(snapshot_diff(&d, &cur, &prev), 0);
	assert_int_equal(d.len, 2);
	const struct exit_stat *st = snapshot_find(&d, &(struct exit_key){ 1, 0, 0, ISA_VMX, 10, 0, 0, 0, 0 });
	assert_int_equal(st->count, 15);
	assert_int_equal(st->timed, 1);
	assert_int_equal(st->sum_ns, 3000);
	assert_int_equal(st->hist[11], 1);
	assert_int_equal(st->min_ns, 2048); /* bounded by the interval's only slot */
	assert_int_equal(st->max_ns, 3000);
	assert_false(st->reset);
	assert_null(snapshot_find(&d, &(struct exit_key){ 1, 0, 0, ISA_VMX, 12, 0, 0, 0, 0 }));
	assert_int_equal(snapshot_find(&d, &(struct exit_key){ 1, 0, 0, ISA_VMX, 30, 0, 0, 0, 0 })->count, 2);

	/* a counter that went backwards: the source restarted */
	snapshot_clear(&d);
	assert_int_equal(snapshot_diff(&d, &prev, &cur), 0);
	st = snapshot_find(&d, &(struct exit_key){ 1, 0, 0, ISA_VMX, 10, 0, 0, 0, 0 });
	assert_int_equal(st->count, 10);
	assert_true(st->reset);
	snapshot_free(&prev);
	snapshot_free(&cur);
	snapshot_free(&d);
}

static void aggregate(void **state)
{
	(void)state;
	struct snapshot s, by_vm, by_reason;
	snapshot_init(&s);
	snapshot_init(&by_vm);
	snapshot_init(&by_reason);
	add(&s, key(100, 0, ISA_VMX, 10), 3, NULL, 0);
	add(&s, key(100, 1, ISA_VMX, 10), 4, NULL, 0);
	add(&s, key(200, 0, ISA_VMX, 10), 5, NULL, 0);
	add(&s, key(200, 0, ISA_VMX, 48), 6, NULL, 0);
	assert_int_equal(snapshot_aggregate(&by_vm, &s, BY_VM), 0);
	assert_int_equal(by_vm.len, 3);
	assert_int_equal(snapshot_find(&by_vm, &(struct exit_key){ 100, VCPU_ALL, 0, ISA_VMX, 10, 0, 0, 0, 0 })->count, 7);
	assert_int_equal(snapshot_find(&by_vm, &(struct exit_key){ 200, VCPU_ALL, 0, ISA_VMX, 10, 0, 0, 0, 0 })->count, 5);
	assert_int_equal(snapshot_aggregate(&by_reason, &s, BY_REASON), 0);
	assert_int_equal(by_reason.len, 2);
	assert_int_equal(snapshot_find(&by_reason, &(struct exit_key){ PID_ALL, VCPU_ALL, 0, ISA_VMX, 10, 0, 0, 0, 0 })->count, 12);
	assert_int_equal(snapshot_find(&by_reason, &(struct exit_key){ PID_ALL, VCPU_ALL, 0, ISA_VMX, 48, 0, 0, 0, 0 })->count, 6);
	struct exit_stat total;
	snapshot_total(&s, &total);
	assert_int_equal(total.count, 18);
	snapshot_free(&s);
	snapshot_free(&by_vm);
	snapshot_free(&by_reason);
}

static void saturation(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	add(&s, key(1, 0, ISA_VMX, 10), UINT64_MAX - 1, NULL, 0);
	assert_false(snapshot_saturated(&s));
	add(&s, key(1, 0, ISA_VMX, 10), 5, NULL, 0);
	const struct exit_stat *st = snapshot_find(&s, &(struct exit_key){ 1, 0, 0, ISA_VMX, 10, 0, 0, 0, 0 });
	assert_true(st->count == UINT64_MAX); /* stops, never wraps to 3 */
	assert_true(st->saturated);
	assert_true(snapshot_saturated(&s));
	snapshot_free(&s);
}

static void many_keys(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	for (uint32_t pid = 1; pid <= 50; pid++)
		for (int32_t v = 0; v < 8; v++)
			for (uint64_t r = 0; r < 20; r++)
				add(&s, key(pid, v, ISA_VMX, r), pid + (uint64_t)v + r, NULL, 0);
	assert_int_equal(s.len, 50 * 8 * 20);
	for (uint32_t pid = 1; pid <= 50; pid++)
		for (int32_t v = 0; v < 8; v++)
			for (uint64_t r = 0; r < 20; r++)
				assert_int_equal(snapshot_find(&s, &(struct exit_key){ pid, v, 0, ISA_VMX, r, 0, 0, 0, 0 })->count,
						 pid + (uint64_t)v + r);
	size_t n;
	const struct snap_entry **v = snapshot_entries(&s, &n);
	assert_int_equal(n, 8000);
	free(v);
	snapshot_free(&s);
}

/* snapshot_keep: the keys a predicate keeps, with their stats; names stay */
static void keep(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	for (int32_t v = 0; v < 40; v++) {
		struct exit_key k = { .pid = 7, .vcpu = v % 4, .isa = ISA_VMX, .reason = (uint64_t)v };
		add(&s, k, (uint64_t)v + 1, NULL, 0);
	}
	assert_int_equal(snapshot_set_name(&s, 7, 0, "vm7"), 0);
	int32_t two = 2;
	assert_int_equal(snapshot_keep(&s, exit_key_of_vcpu, &two), 0);
	assert_int_equal(s.len, 10);
	struct exit_stat total;
	snapshot_total(&s, &total);
	uint64_t want = 0;
	for (int v = 2; v < 40; v += 4)
		want += (uint64_t)v + 1;
	assert_int_equal(total.count, want);
	struct exit_key k = { .pid = 7, .vcpu = 2, .isa = ISA_VMX, .reason = 6 };
	assert_non_null(snapshot_find(&s, &k));
	k.vcpu = 1;
	k.reason = 5;
	assert_null(snapshot_find(&s, &k));
	assert_string_equal(snapshot_name(&s, 7, 0), "vm7");
	/* snapshot_next visits each entry once */
	size_t seen = 0, pos = 0;
	uint64_t sum = 0;
	for (const struct snap_entry *e; (e = snapshot_next(&s, &pos)); seen++)
		sum += e->st.count;
	assert_int_equal(seen, 10);
	assert_int_equal(sum, want);
	assert_null(snapshot_next(&s, &pos));
	/* and the snapshot still takes keys */
	add(&s, k, 3, NULL, 0);
	assert_int_equal(s.len, 11);
	snapshot_free(&s);
}

/* KVM's counter names and the TOTAL rule travel with the snapshot through
 * every operation that makes one snapshot from another. */
static void kvm_counters_travel(void **state)
{
	(void)state;
	const char *names[] = { "halt_exits", "exits", "pf_fixed" };
	char buf[REASON_NAME_MAX];
	struct kvm_counters *kc = kvm_counters_new(names, 3, true);
	struct snapshot s, d, a, m, empty;
	snapshot_init(&s);
	snapshot_init(&d);
	snapshot_init(&a);
	snapshot_init(&m);
	snapshot_init(&empty);
	assert_non_null(kc);
	snapshot_set_kvm(&s, kc);
	kvm_counters_unref(kc);
	add(&s, key(7, 0, ISA_KVM, 0), 3, NULL, 0);
	add(&s, key(7, 0, ISA_KVM, 1), 10, NULL, 0);
	add(&s, key(7, 0, ISA_KVM, 2), 4, NULL, 0);
	add(&s, key(7, 0, ISA_SVM, 0x72), 5, NULL, 0);
	struct exit_key k1 = key(7, 0, ISA_KVM, 1), k2 = key(7, 0, ISA_KVM, 2), k9 = key(7, 0, ISA_KVM, 9);
	assert_string_equal(snapshot_reason_name(&s, &k1, buf, sizeof(buf)), "exits");
	assert_string_equal(snapshot_reason_name(&s, &k9, buf, sizeof(buf)), "stat(9)");
	assert_true(snapshot_in_total(&s, &k1));
	assert_false(snapshot_in_total(&s, &k2));
	struct exit_stat total;
	snapshot_total(&s, &total);
	assert_int_equal(total.count, 15); /* "exits" + the hardware reason */
	/* a snapshot without the table knows no names and no "exits" */
	assert_string_equal(snapshot_reason_name(&empty, &k1, buf, sizeof(buf)), "stat(1)");
	assert_false(snapshot_in_total(&empty, &k1));
	assert_int_equal(snapshot_diff(&d, &s, &empty), 0);
	assert_int_equal(snapshot_aggregate(&a, &s, BY_REASON), 0);
	assert_int_equal(snapshot_merge(&m, &s), 0);
	assert_int_equal(snapshot_keep(&s, exit_key_of_vcpu, &(int32_t){ 0 }), 0);
	snapshot_clear(&s);
	struct exit_key ka = key(PID_ALL, VCPU_ALL, ISA_KVM, 2);
	assert_string_equal(snapshot_reason_name(&d, &k2, buf, sizeof(buf)), "pf_fixed");
	assert_string_equal(snapshot_reason_name(&a, &ka, buf, sizeof(buf)), "pf_fixed");
	assert_string_equal(snapshot_reason_name(&m, &k2, buf, sizeof(buf)), "pf_fixed");
	assert_string_equal(snapshot_reason_name(&s, &k2, buf, sizeof(buf)), "pf_fixed");
	snapshot_free(&s); /* the others still hold the table */
	assert_string_equal(snapshot_reason_name(&d, &k1, buf, sizeof(buf)), "exits");
	snapshot_free(&d);
	snapshot_free(&a);
	snapshot_free(&m);
	snapshot_free(&empty);
	/* beside the tracepoint, KVM's "exits" stays out of the totals */
	kc = kvm_counters_new(names, 3, false);
	assert_non_null(kc);
	snapshot_set_kvm(&s, kc);
	kvm_counters_unref(kc);
	assert_false(snapshot_in_total(&s, &k1));
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slots),
		cmocka_unit_test(counts_and_times),
		cmocka_unit_test(percentiles),
		cmocka_unit_test(percentile_empty),
		cmocka_unit_test(merge),
		cmocka_unit_test(diff),
		cmocka_unit_test(aggregate),
		cmocka_unit_test(saturation),
		cmocka_unit_test(many_keys),
		cmocka_unit_test(keep),
		cmocka_unit_test(kvm_counters_travel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
