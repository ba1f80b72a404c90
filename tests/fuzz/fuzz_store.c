/* libFuzzer: the record store reader. An input that starts as an SQLite
 * file is read as one; any other input becomes the values of a valid
 * store's rows (the histogram text, ISA, numbers), which is where the
 * reader trusts what it reads. */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int each(void *ctx, uint64_t s, uint64_t e, const struct snapshot *d)
{
	(void)ctx;
	(void)s;
	(void)e;
	struct exit_stat t;
	snapshot_total(d, &t);
	return 0;
}

static uint64_t take(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *n; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kvmexitstat-fuzz-store-XXXXXX", err[512], side[64];
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (size >= 16 && !memcmp(data, "SQLite format 3", 16)) {
		if (write(fd, data, size) != (ssize_t)size) {
			close(fd);
			unlink(path);
			return 0;
		}
		close(fd);
	} else {
		close(fd);
		unlink(path);
		struct store *st;
		char *argv[] = { "fuzz" };
		struct store_run run = { "fuzz", 1, 1000000000, 1, argv };
		if (store_create(&st, path, &run, err, sizeof(err)))
			return 0;
		store_close(st);
		sqlite3 *db;
		sqlite3_open(path, &db);
		sqlite3_exec(db, "INSERT INTO intervals(run, start_ns, end_ns) VALUES(1, 1000000000, 2000000000);"
				 "INSERT INTO intervals(run, start_ns, end_ns) VALUES(1, 2000000000, 1500000000)",
			     NULL, NULL, NULL);
		sqlite3_stmt *q;
		sqlite3_prepare_v2(db, "INSERT INTO exits VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL);
		const uint8_t *p = data;
		size_t n = size;
		static const char *isas[] = { "vmx", "svm", "kvm", "unknown", "" };
		for (int row = 0; row < 4 && n; row++) {
			sqlite3_bind_int64(q, 1, 1 + (int64_t)(take(&p, &n) & 1));
			sqlite3_bind_int64(q, 2, (int64_t)take(&p, &n));
			sqlite3_bind_int64(q, 3, (int64_t)take(&p, &n));
			sqlite3_bind_int64(q, 4, 0);
			sqlite3_bind_text(q, 5, isas[take(&p, &n) % 5], -1, SQLITE_STATIC);
			for (int c = 6; c <= 11; c++)
				sqlite3_bind_int64(q, c, (int64_t)take(&p, &n));
			size_t h = n < 200 ? n : 200;
			sqlite3_bind_text(q, 12, (const char *)p, (int)h, SQLITE_TRANSIENT);
			p += h;
			n -= h;
			sqlite3_step(q);
			sqlite3_reset(q);
		}
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	struct snapshot s;
	struct store_info info;
	struct store_window w = { .has_to = size & 1, .to_s = 1.5 };
	snapshot_init(&s);
	store_read(path, &w, &s, &info, err, sizeof(err));
	snapshot_free(&s);
	store_each_interval(path, NULL, each, NULL, &info, err, sizeof(err));
	struct slow_exit *slow = NULL;
	size_t nslow = 0;
	store_read_slow(path, &w, &slow, &nslow, err, sizeof(err));
	free(slow);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	return 0;
}
