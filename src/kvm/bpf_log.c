#define _GNU_SOURCE /* memmem */
#include "bpf_log.h"

#include <stdio.h>
#include <string.h>

/* The verifier's last words before its "processed N insns" summary (its log
 * comes between libbpf's BEGIN and END PROG LOAD LOG lines), or else the
 * first thing libbpf said failed. */
bool bpf_log_reason(const char *log, char *buf, size_t len, bool *verifier)
{
	const char *best = NULL, *first = NULL;
	size_t best_len = 0, first_len = 0;
	bool in_log = false, summed = false;

	for (const char *p = log; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *line_end = p + n;
		bool frame = memmem(p, n, "PROG LOAD LOG --", 16) != NULL;
		if (frame) {
			in_log = memmem(p, n, "BEGIN PROG LOAD LOG", 19) != NULL;
			summed = false;
		} else if (in_log && n >= 10 && !strncmp(p, "processed ", 10)) {
			summed = true;
		} else if (in_log && n && !summed) {
			best = p, best_len = n;
		} else if (!in_log && !first && n > 8 && !strncmp(p, "libbpf: ", 8) && memmem(p, n, "fail", 4)) {
			first = p + 8, first_len = n - 8;
		}
		p = *line_end ? line_end + 1 : line_end;
	}
	if (verifier)
		*verifier = best != NULL;
	if (!best)
		best = first, best_len = first_len;
	while (best && best_len && strchr(" \r.", best[best_len - 1]))
		best_len--;
	if (!best || !best_len || !len)
		return false;
	snprintf(buf, len, "%.*s", (int)best_len, best);
	return true;
}
