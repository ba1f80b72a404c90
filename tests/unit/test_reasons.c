/* Exit-reason tables and name lookup. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reasons.h"

static const char *fmt(enum isa isa, uint64_t code)
{
	static char buf[REASON_NAME_MAX];
	return reason_format(isa, code, buf, sizeof(buf));
}

static void vmx_names(void **state)
{
	(void)state;
	assert_string_equal(fmt(ISA_VMX, 10), "CPUID");
	assert_string_equal(fmt(ISA_VMX, 12), "HLT");
	assert_string_equal(fmt(ISA_VMX, 28), "CR_ACCESS");
	assert_string_equal(fmt(ISA_VMX, 30), "IO_INSTRUCTION");
	assert_string_equal(fmt(ISA_VMX, 48), "EPT_VIOLATION");
	assert_string_equal(fmt(ISA_VMX, 49), "EPT_MISCONFIG");
	assert_string_equal(fmt(ISA_VMX, 1), "EXTERNAL_INTERRUPT");
	assert_string_equal(fmt(ISA_VMX, 74), "BUS_LOCK");
}

static void vmx_flags_decoded(void **state)
{
	(void)state;
	/* A failed VM entry: bit 31 set, basic reason 33 (invalid guest state). */
	const struct reason_info *ri = reason_find(ISA_VMX, 0x80000021u);
	assert_non_null(ri);
	assert_int_equal(ri->code, 33);
	assert_string_equal(fmt(ISA_VMX, 0x80000021u), "INVALID_STATE|FAILED_VMENTRY");
	assert_string_equal(fmt(ISA_VMX, 0x8000000cu | (1u << 27)), "HLT|ENCLAVE_MODE|FAILED_VMENTRY");
	/* a reserved high bit stays visible */
	assert_string_equal(fmt(ISA_VMX, 10 | (1u << 20)), "CPUID|0x100000");
}

static void svm_names(void **state)
{
	(void)state;
	assert_string_equal(fmt(ISA_SVM, 0x72), "cpuid");
	assert_string_equal(fmt(ISA_SVM, 0x78), "hlt");
	assert_string_equal(fmt(ISA_SVM, 0x7b), "io");
	assert_string_equal(fmt(ISA_SVM, 0x7c), "msr");
	assert_string_equal(fmt(ISA_SVM, 0x400), "npf");
	assert_string_equal(fmt(ISA_SVM, 0x81), "hypercall");
	assert_string_equal(fmt(ISA_SVM, 0x4d), "GP excp");
	assert_string_equal(fmt(ISA_SVM, (uint64_t)-1), "invalid_guest_state");
	/* the tracepoint's u32 field carries -1 as 0xffffffff */
	assert_string_equal(fmt(ISA_SVM, 0xffffffffu), "invalid_guest_state");
	assert_string_equal(fmt(ISA_SVM, (uint64_t)-4), "invalid_pmc");
}

static void unknown_codes_kept(void **state)
{
	(void)state;
	assert_null(reason_find(ISA_VMX, 35));
	assert_string_equal(fmt(ISA_VMX, 35), "UNKNOWN(35)");
	assert_string_equal(fmt(ISA_VMX, 200), "UNKNOWN(200)");
	assert_string_equal(fmt(ISA_SVM, 0x500), "UNKNOWN(0x500)");
	assert_string_equal(fmt(ISA_SVM, (uint64_t)-9), "UNKNOWN(-9)");
	assert_string_equal(fmt(ISA_UNKNOWN, 48), "UNKNOWN(0x30)");
}

static void expect_lookup(const char *text, enum isa hint, enum isa want_isa, uint64_t want)
{
	enum isa isa = hint;
	uint64_t code = 0;
	int err = reason_lookup(text, strlen(text), &isa, &code);
	if (err)
		fail_msg("lookup of '%s' failed: %d", text, err);
	if (isa != want_isa || code != want)
		fail_msg("'%s': got isa %d code %#llx, want isa %d code %#llx", text, isa,
			 (unsigned long long)code, want_isa, (unsigned long long)want);
}

