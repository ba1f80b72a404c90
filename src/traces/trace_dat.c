/* trace-cmd data files read natively (trace_dat.h). libtracecmd opens the
 * file (its headers, event formats, saved command lines, per-CPU ring
 * buffer pages, zstd/zlib sections of version 7) and hands the records over
 * in time order across CPUs; each kvm_exit/kvm_entry record's fields are
 * read by name from its event's format and given to the importer, which
 * counts and pairs them as it does text lines. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "trace_dat.h"

#include "detail.h"

int trace_dat_layout(struct tep_handle *tep, struct kvm_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->exit = tep_find_event_by_name(tep, "kvm", "kvm_exit");
	l->entry = tep_find_event_by_name(tep, "kvm", "kvm_entry");
	if (l->exit) {
		l->exit_reason = tep_find_field(l->exit, "exit_reason");
		l->isa = tep_find_field(l->exit, "isa");
		l->exit_vcpu = tep_find_field(l->exit, "vcpu_id");
		if (!l->exit_reason)
			return -ENOENT;
	}
	if (l->entry)
		l->entry_vcpu = tep_find_field(l->entry, "vcpu_id");
	if (l->exit) {
		l->info1 = tep_find_field(l->exit, "info1");
		l->info2 = tep_find_field(l->exit, "info2");
		l->intr_info = tep_find_field(l->exit, "intr_info");
		l->guest_rip = tep_find_field(l->exit, "guest_rip");
	}
	/* the detail events by their TP_STRUCT__entry fields (arch/x86/kvm/trace.h,
	 * include/trace/events/kvm.h) */
	static const struct { const char *name, *f[4]; } d[9] = {
		{ "kvm_pio", { "rw", "port", "size", "count" } }, { "kvm_msr", { "write", "ecx" } },
		{ "kvm_cr", { "rw", "cr" } }, { "kvm_page_fault", { "fault_address" } }, { "kvm_mmio", { "gpa" } },
		{ "kvm_fast_mmio", { "gpa" } }, { "kvm_hypercall", { "nr" } }, { "kvm_userspace_exit", { "reason", "errno" } },
		{ "kvm_vcpu_wakeup", { "waited" } },
	};
	for (int i = 0; i < 9; i++) {
		struct kvm_detail_event *e = &l->detail[i];
		e->ev = tep_find_event_by_name(tep, "kvm", d[i].name);
		for (int k = 0; e->ev && k < 4 && d[i].f[k]; k++)
			if (!(e->f[k] = tep_find_field(e->ev, d[i].f[k])))
				e->ev = NULL; /* (a layout we do not know: no details from it) */
	}
	return l->exit || l->entry ? 0 : -ENOENT;
}

/* A numeric field of r, which must lie inside the record. */
static int read_field(const struct tep_format_field *f, const struct tep_record *r, uint64_t *v)
{
	unsigned long long n;

	if (f->offset < 0 || f->size <= 0 || f->offset + f->size > r->size)
		return -EINVAL;
	if (tep_read_number_field((struct tep_format_field *)f, r->data, &n))
		return -EINVAL;
	*v = n;
	return 0;
}

/* A detail event's record: its detail (0: it says nothing we decode). */
static uint64_t detail_of(int i, const struct kvm_detail_event *e, const struct tep_record *r)
{
	uint64_t x[4] = { 0 }, a, b;
	for (int k = 0; k < 4 && e->f[k]; k++)
		if (read_field(e->f[k], r, &x[k]))
			return 0;
	a = x[0];
	b = x[1];
	switch (i) {
	case 0: /* kvm_pio: rw (1 write), port, size, count */
		return detail_io((uint16_t)b, !a, (unsigned)x[2], x[3] > 1);
	case 1:
		return detail_msr((uint32_t)b, a != 0);
	case 2:
		return detail_cr((unsigned)b, a != 0);
	case 3: case 4: case 5:
		return detail_gpa(a);
	case 6:
		return detail_hcall(a);
	case 7: /* reason, errno: -EINTR a signal, another error says nothing */
		return (int32_t)b == -4 ? detail_vmm(KVM_EXIT_INTR_REASON) : (int32_t)b < 0 ? 0 : detail_vmm((uint32_t)a);
	default:
		return detail_halt(a != 0);
	}
}

