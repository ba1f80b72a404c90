/* Every line layout the importer accepts, one test each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "trace_line.h"

static struct trace_line parse(const char *s)
{
	struct trace_line t;
	trace_line_parse(s, strlen(s), &t);
	return t;
}

static void assert_text(const char *p, size_t len, const char *want)
{
	if (strlen(want) != len || memcmp(p, want, len))
		fail_msg("got '%.*s', want '%s'", (int)len, p ? p : "", want);
}

static void ftrace_new_layout(void **state)
{
	(void)state;
	struct trace_line t = parse(
		" qemu-system-x86-8397    [002] d....  1404.389366: kvm_exit: vcpu 1 reason CR_ACCESS rip "
		"0xffffffff8100007a info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 "
		"error_code 0x00000000");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_true(t.has_tid);
	assert_int_equal(t.tid, 8397);
	assert_false(t.has_tgid);
	assert_text(t.comm, t.comm_len, "qemu-system-x86");
	assert_int_equal(t.cpu, 2);
	assert_true(t.has_ts);
	assert_true(t.ts_ns == 1404389366000ull);
	assert_int_equal(t.vcpu, 1);
	assert_text(t.reason, t.reason_len, "CR_ACCESS");
}

static void comm_with_spaces(void **state)
{
	(void)state;
	struct trace_line t = parse(
		"       CPU 0/KVM-7289    [003] d..1.  5123.000001: kvm_exit: vcpu 0 reason EPT_VIOLATION rip "
		"0xffffffff81000000 info1 0x0000000000000181 info2 0x0000000000000000 intr_info 0x00000000 "
		"error_code 0x00000000");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.comm, t.comm_len, "CPU 0/KVM");
	assert_int_equal(t.tid, 7289);
	assert_int_equal(t.cpu, 3);
	assert_true(t.ts_ns == 5123000001000ull);
	assert_text(t.reason, t.reason_len, "EPT_VIOLATION");
}

static void anonymous_comm_old_layout(void **state)
{
	(void)state;
	/* trace-cmd report: "<...>" comm, no flags column, old layout */
	struct trace_line t = parse(
		"           <...>-43752 [001]  3615.602302: kvm_exit:             reason EXIT_EXCP_GP rip 0x4015c2 info 6a 0");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.comm, t.comm_len, "<...>");
	assert_int_equal(t.tid, 43752);
	assert_int_equal(t.vcpu, -1);
	assert_text(t.reason, t.reason_len, "EXIT_EXCP_GP");
	assert_true(t.has_rip);
	assert_int_equal(t.rip, 0x4015c2);
}

static void intermediate_layout(void **state)
{
	(void)state;
	struct trace_line t = parse(
		" qemu-kvm-1234 [000] ....  10.5: kvm_exit: vcpu 2 reason EXIT_NPF rip 0xffffffff81001234 info 100000004 fee00000");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_int_equal(t.vcpu, 2);
	assert_true(t.ts_ns == 10500000000ull);
	assert_text(t.reason, t.reason_len, "EXIT_NPF");
	assert_int_equal(t.rip, 0xffffffff81001234ull);
	/* a RIP that is no number is none (the exit still counts) */
	t = parse(" qemu-kvm-1234 [000] ....  10.5: kvm_exit: vcpu 2 reason EXIT_NPF rip 0xfffq info 1 0");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_false(t.has_rip);
	t = parse(" qemu-kvm-1234 [000] ....  10.5: kvm_exit: vcpu 2 reason HLT");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_false(t.has_rip);
}

static void reason_with_spaces(void **state)
{
	(void)state;
	struct trace_line t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason GP excp rip 0x10 info1 0x0 info2 0x0 "
				    "intr_info 0x0 error_code 0x0");
	assert_text(t.reason, t.reason_len, "GP excp");
	t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason INVALID_STATE FAILED_VMENTRY rip 0x0 info1 0x0 "
		  "info2 0x0 intr_info 0x0 error_code 0x0");
	assert_text(t.reason, t.reason_len, "INVALID_STATE FAILED_VMENTRY");
}

