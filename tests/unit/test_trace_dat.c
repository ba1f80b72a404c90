/* kvm_exit/kvm_entry records of trace-cmd data files decoded by their
 * event formats (src/trace_dat.c), for the layouts the kernel has had, and
 * accounted by the importer as text lines are. Real files, recorded in the
 * testbeds on 6.1 and 6.12, are read in tests/vm/test_trace_dat.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event-parse.h>

#include "importer.h"
#include "trace_dat.h"

#define COMMON                                                                                              \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"                             \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"                             \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"                     \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

/* Linux 6.x: isa and vcpu_id (the testbeds' 6.1 and 6.12 have this one) */
static const char exit_6[] = "name: kvm_exit\nID: 100\nformat:\n" COMMON
	"\tfield:unsigned int exit_reason;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long guest_rip;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:u32 isa;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 info1;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 info2;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:u32 intr_info;\toffset:48;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 error_code;\toffset:52;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int vcpu_id;\toffset:56;\tsize:4;\tsigned:0;\n\n"
	"print fmt: \"vcpu %u reason %u\", REC->vcpu_id, REC->exit_reason\n";

/* before kvm_exit named its vCPU: isa, info1, info2 */
static const char exit_isa[] = "name: kvm_exit\nID: 100\nformat:\n" COMMON
	"\tfield:unsigned int exit_reason;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long guest_rip;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:u32 isa;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 info1;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 info2;\toffset:40;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"reason %u rip 0x%lx\", REC->exit_reason, REC->guest_rip\n";

/* the first kvm_exit: the reason and the rip */
static const char exit_old[] = "name: kvm_exit\nID: 100\nformat:\n" COMMON
	"\tfield:unsigned int exit_reason;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long guest_rip;\toffset:16;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"reason %u rip 0x%lx\", REC->exit_reason, REC->guest_rip\n";

static const char entry_fmt[] = "name: kvm_entry\nID: 101\nformat:\n" COMMON
	"\tfield:unsigned int vcpu_id;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long rip;\toffset:16;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"vcpu %u, rip 0x%lx\", REC->vcpu_id, REC->rip\n";

static const char other_fmt[] = "name: sched_switch\nID: 102\nformat:\n" COMMON
	"\tfield:int prev_pid;\toffset:8;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"prev_pid=%d\", REC->prev_pid\n";

static const char no_reason_fmt[] = "name: kvm_exit\nID: 100\nformat:\n" COMMON
	"\tfield:unsigned long guest_rip;\toffset:8;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"rip 0x%lx\", REC->guest_rip\n";

static struct tep_handle *tep_with(const char *exit_format, bool entry)
{
	struct tep_handle *tep = tep_alloc();
	assert_non_null(tep);
	tep_set_long_size(tep, 8);
	if (exit_format)
		assert_int_equal(tep_parse_event(tep, exit_format, strlen(exit_format), "kvm"), 0);
	if (entry)
		assert_int_equal(tep_parse_event(tep, entry_fmt, strlen(entry_fmt), "kvm"), 0);
	assert_int_equal(tep_parse_event(tep, other_fmt, strlen(other_fmt), "sched"), 0);
	return tep;
}

/* A record of event id: common fields, then words at their offsets. */
struct rec {
	unsigned char data[64];
	struct tep_record r;
};

static void put32(struct rec *x, int off, uint32_t v)
{
	memcpy(x->data + off, &v, 4);
}

static struct tep_record *make(struct rec *x, uint16_t id, int32_t pid, int size, int cpu, uint64_t ts)
{
	memset(x, 0, sizeof(*x));
	memcpy(x->data, &id, 2);
	memcpy(x->data + 4, &pid, 4);
	x->r.data = x->data;
	x->r.size = size;
	x->r.cpu = cpu;
	x->r.ts = ts;
	return &x->r;
}

static void layouts(void **state)
{
	(void)state;
	struct kvm_layout l;
	struct tep_handle *tep = tep_with(exit_6, true);
	assert_int_equal(trace_dat_layout(tep, &l), 0);
	assert_non_null(l.exit);
	assert_non_null(l.isa);
	assert_non_null(l.exit_vcpu);
	assert_non_null(l.entry_vcpu);
	tep_free(tep);

	tep = tep_with(exit_old, false);
	assert_int_equal(trace_dat_layout(tep, &l), 0);
	assert_null(l.isa);
	assert_null(l.exit_vcpu);
	assert_null(l.entry);
	tep_free(tep);

	/* a file without KVM's events, and a kvm_exit without its reason */
	tep = tep_with(NULL, false);
	assert_int_equal(trace_dat_layout(tep, &l), -ENOENT);
	tep_free(tep);
	tep = tep_with(no_reason_fmt, true);
	assert_int_equal(trace_dat_layout(tep, &l), -ENOENT);
	tep_free(tep);
}

