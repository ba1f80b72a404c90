/* Importer internals shared by importer.c (one stream) and
 * importer_parallel.c (a large file read in parts by several threads). */
#ifndef KVMEXITSTAT_IMPORTER_PRIV_H
#define KVMEXITSTAT_IMPORTER_PRIV_H

#include "importer.h"

/* Per-thread state: the exit waiting for its kvm_entry, the vCPU id the
 * thread's kvm_entry lines named (old kvm_exit layouts do not carry it),
 * and what the thread did first, for joining parts of a file. */
struct pair_state {
	uint64_t id;           /* pairing identity, 0 = empty slot */
	bool pending;
	uint64_t exit_ts;
	struct exit_key key;
	int32_t vcpu;          /* learnt from kvm_entry, -1 if none */
	bool seen;             /* an event of this id was read */
	bool first_is_entry;   /* the first one was a kvm_entry */
	bool first_has_ts;
	uint64_t first_ts;
	uint32_t exit_epoch;   /* the capture the pending exit is in */
	uint32_t first_epoch;  /* the capture of the first event (a part's own count) */
	bool first_pre_head;   /* the first event came before the part's first timestamped one */
	bool open;             /* its last exit is counted, and no kvm_entry came since */
	bool firm;             /* that exit's detail is a detail line's (detail_merge) */
	bool has_rip;          /* that exit's guest RIP, counted (importer.rips) */
	uint64_t rip;
};

/* What lies between two timestamped exit/entry lines, for telling captures
 * apart (importer_boundary). */
enum { SINCE_PROSE = 1, SINCE_HEADER = 2 };

/* Whether a capture ends between the exit/entry line at prev_ts and the
 * next one at ts, with `since` (SINCE_*) read between them. */
bool importer_boundary(unsigned since, uint64_t prev_ts, uint64_t ts);

/* An undecodable line kept for its message (parts print theirs in order at
 * the end, with line numbers made global). */
struct bad_line {
	uint64_t lineno;
	const char *why;
	int len;               /* of text, at most 120 */
	bool cut;              /* the line was longer */
	char text[121];
};

#define READ_CHUNK (1u << 20)
#define MAX_LINE (64u << 10)  /* a longer line is judged by its first 64 KiB */

/* Read lines of fd from byte start to end (end = UINT64_MAX: to EOF with
 * read(), for pipes). start must be a line start. Checks the first chunk
 * for binary data when start is 0. */
int importer_read_range(struct importer *im, int fd, uint64_t start, uint64_t end);
/* Whether buf, an input's first bytes, is binary (a message printed):
 * 0 or -EINVAL. One stream checks its first chunk of READ_CHUNK bytes. */
int importer_check_binary(struct importer *im, const char *buf, size_t n);
/* Move im's keys to what later lines taught: numbers seen before any name
 * take the one ISA the names showed (isa; ISA_UNKNOWN: none), and exits a
 * thread made before a kvm_entry named its vCPU belong to the vCPU that
 * known's state for the thread names. 0 or -ENOMEM. */
int importer_rekey(struct importer *im, const struct importer *known, enum isa isa);
/* Close the kernel-log block being read, if any. 0 or -ENOMEM. */
int importer_klog_close(struct importer *im);
/* The series of a reporter (has_id: a vCPU), added empty when new; NULL: no memory. */
struct klog_series *importer_klog_series(struct importer *im, bool has_id, uint32_t pid, int32_t vcpu);
void importer_klogs_free(struct klog_series *v, size_t n);
struct pair_state *importer_pair_get(struct importer *im, uint64_t id);
const struct pair_state *importer_pair_find(const struct importer *im, uint64_t id);
void importer_print_bad(const struct importer *im, const struct bad_line *b, uint64_t line_offset);
void importer_print_more(const struct importer *im);

/* A regular file of at least 2 * split_min bytes, in parts. Returns what
 * importer_read_range would, or -EAGAIN when the file is not worth
 * splitting (the caller reads it as one stream). */
int importer_read_parallel(struct importer *im, int fd, uint64_t size);

#endif
