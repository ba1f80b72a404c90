/* The record store's slow exits (record --slow): written with their
 * interval, read back whole, by window, and from a store without them. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/kvmexitstat-store-XXXXXX");
	int fd = mkstemp(path);
	close(fd);
	unlink(path); /* a new store */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char wal[80];
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	return 0;
}

static struct slow_exit slow(uint32_t vcpu, uint64_t when_ns, uint64_t ns, uint64_t rip, uint8_t ring)
{
	struct slow_exit e = { 0 };
	e.key.pid = 4242;
	e.key.start = 77;
	e.key.vcpu = (int32_t)vcpu;
	e.key.isa = ISA_SVM;
	e.key.reason = 0x7b;
	e.key.detail = 0x123456789abcull;
	e.key.rip = rip;
	e.key.ring = ring;
	e.when_ns = when_ns;
	e.ns = ns;
	e.sched_ns = ns / 2;
	e.tid = 4300 + vcpu;
	e.exit_cpu = 1;
	e.entry_cpu = 0;
	return e;
}

static void write_two_intervals(void)
{
	struct store *st;
	char err[256];
	char *argv[] = { "record", "--slow", "1ms" };
	struct store_run run = { "test", 1.0, 1000000000ull, 3, argv, NULL };
	assert_int_equal(store_create(&st, path, &run, err, sizeof(err)), 0);
	struct snapshot d;
	snapshot_init(&d);
	struct exit_key k = { 0 };
	k.pid = 4242;
	k.start = 77;
	k.isa = ISA_SVM;
	k.reason = 0x7b;
	struct exit_stat *s = snapshot_get(&d, &k);
	assert_non_null(s);
	stat_add_count(s, 3);
	struct slow_exit first[2] = { slow(0, 1500000000ull, 5000000, 0xffffffff81000040ull, RING_KERNEL),
				      slow(1, 1600000000ull, 7000000, 0, RING_UNKNOWN) };
	assert_int_equal(store_append(st, 1000000000ull, 2000000000ull, &d, NULL, first, 2, err, sizeof(err)), 0);
	struct slow_exit second = slow(1, 2500000000ull, 9000000, 0x4010, RING_USER);
	assert_int_equal(store_append(st, 2000000000ull, 3000000000ull, &d, NULL, &second, 1, err, sizeof(err)), 0);
	snapshot_free(&d);
	store_close(st);
}

static void slow_exits_round_trip(void **state)
{
	(void)state;
	write_two_intervals();
	struct slow_exit *v = NULL;
	size_t n = 0;
	char err[256];
	assert_int_equal(store_read_slow(path, NULL, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	struct slow_exit want = slow(0, 1500000000ull, 5000000, 0xffffffff81000040ull, RING_KERNEL);
	/* field by field: the key's padding is not part of it */
	assert_int_equal(v[0].key.pid, want.key.pid);
	assert_int_equal(v[0].key.start, want.key.start);
	assert_int_equal(v[0].key.vcpu, want.key.vcpu);
	assert_int_equal(v[0].key.isa, want.key.isa);
	assert_int_equal(v[0].key.reason, want.key.reason);
	assert_int_equal(v[0].key.detail, want.key.detail);
	assert_int_equal(v[0].key.rip, want.key.rip);
	assert_int_equal(v[0].key.ring, want.key.ring);
	assert_int_equal(v[0].when_ns, want.when_ns);
	assert_int_equal(v[0].ns, want.ns);
	assert_int_equal(v[0].sched_ns, want.sched_ns);
	assert_int_equal(v[0].tid, want.tid);
	assert_int_equal(v[0].exit_cpu, 1);
	assert_int_equal(v[0].entry_cpu, 0);
	assert_int_equal(v[1].key.vcpu, 1);
	assert_int_equal(v[1].key.rip, 0); /* not known: NULL, read as 0 */
	assert_int_equal(v[1].key.ring, RING_UNKNOWN);
	assert_int_equal(v[2].key.rip, 0x4010);
	assert_int_equal(v[2].key.ring, RING_USER);

	/* appended to what is there; a window of the second interval only */
	struct store_window w = { 0 };
	assert_int_equal(store_window_option('F', "1", &w, err, sizeof(err)), 0);
	assert_int_equal(store_read_slow(path, &w, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[3].when_ns, 2500000000ull);
	free(v);
}

/* a store of before record --slow has no such table: none, no error */
static void store_without_slow_exits(void **state)
{
	(void)state;
	write_two_intervals();
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE slow_exits", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct slow_exit *v = NULL;
	size_t n = 0;
	char err[256];
	assert_int_equal(store_read_slow(path, NULL, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
	/* and a file that is no store is refused, with its name */
	FILE *f = fopen(path, "w");
	fputs("not a database\n", f);
	fclose(f);
	assert_int_equal(store_read_slow(path, NULL, &v, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(slow_exits_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(store_without_slow_exits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
