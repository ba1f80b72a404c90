/* libFuzzer: the numeric and keyword options and fields: numbers, trace
 * timestamps, --from/--to, -o/-b/-s, --isa, reason names and numbers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "reasons.h"
#include "render.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uint64_t u;
	int64_t i;
	parse_u64(s, &u);
	parse_i64(s, &i);
	parse_hex_u64(s, size, &u);
	parse_dec_u64(s, size, &u);
	parse_timestamp_ns(s, size, &u);
	struct store_window w = { 0 };
	char msg[160];
	store_window_option('F', s, &w, msg, sizeof(msg));
	store_window_option('T', s, &w, msg, sizeof(msg));
	struct render_opts o = { .format = OUT_TABLE, .by = BY_REASON, .sort = SORT_COUNT };
	render_option('o', s, &o, msg, sizeof(msg));
	render_option('b', s, &o, msg, sizeof(msg));
	render_option('s', s, &o, msg, sizeof(msg));
	enum isa isa = ISA_UNKNOWN;
	isa_parse(s, &isa);
	for (int h = ISA_UNKNOWN; h <= ISA_SVM; h++) {
		isa = (enum isa)h;
		if (reason_lookup(s, size, &isa, &u) == 0) {
			char name[REASON_NAME_MAX];
			reason_format(isa, u, name, sizeof(name));
		}
	}
	free(s);
	return 0;
}
