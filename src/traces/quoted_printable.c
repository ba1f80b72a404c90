#define _GNU_SOURCE
#include "quoted_printable.h"

#include <stdint.h>
#include <string.h>

#include "numparse.h"

static size_t without_cr(const char *line, size_t len)
{
	return len && line[len - 1] == '\r' ? len - 1 : len;
}

/* Encoders break lines near 76 columns: a short line ending in '=' (a
 * kernel log line cut after "count=") is no sign of the encoding. */
#define QP_SOFT_MIN 60

bool qp_soft_break(const char *line, size_t len)
{
	len = without_cr(line, len);
	return len && line[len - 1] == '=';
}

bool qp_shows(const char *line, size_t len)
{
	len = without_cr(line, len);
	if (qp_soft_break(line, len) && len >= QP_SOFT_MIN)
		return true;
	/* one scan from '=' to '=' (most lines have none) */
	for (const char *p = line, *end = line + len; (p = memchr(p, '=', (size_t)(end - p))) != NULL; p++)
		if (end - p >= 3 && ((p[1] == '3' && p[2] == 'D') || (p[1] == 'A' && p[2] == '0')))
			return true;
	return false;
}

size_t qp_decode(const char *line, size_t len, char *dst)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint64_t v;
		unsigned char c = (unsigned char)line[i];
		if (c == '=' && i + 2 < len && parse_hex_u64(line + i + 1, 2, &v) == 0) {
			c = (unsigned char)v;
			i += 2;
		}
		if (c == 0xa0) {
			if (n && (unsigned char)dst[n - 1] == 0xc2)
				n--; /* UTF-8's no-break space */
			c = ' ';
		}
		dst[n++] = (char)c;
	}
	return n;
}
