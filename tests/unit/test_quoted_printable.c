/* Quoted-printable mail text undone (src/quoted_printable.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "quoted_printable.h"

static bool shows(const char *s)
{
	return qp_shows(s, strlen(s));
}

static void expect_decoded(const char *in, const char *want, size_t want_len)
{
	char out[256];
	size_t n = qp_decode(in, strlen(in), out);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, n);
}

/* What tells a quoted-printable input from a trace that merely has '=' in it. */
static void shows_encoding(void **state)
{
	(void)state;
	assert_true(shows(" qemu-system-x86-1 [001] 1.000001: kvm_exit: vcpu 0 reason EPT_VIO="));
	assert_true(shows("Some prose of a mail, long as an encoder's lines are, soft break=\r"));
	assert_true(shows("with ept=3D1:"));
	assert_true(shows("=C2=A0CPU 0/KVM-1 [002] 1.0: kvm_exit: reason HLT"));
	/* the kernel log's own '=', a line cut after it, fields a trace may hold */
	assert_false(shows("[ 12.3] CMPE283: exit 10 count=20"));
	assert_false(shows("[   12.345678] CMPE283: exit 10 count="));
	assert_false(shows("a soft break=\r"));
	assert_false(shows("[ 12.3] CMPE283: VMX Exit Stats (total=5000) pid=20 vcpu=0"));
	assert_false(shows(" qemu-1 [001] 1.000001: kvm_exit: vcpu 0 reason HLT rip 0x1 info 0 0"));
	assert_false(shows("x=20 y"));
	assert_false(shows(""));
	assert_true(qp_soft_break("abc=", 4));
	assert_true(qp_soft_break("abc=\r", 5));
	assert_false(qp_soft_break("abc=3D", 6));
	assert_false(qp_soft_break("", 0));
}

static void decodes(void **state)
{
	(void)state;
	expect_decoded("ept=3D1", "ept=1", 5);
	expect_decoded("reason=20", "reason ", 7);
	expect_decoded("=C2=A0CPU", " CPU", 4);
	expect_decoded("=A0x", " x", 2);
	expect_decoded("Thanks=2C", "Thanks,", 7);
	expect_decoded("=e9t=E9", "\xe9t\xe9", 3);
	/* not an escape: copied as it is */
	expect_decoded("a=G1b", "a=G1b", 5);
	expect_decoded("ends=", "ends=", 5);
	expect_decoded("ends=4", "ends=4", 6);
	expect_decoded("==3D", "==", 2);
	expect_decoded("", "", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shows_encoding),
		cmocka_unit_test(decodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
