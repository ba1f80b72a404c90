/* The record store in SQLite. Schema (version 2), for users of sqlite3:
 *
 *   runs(id, started_ns, host, source, interval_s, command)
 *       one per `kvmexitstat record`; a store may hold several
 *   intervals(id, run, start_ns, end_ns)
 *       wall-clock Unix nanoseconds (a trace's own clock for --from-trace)
 *   exits(interval, pid, vcpu, tid, isa, code, count, timed, time_ns,
 *         min_ns, max_ns, hist, start)
 *       what the interval added per (VM process, vCPU, reason): exits,
 *       exits with a handling time, their sum, min and max in ns, and
 *       hist "SLOT:N,...": N exits took [2^SLOT, 2^(SLOT+1)) ns (slot 0:
 *       [0, 2)); vcpu -1 with the thread in tid when the vCPU is not known;
 *       start: the VM process's start (clock ticks since boot, as in
 *       /proc/PID/stat; 0 when not known): with pid, which VM it is
 *   vms(run, pid, start, name)    the VM names seen
 *   reasons(isa, code, name)      names of the codes in exits
 *   exits_named                   a view: exits with start/end, vm and reason
 *   losses(interval, what, count) what the collector could not do in an
 *                                 interval: exits_lost, pairs_lost,
 *                                 filter_full, unnamed_vms (only when > 0)
 *   slow_exits(interval, pid, start, vcpu, tid, isa, code, detail,
 *              when_ns, ns, switched_out_ns, exit_cpu, entry_cpu, rip, ring)
 *       record --slow: each exit of the interval that took at least the
 *       threshold (docs/slow.md): when it exited (wall clock ns), its
 *       handling time and the part its thread was switched out, the CPUs
 *       it exited and entered on, the guest RIP (NULL: not known) and
 *       ring ('kernel', 'user', NULL); a store of schema 3 gets the table
 *       when record appends to it
 *   meta(key, value)              schema version
 *
 * SQLite's integers are signed: codes are stored as int64 (SVM's
 * SVM_EXIT_ERR is -1), and so are details (detail_codes.h: record
 * --detail keeps each reason's top N per interval and "(other)"; 0: none).
 * Version 1 (no start) is read as start 0, versions 1 and 2 (no detail) as
 * detail 0; record appends to a version 2 store after adding the column. */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#define SCHEMA_VERSION "3"

/* One transaction: a recorder killed while it writes the schema leaves an
 * empty database or the whole schema, never some of its tables. */
static const char *schema =
	"PRAGMA journal_mode=WAL;"
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES('schema', '" SCHEMA_VERSION "');"
	"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, started_ns INTEGER NOT NULL, host TEXT NOT NULL,"
	" source TEXT NOT NULL, interval_s REAL NOT NULL, command TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS intervals(id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id),"
	" start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS exits(interval INTEGER NOT NULL REFERENCES intervals(id), pid INTEGER NOT NULL,"
	" vcpu INTEGER NOT NULL, tid INTEGER NOT NULL, isa TEXT NOT NULL, code INTEGER NOT NULL,"
	" count INTEGER NOT NULL, timed INTEGER NOT NULL, time_ns INTEGER NOT NULL, min_ns INTEGER,"
	" max_ns INTEGER, hist TEXT, start INTEGER NOT NULL DEFAULT 0, detail INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS exits_by_interval ON exits(interval);"
	"CREATE TABLE IF NOT EXISTS vms(run INTEGER NOT NULL, pid INTEGER NOT NULL, start INTEGER NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY(run, pid, start));"
	"CREATE TABLE IF NOT EXISTS losses(interval INTEGER NOT NULL REFERENCES intervals(id), what TEXT NOT NULL,"
	" count INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS slow_exits(interval INTEGER NOT NULL REFERENCES intervals(id),"
	" pid INTEGER NOT NULL, start INTEGER NOT NULL, vcpu INTEGER NOT NULL, tid INTEGER NOT NULL,"
	" isa TEXT NOT NULL, code INTEGER NOT NULL, detail INTEGER NOT NULL, when_ns INTEGER NOT NULL,"
	" ns INTEGER NOT NULL, switched_out_ns INTEGER NOT NULL, exit_cpu INTEGER NOT NULL,"
	" entry_cpu INTEGER NOT NULL, rip INTEGER, ring TEXT);"
	"CREATE TABLE IF NOT EXISTS reasons(isa TEXT NOT NULL, code INTEGER NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY(isa, code));"
	"CREATE VIEW IF NOT EXISTS exits_named AS SELECT i.run, i.start_ns, i.end_ns, e.pid, v.name AS vm,"
	" e.vcpu, e.tid, e.isa, e.code, r.name AS reason, e.detail, e.count, e.timed, e.time_ns, e.min_ns, e.max_ns,"
	" e.hist"
	" FROM exits e JOIN intervals i ON i.id = e.interval"
	" LEFT JOIN vms v ON v.run = i.run AND v.pid = e.pid AND v.start = e.start"
	" LEFT JOIN reasons r ON r.isa = e.isa AND r.code = e.code;"
	"COMMIT;";