static void perf_script(void **state)
{
	(void)state;
	/* no comm column at all */
	struct trace_line t = parse(
		"    [001]   770.850307:                       kvm:kvm_exit: vcpu 0 reason TRIPLE_FAULT rip 0x100146 "
		"info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_false(t.has_tid);
	assert_int_equal(t.comm_len, 0);
	assert_int_equal(t.cpu, 1);
	assert_true(t.ts_ns == 770850307000ull);
	assert_text(t.reason, t.reason_len, "TRIPLE_FAULT");

	/* default perf script: comm, tid */
	t = parse(" qemu-system-x86  8397 [002]  1404.389366: kvm:kvm_exit: vcpu 1 reason CPUID rip 0x0 info1 0x0 "
		  "info2 0x0 intr_info 0x0 error_code 0x0");
	assert_true(t.has_tid);
	assert_int_equal(t.tid, 8397);
	assert_text(t.comm, t.comm_len, "qemu-system-x86");

	/* perf script -F +pid: comm pid/tid */
	t = parse("       CPU 1/KVM 8390/8397 [002]  1404.389366: kvm:kvm_entry: vcpu 1, rip 0xffffffff81000129");
	assert_int_equal(t.kind, LINE_ENTRY);
	assert_int_equal(t.tid, 8397);
	assert_true(t.has_tgid);
	assert_int_equal(t.tgid, 8390);
	assert_text(t.comm, t.comm_len, "CPU 1/KVM");
	assert_int_equal(t.vcpu, 1);
}

static void record_tgid(void **state)
{
	(void)state;
	struct trace_line t = parse(
		" CPU 1/KVM-8397 (   8390) [002] d....  1404.389366: kvm_exit: vcpu 1 reason HLT rip 0x0 info1 0x0 "
		"info2 0x0 intr_info 0x0 error_code 0x0");
	assert_true(t.has_tgid);
	assert_int_equal(t.tgid, 8390);
	assert_int_equal(t.tid, 8397);
	assert_text(t.comm, t.comm_len, "CPU 1/KVM");
	t = parse(" CPU 1/KVM-8397 (-------) [002] d.... 1.0: kvm_entry: vcpu 1, rip 0x0");
	assert_false(t.has_tgid);
	assert_int_equal(t.tid, 8397);
}

static void bare_no_columns(void **state)
{
	(void)state;
	struct trace_line t = parse(
		" 220.696239: kvm_exit: vcpu 0 reason vintr rip 0x4004ae info1 0x0000000000000000 info2 "
		"0x0000000000000000 intr_info 0x00000000 error_code 0x00000000");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_false(t.has_tid);
	assert_int_equal(t.cpu, -1);
	assert_true(t.ts_ns == 220696239000ull);
	assert_int_equal(t.vcpu, 0);
	assert_text(t.reason, t.reason_len, "vintr");

	/* not even a timestamp */
	t = parse("kvm_exit: reason HLT rip 0x10 info 0 0");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_false(t.has_ts);
	assert_text(t.reason, t.reason_len, "HLT");
}

static void entries(void **state)
{
	(void)state;
	struct trace_line t = parse(" qemu-system-x86-6660  [007]   398.691444: kvm_entry:            vcpu 3");
	assert_int_equal(t.kind, LINE_ENTRY);
	assert_int_equal(t.vcpu, 3);
	assert_int_equal(t.tid, 6660);
	t = parse(" 220.696238: kvm_entry: vcpu 0, rip 0x406a89");
	assert_int_equal(t.kind, LINE_ENTRY);
	assert_int_equal(t.vcpu, 0);
}

static void crlf(void **state)
{
	(void)state;
	struct trace_line t = parse(" q-1 [000] 1.5: kvm_exit: reason CPUID rip 0x10 info 0 0\r");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.reason, t.reason_len, "CPUID");
	t = parse("[   12.000001] CMPE283: exit 10 count=5\r");
	assert_int_equal(t.kind, LINE_KLOG_EXIT);
	assert_int_equal(t.klog_count, 5);
}