static void lookup_by_name(void **state)
{
	(void)state;
	expect_lookup("EXIT_NPF", ISA_UNKNOWN, ISA_SVM, 0x400);  /* trace-cmd */
	expect_lookup("SVM_EXIT_NPF", ISA_UNKNOWN, ISA_SVM, 0x400);
	expect_lookup("npf", ISA_UNKNOWN, ISA_SVM, 0x400);
	expect_lookup("NPF", ISA_UNKNOWN, ISA_SVM, 0x400);       /* case differs */
	expect_lookup("EXIT_MSR", ISA_UNKNOWN, ISA_SVM, 0x7c);
	expect_lookup("EXIT_EXCP_GP", ISA_UNKNOWN, ISA_SVM, 0x4d);
	expect_lookup("EXIT_IOIO", ISA_UNKNOWN, ISA_SVM, 0x7b);
	expect_lookup("EXIT_VMMCALL", ISA_UNKNOWN, ISA_SVM, 0x81);
	expect_lookup("GP excp", ISA_UNKNOWN, ISA_SVM, 0x4d);
	expect_lookup("hlt", ISA_UNKNOWN, ISA_SVM, 0x78);
	expect_lookup("HLT", ISA_UNKNOWN, ISA_VMX, 12);
	expect_lookup("HLT", ISA_SVM, ISA_VMX, 12);              /* exact case beats the hint */
	expect_lookup("hlt", ISA_VMX, ISA_SVM, 0x78);
	expect_lookup("Hlt", ISA_SVM, ISA_SVM, 0x78);            /* the hint decides ties */
	expect_lookup("Cpuid", ISA_VMX, ISA_VMX, 10);
	expect_lookup("Cpuid", ISA_UNKNOWN, ISA_VMX, 10);
	expect_lookup("ept_violation", ISA_UNKNOWN, ISA_VMX, 48);
	expect_lookup("EPT_MISCONFIG", ISA_SVM, ISA_VMX, 49);    /* only VMX has it */
	expect_lookup("EXIT_REASON_CPUID", ISA_UNKNOWN, ISA_VMX, 10);
	expect_lookup("PENDING_INTERRUPT", ISA_UNKNOWN, ISA_VMX, 7); /* old name */
	expect_lookup("VMXON", ISA_UNKNOWN, ISA_VMX, 27);
	expect_lookup("idle-halt", ISA_UNKNOWN, ISA_SVM, 0xa6);
	expect_lookup("invalid_guest_state", ISA_UNKNOWN, ISA_SVM, (uint64_t)-1);
	expect_lookup("INVALID_STATE FAILED_VMENTRY", ISA_UNKNOWN, ISA_VMX, 0x80000021u);
	expect_lookup("INVALID_STATE|FAILED_VMENTRY", ISA_UNKNOWN, ISA_VMX, 0x80000021u);
	expect_lookup("  CPUID  ", ISA_UNKNOWN, ISA_VMX, 10);
}

static void lookup_by_number(void **state)
{
	(void)state;
	expect_lookup("48", ISA_UNKNOWN, ISA_UNKNOWN, 48);        /* no ISA from a number */
	expect_lookup("48", ISA_VMX, ISA_VMX, 48);
	expect_lookup("0x30", ISA_VMX, ISA_VMX, 48);
	expect_lookup("0x400", ISA_SVM, ISA_SVM, 0x400);
	expect_lookup("0x80000021", ISA_VMX, ISA_VMX, 0x80000021u);
	expect_lookup("-1", ISA_UNKNOWN, ISA_SVM, (uint64_t)-1);
	expect_lookup("0xffffffff", ISA_SVM, ISA_SVM, (uint64_t)-1);
}

