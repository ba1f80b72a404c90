/* What the live collector could not do, counted so that no loss is
 * silent: live reports say it when it happens, the record store keeps it
 * with the interval, top marks it and serve exports it as counters. */
#ifndef KVMEXITSTAT_HEALTH_H
#define KVMEXITSTAT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum health_item {
	H_EXITS_LOST,  /* exits not counted: the BPF key map was full */
	H_PAIRS_LOST,  /* exit->entry pairs dropped: the pairing map was full */
	H_FILTER_FULL, /* VM processes whose -p/-n verdict could not be kept */
	H_UNNAMED,     /* VMs that ended before they could be named */
	H_UNPAIRED,    /* exits followed by another exit, not an entry (no loss) */
	H_SLOW_LOST,   /* --slow: slow exits not listed (the ring buffer was full) */
	H_RIPS_UNTOLD, /* --rip: exits counted without their guest RIP (the RIP map was full) */
	H_COUNT,
};

struct health {
	uint64_t n[H_COUNT];
};

/* "exits_lost", ...: the key in JSON, the store and Prometheus. */
const char *health_key(enum health_item i);
/* -1 for a key that is none of them. */
int health_parse(const char *key);
/* Whether the item is a loss (all but H_UNPAIRED). */
bool health_is_loss(enum health_item i);
/* out = cur - prev; whether any loss rose. */
bool health_diff(struct health *out, const struct health *cur, const struct health *prev);
/* One line, "15 exits not counted (the BPF key map is full); 2 ...", of
 * the losses in h; false (and nothing written) when there are none. */
bool health_describe(char *buf, size_t len, const struct health *h);
/* {"exits_lost":15,...} */
void health_json(FILE *out, const struct health *h);

#endif
