/* What a record store's window holds, beside its counts: the model's
 * description of a recording (store.c fills it, the renderers show it). */
#ifndef KVMEXITSTAT_RECORDING_H
#define KVMEXITSTAT_RECORDING_H

#include <stdint.h>

#include "health.h"

struct store_info {
	uint64_t runs, intervals;   /* in the window */
	uint64_t first_ns, last_ns; /* the window's first start and last end */
	char source[256];           /* the last run's source ("; " between different ones) */
	char host[128];
	struct health lost;         /* what the collector lost in the window's intervals */
};

#endif