static void lookup_rejects(void **state)
{
	(void)state;
	enum isa isa;
	uint64_t code;
	const char *bad[] = { "NOT_A_REASON", "EXIT_", "CPUID BOGUS_FLAG", "", "   " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		isa = ISA_UNKNOWN;
		assert_int_equal(reason_lookup(bad[i], strlen(bad[i]), &isa, &code), -ENOENT);
	}
	isa = ISA_UNKNOWN;
	assert_int_equal(reason_lookup("99999999999999999999999", 23, &isa, &code), -ERANGE);
	isa = ISA_VMX;
	assert_int_equal(reason_lookup("0x1ffffffff", 11, &isa, &code), -ERANGE);
	isa = ISA_VMX;
	assert_int_equal(reason_lookup("-1", 2, &isa, &code), -ERANGE);
	isa = ISA_UNKNOWN; /* EPT_VIOLATION is VMX; asking SVM explicitly fails */
	assert_int_equal(reason_lookup("SVM_EXIT_EPT_VIOLATION", 22, &isa, &code), -ENOENT);
}

/* Every row: sorted by code (lookup is a binary search), its name and alias
 * look back up to it, names unique within an ISA. */
/* A reason is len bytes inside a line, not a C string: nothing may read
 * past them (found by fuzz_klog; ASan in make check-asan sees an overread). */
static void lookup_stays_in_its_bytes(void **state)
{
	(void)state;
	static const char text[] = "0xno\001\000wn";
	char *exact = malloc(4);
	memcpy(exact, text, 4); /* "0xno", no NUL after it */
	enum isa isa = ISA_SVM;
	uint64_t code;
	assert_int_not_equal(reason_lookup(exact, 4, &isa, &code), 0);
	memcpy(exact, "EPT_", 4);
	isa = ISA_UNKNOWN;
	assert_int_not_equal(reason_lookup(exact, 4, &isa, &code), 0);
	free(exact);
}

static void tables_consistent(void **state)
{
	(void)state;
	enum isa isas[] = { ISA_VMX, ISA_SVM };
	for (int a = 0; a < 2; a++) {
		size_t n = reasons_count(isas[a]);
		assert_true(n > 60);
		for (size_t i = 0; i < n; i++) {
			const struct reason_info *ri = reasons_at(isas[a], i);
			if (i)
				assert_true(reasons_at(isas[a], i - 1)->code < ri->code);
			assert_ptr_equal(reason_find(isas[a], ri->code), ri);
			/* SVM defines are looked up as written in C (SVM_EXIT_HLT):
			 * bare, "HLT" is VMX's name. */
			char def[80] = "";
			if (ri->define)
				snprintf(def, sizeof(def), "%s%s", isas[a] == ISA_SVM ? "SVM_EXIT_" : "", ri->define);
			const char *names[2] = { ri->name, ri->define ? def : NULL };
			for (int j = 0; j < 2; j++) {
				if (!names[j])
					continue;
				enum isa isa = isas[a];
				uint64_t code;
				assert_int_equal(reason_lookup(names[j], strlen(names[j]), &isa, &code), 0);
				assert_int_equal(isa, isas[a]);
				if (code != ri->code)
					fail_msg("%s: '%s' looks up to %#llx, not %#llx", isa_name(isas[a]),
						 names[j], (unsigned long long)code, (unsigned long long)ri->code);
			}
		}
	}
	assert_null(reasons_at(ISA_VMX, reasons_count(ISA_VMX)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmx_names),
		cmocka_unit_test(lookup_stays_in_its_bytes),
		cmocka_unit_test(vmx_flags_decoded),
		cmocka_unit_test(svm_names),
		cmocka_unit_test(unknown_codes_kept),
		cmocka_unit_test(lookup_by_name),
		cmocka_unit_test(lookup_by_number),
		cmocka_unit_test(lookup_rejects),
		cmocka_unit_test(tables_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
