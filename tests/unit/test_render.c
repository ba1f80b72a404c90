/* Renderers: escaping, time formatting, and that every format carries the
 * same numbers. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "importer.h"
#include "render.h"

/* What an escaping function writes for s. */
static char *capture(void (*escape)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	escape(f, s);
	fclose(f);
	return buf;
}

static void json_escaping(void **state)
{
	(void)state;
	char *s = capture(json_string, "CPU 0/KVM \"x\"\\");
	assert_string_equal(s, "\"CPU 0/KVM \\\"x\\\"\\\\\"");
	free(s);
	/* control characters and bytes that are not UTF-8 come as text (src/text.h),
	 * whose backslash JSON escapes: valid UTF-8 for a strict parser */
	s = capture(json_string, "a\n\t\x01\x7f\xff");
	assert_string_equal(s, "\"a\\\\x0a\\\\x09\\\\x01\\\\x7f\\\\xff\"");
	free(s);
}

static void csv_quoting(void **state)
{
	(void)state;
	char *s = capture(csv_field, "plain");
	assert_string_equal(s, "plain");
	free(s);
	s = capture(csv_field, "a,b");
	assert_string_equal(s, "\"a,b\"");
	free(s);
	s = capture(csv_field, "say \"hi\"");
	assert_string_equal(s, "\"say \"\"hi\"\"\"");
	free(s);
	s = capture(csv_field, "two\nlines"); /* a newline comes as text: no row is forged */
	assert_string_equal(s, "two\\x0alines");
	free(s);
}

static void times(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(format_ns(0, b, sizeof(b)), "0ns");
	assert_string_equal(format_ns(999, b, sizeof(b)), "999ns");
	assert_string_equal(format_ns(1500, b, sizeof(b)), "1.5us");
	assert_string_equal(format_ns(4560000, b, sizeof(b)), "4.56ms");
	assert_string_equal(format_ns(1230000000, b, sizeof(b)), "1.23s");
}

static char *render(struct importer *im, enum out_format fmt, enum aggregate_by by)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct render_opts o = { .format = fmt, .by = by, .sort = SORT_COUNT };
	const char *in[] = { "x" };
	struct report_meta m = { .source = "trace", .inputs = in, .ninputs = 1, .lines = 3, .exits = 3, .paired = 2 };
	assert_int_equal(render_report(f, &im->exits, im->klogs, im->nklogs, &o, &m), 0);
	fclose(f);
	return buf;
}

static void formats_agree(void **state)
{
	(void)state;
	struct importer im;
	importer_init(&im);
	const char *lines[] = {
		" a,b-7 [000] 1.000000: kvm_exit: vcpu 0 reason CPUID rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0",
		" a,b-7 [000] 1.000100: kvm_entry: vcpu 0, rip 0x0",
		" a,b-7 [000] 1.000200: kvm_exit: vcpu 0 reason CPUID rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0",
		" a,b-7 [000] 1.000500: kvm_entry: vcpu 0, rip 0x0",
		" a,b-7 [000] 1.000600: kvm_exit: vcpu 0 reason HLT rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0",
	};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(importer_line(&im, lines[i], strlen(lines[i])), 0);

	char *table = render(&im, OUT_TABLE, BY_VM);
	assert_non_null(strstr(table, "VM a,b (pid 7)"));
	assert_non_null(strstr(table, "CPUID                        vmx             2   66.67%  100.00%   100.0us   200.0us"));
	assert_non_null(strstr(table, "HLT                          vmx             1   33.33%        -"));
	free(table);

	char *csv = render(&im, OUT_CSV, BY_VM);
	assert_non_null(strstr(csv, "\ntotal,,trace,\"a,b\",7,,,vmx,CPUID,10,2,,66.6667,2,400000,100.0000,100000,200000,"));
	assert_non_null(strstr(csv, "\ntotal,,trace,\"a,b\",7,,,vmx,HLT,12,1,,33.3333,0,0,,,,,,,,\n"));
	free(csv);

	char *json = render(&im, OUT_JSON, BY_VM);
	assert_non_null(strstr(json, "{\"vm\":\"a,b\",\"pid\":7,\"isa\":\"vmx\",\"reason\":\"CPUID\",\"code\":10,"
				     "\"count\":2,\"percent\":66.6667,\"timed\":2,\"time_ns\":400000,"
				     "\"time_percent\":100.0000,\"min_ns\":100000,\"avg_ns\":200000,"));
	assert_non_null(strstr(json, "\"total\":{\"count\":3,\"percent\":100.0000,\"timed\":2,"));
	free(json);

	/* live intervals: the same CSV layout and JSON rows, with their time,
	 * length and rates */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct render_opts o = { .format = OUT_CSV, .by = BY_VM, .sort = SORT_COUNT };
	struct interval_meta lm = { .when = "10:00:00", .when_iso = "2026-12-07T10:00:00+00:00", .seconds = 2,
				    .source = "test", .first = true };
	assert_int_equal(render_interval(f, &im.exits, &o, &lm), 0);
	o.format = OUT_JSON;
	assert_int_equal(render_interval(f, &im.exits, &o, &lm), 0);
	fclose(f);
	csv = render(&im, OUT_CSV, BY_VM);
	assert_memory_equal(buf, csv, (size_t)(strchr(csv, '\n') - csv + 1)); /* one header */
	assert_non_null(strstr(buf, "\n2026-12-07T10:00:00+00:00,2.000000,live,\"a,b\",7,,,vmx,CPUID,10,2,1,66.6667,2,400000,"));
	assert_non_null(strstr(buf, "{\"vm\":\"a,b\",\"pid\":7,\"isa\":\"vmx\",\"reason\":\"CPUID\",\"code\":10,"
				    "\"count\":2,\"rate\":1,\"percent\":66.6667,\"timed\":2,\"time_ns\":400000,"));
	assert_non_null(strstr(buf, "\"total\":{\"count\":3,\"rate\":1.5,\"percent\":100.0000,\"timed\":2,"));
	free(csv);
	free(buf);
	importer_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(csv_quoting),
		cmocka_unit_test(times),
		cmocka_unit_test(formats_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
