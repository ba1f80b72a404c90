/* Names made into safe text (src/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"

static void expect_safe(const char *in, size_t len, const char *want)
{
	char buf[128];
	assert_true(len <= sizeof(buf));
	text_safe(buf, len, in);
	assert_string_equal(buf, want);
	/* safe text comes out unchanged */
	char again[128];
	text_safe(again, sizeof(again), buf);
	assert_string_equal(again, buf);
}

static void escapes(void **state)
{
	(void)state;
	expect_safe("web-1 é 名前", 64, "web-1 é 名前");
	expect_safe("a\nb", 64, "a\\x0ab");
	expect_safe("\x1b[31mred\x07", 64, "\\x1b[31mred\\x07");
	expect_safe("del\x7f", 64, "del\\x7f");
	expect_safe("c1\xc2\x85", 64, "c1\\xc2\\x85");            /* U+0085, a C1 control */
	expect_safe("bad\xff\xfe", 64, "bad\\xff\\xfe");
	expect_safe("over\xc0\xaf", 64, "over\\xc0\\xaf");         /* overlong '/' */
	expect_safe("sur\xed\xa0\x80", 64, "sur\\xed\\xa0\\x80");  /* a UTF-16 surrogate */
	expect_safe("big\xf4\x90\x80\x80", 64, "big\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	expect_safe("lone\x80x", 64, "lone\\x80x");
	expect_safe("q\"\\", 64, "q\"\\");                         /* the formats escape these */
}

static void cuts(void **state)
{
	(void)state;
	/* a character cut off at the end of the input is left out */
	expect_safe("caf\xc3", 64, "caf");
	expect_safe("ab\xe5\x90", 64, "ab");
	/* output cut on a character boundary, never inside a character or an escape */
	expect_safe("ééé", 6, "éé");          /* 5 bytes and the NUL */
	expect_safe("ab\x01", 6, "ab");        /* the escape needs 4 */
	expect_safe("ab\x01", 7, "ab\\x01");
	char buf[64];
	text_safe(buf, 1, "x");
	assert_string_equal(buf, "");
	assert_int_equal(text_cut("aé", 3, 2), 1);
	assert_int_equal(text_cut("aé", 3, 3), 3);
	assert_int_equal(text_cut("abc", 3, 9), 3);
}

static void columns(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(text_fit(buf, sizeof(buf), "éé", 4, false), "éé  ");
	assert_string_equal(text_fit(buf, sizeof(buf), "ééé", 2, true), "éé");
	assert_string_equal(text_fit(buf, sizeof(buf), "abcdef", 3, false), "abcdef");
	assert_string_equal(text_fit(buf, sizeof(buf), "名前です", 3, true), "名前で");
	char *d = text_safe_dup("x\ty");
	assert_non_null(d);
	assert_string_equal(d, "x\\x09y");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes),
		cmocka_unit_test(cuts),
		cmocka_unit_test(columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
