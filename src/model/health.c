#include "health.h"

#include <inttypes.h>
#include <string.h>

static const struct {
	const char *key;
	const char *what; /* printf: the count, then this */
} items[H_COUNT] = {
	[H_EXITS_LOST] = { "exits_lost", "exits not counted (the BPF key map was full)" },
	[H_PAIRS_LOST] = { "pairs_lost", "exit->entry pairs without a handling time (the pairing map was full)" },
	[H_FILTER_FULL] = { "filter_full", "VM processes whose -p/-n verdict could not be kept (the filter map was full)" },
	[H_UNNAMED] = { "unnamed_vms", "VMs that ended before they could be named (shown as '(ended)')" },
	[H_UNPAIRED] = { "unpaired_exits", "exits followed by another exit rather than an entry" },
	[H_SLOW_LOST] = { "slow_lost", "slow exits not listed (the BPF ring buffer was full)" },
	[H_RIPS_UNTOLD] = { "rips_untold", "exits whose guest RIP is not told (the BPF RIP map was full; in '(other)')" },
};

const char *health_key(enum health_item i)
{
	return items[i].key;
}

int health_parse(const char *key)
{
	for (int i = 0; i < H_COUNT; i++)
		if (!strcmp(key, items[i].key))
			return i;
	return -1;
}

bool health_is_loss(enum health_item i)
{
	return i != H_UNPAIRED;
}

bool health_diff(struct health *out, const struct health *cur, const struct health *prev)
{
	bool rose = false;
	for (int i = 0; i < H_COUNT; i++) {
		out->n[i] = cur->n[i] >= prev->n[i] ? cur->n[i] - prev->n[i] : 0;
		rose |= out->n[i] && health_is_loss(i);
	}
	return rose;
}

bool health_describe(char *buf, size_t len, const struct health *h)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (int i = 0; i < H_COUNT; i++) {
		if (!h->n[i] || !health_is_loss(i) || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%" PRIu64 " %s", used ? "; " : "", h->n[i],
					 items[i].what);
	}
	return used > 0;
}

void health_json(FILE *out, const struct health *h)
{
	fputc('{', out);
	for (int i = 0; i < H_COUNT; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", items[i].key, h->n[i]);
	fputc('}', out);
}
