/* A slow exit (--slow): one exit whose handling took at least the
 * threshold, as the live collector saw it. */
#ifndef KVMEXITSTAT_SLOW_H
#define KVMEXITSTAT_SLOW_H

#include <stdint.h>

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

#endif