static void other_lines(void **state)
{
	(void)state;
	const char *lines[] = {
		"",
		"That was the EFER setup...",
		(" qemu-system-x86-6660  [007]   398.691476: kvm_nested_vmexit:    rip 7fa9ee5224e4 reason IO_INSTRUCTION "
		 "info1 5658000b info2 0 int_info 0 int_info_err 0"),
		" qemu-system-x86-8397 [002] ..... 1404.389664: kvm_emulate_insn: 0:ffffffff810551b8:0f 00 d8 (prot64)",
		" 220.696238: kvm_apic_ipi: dst b0 vec 176 (Fixed|physical|assert|edge|self)",
		"[    1.000000] CMPE283: module loaded",
		"# tracer: nop",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct trace_line t = parse(lines[i]);
		if (t.kind != LINE_OTHER)
			fail_msg("line %zu taken as kind %d", i, t.kind);
	}
}

static void bad_exit_lines(void **state)
{
	(void)state;
	const char *lines[] = {
		" q-1 [000] 1.000000: kvm_exit: vcpu 0 rea",
		" q-1 [000] 1.000000: kvm_exit: vcpu 99999999999999999999 reason HLT rip 0x0 info 0 0",
		" q-1 [000] 1.000000: kvm_exit: vcpu x reason HLT rip 0x0 info 0 0",
		" q-1 [000] 1.000000: kvm_exit: reason  rip 0x0 info 0 0",
		" q-1 [000] 1.000000: kvm_exit:",
		"[ 1.0] CMPE283: exit 10 count=99999999999999999999999",
		"[ 1.0] CMPE283: exit 10 count=",
		"[ 1.0] CMPE283: exit 10",
		"[ 1.0] CMPE283: VMX Exit Stats (total=)",
		"[ 1.0] CMPE283: VMX Exit Stats (total=1",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct trace_line t = parse(lines[i]);
		if (t.kind != LINE_BAD)
			fail_msg("line %zu ('%s') taken as kind %d", i, lines[i], t.kind);
		assert_non_null(t.why);
	}
}

/* Lines their authors trimmed after the reason: the reason is whole. */
static void trimmed_after_reason(void **state)
{
	(void)state;
	struct trace_line t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason HLT");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.reason, t.reason_len, "HLT");
	assert_true(t.reason_last);
	assert_int_equal(t.vcpu, 0);
	t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 2 reason EXTERNAL_INTERRUPT intr_info 0x800000ec  ");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.reason, t.reason_len, "EXTERNAL_INTERRUPT");
	assert_false(t.reason_last);
	assert_int_equal(t.vcpu, 2);
	/* cut inside the reason: a word the importer will not know, marked as last */
	t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason CPU");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.reason, t.reason_len, "CPU");
	assert_true(t.reason_last);
	t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason INVALID_STATE FAILED_VMENTRY");
	assert_text(t.reason, t.reason_len, "INVALID_STATE FAILED_VMENTRY");
	assert_true(t.reason_last);
	t = parse(" q-1 [000] 1.000000: kvm_exit: vcpu 0 reason npf info 100000014 fd000");
	assert_text(t.reason, t.reason_len, "npf");
	/* with rip, a reason may still hold spaces */
	t = parse(" q-1 [000] 1.000000: kvm_exit: reason UNKNOWN (42) rip 0x0 info 0 0");
	assert_text(t.reason, t.reason_len, "UNKNOWN (42)");
	assert_false(t.reason_last);
}