struct store {
	sqlite3 *db;
	const char *path;
	int64_t run;
	sqlite3_stmt *ins_interval, *ins_exit, *ins_vm, *ins_reason, *ins_loss, *ins_slow;
	uint64_t intervals, rows;
};

__attribute__((format(printf, 3, 4))) static void say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static const char *isa_text(uint8_t isa)
{
	return isa == ISA_KVM ? "kvm" : isa_name((enum isa)isa);
}

static uint8_t isa_from_text(const char *s)
{
	enum isa isa = ISA_UNKNOWN;
	return isa_parse(s, &isa) ? ISA_UNKNOWN : (uint8_t)isa;
}

/* "11:3,12:40": the non-empty slots of a histogram */
static void hist_text(const struct exit_stat *st, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < HIST_SLOTS && n < len; i++)
		if (st->hist[i])
			n += (size_t)snprintf(buf + n, len - n, "%s%u:%llu", n ? "," : "", i,
					      (unsigned long long)st->hist[i]);
}

static int hist_parse(const char *s, struct exit_stat *st)
{
	while (s && *s) {
		char *end;
		errno = 0;
		unsigned long slot = strtoul(s, &end, 10);
		if (errno || *end != ':' || slot >= HIST_SLOTS)
			return -EINVAL;
		unsigned long long n = strtoull(end + 1, &end, 10);
		if (errno || (*end && *end != ','))
			return -EINVAL;
		st->hist[slot] += n;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Whether path (or, for a new file, its directory) can be written: a
 * read-only file system or a missing directory is said plainly rather
 * than as SQLite's "unable to open database file". */
static int writable(const char *path, char *err, size_t errlen)
{
	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) == 0)
			return 0;
	} else {
		char *dir = strdup(path);
		if (!dir)
			return 0;
		char *slash = strrchr(dir, '/');
		int ok = access(slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".", W_OK) == 0;
		free(dir);
		if (ok)
			return 0;
	}
	say(err, errlen, "%s: cannot write the store: %s", path, strerror(errno));
	return -errno;
}

/* What the database at path is: 1 an empty one (a new file), 0 a store
 * (its schema version in *version), else -EINVAL with a message. Only
 * reads: a database that is not ours is refused before anything is
 * written to it. */
static int store_identity(sqlite3 *db, const char *path, int *version, char *err, size_t errlen)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int64(q, 0) == 0) {
		sqlite3_finalize(q);
		return 1;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_ROW)
		rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &q, NULL);
	if (rc != SQLITE_ROW && rc != SQLITE_OK) {
		say(err, errlen, "%s: not a kvmexitstat record store (%s)", path,
		    rc == SQLITE_ERROR ? "no meta table: another application's database" : sqlite3_errmsg(db));
		sqlite3_finalize(q);
		return -EINVAL;
	}
	rc = sqlite3_step(q);
	const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
	*version = v && (!strcmp(v, "1") || !strcmp(v, "2") || !strcmp(v, SCHEMA_VERSION)) ? atoi(v) : 0;
	if (!v)
		say(err, errlen, "%s: not a kvmexitstat record store (its meta table has no schema row)", path);
	else if (!*version)
		say(err, errlen, "%s: a store of another schema version (%.16s; this kvmexitstat reads 1 to %s)", path,
		    v, SCHEMA_VERSION);
	sqlite3_finalize(q); /* v was the statement's */
	return *version ? 0 : -EINVAL;
}