int trace_dat_decode(struct tep_handle *tep, const struct kvm_layout *l, struct tep_record *r,
		     struct trace_line *t, enum isa *isa, uint64_t *code)
{
	int type = tep_data_type(tep, r);
	bool is_exit = l->exit && type == l->exit->id, is_entry = l->entry && type == l->entry->id;
	int di = -1;
	uint64_t v;

	for (int i = 0; i < 9 && !is_exit && !is_entry && di < 0; i++)
		if (l->detail[i].ev && type == l->detail[i].ev->id)
			di = i;
	if (!is_exit && !is_entry && di < 0)
		return 0;
	memset(t, 0, sizeof(*t));
	t->kind = is_exit ? LINE_EXIT : LINE_ENTRY;
	t->has_ts = true;
	t->ts_ns = r->ts;
	t->cpu = r->cpu;
	t->vcpu = -1;
	int pid = tep_data_pid(tep, r);
	if (pid > 0) {
		t->has_tid = true;
		t->tid = (uint32_t)pid;
		const char *comm = tep_data_comm_from_pid(tep, pid);
		if (comm && strcmp(comm, "<...>")) {
			t->comm = comm;
			t->comm_len = strlen(comm);
		}
	}
	if (di >= 0) {
		t->kind = LINE_DETAIL;
		t->detail = detail_of(di, &l->detail[di], r);
		return t->detail ? 1 : 0;
	}
	const struct tep_format_field *vf = is_exit ? l->exit_vcpu : l->entry_vcpu;
	if (vf) {
		if (read_field(vf, r, &v))
			return -EINVAL;
		t->vcpu = (int32_t)(uint32_t)v;
	}
	if (is_entry)
		return 1;
	if (read_field(l->exit_reason, r, code))
		return -EINVAL;
	*isa = ISA_UNKNOWN;
	if (l->isa) {
		if (read_field(l->isa, r, &v))
			return -EINVAL;
		*isa = v == ISA_VMX ? ISA_VMX : v == ISA_SVM ? ISA_SVM : ISA_UNKNOWN;
	}
	if (l->info1 && l->info2 && !read_field(l->info1, r, &t->info1) && !read_field(l->info2, r, &t->info2)) {
		t->has_info = true;
		if (l->intr_info && !read_field(l->intr_info, r, &v)) {
			t->has_intr_info = true;
			t->intr_info = (uint32_t)v;
		}
	}
	if (l->guest_rip && !read_field(l->guest_rip, r, &t->rip))
		t->has_rip = true;
	/* SVM's VMRUN failures are negative exit codes, recorded in 32 bits */
	if (*isa == ISA_SVM && l->exit_reason->size == 4 && *code >= 0xfffffff0u)
		*code = (uint64_t)(int64_t)(int32_t)(uint32_t)*code;
	return 1;
}

struct reader {
	struct importer *im;
	struct tep_handle *tep;
	struct kvm_layout layout;
	uint64_t records;
	uint64_t lost;         /* events the kernel dropped, where it said how many */
	uint64_t lost_unknown; /* places it dropped an unknown number */
	int lost_cpu;          /* where the first loss was */
	uint64_t lost_ts;
	int (*before)(void *ctx, const struct trace_line *t);
	void *ctx;
	int err;
};

