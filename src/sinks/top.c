/* The ncurses view of kvmexitstat top. Levels: VMs, a VM's vCPUs, a vCPU's
 * reasons, with --detail a reason's details; 'x' shows the reasons over
 * every VM shown. Keys follow kvm_stat
 * where both have the action (p, f, c, r, s, x, o, h, q). Rows are the running
 * VMs' counts since the start (or the last reset) and their rate over the
 * last reading. */
#define _GNU_SOURCE
#include "top.h"

#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detail.h"
#include "render.h"
#include "text.h"

enum level { L_VMS, L_VCPUS, L_REASONS, L_ALL_REASONS, L_DETAILS };
enum sort { S_RATE, S_TOTAL, S_AVG, S_NAME, S_COUNT };
static const char *sort_names[] = { "rate", "total", "avg", "name" };

struct row {
	struct exit_key key;
	struct exit_stat st; /* since the start or the reset */
	uint64_t delta;      /* in the last reading */
	char name[96];
};

struct top {
	char source[256];
	char lost[512];                  /* what the collector lost, when anything */
	struct snapshot cur, last, base; /* latest, previous reading, reset baseline */
	double seconds;                  /* between the last two readings */
	double last_time;                /* of the last reading shown */
	bool have_last;
	enum level level;
	uint32_t pid;                    /* the VM drilled into */
	uint64_t start;
	int32_t vcpu;
	uint8_t isa;                     /* the reason drilled into (L_DETAILS) */
	uint64_t reason;
	enum level up;                   /* L_DETAILS: the reasons level it came from */
	enum sort sort;
	char filter[64];                 /* p: VMs by name or pid */
	char rfilter[64];                /* f: reasons by name */
	double interval;                 /* s: the interval asked for (0: none yet) */
	bool paused, help;
	int cursor;
	struct row *rows;
	size_t nrows;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct top *top_open(const char *source, char *msg, size_t len)
{
	struct top *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	snprintf(t->source, sizeof(t->source), "%s", source);
	snapshot_init(&t->cur);
	snapshot_init(&t->last);
	snapshot_init(&t->base);
	/* names in the terminal's own character set (UTF-8 ones shown as such) */
	setlocale(LC_CTYPE, "");
	if (!newterm(NULL, stdout, stdin)) {
		snprintf(msg, len, "cannot use this terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
		free(t);
		return NULL;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	return t;
}

void top_close(struct top *t)
{
	if (!t)
		return;
	endwin();
	snapshot_free(&t->cur);
	snapshot_free(&t->last);
	snapshot_free(&t->base);
	free(t->rows);
	free(t);
}

/* Does the VM pass the filter (a name or pid substring)? */
static bool wanted(const struct top *t, const struct snapshot *s, const struct exit_key *k)
{
	if (!t->filter[0])
		return true;
	char ps[16];
	snprintf(ps, sizeof(ps), "%" PRIu32, k->pid);
	const char *n = snapshot_name(s, k->pid, k->start);
	return strstr(ps, t->filter) || (n && strcasestr(n, t->filter));
}

/* Does the reason pass the reason filter (a substring of its name)? */
static bool wanted_reason(const struct top *t, const struct snapshot *s, const struct exit_key *k)
{
	if (!t->rfilter[0])
		return true;
	char name[REASON_NAME_MAX];
	snapshot_reason_name(s, k, name, sizeof(name));
	return strcasestr(name, t->rfilter) != NULL;
}

/* The row a key counts in at this level, or false when it is not shown.
 * VM and vCPU rows count exits only (KVM's categories overlap), or with a
 * reason filter the reasons it lets through. */
static bool project(const struct top *t, const struct snapshot *s, const struct exit_key *k, struct exit_key *out)
{
	if (!wanted(t, s, k) || !wanted_reason(t, s, k))
		return false;
	bool counted = t->rfilter[0] || snapshot_in_total(s, k);
	*out = (struct exit_key){ .pid = k->pid, .vcpu = VCPU_ALL, .start = k->start };
	switch (t->level) {
	case L_VMS:
		return counted;
	case L_VCPUS:
		out->vcpu = k->vcpu;
		out->tid = k->tid;
		return k->pid == t->pid && k->start == t->start && counted;
	case L_REASONS:
		if (k->pid != t->pid || k->start != t->start || k->vcpu != t->vcpu)
			return false;
		break;
	case L_ALL_REASONS:
		out->pid = PID_ALL;
		out->start = 0;
		break;
	case L_DETAILS: /* a reason's details, of the vCPU or of every VM */
		if (k->isa != t->isa || k->reason != t->reason ||
		    (t->up == L_REASONS && (k->pid != t->pid || k->start != t->start || k->vcpu != t->vcpu)))
			return false;
		if (t->up == L_ALL_REASONS) {
			out->pid = PID_ALL;
			out->start = 0;
		}
		out->detail = k->detail;
		break;
	}
	out->isa = k->isa;
	out->reason = k->reason;
	return true;
}

static struct row *row_of(struct top *t, const struct exit_key *k)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (!memcmp(&t->rows[i].key, k, sizeof(*k)))
			return &t->rows[i];
	struct row *v = realloc(t->rows, (t->nrows + 1) * sizeof(*v));
	if (!v)
		return NULL;
	t->rows = v;
	struct row *r = &v[t->nrows++];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	return r;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct row *x = a, *y = b;
	enum sort s = *(const enum sort *)arg;
	double ax = x->st.timed ? (double)x->st.sum_ns / (double)x->st.timed : 0;
	double ay = y->st.timed ? (double)y->st.sum_ns / (double)y->st.timed : 0;
	switch (s) {
	case S_RATE:
		if (x->delta != y->delta)
			return x->delta < y->delta ? 1 : -1;
		break;
	case S_TOTAL:
		break;
	case S_AVG:
		if (ax != ay)
			return ax < ay ? 1 : -1;
		break;
	case S_NAME:
	case S_COUNT:
		return strcmp(x->name, y->name);
	}
	if (x->st.count != y->st.count)
		return x->st.count < y->st.count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Rows of the current level from cur - base, rates from cur - last. */
static int build_rows(struct top *t)
{
	t->nrows = 0;
	const struct snap_entry *e;
	for (size_t i = 0; (e = snapshot_next(&t->cur, &i));) {
		struct exit_key k;
		if (!project(t, &t->cur, &e->key, &k))
			continue;
		struct row *r = row_of(t, &k);
		if (!r)
			return -ENOMEM;
		struct exit_stat st = e->st;
		const struct exit_stat *b = snapshot_find(&t->base, &e->key);
		const struct exit_stat *l = t->have_last ? snapshot_find(&t->last, &e->key) : NULL;
		if (b && b->count <= st.count) {
			st.count -= b->count;
			st.timed -= b->timed <= st.timed ? b->timed : st.timed;
			st.sum_ns -= b->sum_ns <= st.sum_ns ? b->sum_ns : st.sum_ns;
		}
		stat_merge(&r->st, &st);
		if (t->have_last)
			r->delta += e->st.count - (l && l->count <= e->st.count ? l->count : 0);
	}
	for (size_t i = 0; i < t->nrows; i++) {
		struct row *r = &t->rows[i];
		const char *n = snapshot_name(&t->cur, r->key.pid, r->key.start);
		if (t->level == L_VMS)
			snprintf(r->name, sizeof(r->name), "%s", n ? n : "?");
		else if (t->level == L_VCPUS && r->key.vcpu >= 0)
			snprintf(r->name, sizeof(r->name), "vCPU %" PRId32, r->key.vcpu);
		else if (t->level == L_VCPUS)
			snprintf(r->name, sizeof(r->name), "thread %" PRIu32, r->key.tid);
		else if (t->level == L_DETAILS && r->key.detail)
			detail_format(r->key.detail, r->name, sizeof(r->name));
		else if (t->level == L_DETAILS)
			snprintf(r->name, sizeof(r->name), "(no detail)");
		else
			snapshot_reason_name(&t->cur, &r->key, r->name, sizeof(r->name));
	}
	qsort_r(t->rows, t->nrows, sizeof(*t->rows), cmp_rows, &t->sort);
	if (t->cursor >= (int)t->nrows)
		t->cursor = t->nrows ? (int)t->nrows - 1 : 0;
	return 0;
}

static void fmt_ns(double ns, char *buf, size_t len)
{
	if (ns <= 0)
		snprintf(buf, len, "-");
	else
		format_ns((uint64_t)ns, buf, len);
}

static void draw_help(void)
{
	static const char *lines[] = {
		"kvmexitstat top: keys",
		"",
		"  Up/Down, j/k   move",
		"  Enter, Right   into the VM (its vCPUs), the vCPU (its reasons),",
		"                 with --detail the reason (its details)",
		"  Esc, Left, BS  back up",
		"  x              reasons over every VM shown / back to VMs",
		"  o              sort: rate, total, avg, name",
		"  p              filter VMs by name or pid (empty: all)",
		"  f              filter reasons by name (empty: all)",
		"  c              clear both filters",
		"  r              reset: count from now",
		"  s              set the interval (seconds)",
		"  Space          pause / go on",
		"  h, ?           this help (any key closes it)",
		"  q              quit",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0])), w = 66;
	int y0 = (LINES - n - 2) / 2, x0 = (COLS - w) / 2;
	if (y0 < 0)
		y0 = 0;
	if (x0 < 0)
		x0 = 0;
	for (int i = 0; i < n + 2; i++) {
		move(y0 + i, x0);
		for (int j = 0; j < w && x0 + j < COLS; j++)
			addch(i == 0 || i == n + 1 ? '-' : j == 0 || j == w - 1 ? '|' : ' ');
		if (i > 0 && i <= n)
			mvaddnstr(y0 + i, x0 + 2, lines[i - 1], w - 4);
	}
}

/* KVMEXITSTAT_TOP_SCREEN=FILE (for tests): the screen as text after each
 * draw, written whole (a reader never sees half of one) */
static void dump_screen(void)
{
	const char *path = getenv("KVMEXITSTAT_TOP_SCREEN");
	if (!path || !*path)
		return;
	char tmp[4096], line[512];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	for (int y = 0; y < LINES; y++) {
		int n = mvinnstr(y, 0, line, COLS < (int)sizeof(line) - 1 ? COLS : (int)sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		fprintf(f, "%s\n", line);
	}
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void draw(struct top *t)
{
	char title[160], avg[16], p99[16];
	static const char *what[] = { "VMs", "vCPUs", "reasons", "reasons, every VM", "details" };
	erase();
	attron(A_BOLD);
	mvaddnstr(0, 0, "kvmexitstat top", COLS);
	attroff(A_BOLD);
	mvaddnstr(0, 16, "- ", 2);
	mvaddnstr(0, 18, t->source, COLS - 18 > 0 ? COLS - 18 : 0);
	/* the exits' rate: KVM's categories overlap, so at the reasons
	 * levels only what counts in a total (its "exits") adds up */
	double total_rate = 0;
	bool reasons = t->level == L_REASONS || t->level == L_ALL_REASONS || t->level == L_DETAILS;
	for (size_t i = 0; i < t->nrows; i++)
		if (!reasons || t->rfilter[0] || snapshot_in_total(&t->cur, &t->rows[i].key))
			total_rate += t->seconds > 0 ? (double)t->rows[i].delta / t->seconds : 0;
	bool one_vm = t->level == L_VCPUS || t->level == L_REASONS || (t->level == L_DETAILS && t->up == L_REASONS);
	if (one_vm) {
		const char *n = snapshot_name(&t->cur, t->pid, t->start);
		snprintf(title, sizeof(title), "%s (pid %" PRIu32 ")", n ? n : "?", t->pid);
		if (t->level != L_VCPUS)
			snprintf(title + strlen(title), sizeof(title) - strlen(title), ", vCPU %" PRId32, t->vcpu);
	} else {
		snprintf(title, sizeof(title), "all VMs%s%s%s", t->filter[0] ? " matching \"" : "", t->filter,
			 t->filter[0] ? "\"" : "");
	}
	if (t->level == L_DETAILS) {
		char name[REASON_NAME_MAX];
		struct exit_key rk = { .isa = t->isa, .reason = t->reason };
		snprintf(title + strlen(title), sizeof(title) - strlen(title), ", %s",
			 snapshot_reason_name(&t->cur, &rk, name, sizeof(name)));
	}
	if (t->rfilter[0])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), ", reasons \"%s\"", t->rfilter);
	char line[320]; /* (cut at the screen's edge: a longer line would wrap over the next) */
	snprintf(line, sizeof(line), "%s: %s | %zu rows | %.0f/s | sort %s%s", what[t->level], title, t->nrows,
		 total_rate, sort_names[t->sort], t->paused ? " | PAUSED" : "");
	mvaddnstr(1, 0, line, COLS);
	if (t->lost[0]) { /* never silent: the numbers below miss something */
		attron(A_BOLD | A_REVERSE);
		mvaddnstr(2, 0, "LOST: ", COLS);
		addnstr(t->lost, COLS > 6 ? COLS - 6 : 0);
		attroff(A_BOLD | A_REVERSE);
	}
	attron(A_REVERSE);
	if (t->level == L_VMS)
		mvprintw(3, 0, "%-28s %8s %11s %14s %9s %-4s", "VM", "PID", "EXITS/S", "TOTAL", "AVG", "");
	else if (t->level == L_VCPUS)
		mvprintw(3, 0, "%-28s %8s %11s %14s %9s %-4s", "VCPU", "", "EXITS/S", "TOTAL", "AVG", "");
	else if (t->level == L_DETAILS)
		mvprintw(3, 0, "%-28s %10s %12s %6s %9s %9s", "DETAIL", "EXITS/S", "TOTAL", "%EXITS", "AVG", "P99");
	else
		mvprintw(3, 0, "%-22s %-4s %10s %12s %6s %9s %9s", "REASON", "ISA", "EXITS/S", "TOTAL", "%EXITS", "AVG", "P99");
	attroff(A_REVERSE);
	/* shares of the exits (KVM's categories overlap: of its "exits") */
	uint64_t sum = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (snapshot_in_total(&t->cur, &t->rows[i].key))
			sum += t->rows[i].st.count;
	char col[160];
	int top_row = 4, room = LINES - top_row - 1;
	int first = t->cursor >= room ? t->cursor - room + 1 : 0;
	for (int i = first; i < (int)t->nrows && i - first < room; i++) {
		const struct row *r = &t->rows[i];
		double rate = t->seconds > 0 ? (double)r->delta / t->seconds : 0;
		fmt_ns(r->st.timed ? (double)r->st.sum_ns / (double)r->st.timed : 0, avg, sizeof(avg));
		if (i == t->cursor)
			attron(A_BOLD | A_REVERSE);
		move(top_row + i - first, 0);
		if (t->level == L_VMS)
			printw("%s %8" PRIu32 " %11.0f %14" PRIu64 " %9s", text_fit(col, sizeof(col), r->name, 28, true),
			       r->key.pid, rate, r->st.count, avg);
		else if (t->level == L_VCPUS)
			printw("%s %8s %11.0f %14" PRIu64 " %9s", text_fit(col, sizeof(col), r->name, 28, true), "", rate,
			       r->st.count, avg);
		else if (t->level == L_DETAILS) {
			/* (the share: of the reason's exits) */
			fmt_ns(r->st.timed ? (double)stat_percentile(&r->st, 99) : 0, p99, sizeof(p99));
			printw("%s %10.0f %12" PRIu64 " %5.1f%% %9s %9s", text_fit(col, sizeof(col), r->name, 28, true), rate,
			       r->st.count, sum ? 100.0 * (double)r->st.count / (double)sum : 0.0, avg, p99);
		} else {
			fmt_ns(r->st.timed ? (double)stat_percentile(&r->st, 99) : 0, p99, sizeof(p99));
			printw("%s %-4s %10.0f %12" PRIu64 " %5.1f%% %9s %9s", text_fit(col, sizeof(col), r->name, 22, true),
			       isa_name((enum isa)r->key.isa), rate, r->st.count,
			       sum ? 100.0 * (double)r->st.count / (double)sum : 0.0, avg, p99);
		}
		if (i == t->cursor)
			attroff(A_BOLD | A_REVERSE);
	}
	if (!t->nrows)
		mvaddnstr(top_row, 0, t->level == L_VMS ? "(no VM is running)" : "(nothing counted yet)", COLS);
	mvaddnstr(LINES - 1, 0, "Enter Esc x:reasons o:sort p:VMs f:reasons c:clear r:reset s:interval h q:quit", COLS);
	if (t->help)
		draw_help();
	refresh();
	dump_screen();
}

int top_update(struct top *t, const struct snapshot *cur, const struct health *lost)
{
	if (!lost || !health_describe(t->lost, sizeof(t->lost), lost))
		t->lost[0] = '\0';
	/* the time since the last reading shown, not since the last one
	 * taken: a pause leaves readings out */
	if (t->paused)
		return 0;
	double now = now_s();
	snapshot_free(&t->last);
	t->last = t->cur;
	t->have_last = t->cur.len > 0 || t->last_time > 0;
	t->seconds = t->last_time > 0 ? now - t->last_time : 0;
	t->last_time = now;
	snapshot_init(&t->cur);
	if (snapshot_merge(&t->cur, cur))
		return -ENOMEM;
	if (build_rows(t))
		return -ENOMEM;
	draw(t);
	return 0;
}

/* A line typed on the bottom row after the question, trailing spaces cut. */
static void prompt(const char *question, char *buf, size_t len)
{
	buf[0] = '\0';
	move(LINES - 1, 0);
	clrtoeol();
	addstr(question);
	echo();
	curs_set(1);
	timeout(-1);
	getnstr(buf, (int)len - 1);
	noecho();
	curs_set(0);
	size_t n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
}

static void prompt_interval(struct top *t)
{
	char buf[32], *end;
	prompt("interval in seconds (0.1 to 3600): ", buf, sizeof(buf));
	double v = strtod(buf, &end);
	if (buf[0] && !*end && v >= 0.1 && v <= 3600)
		t->interval = v;
}

double top_interval(const struct top *t)
{
	return t->interval;
}

bool top_keys(struct top *t, int ms)
{
	timeout(ms);
	int c = getch();
	if (c == ERR)
		return true;
	if (t->help) {
		t->help = false;
	} else {
		switch (c) {
		case 'q':
		case 'Q':
			return false;
		case KEY_UP:
		case 'k':
			if (t->cursor > 0)
				t->cursor--;
			break;
		case KEY_DOWN:
		case 'j':
			if (t->cursor + 1 < (int)t->nrows)
				t->cursor++;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
		case KEY_RIGHT:
			if (t->cursor < (int)t->nrows && t->level == L_VMS) {
				t->pid = t->rows[t->cursor].key.pid;
				t->start = t->rows[t->cursor].key.start;
				t->level = L_VCPUS;
				t->cursor = 0;
			} else if (t->cursor < (int)t->nrows && t->level == L_VCPUS) {
				t->vcpu = t->rows[t->cursor].key.vcpu;
				t->level = L_REASONS;
				t->cursor = 0;
			} else if (t->cursor < (int)t->nrows && (t->level == L_REASONS || t->level == L_ALL_REASONS) &&
				   snapshot_has_details(&t->cur)) {
				t->isa = t->rows[t->cursor].key.isa;
				t->reason = t->rows[t->cursor].key.reason;
				t->up = t->level;
				t->level = L_DETAILS;
				t->cursor = 0;
			}
			break;
		case 27:
		case KEY_LEFT:
		case KEY_BACKSPACE:
		case 127:
			t->level = t->level == L_DETAILS ? t->up : t->level == L_REASONS ? L_VCPUS : L_VMS;
			t->cursor = 0;
			break;
		case 'x':
			t->level = t->level == L_ALL_REASONS ? L_VMS : L_ALL_REASONS;
			t->cursor = 0;
			break;
		case 'o':
			t->sort = (enum sort)((t->sort + 1) % S_COUNT);
			break;
		case 'p':
			prompt("filter VMs (name or pid; empty: all): ", t->filter, sizeof(t->filter));
			t->cursor = 0;
			break;
		case 'f':
			prompt("filter reasons (a part of the name; empty: all): ", t->rfilter, sizeof(t->rfilter));
			t->cursor = 0;
			break;
		case 'c':
			t->filter[0] = t->rfilter[0] = '\0';
			t->cursor = 0;
			break;
		case 's':
			prompt_interval(t);
			break;
		case ' ':
			t->paused = !t->paused;
			break;
		case 'r':
			snapshot_clear(&t->base);
			if (snapshot_merge(&t->base, &t->cur))
				return false;
			break;
		case 'h':
		case '?':
			t->help = true;
			break;
		default:
			break;
		}
	}
	if (build_rows(t))
		return false;
	draw(t);
	return true;
}