static void decodes_6(void **state)
{
	(void)state;
	struct kvm_layout l;
	struct tep_handle *tep = tep_with(exit_6, true);
	struct rec x;
	struct trace_line t;
	enum isa isa;
	uint64_t code;

	assert_int_equal(trace_dat_layout(tep, &l), 0);
	tep_register_comm(tep, "qemu-system-x86", 4242);

	/* VMX: the full exit reason, flags and all */
	struct tep_record *r = make(&x, 100, 4242, 60, 3, 1234567891234ull);
	put32(&x, 8, 0x80000021u);
	put32(&x, 24, 1);
	put32(&x, 56, 7);
	uint64_t rip = 0xffffffff81023456ull;
	memcpy(x.data + 16, &rip, 8);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(t.kind, LINE_EXIT);
	assert_true(t.has_rip);
	assert_int_equal(t.rip, rip);
	assert_int_equal(isa, ISA_VMX);
	assert_int_equal(code, 0x80000021u);
	assert_int_equal(t.vcpu, 7);
	assert_true(t.has_tid);
	assert_int_equal(t.tid, 4242);
	assert_int_equal(t.cpu, 3);
	assert_true(t.has_ts);
	assert_int_equal(t.ts_ns, 1234567891234ull);
	assert_int_equal(t.comm_len, strlen("qemu-system-x86"));
	assert_memory_equal(t.comm, "qemu-system-x86", t.comm_len);

	/* SVM: a VMRUN failure is a negative code, recorded in 32 bits */
	r = make(&x, 100, 17, 60, 0, 5);
	put32(&x, 8, 0xffffffffu);
	put32(&x, 24, 2);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(isa, ISA_SVM);
	assert_int_equal(code, UINT64_MAX);
	assert_int_equal(t.comm_len, 0); /* no saved command line */
	/* SVM's large positive codes (VMGEXIT's) stay as they are */
	put32(&x, 8, 0x80000010u);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(code, 0x80000010u);

	/* an isa the tracepoint never wrote: unknown, left to --isa */
	put32(&x, 24, 9);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(isa, ISA_UNKNOWN);

	/* kvm_entry names its vCPU */
	r = make(&x, 101, 4242, 24, 3, 1234567899999ull);
	put32(&x, 8, 7);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(t.kind, LINE_ENTRY);
	assert_int_equal(t.vcpu, 7);

	/* another event is none of ours; a record shorter than its format is bad */
	r = make(&x, 102, 1, 12, 0, 1);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 0);
	r = make(&x, 100, 1, 40, 0, 1);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), -EINVAL);
	tep_free(tep);
}

static void decodes_older_layouts(void **state)
{
	(void)state;
	struct kvm_layout l;
	struct rec x;
	struct trace_line t;
	enum isa isa;
	uint64_t code;

	struct tep_handle *tep = tep_with(exit_isa, true);
	assert_int_equal(trace_dat_layout(tep, &l), 0);
	struct tep_record *r = make(&x, 100, 300, 48, 1, 10);
	put32(&x, 8, 0x7c);
	put32(&x, 24, 2);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(isa, ISA_SVM);
	assert_int_equal(code, 0x7c);
	assert_int_equal(t.vcpu, -1); /* kvm_entry's tells it */
	tep_free(tep);

	tep = tep_with(exit_old, true);
	assert_int_equal(trace_dat_layout(tep, &l), 0);
	r = make(&x, 100, 300, 24, 1, 10);
	put32(&x, 8, 30);
	assert_int_equal(trace_dat_decode(tep, &l, r, &t, &isa, &code), 1);
	assert_int_equal(isa, ISA_UNKNOWN);
	assert_int_equal(code, 30);
	tep_free(tep);
}

/* Events accounted as text lines are: counted, paired by thread, the vCPU
 * learnt from kvm_entry, --isa for records without one. */
static void importer_accounts(void **state)
{
	(void)state;
	struct importer im;
	importer_init(&im);
	im.err = fopen("/dev/null", "w");
	importer_begin_input(&im, "t.dat");

	struct trace_line t = { .kind = LINE_ENTRY, .has_ts = true, .ts_ns = 1000, .has_tid = true, .tid = 50,
				.cpu = 0, .vcpu = 2 };
	assert_int_equal(importer_event(&im, &t, ISA_UNKNOWN, 0, "r1"), 0);
	t.kind = LINE_EXIT;
	t.ts_ns = 2000;
	t.vcpu = -1;
	assert_int_equal(importer_event(&im, &t, ISA_SVM, 0x72, "r2"), 0);
	t.kind = LINE_ENTRY;
	t.ts_ns = 2600;
	assert_int_equal(importer_event(&im, &t, ISA_UNKNOWN, 0, "r3"), 0);
	assert_int_equal(importer_end_input(&im), 0);
	assert_int_equal(importer_finish(&im), 0);

	struct exit_key k = { .pid = 50, .vcpu = 2, .isa = ISA_SVM, .reason = 0x72 };
	const struct exit_stat *st = snapshot_find(&im.exits, &k);
	assert_non_null(st);
	assert_int_equal(st->count, 1);
	assert_int_equal(st->timed, 1);
	assert_int_equal(st->sum_ns, 600);
	assert_int_equal(im.lines, 3);
	assert_int_equal(im.paired, 1);

	/* --isa: taken where the record has none, a mismatch is undecodable */
	im.forced_isa = ISA_VMX;
	importer_begin_input(&im, "t2.dat");
	t.kind = LINE_EXIT;
	t.ts_ns = 3000;
	t.tid = 51;
	assert_int_equal(importer_event(&im, &t, ISA_UNKNOWN, 10, "r4"), 0);
	assert_int_equal(importer_event(&im, &t, ISA_SVM, 10, "r5"), 0);
	assert_int_equal(im.unparsed, 1);
	assert_string_equal(im.first_bad_input, "t2.dat");
	assert_int_equal(im.first_bad_line, 5);
	struct exit_key k2 = { .pid = 51, .vcpu = VCPU_NONE, .tid = 51, .isa = ISA_VMX, .reason = 10 };
	st = snapshot_find(&im.exits, &k2);
	assert_non_null(st);
	assert_int_equal(st->count, 1);
	assert_int_equal(importer_event_bad(&im, "record shorter than its event's format", "r6"), 0);
	assert_int_equal(im.unparsed, 2);
	fclose(im.err);
	importer_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layouts),
		cmocka_unit_test(decodes_6),
		cmocka_unit_test(decodes_older_layouts),
		cmocka_unit_test(importer_accounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
