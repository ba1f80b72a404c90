/* Exit details: their encoding and names, what merging says of an exit,
 * the exit record's own fields, and a trace's detail lines into the
 * importer's counts. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detail.h"
#include "feed.h"
#include "importer.h"
#include "trace_line.h"

static const char *fmt(uint64_t d)
{
	static char buf[128];
	return detail_format(d, buf, sizeof(buf));
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(fmt(detail_io(0x3f8, 0, 1, 0)), "out 0x3f8/1 COM1 data");
	assert_string_equal(fmt(detail_io(0x71, 1, 1, 0)), "in 0x71/1 RTC/CMOS data");
	assert_string_equal(fmt(detail_io(0xb008, 1, 4, 0)), "in 0xb008/4 ACPI PM timer");
	assert_string_equal(fmt(detail_io(0xb004, 0, 2, 0)), "out 0xb004/2 ACPI PM");
	assert_string_equal(fmt(detail_io(0x1234, 0, 2, 1)), "outs 0x1234/2");
	assert_string_equal(fmt(detail_msr(0x6e0, 1)), "wrmsr 0x6e0 IA32_TSC_DEADLINE");
	assert_string_equal(fmt(detail_msr(0x4b564d01, 0)), "rdmsr 0x4b564d01 KVM_SYSTEM_TIME_NEW");
	assert_string_equal(fmt(detail_msr(0x205, 1)), "wrmsr 0x205 MTRR variable");
	assert_string_equal(fmt(detail_msr(0x9999, 0)), "rdmsr 0x9999");
	assert_string_equal(fmt(detail_cr(8, 1)), "write cr8");
	assert_string_equal(fmt(detail_cr(0, 0)), "read cr0");
	assert_string_equal(fmt(detail_gpa(0xfee000b0)), "gpa 0xfee00000 LAPIC");
	assert_string_equal(fmt(detail_gpa(0xfec00010)), "gpa 0xfec00000 IOAPIC");
	assert_string_equal(fmt(detail_gpa(0xfed000f0)), "gpa 0xfed00000 HPET");
	assert_string_equal(fmt(detail_gpa(0x12345678)), "gpa 0x12345000");
	assert_string_equal(fmt(detail_hcall(5)), "hypercall 5 KICK_CPU");
	assert_string_equal(fmt(detail_hcall(77)), "hypercall 77");
	assert_string_equal(fmt(detail_vmm(5)), "vmm KVM_EXIT_HLT");
	assert_string_equal(fmt(detail_vmm(4000)), "vmm KVM_EXIT 4000");
	assert_string_equal(fmt(detail_vec(14)), "vector 14 #PF");
	assert_string_equal(fmt(detail_vec(0xec)), "vector 236 host local timer");
	assert_string_equal(fmt(detail_vec(0x41)), "vector 65 host device");
	assert_string_equal(fmt(detail_halt(1)), "halt: blocked (guest idle)");
	assert_string_equal(fmt(detail_halt(0)), "halt: polled");
	assert_string_equal(detail_kind_name(detail_halt(1)), "halt");
	assert_string_equal(fmt(0), "(no detail)");
	assert_string_equal(fmt((uint64_t)DETAIL_OTHER << DETAIL_KIND_SHIFT), "(other)");
	assert_string_equal(fmt(detail_io(0x5658, 1, 4, 0) | DETAIL_VIA_VMM), "in 0x5658/4, to VMM");
	assert_string_equal(detail_kind_name(detail_msr(1, 0)), "msr");
	/* a buffer too short is cut, never overrun */
	char small[6];
	detail_format(detail_msr(0x6e0, 1), small, sizeof(small));
	assert_string_equal(small, "wrmsr");
}

static void merge(void **state)
{
	(void)state;
	bool firm = false;
	uint64_t io = detail_io(0x70, 0, 1, 0), vmm_io = detail_vmm(2), intr = detail_vmm(KVM_EXIT_INTR_REASON);

	/* the first firm detail stays; a later one does not replace it */
	uint64_t d = detail_merge(0, &firm, io, true);
	assert_true(d == io && firm);
	assert_true(detail_merge(d, &firm, detail_io(0x71, 0, 1, 0), true) == io);
	/* going on to the VMM afterwards marks it */
	assert_true(detail_merge(d, &firm, vmm_io, true) == (io | DETAIL_VIA_VMM));
	/* a signal does not */
	assert_true(detail_merge(d, &firm, intr, true) == io);
	/* the VMM first, then the port (an IN that user space completed) */
	firm = false;
	d = detail_merge(0, &firm, vmm_io, true);
	assert_true(d == vmm_io && !firm);
	assert_true(detail_merge(d, &firm, io, true) == (io | DETAIL_VIA_VMM) && firm);
	firm = false;
	assert_true(detail_merge(intr, &firm, io, true) == io);
	/* the exit record's detail gives way to a line's */
	firm = false;
	d = detail_merge(0, &firm, detail_io(0x70, 0, 1, 0), false);
	assert_false(firm);
	d = detail_merge(d | DETAIL_VIA_VMM, &firm, detail_io(0x71, 0, 1, 0), true);
	assert_true(d == (detail_io(0x71, 0, 1, 0) | DETAIL_VIA_VMM) && firm);
	assert_true(detail_merge(d, &firm, 0, true) == d);
}

