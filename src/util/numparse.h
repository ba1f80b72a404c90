/* Strict number parsing: the whole string must be a number in range.
 * Each returns 0, or -EINVAL (not a number) / -ERANGE (too large). */
#ifndef KVMEXITSTAT_NUMPARSE_H
#define KVMEXITSTAT_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t *out);   /* decimal or 0x hex */
int parse_i64(const char *s, int64_t *out);    /* decimal, optional sign */
int parse_hex_u64(const char *s, size_t len, uint64_t *out); /* hex digits, optional 0x */
/* A decimal unsigned number in s[0..len). */
int parse_dec_u64(const char *s, size_t len, uint64_t *out);
/* "SECONDS.FRACTION" (up to 9 fraction digits) to nanoseconds. */
int parse_timestamp_ns(const char *s, size_t len, uint64_t *out);

#endif
