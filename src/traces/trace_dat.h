/* trace-cmd data files (trace.dat, file versions 6 and 7, compressed or
 * not): their kvm_exit and kvm_entry records read with libtracecmd and
 * libtraceevent, the fields as the kernel recorded them, into the
 * importer. A build without libtracecmd (the static one) says so instead
 * (src/traces/trace_dat_none.c). */
#ifndef KVMEXITSTAT_TRACE_DAT_H
#define KVMEXITSTAT_TRACE_DAT_H

#include <stdbool.h>
#include <stddef.h>

#include "importer.h"

struct tep_handle;
struct tep_event;
struct tep_format_field;
struct tep_record;

/* Read a trace-cmd data file into im. Returns 0, or a negative errno after
 * a one-line message naming the file: -ENODATA for a file without a
 * kvm_exit or kvm_entry record, -ENOMEM, -EINVAL (unreadable, or the first
 * undecodable record in strict mode). Events the kernel dropped while the
 * file was recorded are added to im->lost_events and said on im->err. */
int trace_dat_read(struct importer *im, const char *path);

/* The same, with before(ctx, t) called before each kvm_exit/kvm_entry
 * event is accounted (record --from-trace closes its intervals there); a
 * non-zero return stops the reading and is returned. */
int trace_dat_read_each(struct importer *im, const char *path,
			int (*before)(void *ctx, const struct trace_line *t), void *ctx);

/* Where kvm_exit's and kvm_entry's fields are in the records of one file:
 * looked up by name, since their layouts changed over the kernel's
 * versions (kvm_exit gained isa, then vcpu_id and more; kvm_entry has
 * always had vcpu_id). NULL: the file has no such event or field. */
/* One of the events that say what KVM did with an exit (report
 * --detail), and up to four of its fields. */
struct kvm_detail_event {
	struct tep_event *ev;
	struct tep_format_field *f[4];
};

struct kvm_layout {
	struct tep_event *exit, *entry;
	struct tep_format_field *exit_reason, *isa, *exit_vcpu, *entry_vcpu;
	struct tep_format_field *info1, *info2, *intr_info; /* kvm_exit's, where it has them */
	struct tep_format_field *guest_rip;
	/* kvm_pio, kvm_msr, kvm_cr, kvm_page_fault, kvm_mmio, kvm_fast_mmio,
	 * kvm_hypercall, kvm_userspace_exit, kvm_vcpu_wakeup */
	struct kvm_detail_event detail[9];
};

/* The layout of tep's kvm events. 0, or -ENOENT when the file has neither
 * event (or a kvm_exit without exit_reason). */
int trace_dat_layout(struct tep_handle *tep, struct kvm_layout *l);

/* Decode record r: 1 and t, *isa, *code filled for a kvm_exit or kvm_entry
 * (ISA_UNKNOWN where the layout has no isa; a kvm_exit's info fields in
 * t->info), or a detail event (t->kind LINE_DETAIL, t->detail; a record
 * that says nothing decodable is of another event), 0 for a record of
 * another event, -EINVAL for a kvm event whose fields could not be read. */
int trace_dat_decode(struct tep_handle *tep, const struct kvm_layout *l, struct tep_record *r,
		     struct trace_line *t, enum isa *isa, uint64_t *code);

#endif
