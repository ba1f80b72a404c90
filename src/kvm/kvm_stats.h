/* KVM's binary statistics (KVM_GET_STATS_FD): the descriptors that name
 * each statistic and say where it lies in the data block, and the values
 * of one fd. A vCPU's data block is its struct kvm_vcpu_stat, which is
 * also what the stats source copies from the kernel for every vCPU. */
#ifndef KVMEXITSTAT_KVM_STATS_H
#define KVMEXITSTAT_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct kvm_stat_desc {
	char name[64];
	uint32_t offset;   /* bytes into the data block */
	uint16_t size;     /* u64s: 1, or a histogram's buckets */
	int cumulative;    /* a counter (as opposed to an instant value or a peak) */
};

struct kvm_stat_value {
	char name[64];
	uint64_t value;    /* a histogram stat: the sum of its buckets */
	int cumulative;
};

/* The descriptors of a stats fd, how many bytes of the data block they
 * cover and (data_offset may be NULL) where in the fd that block is.
 * *out is malloc'ed. 0 or -errno. */
int kvm_stats_descs(int fd, struct kvm_stat_desc **out, size_t *n, uint32_t *data_bytes, uint32_t *data_offset);
/* A statistic's value in a data block of len bytes (a histogram: the sum of
 * its buckets); 0 when the block is too short. */
uint64_t kvm_stats_value(const struct kvm_stat_desc *d, const void *data, size_t len);
/* Read every stat of a stats fd. *out is malloc'ed. 0 or -errno. */
int kvm_stats_read(int fd, struct kvm_stat_value **out, size_t *n);
/* The value of a named stat, or -1 when this KVM has none of that name. */
int64_t kvm_stats_get(const struct kvm_stat_value *v, size_t n, const char *name);

#endif