static void from_exit_record(void **state)
{
	(void)state;
	/* VMX IO: "info 5658000b 0": port 0x5658, IN, 4 bytes */
	assert_true(detail_from_exit(ISA_VMX, 30, 0x5658000b, 0, false, 0) == detail_io(0x5658, 1, 4, 0));
	/* VMX string OUT of 2 bytes to 0x1f0 */
	assert_true(detail_from_exit(ISA_VMX, 30, 0x01f00011, 0, false, 0) == detail_io(0x1f0, 0, 2, 1));
	/* VMX CR: mov to cr4, mov from cr3, CLTS, LMSW */
	assert_true(detail_from_exit(ISA_VMX, 28, 0x04, 0, false, 0) == detail_cr(4, 1));
	assert_true(detail_from_exit(ISA_VMX, 28, 0x13, 0, false, 0) == detail_cr(3, 0));
	assert_true(detail_from_exit(ISA_VMX, 28, 0x20, 0, false, 0) == detail_cr(0, 1));
	assert_true(detail_from_exit(ISA_VMX, 28, 0x30, 0, false, 0) == detail_cr(0, 1));
	/* VMX #PF: intr_info valid, vector 14; invalid: nothing */
	assert_true(detail_from_exit(ISA_VMX, 0, 0, 0, true, 0x80000b0e) == detail_vec(14));
	assert_true(detail_from_exit(ISA_VMX, 0, 0, 0, true, 0x0000000e) == 0);
	/* SVM ioio: port 0x3f8, OUT, 1 byte; IN 4 bytes of 0xcfc */
	assert_true(detail_from_exit(ISA_SVM, 0x7b, 0x03f80010, 0, false, 0) == detail_io(0x3f8, 0, 1, 0));
	assert_true(detail_from_exit(ISA_SVM, 0x7b, 0x0cfc0041, 0, false, 0) == detail_io(0xcfc, 1, 4, 0));
	assert_true(detail_from_exit(ISA_SVM, 0x7b, 0x0cfc0001, 0, false, 0) == 0); /* no size: no detail */
	/* SVM CR exits: the exit code is the CR and its direction */
	assert_true(detail_from_exit(ISA_SVM, 0x18, 0, 0, false, 0) == detail_cr(8, 1));
	assert_true(detail_from_exit(ISA_SVM, 0x04, 0, 0, false, 0) == detail_cr(4, 0));
	/* the MSR of an MSR exit from RCX: VMX by reason, SVM by EXITINFO1 */
	assert_true(detail_msr_exit(ISA_VMX, 31, 0, 0x10) == detail_msr(0x10, 0));
	assert_true(detail_msr_exit(ISA_VMX, 32, 0, 0x6e0) == detail_msr(0x6e0, 1));
	assert_true(detail_msr_exit(ISA_SVM, 0x7c, 1, 0x6e0) == detail_msr(0x6e0, 1));
	assert_true(detail_msr_exit(ISA_SVM, 0x7c, 0, 0x1b) == detail_msr(0x1b, 0));
	assert_true(detail_msr_exit(ISA_SVM, 0x72, 0, 0x1b) == 0);
	/* SVM npf: EXITINFO2 */
	assert_true(detail_from_exit(ISA_SVM, 0x400, 0x10000000f, 0xfee000b0, false, 0) == detail_gpa(0xfee000b0));
	assert_true(detail_from_exit(ISA_SVM, 0x7c, 1, 0, false, 0) == 0);
	assert_true(detail_from_exit(ISA_VMX, 12, 0, 0, false, 0) == 0);
}

static uint64_t line_detail(const char *s)
{
	struct trace_line t;
	trace_line_parse(s, strlen(s), &t);
	return t.kind == LINE_DETAIL ? t.detail : 0;
}