int store_create(struct store **out, const char *path, const struct store_run *run, char *err, size_t errlen)
{
	int w = writable(path, err, errlen);
	if (w)
		return w;
	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->path = path;
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(st->db, 2000);
	if (rc == SQLITE_OK) {
		int version = 0, id = store_identity(st->db, path, &version, err, errlen);
		if (id == 0 && version == 2) {
			/* schema 3 added the detail column: in one transaction,
			 * with the view that shows it */
			rc = sqlite3_exec(st->db,
					  "BEGIN IMMEDIATE; ALTER TABLE exits ADD COLUMN detail INTEGER NOT NULL DEFAULT 0;"
					  "DROP VIEW IF EXISTS exits_named; UPDATE meta SET value = '" SCHEMA_VERSION
					  "' WHERE key = 'schema'; COMMIT;",
					  NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				say(err, errlen, "%s: cannot add schema 3's detail column: %s", path, sqlite3_errmsg(st->db));
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
				store_close(st);
				return -EIO;
			}
			version = atoi(SCHEMA_VERSION);
		}
		if (id == 0 && version != atoi(SCHEMA_VERSION)) {
			say(err, errlen, "%s: a store of schema %d, from an earlier kvmexitstat: report reads it, record "
					 "writes a new file", path, version);
			id = -EINVAL;
		}
		if (id < 0) {
			store_close(st);
			return id;
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL);
	/* an application crash loses nothing committed with WAL and NORMAL;
	 * each interval rewrites a few pages, so the log is folded into the
	 * store every 64 pages and kept under 1 MiB rather than SQLite's 4 MiB */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=64;"
					  "PRAGMA journal_size_limit=1048576", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_stmt *q;
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO runs(started_ns, host, source, interval_s, command) VALUES(?,?,?,?,?)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	char host[256] = "", command[1024] = "kvmexitstat";
	if (run->host)
		snprintf(host, sizeof(host), "%s", run->host);
	else
		gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < run->argc; i++) {
		size_t n = strlen(command);
		snprintf(command + n, sizeof(command) - n, " %s", run->argv[i]);
	}
	sqlite3_bind_int64(q, 1, (int64_t)run->started_ns);
	sqlite3_bind_text(q, 2, host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, run->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(q, 4, run->interval_s);
	sqlite3_bind_text(q, 5, command, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		goto fail;
	st->run = sqlite3_last_insert_rowid(st->db);
	if ((rc = sqlite3_prepare_v2(st->db, "INSERT INTO intervals(run, start_ns, end_ns) VALUES(?,?,?)", -1,
				     &st->ins_interval, NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db, "INSERT INTO exits VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st->ins_exit,
				     NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO vms VALUES(?,?,?,?)", -1, &st->ins_vm, NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO reasons VALUES(?,?,?)", -1, &st->ins_reason,
				     NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db, "INSERT INTO losses VALUES(?,?,?)", -1, &st->ins_loss, NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db, "INSERT INTO slow_exits VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
				     &st->ins_slow, NULL)))
		goto fail;
	*out = st;
	return 0;
fail:
	say(err, errlen, "%s: cannot write the store: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
	store_close(st);
	return -EIO;
}

static int step_reset(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : rc;
}

static int append_rows(struct store *st, int64_t interval, const struct snapshot *delta)
{
	char hist[HIST_SLOTS * 24], name[REASON_NAME_MAX];
	int rc;

	const struct snap_entry *e;
	for (size_t i = 0; (e = snapshot_next(delta, &i));) {
		const struct exit_key *k = &e->key;
		const struct exit_stat *s = &e->st;
		sqlite3_stmt *q = st->ins_exit;
		sqlite3_bind_int64(q, 1, interval);
		sqlite3_bind_int64(q, 2, k->pid);
		sqlite3_bind_int64(q, 3, k->vcpu);
		sqlite3_bind_int64(q, 4, k->tid);
		sqlite3_bind_text(q, 5, isa_text(k->isa), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, (int64_t)k->reason);
		sqlite3_bind_int64(q, 7, (int64_t)s->count);
		sqlite3_bind_int64(q, 8, (int64_t)s->timed);
		sqlite3_bind_int64(q, 9, (int64_t)s->sum_ns);
		if (s->timed) {
			hist_text(s, hist, sizeof(hist));
			sqlite3_bind_int64(q, 10, (int64_t)s->min_ns);
			sqlite3_bind_int64(q, 11, (int64_t)s->max_ns);
			sqlite3_bind_text(q, 12, hist, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(q, 13, (int64_t)k->start);
		sqlite3_bind_int64(q, 14, (int64_t)k->detail);
		if ((rc = step_reset(q)))
			return rc;
		q = st->ins_reason;
		sqlite3_bind_text(q, 1, isa_text(k->isa), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)k->reason);
		sqlite3_bind_text(q, 3, snapshot_reason_name(delta, k, name, sizeof(name)), -1,
				  SQLITE_STATIC);
		if ((rc = step_reset(q)))
			return rc;
		st->rows++;
	}
	for (size_t i = 0; i < delta->nnames; i++) {
		sqlite3_stmt *q = st->ins_vm;
		sqlite3_bind_int64(q, 1, st->run);
		sqlite3_bind_int64(q, 2, delta->names[i].pid);
		sqlite3_bind_int64(q, 3, (int64_t)delta->names[i].start);
		sqlite3_bind_text(q, 4, delta->names[i].name, -1, SQLITE_STATIC);
		if ((rc = step_reset(q)))
			return rc;
	}
	return 0;
}

/* The losses of an interval, one row per kind that happened. */
static int append_losses(struct store *st, int64_t interval, const struct health *lost)
{
	int rc = SQLITE_OK;
	for (int i = 0; lost && i < H_COUNT && rc == SQLITE_OK; i++) {
		if (!lost->n[i] || !health_is_loss(i))
			continue;
		sqlite3_bind_int64(st->ins_loss, 1, interval);
		sqlite3_bind_text(st->ins_loss, 2, health_key(i), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->ins_loss, 3, (int64_t)lost->n[i]);
		rc = step_reset(st->ins_loss);
	}
	return rc;
}

/* The slow exits of an interval, a row each. */
static int append_slow(struct store *st, int64_t interval, const struct slow_exit *v, size_t n)
{
	int rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		const struct slow_exit *e = &v[i];
		sqlite3_stmt *q = st->ins_slow;
		sqlite3_bind_int64(q, 1, interval);
		sqlite3_bind_int64(q, 2, e->key.pid);
		sqlite3_bind_int64(q, 3, (int64_t)e->key.start);
		sqlite3_bind_int64(q, 4, e->key.vcpu);
		sqlite3_bind_int64(q, 5, e->tid);
		sqlite3_bind_text(q, 6, isa_text(e->key.isa), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, (int64_t)e->key.reason);
		sqlite3_bind_int64(q, 8, (int64_t)e->key.detail);
		sqlite3_bind_int64(q, 9, (int64_t)e->when_ns);
		sqlite3_bind_int64(q, 10, (int64_t)e->ns);
		sqlite3_bind_int64(q, 11, (int64_t)e->sched_ns);
		sqlite3_bind_int64(q, 12, e->exit_cpu);
		sqlite3_bind_int64(q, 13, e->entry_cpu);
		if (e->key.rip) {
			sqlite3_bind_int64(q, 14, (int64_t)e->key.rip);
			if (*guest_ring_name(e->key.ring))
				sqlite3_bind_text(q, 15, guest_ring_name(e->key.ring), -1, SQLITE_STATIC);
		}
		rc = step_reset(q);
	}
	return rc;
}

int store_append(struct store *st, uint64_t start_ns, uint64_t end_ns, const struct snapshot *delta,
		 const struct health *lost, const struct slow_exit *slow, size_t nslow, char *err, size_t errlen)
{
	int rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st->ins_interval, 1, st->run);
		sqlite3_bind_int64(st->ins_interval, 2, (int64_t)start_ns);
		sqlite3_bind_int64(st->ins_interval, 3, (int64_t)end_ns);
		rc = step_reset(st->ins_interval);
	}
	int64_t interval = sqlite3_last_insert_rowid(st->db);
	if (rc == SQLITE_OK)
		rc = append_rows(st, interval, delta);
	if (rc == SQLITE_OK)
		rc = append_losses(st, interval, lost);
	if (rc == SQLITE_OK)
		rc = append_slow(st, interval, slow, nslow);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		say(err, errlen, "%s: cannot write the interval: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	st->intervals++;
	return 0;
}

void store_counts(const struct store *st, uint64_t *intervals, uint64_t *rows)
{
	*intervals = st->intervals;
	*rows = st->rows;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->ins_interval);
	sqlite3_finalize(st->ins_exit);
	sqlite3_finalize(st->ins_vm);
	sqlite3_finalize(st->ins_reason);
	sqlite3_finalize(st->ins_loss);
	sqlite3_finalize(st->ins_slow);
	sqlite3_close(st->db);
	free(st);
}

bool store_is_store(const char *path)
{
	char buf[16];
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool yes = fread(buf, 1, 16, f) == 16 && !memcmp(buf, "SQLite format 3", 16);
	fclose(f);
	return yes;
}

static const char *parse_time(const char *arg, bool *abs, double *s, uint64_t *ns)
{
	char *end;

	if (arg[0] == '@') {
		errno = 0;
		double v = strtod(arg + 1, &end);
		/* nanoseconds are kept in 64 signed bits: up to the year 2262 */
		if (!arg[1] || *end || errno || !(v >= 0 && v < 9e9))
			return "expected @ and Unix seconds from 0 to 9e9 (the year 2255)";
		*abs = true;
		*ns = (uint64_t)(v * 1e9 + 0.5);
		return NULL;
	}
	errno = 0;
	*s = strtod(arg, &end);
	if (!*arg || *end || errno || !(*s >= 0 && *s <= 1e9))
		return "expected seconds from the start of the recording (0 to 1e9, about 31 years), or @ and Unix "
		       "seconds";
	*abs = false;
	return NULL;
}

int store_window_option(int letter, const char *arg, struct store_window *w, char *msg, size_t len)
{
	const char *bad;
	if (letter == 'F') {
		w->has_from = true;
		bad = parse_time(arg, &w->from_abs, &w->from_s, &w->from_ns);
	} else {
		w->has_to = true;
		bad = parse_time(arg, &w->to_abs, &w->to_s, &w->to_ns);
	}
	if (!bad && w->has_from && w->has_to && w->from_abs == w->to_abs &&
	    (w->from_abs ? w->from_ns > w->to_ns : w->from_s > w->to_s))
		bad = "the window ends before it starts (--from is after --to)";
	if (bad)
		snprintf(msg, len, "%s", bad);
	return bad ? -EINVAL : 0;
}

/* ---- reading ----------------------------------------------------------- */

/* A store on read-only media: WAL mode needs a shared-memory file next to
 * the store, which cannot be made there; opened as immutable, SQLite reads
 * it without one (nothing can change it meanwhile). */
static int open_immutable(const char *path, sqlite3 **db)
{
	size_t n = strlen(path);
	char *uri = malloc(n * 3 + 32), *u = uri;
	if (!uri)
		return SQLITE_NOMEM;
	u += sprintf(u, "file:");
	for (const char *p = path; *p; p++)
		u += (*p == '%' || *p == '?' || *p == '#') ? sprintf(u, "%%%02X", (unsigned char)*p) : sprintf(u, "%c", *p);
	strcpy(u, "?immutable=1");
	sqlite3_close(*db);
	int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	return rc;
}

static int open_read(const char *path, sqlite3 **db, int *version, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *q = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(*db, 2000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(*db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL);
	if (rc == SQLITE_CANTOPEN && access(path, R_OK) == 0 && access(path, W_OK) && errno == EROFS &&
	    open_immutable(path, db) == SQLITE_OK)
		rc = sqlite3_prepare_v2(*db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL);
	sqlite3_finalize(q);
	if (rc != SQLITE_OK) {
		say(err, errlen, "%s: not a kvmexitstat record store (%s)", path, sqlite3_errmsg(*db));
		sqlite3_close(*db);
		return -EINVAL;
	}
	int id = store_identity(*db, path, version, err, errlen);
	if (id == 1)
		say(err, errlen, "%s: not a kvmexitstat record store (an empty database)", path);
	if (id) {
		sqlite3_close(*db);
		return -EINVAL;
	}
	return 0;
}

/* The names of KVM's statistics, as the store recorded them: the running
 * process may not have them (or have another KVM's). Their "exits" makes
 * the totals unless the tracepoint's exits were recorded beside them. */
static int load_kvm_names(sqlite3 *db, struct snapshot *acc)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "SELECT code, name FROM reasons WHERE isa = 'kvm' ORDER BY code", -1, &q, NULL))
		return -EIO;
	char **names = NULL;
	size_t n = 0;
	int err = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t code = sqlite3_column_int64(q, 0);
		if (code < 0 || code > 4096)
			continue;
		if ((size_t)code >= n) {
			char **v = realloc(names, ((size_t)code + 1) * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			memset(v + n, 0, ((size_t)code + 1 - n) * sizeof(*v));
			names = v;
			n = (size_t)code + 1;
		}
		const char *name = (const char *)sqlite3_column_text(q, 1);
		free(names[code]);
		names[code] = name ? strdup(name) : NULL; /* (a placeholder below) */
	}
	sqlite3_finalize(q);
	bool hardware = false;
	if (!err && n && !sqlite3_prepare_v2(db, "SELECT 1 FROM reasons WHERE isa != 'kvm' LIMIT 1", -1, &q, NULL)) {
		hardware = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	for (size_t i = 0; !err && i < n; i++)
		if (!names[i] && asprintf(&names[i], "counter%zu", i) < 0) {
			names[i] = NULL;
			err = -ENOMEM;
		}
	if (!err && n) {
		struct kvm_counters *kc = kvm_counters_new((const char *const *)names, n, !hardware);
		if (!kc)
			err = -ENOMEM;
		snapshot_set_kvm(acc, kc);
		kvm_counters_unref(kc);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

/* The window in absolute ns, from the store's first interval. */
static void window_bounds(sqlite3 *db, const struct store_window *w, int64_t *from, int64_t *to)
{
	int64_t first = 0;
	sqlite3_stmt *q;
	if (!sqlite3_prepare_v2(db, "SELECT min(start_ns) FROM intervals", -1, &q, NULL)) {
		if (sqlite3_step(q) == SQLITE_ROW)
			first = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	*from = INT64_MIN;
	*to = INT64_MAX;
	/* the options keep both within 63 bits; a sum past them saturates */
	if (w && w->has_from)
		*from = w->from_abs ? (int64_t)w->from_ns : sat_add(first, (int64_t)(w->from_s * 1e9 + 0.5));
	if (w && w->has_to)
		*to = w->to_abs ? (int64_t)w->to_ns : sat_add(first, (int64_t)(w->to_s * 1e9 + 0.5));
}

static void add_info_text(char *dst, size_t len, const char *s)
{
	if (!s || strstr(dst, s))
		return;
	size_t n = strlen(dst);
	snprintf(dst + n, len - n, "%s%s", n ? "; " : "", s);
}

static int read_info(sqlite3 *db, int64_t from, int64_t to, struct store_info *info)
{
	sqlite3_stmt *q;
	memset(info, 0, sizeof(*info));
	if (sqlite3_prepare_v2(db,
			       "SELECT count(DISTINCT i.run), count(*), min(i.start_ns), max(i.end_ns) FROM intervals i"
			       " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2",
			       -1, &q, NULL))
		return -EIO;
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	if (sqlite3_step(q) == SQLITE_ROW) {
		info->runs = (uint64_t)sqlite3_column_int64(q, 0);
		info->intervals = (uint64_t)sqlite3_column_int64(q, 1);
		info->first_ns = (uint64_t)sqlite3_column_int64(q, 2);
		info->last_ns = (uint64_t)sqlite3_column_int64(q, 3);
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT r.source, r.host FROM runs r JOIN intervals i ON i.run = r.id"
			       " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2 ORDER BY r.id",
			       -1, &q, NULL))
		return -EIO;
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	while (sqlite3_step(q) == SQLITE_ROW) {
		add_info_text(info->source, sizeof(info->source), (const char *)sqlite3_column_text(q, 0));
		add_info_text(info->host, sizeof(info->host), (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	/* (a store written before losses were kept has no such table) */
	if (sqlite3_prepare_v2(db,
			       "SELECT l.what, sum(l.count) FROM losses l JOIN intervals i ON i.id = l.interval"
			       " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2 GROUP BY l.what",
			       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, from);
		sqlite3_bind_int64(q, 2, to);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int i = health_parse((const char *)sqlite3_column_text(q, 0));
			if (i >= 0 && sqlite3_column_int64(q, 1) > 0)
				info->lost.n[i] += (uint64_t)sqlite3_column_int64(q, 1);
		}
		sqlite3_finalize(q);
	}
	return 0;
}

/* Each row of the window, in interval order: add it to cur; when the
 * interval changes, hand cur to fn (if any) and clear it. */
static int read_rows(sqlite3 *db, int version, int64_t from, int64_t to, struct snapshot *acc, interval_fn fn,
		     void *ctx, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* schema 1 knew VMs by pid alone; 1 and 2 had no details */
	int rc = sqlite3_prepare_v2(db,
				    version == 1
				    ? "SELECT i.id, i.start_ns, i.end_ns, e.pid, e.vcpu, e.tid, e.isa, e.code, e.count,"
				      " e.timed, e.time_ns, e.min_ns, e.max_ns, e.hist, v.name, 0, 0"
				      " FROM intervals i LEFT JOIN exits e ON e.interval = i.id"
				      " LEFT JOIN vms v ON v.run = i.run AND v.pid = e.pid"
				      " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2 ORDER BY i.start_ns, i.id"
				    : version == 2
				    ? "SELECT i.id, i.start_ns, i.end_ns, e.pid, e.vcpu, e.tid, e.isa, e.code, e.count,"
				      " e.timed, e.time_ns, e.min_ns, e.max_ns, e.hist, v.name, e.start, 0"
				      " FROM intervals i LEFT JOIN exits e ON e.interval = i.id"
				      " LEFT JOIN vms v ON v.run = i.run AND v.pid = e.pid AND v.start = e.start"
				      " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2 ORDER BY i.start_ns, i.id"
				    : "SELECT i.id, i.start_ns, i.end_ns, e.pid, e.vcpu, e.tid, e.isa, e.code, e.count,"
				      " e.timed, e.time_ns, e.min_ns, e.max_ns, e.hist, v.name, e.start, e.detail"
				      " FROM intervals i LEFT JOIN exits e ON e.interval = i.id"
				      " LEFT JOIN vms v ON v.run = i.run AND v.pid = e.pid AND v.start = e.start"
				      " WHERE i.start_ns >= ?1 AND i.end_ns <= ?2 ORDER BY i.start_ns, i.id",
				    -1, &q, NULL);
	if (rc) {
		say(err, errlen, "%s: cannot read the store: %s", path, sqlite3_errmsg(db));
		return -EIO;
	}
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	int64_t cur_id = -1, cur_start = 0, cur_end = 0;
	int res = 0;
	while (!res && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		if (fn && id != cur_id && cur_id >= 0) {
			if ((res = fn(ctx, (uint64_t)cur_start, (uint64_t)cur_end, acc)))
				break;
			snapshot_clear(acc);
		}
		cur_id = id;
		cur_start = sqlite3_column_int64(q, 1);
		cur_end = sqlite3_column_int64(q, 2);
		if (sqlite3_column_type(q, 3) == SQLITE_NULL)
			continue; /* an interval without exits */
		struct exit_key k = {
			.pid = (uint32_t)sqlite3_column_int64(q, 3),
			.vcpu = (int32_t)sqlite3_column_int64(q, 4),
			.tid = (uint32_t)sqlite3_column_int64(q, 5),
			.isa = isa_from_text((const char *)sqlite3_column_text(q, 6)),
			.reason = (uint64_t)sqlite3_column_int64(q, 7),
			.start = (uint64_t)sqlite3_column_int64(q, 15),
			.detail = (uint64_t)sqlite3_column_int64(q, 16),
		};
		struct exit_stat row = { 0 };
		row.count = (uint64_t)sqlite3_column_int64(q, 8);
		row.timed = (uint64_t)sqlite3_column_int64(q, 9);
		row.sum_ns = (uint64_t)sqlite3_column_int64(q, 10);
		row.min_ns = (uint64_t)sqlite3_column_int64(q, 11);
		row.max_ns = (uint64_t)sqlite3_column_int64(q, 12);
		if (hist_parse((const char *)sqlite3_column_text(q, 13), &row)) {
			say(err, errlen, "%s: interval %lld: a histogram that does not decode", path, (long long)id);
			res = -EINVAL;
			break;
		}
		struct exit_stat *st = snapshot_get(acc, &k);
		const char *name = (const char *)sqlite3_column_text(q, 14);
		if (!st || (name && !snapshot_name(acc, k.pid, k.start) && snapshot_set_name(acc, k.pid, k.start, name))) {
			res = -ENOMEM;
			break;
		}
		stat_merge(st, &row);
	}
	if (!res && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		say(err, errlen, "%s: cannot read the store: %s", path, sqlite3_errmsg(db));
		res = -EIO;
	}
	sqlite3_finalize(q);
	if (!res && fn && cur_id >= 0)
		res = fn(ctx, (uint64_t)cur_start, (uint64_t)cur_end, acc);
	if (res == -ENOMEM)
		say(err, errlen, "out of memory");
	return res;
}

/* The store at path, read-only, and the window in its absolute ns. */
static int open_window(const char *path, const struct store_window *w, sqlite3 **db, int *version, int64_t *from,
		       int64_t *to, char *err, size_t errlen)
{
	int res = open_read(path, db, version, err, errlen);
	if (!res)
		window_bounds(*db, w, from, to);
	return res;
}

static int read_store(const char *path, const struct store_window *w, struct snapshot *acc, interval_fn fn,
		      void *ctx, struct store_info *info, char *err, size_t errlen)
{
	sqlite3 *db;
	int64_t from, to;
	int version = 0;
	int res = open_window(path, w, &db, &version, &from, &to, err, errlen);
	if (res)
		return res;
	if ((res = load_kvm_names(db, acc)) || (res = read_info(db, from, to, info))) {
		say(err, errlen, "%s: cannot read the store: %s", path, res == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
	} else if (!info->intervals) {
		say(err, errlen, "%s: no recorded interval%s", path, w && (w->has_from || w->has_to) ? " lies wholly inside the window" : "");
		res = -ENODATA;
	} else {
		res = read_rows(db, version, from, to, acc, fn, ctx, path, err, errlen);
	}
	sqlite3_close(db);
	return res;
}

int store_read(const char *path, const struct store_window *w, struct snapshot *out, struct store_info *info,
	       char *err, size_t errlen)
{
	return read_store(path, w, out, NULL, NULL, info, err, errlen);
}

int store_each_interval(const char *path, const struct store_window *w, interval_fn fn, void *ctx,
			struct store_info *info, char *err, size_t errlen)
{
	struct snapshot cur;
	snapshot_init(&cur);
	int res = read_store(path, w, &cur, fn, ctx, info, err, errlen);
	snapshot_free(&cur);
	return res;
}

int store_read_slow(const char *path, const struct store_window *w, struct slow_exit **v, size_t *n, char *err,
		    size_t errlen)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t from, to;
	int version = 0;
	int res = open_window(path, w, &db, &version, &from, &to, err, errlen);
	if (res)
		return res;
	/* (no such table: a store from before record --slow) */
	if (sqlite3_prepare_v2(db,
			       "SELECT s.pid, s.start, s.vcpu, s.tid, s.isa, s.code, s.detail, s.when_ns, s.ns,"
			       " s.switched_out_ns, s.exit_cpu, s.entry_cpu, s.rip, s.ring FROM slow_exits s"
			       " JOIN intervals i ON i.id = s.interval WHERE i.start_ns >= ?1 AND i.end_ns <= ?2"
			       " ORDER BY s.when_ns, s.rowid",
			       -1, &q, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	size_t cap = *n;
	int rc;
	while (!res && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (slow_exit_room(v, *n, &cap, SIZE_MAX)) {
			say(err, errlen, "out of memory");
			res = -ENOMEM;
			break;
		}
		struct slow_exit *e = &(*v)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->key.pid = (uint32_t)sqlite3_column_int64(q, 0);
		e->key.start = (uint64_t)sqlite3_column_int64(q, 1);
		e->key.vcpu = (int32_t)sqlite3_column_int64(q, 2);
		e->tid = (uint32_t)sqlite3_column_int64(q, 3);
		e->key.isa = isa_from_text((const char *)sqlite3_column_text(q, 4));
		e->key.reason = (uint64_t)sqlite3_column_int64(q, 5);
		e->key.detail = (uint64_t)sqlite3_column_int64(q, 6);
		e->when_ns = (uint64_t)sqlite3_column_int64(q, 7);
		e->ns = (uint64_t)sqlite3_column_int64(q, 8);
		e->sched_ns = (uint64_t)sqlite3_column_int64(q, 9);
		e->exit_cpu = (uint32_t)sqlite3_column_int64(q, 10);
		e->entry_cpu = (uint32_t)sqlite3_column_int64(q, 11);
		e->key.rip = (uint64_t)sqlite3_column_int64(q, 12);
		e->key.ring = guest_ring_parse((const char *)sqlite3_column_text(q, 13));
	}
	if (!res && rc != SQLITE_DONE) {
		say(err, errlen, "%s: cannot read the store's slow exits: %s", path, sqlite3_errmsg(db));
		res = -EIO;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return res;
}
