/* The trace importer: reads trace text and the instrumentation's kernel log,
 * and fills the model. Exits are counted per (VM process, vCPU, ISA,
 * reason); a kvm_entry after a kvm_exit on the same thread gives that
 * exit's handling time. Nothing here prints reports. */
#ifndef KVMEXITSTAT_IMPORTER_H
#define KVMEXITSTAT_IMPORTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "klog.h"
#include "snapshot.h"
#include "trace_line.h"

struct pair_state;
struct bad_line;
struct reason_cache;

/* Text of one or more input lines being joined. */
struct text_buf {
	char *s;
	size_t len, cap;
};

struct importer {
	/* options */
	enum isa forced_isa;     /* ISA_UNKNOWN: infer from the names */
	bool strict;             /* first undecodable line is an error */
	bool details;            /* key each exit by what the kvm_pio, kvm_msr... lines after it say */
	bool rips;               /* count each exit at its guest RIP too (exits.rips) */
	unsigned max_reported;   /* undecodable lines shown on stderr */
	FILE *err;
	unsigned threads;        /* parts a large regular file is read in (1: serial) */
	uint64_t split_min;      /* bytes each part has at least */

	/* results */
	struct snapshot exits;
	struct klog_series *klogs; /* in the order of their first report */
	size_t nklogs;
	uint64_t lines, events, exit_lines, entry_lines;
	uint64_t unparsed;       /* kvm_exit / CMPE283 lines that did not decode */
	bool has_first_bad;      /* where the first of them is: */
	const char *first_bad_input;
	uint64_t first_bad_line;
	uint64_t paired;         /* exits with a handling time */
	uint64_t unpaired_exits; /* exits followed by another exit, not an entry */
	uint64_t unpaired_boundary; /* exits whose entry is in another capture */
	uint64_t first_ts, last_ts;
	bool has_ts;
	uint64_t lost_events;    /* events the recording kernel dropped (trace-cmd data) */
	unsigned isa_seen;       /* bit per enum isa, from names */
	unsigned parts;          /* parts the last input was read in (1: one stream) */

	/* state */
	enum isa hint;           /* ISA of the input's first named exit */
	bool hint_dependent;     /* a decode before the hint was set would differ under one */
	bool defer_reports;      /* keep undecodable lines in bad[] instead of printing */
	struct klog_series *klog_open; /* the series whose block is being read */
	struct bad_line *bad;
	size_t nbad;
	struct pair_state *pairs;
	size_t npairs, pairs_cap;
	struct reason_cache *cache; /* text -> (isa, code), traces repeat a few reasons */
	const char *input;       /* current input name, for messages */
	/* captures (several pasted into one file): the last timestamped
	 * exit/entry line, what came after it (SINCE_*), the capture count;
	 * and a part's first timestamped exit/entry line, for the join */
	bool has_ev_ts, has_head;
	uint64_t ev_ts, head_ts;
	unsigned since, head_since;
	uint32_t epoch;
	uint64_t lineno;
	/* lines as mail left them, made whole before they are read: a
	 * quoted-printable input's soft breaks, and a record a mail client
	 * wrapped, held until the next line says whether it goes on */
	bool qp;                 /* the input showed quoted-printable */
	bool has_soft, has_held;
	struct text_buf soft, held;
	uint64_t soft_lineno, held_lineno;
	uint64_t at_line;        /* the line number messages give: a joined line's first */
};

void importer_init(struct importer *im);
void importer_free(struct importer *im);

/* Feed one line (no newline). Returns 0, -EINVAL in strict mode on a bad
 * line (already reported), -ENOMEM. */
int importer_line(struct importer *im, const char *line, size_t len);

/* importer_line holds back a record that may go on in the next line (a
 * mail client wrapped it). settle: read it now, as a kvm_exit/kvm_entry
 * line comes (it never continues one); end_lines: after the last line.
 * 0 or what importer_line returns. */
int importer_settle(struct importer *im);
int importer_end_lines(struct importer *im);

/* Read a whole input ("-" for stdin). Returns 0, or a negative errno after
 * printing a one-line message naming the input. An input with no KVM event
 * returns -ENODATA (message printed). */
int importer_read_path(struct importer *im, const char *path);
int importer_read_fd(struct importer *im, int fd, const char *name);

/* An input read by another reader than the line reader (a trace-cmd data
 * file, src/traces/trace_dat.c) is framed by these, as importer_read_path frames
 * its lines; end returns 0 or -ENOMEM. */
void importer_begin_input(struct importer *im, const char *name);
int importer_end_input(struct importer *im);

/* One kvm_exit or kvm_entry of such an input, its fields as the kernel
 * recorded them, accounted as a text line of the same event would be. t:
 * kind LINE_EXIT or LINE_ENTRY, with ts, tid, cpu, comm and vcpu as the
 * record has them; for an exit its reason, isa (ISA_UNKNOWN where the
 * record has no isa field: --isa, or the names of other inputs, decide)
 * and code. what names the record in a message. Each event counts as one
 * of im->lines. Returns 0, -ENOMEM, or -EINVAL in strict mode. */
/* A trace.dat record of a detail event (t->kind LINE_DETAIL): said of its
 * thread's open exit, as a text line's (with --detail). 0 or -ENOMEM. */
int importer_detail(struct importer *im, const struct trace_line *t);
int importer_event(struct importer *im, const struct trace_line *t, enum isa isa, uint64_t code,
		   const char *what);

/* A kvm_exit record of such an input that could not be decoded, and why:
 * counted and reported as an undecodable line. 0, or -EINVAL in strict mode. */
int importer_event_bad(struct importer *im, const char *why, const char *what);

/* Whether buf, a file's first n bytes, begins as a trace-cmd data file. */
bool importer_is_trace_dat(const char *buf, size_t n);
/* Whether the file at path begins so. */
bool importer_file_is_trace_dat(const char *path);

/* After the last input: give numeric reasons of unknown ISA the one ISA the
 * names showed. 0 or -ENOMEM. */
int importer_finish(struct importer *im);

#endif
