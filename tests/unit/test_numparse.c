/* Strict number parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "numparse.h"

static void u64(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("0x1A", &v), 0);
	assert_int_equal(v, 26);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(parse_u64("abc", &v), -EINVAL);
	assert_int_equal(parse_u64("12abc", &v), -EINVAL);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("0x", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
}

static void i64(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(parse_i64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_i64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("9223372036854775808", &v), -ERANGE);
	assert_int_equal(parse_i64("-9223372036854775809", &v), -ERANGE);
	assert_int_equal(parse_i64("-", &v), -EINVAL);
	assert_int_equal(parse_i64("+5", &v), 0);
	assert_int_equal(v, 5);
}

static void timestamps(void **state)
{
	(void)state;
	uint64_t ns;
	assert_int_equal(parse_timestamp_ns("398.691401", 10, &ns), 0);
	assert_true(ns == 398691401000ull);
	assert_int_equal(parse_timestamp_ns("1.000000001", 11, &ns), 0);
	assert_true(ns == 1000000001ull);
	assert_int_equal(parse_timestamp_ns("12", 2, &ns), 0);
	assert_true(ns == 12000000000ull);
	assert_int_equal(parse_timestamp_ns("1.0000000001", 12, &ns), -EINVAL); /* > ns */
	assert_int_equal(parse_timestamp_ns("1.", 2, &ns), -EINVAL);
	assert_int_equal(parse_timestamp_ns("1.2.3", 5, &ns), -EINVAL);
	assert_int_equal(parse_timestamp_ns("99999999999999999999.5", 22, &ns), -ERANGE);
	assert_int_equal(parse_timestamp_ns("18446744074.000000000", 21, &ns), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u64),
		cmocka_unit_test(i64),
		cmocka_unit_test(timestamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
