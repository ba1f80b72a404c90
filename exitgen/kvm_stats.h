/* A vCPU's own KVM statistics through its binary stats file
 * (KVM_GET_STATS_FD): exits, io_exits, mmio_exits, halt_exits, ... */
#ifndef KVMEXITGEN_KVM_STATS_H
#define KVMEXITGEN_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct kvm_stat_value {
	char name[64];
	uint64_t value;    /* a histogram stat: the sum of its buckets */
	int cumulative;    /* a counter (as opposed to an instant value or a peak) */
};

/* Read every stat of a stats fd. *out is malloc'ed. 0 or -errno. */
int kvm_stats_read(int fd, struct kvm_stat_value **out, size_t *n);
/* The value of a named stat, or -1 when this KVM has none of that name. */
int64_t kvm_stats_get(const struct kvm_stat_value *v, size_t n, const char *name);

#endif