static void detail_lines(void **state)
{
	(void)state;
	assert_true(line_detail(" qemu-6660 [007] 398.691441: kvm_pio:   pio_read at 0x5658 size 4 count 1 val 0x4 ") ==
		    detail_io(0x5658, 1, 4, 0));
	assert_true(line_detail("qemu-1 [000] 1.0: kvm_pio: pio_write at 0x1f0 size 2 count 256 val 0x0 (...)") ==
		    detail_io(0x1f0, 0, 2, 1));
	assert_true(line_detail(" 220.696238: kvm_msr: msr_write 830 = 0xb0000440b0") == detail_msr(0x830, 1));
	assert_true(line_detail("<...>-43752 [001] 3615.602299: kvm_msr:  msr_read ce = 0x0 (#GP)") ==
		    detail_msr(0xce, 0));
	assert_true(line_detail("q-8397 [002] ..... 1404.389373: kvm_cr: cr_write 0 = 0x80050033") == detail_cr(0, 1));
	assert_true(line_detail("q-1 [002] 1.0: kvm_cr: cr_read 3 = 0x1000") == detail_cr(3, 0));
	assert_true(line_detail("q-1 [002] 1.0: kvm_page_fault: vcpu 0 rip 0xffffffff81000000 address 0x00000000fee000b0 "
				"error_code 0x6") == detail_gpa(0xfee000b0));
	assert_true(line_detail("q-1 [002] 1.0: kvm_page_fault: address fee000b0 error_code 6") ==
		    detail_gpa(0xfee000b0));
	assert_true(line_detail("q-1 [002] 1.0: kvm_mmio: mmio write len 4 gpa 0xfed000f0 val 0x0") ==
		    detail_gpa(0xfed000f0));
	assert_true(line_detail("q-1 [002] 1.0: kvm_fast_mmio: fast mmio at gpa 0xfe003000") == detail_gpa(0xfe003000));
	assert_true(line_detail("q-1 [002] 1.0: kvm_hypercall: nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0") == detail_hcall(5));
	assert_true(line_detail("q-1 [007] 398.691403: kvm_userspace_exit:   reason KVM_EXIT_IO (2)") == detail_vmm(2));
	assert_true(line_detail("q-1 [007] 1.0: kvm_userspace_exit: reason restart (4)") ==
		    detail_vmm(KVM_EXIT_INTR_REASON));
	assert_true(line_detail("q-1 [000] 1.0: kvm_vcpu_wakeup: wait time 1202933 ns, polling valid") ==
		    detail_halt(1));
	assert_true(line_detail("q-1 [000] 1.0: kvm_vcpu_wakeup: poll time 1034 ns, polling valid") == detail_halt(0));
	/* perf script's "kvm:" prefix */
	assert_true(line_detail("qemu 123 [001] 1.0: kvm:kvm_msr: msr_read 1b = 0xfee00900") == detail_msr(0x1b, 0));
	/* not ours, or not decodable: no detail */
	assert_true(line_detail("q-1 [007] 1.0: kvm_pio: pio_write at zz size 1 count 1") == 0);
	assert_true(line_detail("q-1 [007] 1.0: kvm_msr: msr_write") == 0);
	assert_true(line_detail("q-1 [007] 1.0: kvm_userspace_exit: reason error (14)") == 0);
	assert_true(line_detail("q-1 [007] 1.0: kvm_fpu: load") == 0);
	struct trace_line t;
	const char *fpu = "q-1 [007] 1.0: kvm_pio: nonsense";
	trace_line_parse(fpu, strlen(fpu), &t);
	assert_int_equal(t.kind, LINE_OTHER);
}

static void exit_record_fields(void **state)
{
	(void)state;
	struct trace_line t;
	struct exit_info info;
	const char *a = "q-1 [000] 1.0: kvm_exit: vcpu 0 reason npf rip 0x4004ae info1 0x000000010000000f "
			"info2 0x00000000fee000b0 intr_info 0x00000000 error_code 0x00000000";
	trace_line_parse(a, strlen(a), &t);
	assert_true(trace_line_exit_info(a, strlen(a), &t, &info));
	assert_true(info.info1 == 0x10000000f && info.info2 == 0xfee000b0 && info.has_intr_info && !info.intr_info);
	const char *b = "q-1 [000] 1.0: kvm_exit: reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0";
	trace_line_parse(b, strlen(b), &t);
	assert_true(trace_line_exit_info(b, strlen(b), &t, &info));
	assert_true(info.info1 == 0x5658000b && info.info2 == 0);
	const char *c = "q-1 [000] 1.0: kvm_exit: reason HLT rip 0x10";
	trace_line_parse(c, strlen(c), &t);
	assert_false(trace_line_exit_info(c, strlen(c), &t, &info));
}


