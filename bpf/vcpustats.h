/* Records of the vCPU stats iterator (vcpustats.bpf.c), read by
 * src/stats_source.c. Fixed-width types only. */
#ifndef KVMEXITSTAT_BPF_VCPUSTATS_H
#define KVMEXITSTAT_BPF_VCPUSTATS_H

#define VCPUSTATS_MAX_BYTES 4096 /* of struct kvm_vcpu_stat copied per vCPU */

/* One per open kvm-vcpu file, followed by stat_bytes bytes of the vCPU's
 * struct kvm_vcpu_stat (the layout KVM_GET_STATS_FD describes). */
struct vcpustats_rec {
	__u32 tgid;      /* the VM's process (whose address space is the VM's) */
	__u32 fd;
	__s32 vcpu_id;
	__u32 stat_bytes;
	__u64 vcpu;      /* the kvm_vcpu's address: tells a dup'ed fd apart from another vCPU */
	__u64 kvm;       /* the VM's struct kvm, same for all its vCPUs */
	__u64 start;     /* the process's start_boottime (ns since boot): with tgid, which VM */
};

/* A record with room for the largest stat block (the released map's value). */
struct vcpustats_buf {
	struct vcpustats_rec rec;
	__u8 stat[VCPUSTATS_MAX_BYTES];
};

#endif