static int on_record(struct tracecmd_input *h, struct tep_record *r, int cpu, void *data)
{
	struct reader *rd = data;
	struct trace_line t;
	enum isa isa = ISA_UNKNOWN;
	uint64_t code = 0;
	char what[96];

	(void)h;
	(void)cpu;
	rd->records++;
	if (r->missed_events) {
		if (!rd->lost && !rd->lost_unknown) {
			rd->lost_cpu = r->cpu;
			rd->lost_ts = r->ts;
		}
		if (r->missed_events > 0)
			rd->lost += (uint64_t)r->missed_events;
		else
			rd->lost_unknown++;
	}
	int k = trace_dat_decode(rd->tep, &rd->layout, r, &t, &isa, &code);
	if (k == 0)
		return 0;
	snprintf(what, sizeof(what), "%s record on CPU %d at %" PRIu64 ".%06" PRIu64 " s",
		 k < 0 ? "kvm event" : t.kind == LINE_EXIT ? "kvm_exit" : "kvm_entry", r->cpu,
		 (uint64_t)r->ts / 1000000000u, (uint64_t)r->ts % 1000000000u / 1000u);
	if (k < 0) {
		/* a record shorter than its format: counted as undecodable */
		rd->err = importer_event_bad(rd->im, "record shorter than its event's format", what);
	} else if (t.kind == LINE_DETAIL) {
		rd->err = importer_detail(rd->im, &t);
	} else {
		rd->err = rd->before ? rd->before(rd->ctx, &t) : 0;
		if (!rd->err)
			rd->err = importer_event(rd->im, &t, isa, code, what);
	}
	return rd->err ? -1 : 0; /* non-zero stops the iteration */
}

/* Whether libtracecmd opens path without dying: it crashes (3.1.6, in the
 * clean-up of a failed open) on a version 6 file cut inside its last CPU's
 * records, so a child process tries first. */
static bool opens_safely(const char *path)
{
	pid_t pid = fork();
	if (pid < 0)
		return true; /* (no child: try in this process) */
	if (pid == 0)
		_exit(tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS) ? 0 : 1);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return true;
	return !WIFSIGNALED(st);
}

int trace_dat_read(struct importer *im, const char *path)
{
	return trace_dat_read_each(im, path, NULL, NULL);
}

int trace_dat_read_each(struct importer *im, const char *path,
			int (*before)(void *ctx, const struct trace_line *t), void *ctx)
{
	struct reader rd = { .im = im, .before = before, .ctx = ctx };
	uint64_t events_before = im->events;

	importer_begin_input(im, path);
	tracecmd_set_loglevel(TEP_LOG_NONE); /* its messages are ours to give */
	struct tracecmd_input *h = opens_safely(path) ? tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS) : NULL;
	if (!h) {
		/* (libtracecmd leaves no errno worth giving) */
		fprintf(im->err, "kvmexitstat: %s: a trace-cmd data file that cannot be read: truncated or damaged\n",
			path);
		return -EINVAL;
	}
	rd.tep = tracecmd_get_tep(h);
	if (!rd.tep || trace_dat_layout(rd.tep, &rd.layout)) {
		fprintf(im->err, "kvmexitstat: %s: a trace-cmd data file without the kvm_exit and kvm_entry events "
			"(record them: trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry)\n", path);
		tracecmd_close(h);
		return -ENODATA;
	}
	int it = tracecmd_iterate_events(h, NULL, 0, on_record, &rd);
	tracecmd_close(h);
	int err = rd.err;
	if (!err && it < 0) {
		fprintf(im->err, "kvmexitstat: %s: reading its records failed after %" PRIu64 " (truncated?)\n", path,
			rd.records);
		err = -EINVAL;
	}
	if (rd.lost || rd.lost_unknown) {
		im->lost_events += rd.lost + rd.lost_unknown;
		char n[48];
		snprintf(n, sizeof(n), rd.lost_unknown ? "at least %" PRIu64 : "%" PRIu64, rd.lost + rd.lost_unknown);
		fprintf(im->err, "kvmexitstat: %s: the kernel dropped %s events while this was recorded (first on CPU %d "
			"before %" PRIu64 ".%06" PRIu64 " s): counts are short; record with a larger buffer (-b)\n",
			path, n, rd.lost_cpu, rd.lost_ts / 1000000000u, rd.lost_ts % 1000000000u / 1000u);
	}
	if (!err && im->events == events_before) {
		fprintf(im->err, "kvmexitstat: %s: no kvm_exit or kvm_entry records in %" PRIu64 " records\n", path,
			rd.records);
		err = -ENODATA;
	}
	if (importer_end_input(im) && !err)
		err = -ENOMEM;
	return err;
}