static void kernel_log(void **state)
{
	(void)state;
	struct trace_line t = parse("[   12.345678] CMPE283: VMX Exit Stats (total=10000)");
	assert_int_equal(t.kind, LINE_KLOG_HEADER);
	assert_int_equal(t.klog_isa, ISA_VMX);
	assert_int_equal(t.klog_total, 10000);
	assert_true(t.has_ts);
	assert_true(t.ts_ns == 12345678000ull);
	t = parse("CMPE283: SVM Exit Stats (total=20000)");
	assert_int_equal(t.kind, LINE_KLOG_HEADER);
	assert_int_equal(t.klog_isa, ISA_SVM);
	assert_false(t.has_ts);
	t = parse("[   12.345680] CMPE283: exit 48 count=1234");
	assert_int_equal(t.kind, LINE_KLOG_EXIT);
	assert_text(t.reason, t.reason_len, "48");
	assert_int_equal(t.klog_count, 1234);
	t = parse("Nov 26 10:00:00 host kernel: CMPE283: exit 0x7b count=7");
	assert_int_equal(t.kind, LINE_KLOG_EXIT);
	assert_text(t.reason, t.reason_len, "0x7b");
	t = parse("> > [   12.345680] CMPE283: exit 48 count=1234");
	assert_int_equal(t.kind, LINE_KLOG_EXIT);
	assert_true(t.has_ts && t.ts_ns == 12345680000ull);
	t = parse("[   13.0] CMPE283: VMX Exit Stats (total=9) pid=7 vcpu=1 skipped=2 final");
	assert_int_equal(t.kind, LINE_KLOG_HEADER);
	assert_true(t.klog_final && t.klog_skipped == 2 && t.klog_vcpu == 1);
	t = parse("[   13.0] CMPE283: VMX Exit Stats (total=9) pid=7 vcpu=1 finally");
	assert_false(t.klog_final);
}

/* Mail quotes and margin labels in front of a line are not the thread's
 * name; nor is perf-style tools' flags column before [cpu]. */
static void pasted_prefixes_and_flags(void **state)
{
	(void)state;
	const char *quoted[] = {
		">   dirty_log_test-29003 [001] d..1.  5000.000100: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0",
		">> dirty_log_test-29003 [001] d..1.  5000.000100: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0",
		"> > dirty_log_test-29003 [001] d..1.  5000.000100: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0",
		"A: dirty_log_test-29003 [001] d..1.  5000.000100: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0",
		"> L1:  dirty_log_test-29003 [001] 5000.000100: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0",
	};
	for (size_t i = 0; i < sizeof(quoted) / sizeof(quoted[0]); i++) {
		struct trace_line t = parse(quoted[i]);
		if (t.kind != LINE_EXIT || !t.has_tid || t.tid != 29003 || t.cpu != 1)
			fail_msg("line %zu ('%s'): kind %d tid %u cpu %d", i, quoted[i], t.kind, t.tid, t.cpu);
		assert_text(t.comm, t.comm_len, "dirty_log_test");
	}
	struct trace_line t = parse("           <...> 206966 .N.. [017] 12345.678901: kvm:kvm_exit: reason MSR_WRITE rip 0x1 info 0 0");
	assert_int_equal(t.kind, LINE_EXIT);
	assert_true(t.has_tid && t.tid == 206966 && t.cpu == 17 && t.has_ts);
	assert_text(t.comm, t.comm_len, "<...>");
	t = parse("  qemu 4242 dNh2. [003]  77.000001: kvm:kvm_entry: vcpu 1, rip 0x2");
	assert_int_equal(t.kind, LINE_ENTRY);
	assert_true(t.has_tid && t.tid == 4242 && t.cpu == 3 && t.vcpu == 1);
	/* a number before [cpu] is a tid, not flags */
	t = parse("  qemu 4242 [003]  77.000001: kvm:kvm_entry: vcpu 1, rip 0x2");
	assert_true(t.has_tid && t.tid == 4242);
}

static bool open_line(const char *line)
{
	struct trace_line t = parse(line);
	return trace_line_open(line, strlen(line), &t);
}