static uint64_t count_of(struct importer *im, uint64_t reason, uint64_t detail)
{
	struct exit_key k = { .pid = 10, .vcpu = 0, .isa = ISA_VMX, .reason = reason, .detail = detail };
	const struct exit_stat *st = snapshot_find(&im->exits, &k);
	return st ? st->count : 0;
}

static uint64_t timed_of(struct importer *im, uint64_t reason, uint64_t detail)
{
	struct exit_key k = { .pid = 10, .vcpu = 0, .isa = ISA_VMX, .reason = reason, .detail = detail };
	const struct exit_stat *st = snapshot_find(&im->exits, &k);
	return st ? st->sum_ns : 0;
}

static const char *trace =
	/* an OUT handled in the kernel */
	"q-10 [000] 1.000000: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x1 info1 0x3f80000 info2 0x0 intr_info 0x0 error_code 0x0\n"
	"q-10 [000] 1.000001: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x41\n"
	"q-10 [000] 1.000003: kvm_entry: vcpu 0\n"
	/* an IN user space completes: the VMM first, the port after */
	"q-10 [000] 1.000010: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x2 info1 0x0\n"
	"q-10 [000] 1.000011: kvm_userspace_exit: reason KVM_EXIT_IO (2)\n"
	"q-10 [000] 1.000015: kvm_pio: pio_read at 0x71 size 1 count 1 val 0x4\n"
	"q-10 [000] 1.000020: kvm_entry: vcpu 0\n"
	/* two MSR writes, a read */
	"q-10 [000] 1.000030: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x3\n"
	"q-10 [000] 1.000031: kvm_msr: msr_write 6e0 = 0x1\n"
	"q-10 [000] 1.000032: kvm_entry: vcpu 0\n"
	"q-10 [000] 1.000040: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x3\n"
	"q-10 [000] 1.000041: kvm_msr: msr_write 6e0 = 0x2\n"
	"q-10 [000] 1.000044: kvm_entry: vcpu 0\n"
	"q-10 [000] 1.000050: kvm_exit: vcpu 0 reason MSR_READ rip 0x4\n"
	"q-10 [000] 1.000051: kvm_msr: msr_read 1b = 0xfee00900\n"
	"q-10 [000] 1.000052: kvm_entry: vcpu 0\n"
	/* a detail line with no exit open is said of nothing */
	"q-10 [000] 1.000053: kvm_msr: msr_read 10 = 0x0\n"
	/* a HLT: none */
	"q-10 [000] 1.000060: kvm_exit: vcpu 0 reason HLT rip 0x5\n"
	"q-10 [000] 1.000070: kvm_entry: vcpu 0\n";

static void importer_details(void **state)
{
	(void)state;
	struct importer im;
	importer_init(&im);
	im.details = true;
	feed(&im, trace);
	assert_int_equal(importer_finish(&im), 0);
	assert_int_equal(count_of(&im, 30, detail_io(0x3f8, 0, 1, 0)), 1);
	assert_int_equal(timed_of(&im, 30, detail_io(0x3f8, 0, 1, 0)), 3000);
	assert_int_equal(count_of(&im, 30, detail_io(0x71, 1, 1, 0) | DETAIL_VIA_VMM), 1);
	assert_int_equal(timed_of(&im, 30, detail_io(0x71, 1, 1, 0) | DETAIL_VIA_VMM), 10000);
	assert_int_equal(count_of(&im, 30, 0), 0); /* each moved to its detail */
	assert_int_equal(count_of(&im, 32, detail_msr(0x6e0, 1)), 2);
	assert_int_equal(timed_of(&im, 32, detail_msr(0x6e0, 1)), 6000);
	assert_int_equal(count_of(&im, 31, detail_msr(0x1b, 0)), 1);
	assert_int_equal(count_of(&im, 31, detail_msr(0x10, 0)), 0);
	assert_int_equal(count_of(&im, 12, 0), 1);
	struct exit_stat total;
	snapshot_total(&im.exits, &total);
	assert_int_equal(total.count, 6);
	importer_free(&im);

	/* without --detail the same trace counts per reason only */
	importer_init(&im);
	feed(&im, trace);
	assert_int_equal(importer_finish(&im), 0);
	assert_int_equal(count_of(&im, 30, 0), 2);
	assert_int_equal(count_of(&im, 32, 0), 2);
	assert_false(snapshot_has_details(&im.exits));
	importer_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(merge),
		cmocka_unit_test(from_exit_record),
		cmocka_unit_test(detail_lines),
		cmocka_unit_test(exit_record_fields),
		cmocka_unit_test(importer_details),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
