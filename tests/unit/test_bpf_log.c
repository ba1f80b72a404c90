/* The one line kvmexitstat says when the kernel refuses its BPF programs,
 * from what libbpf and the verifier printed (logs as they came). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "bpf_log.h"

/* Debian 12's 6.12 verifier on a tp_btf program that used kvm_exit's vcpu
 * without a NULL check (libbpf 1.1's warnings, as kvmexitstat keeps them) */
static const char verifier_612[] =
	"libbpf: prog 'kvm_exit_svm': BPF program load failed: Permission denied\n"
	"libbpf: prog 'kvm_exit_svm': -- BEGIN PROG LOAD LOG --\n"
	"0: R1=ctx() R10=fp0\n"
	"; int BPF_PROG(kvm_exit_svm, struct kvm_vcpu *vcpu, __u32 isa) @ exitstat.bpf.c:345\n"
	"0: (b7) r2 = 6480                     ; R2_w=6480\n"
	"1: (79) r8 = *(u64 *)(r1 +0)\n"
	"func 'kvm_exit' arg0 has btf_id 5815 type STRUCT 'kvm_vcpu'\n"
	"2: R1=ctx() R8_w=trusted_ptr_or_null_kvm_vcpu(id=1)\n"
	"3: (0f) r3 += r2\n"
	"R3 pointer arithmetic on trusted_ptr_or_null_ prohibited, null-check it first\n"
	"processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
	"-- END PROG LOAD LOG --\n"
	"libbpf: prog 'kvm_exit_svm': failed to load: -13\n"
	"libbpf: failed to load object 'exitstat_bpf'\n"
	"libbpf: failed to load BPF skeleton 'exitstat_bpf': -13\n";

static void verifier_reason(void **state)
{
	(void)state;
	char why[200];
	bool verifier = false;
	assert_true(bpf_log_reason(verifier_612, why, sizeof(why), &verifier));
	assert_true(verifier);
	assert_string_equal(why, "R3 pointer arithmetic on trusted_ptr_or_null_ prohibited, null-check it first");
}

/* A CO-RE relocation that found no such field: libbpf writes its own
 * explanation into the log frame, with no "processed" line */
static void core_failure(void **state)
{
	(void)state;
	char why[200];
	const char *log = "libbpf: prog 'kvm_exit_vmx': relo #0: no matching targets found\n"
			  "libbpf: prog 'kvm_exit_vmx': BPF program load failed: Invalid argument\n"
			  "libbpf: prog 'kvm_exit_vmx': -- BEGIN PROG LOAD LOG --\n"
			  "0: R1=ctx(off=0,imm=0) R10=fp0\n"
			  "1: <invalid CO-RE relocation>\n"
			  "failed to resolve CO-RE relocation <byte_off> [493] struct vcpu_vmx___x.exit_reason.full.\n"
			  "-- END PROG LOAD LOG --\n"
			  "libbpf: failed to load object 'exitstat_bpf'\n";
	assert_true(bpf_log_reason(log, why, sizeof(why), NULL));
	assert_string_equal(why, "failed to resolve CO-RE relocation <byte_off> [493] struct vcpu_vmx___x.exit_reason.full");
}

/* No verifier log at all: libbpf's first failure says it */
static void libbpf_only(void **state)
{
	(void)state;
	char why[200];
	const char *log = "libbpf: prog 'kvm_exit_svm': failed to find kernel BTF type ID of 'kvm_exit': -3\n"
			  "libbpf: prog 'kvm_exit_svm': failed to prepare load attributes: -3\n";
	bool verifier = true;
	assert_true(bpf_log_reason(log, why, sizeof(why), &verifier));
	assert_false(verifier);
	assert_string_equal(why, "prog 'kvm_exit_svm': failed to find kernel BTF type ID of 'kvm_exit': -3");
}

/* Nothing said, or a log without an end: never a made-up reason */
static void nothing_said(void **state)
{
	(void)state;
	char why[200] = "x";
	assert_false(bpf_log_reason("", why, sizeof(why), NULL));
	assert_false(bpf_log_reason("libbpf: loading object 'exitstat_bpf'\n", why, sizeof(why), NULL));
	const char *cut = "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: R1=ctx() R10=fp0\ninvalid mem access 'scalar'";
	assert_true(bpf_log_reason(cut, why, sizeof(why), NULL));
	assert_string_equal(why, "invalid mem access 'scalar'");
	char tiny[8];
	assert_true(bpf_log_reason(verifier_612, tiny, sizeof(tiny), NULL));
	assert_string_equal(tiny, "R3 poin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verifier_reason),
		cmocka_unit_test(core_failure),
		cmocka_unit_test(libbpf_only),
		cmocka_unit_test(nothing_said),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