static bool continues(const char *open, const char *next)
{
	return trace_line_continues(open, strlen(open), next, strlen(next));
}

/* Records that end as the kernel's layouts end are closed; others may go on. */
static void wrapped_records_open(void **state)
{
	(void)state;
	const char *closed[] = {
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0",
		"  q-1 [001] 1.000001: kvm_exit: reason MSR rip 0x1 info 0 0",
		"  q-1 [001] 1.000001: kvm_exit: reason MSR rip 0x1 info 0 0\r",
		"  q-1 [001] 1.000001: kvm_entry: vcpu 0",
		"  q-1 [001] 1.000001: kvm_entry: vcpu 0, rip 0xffff",
		"  q-1 [001] 1.000001: kvm_unrelated: vcpu 0 reason",
		"just prose that ends in rip",
	};
	const char *open[] = {
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason npf rip",
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason",
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason io rip 0xfff4",
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason msr rip 0x1 info 0",
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason HLT",
		"  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason HLT rip 0x1 info1 0x0 info2",
		"  q-1 [001] 1.000001: kvm_exit:",
		"  q-1 [001] 1.000001: kvm_entry: vcpu 0, rip",
		"  q-1 [001] 1.000001: kvm_entry: vcpu 0,",
	};
	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		if (open_line(closed[i]))
			fail_msg("taken as open: '%s'", closed[i]);
	for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		if (!open_line(open[i]))
			fail_msg("taken as closed: '%s'", open[i]);
}

/* What continues a record that may go on, and what does not. */
static void wrapped_records_continue(void **state)
{
	(void)state;
	const char *npf = "  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason npf rip";
	const char *hlt = "  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason HLT";
	assert_true(continues(npf, "0xfd11d info 100000014 fd000"));
	assert_true(continues(npf, "> 0xfd11d info 100000014 fd000"));
	assert_false(continues(npf, ""));
	assert_false(continues(npf, "   "));
	assert_true(continues(hlt, "rip 0xffff info1 0x0 info2 0x0"));
	assert_true(continues(hlt, "intr_info 0x0 error_code 0x0"));
	assert_false(continues(hlt, "The guest halts here."));
	assert_false(continues(hlt, "0x1234"));
	assert_true(continues("  q-1 [001] 1.000001: kvm_exit: reason msr rip 0x1 info 0", "1"));
	assert_false(continues("  q-1 [001] 1.000001: kvm_exit: reason msr rip 0x1 info 0", "then it stops"));
	assert_true(continues("  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason", "io rip 0xfff0 info 3f80210 0"));
	assert_true(continues("  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason INVALID_STATE", "FAILED_VMENTRY rip 0x1"));
	assert_false(continues("  q-1 [001] 1.000001: kvm_exit: vcpu 0 reason INVALID_STATE rip 0x1 ", "after rip it"));
	/* the value of "rip" lost: the reason before it is the record's */
	struct trace_line t = parse(npf);
	assert_int_equal(t.kind, LINE_EXIT);
	assert_text(t.reason, t.reason_len, "npf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ftrace_new_layout),
		cmocka_unit_test(comm_with_spaces),
		cmocka_unit_test(anonymous_comm_old_layout),
		cmocka_unit_test(intermediate_layout),
		cmocka_unit_test(reason_with_spaces),
		cmocka_unit_test(perf_script),
		cmocka_unit_test(record_tgid),
		cmocka_unit_test(bare_no_columns),
		cmocka_unit_test(entries),
		cmocka_unit_test(crlf),
		cmocka_unit_test(other_lines),
		cmocka_unit_test(bad_exit_lines),
		cmocka_unit_test(trimmed_after_reason),
		cmocka_unit_test(kernel_log),
		cmocka_unit_test(pasted_prefixes_and_flags),
		cmocka_unit_test(wrapped_records_open),
		cmocka_unit_test(wrapped_records_continue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
