/* A slow exit (--slow): one exit whose handling took at least the
 * threshold, as the live collector saw it. */
#ifndef KVMEXITSTAT_SLOW_H
#define KVMEXITSTAT_SLOW_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "snapshot.h"

struct slow_exit {
	struct exit_key key;   /* VM, vCPU, ISA, reason, and the detail with --detail */
	uint64_t when_ns;      /* the exit, wall clock (ns since the epoch) */
	uint64_t ns;           /* its handling time: exit to the next entry */
	uint64_t sched_ns;     /* of which its vCPU thread was switched out */
	uint32_t tid;          /* the vCPU thread */
	uint32_t exit_cpu;     /* the host CPU it exited on, and entered again on */
	uint32_t entry_cpu;
};

/* Room in *v (of n exits, *cap places) for one more: doubled when full,
 * to at most max places. 0, or -ENOMEM (v as it was). */
static inline int slow_exit_room(struct slow_exit **v, size_t n, size_t *cap, size_t max)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	struct slow_exit *nv = c <= max ? realloc(*v, c * sizeof(*nv)) : NULL;
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

#endif
