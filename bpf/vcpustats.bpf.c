// SPDX-License-Identifier: GPL-2.0
/* The vCPU stats source's kernel side: a task_file iterator that finds
 * every open kvm-vcpu file of every process and copies the vCPU's KVM
 * statistics (struct kvm_vcpu_stat). KVM keeps them on every host, also
 * on those whose KVM never fires kvm_exit; the user side decodes them
 * with the descriptors of KVM's binary stats interface. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "vcpustats.h"

char LICENSE[] SEC("license") = "GPL";

/* How many bytes of struct kvm_vcpu_stat the descriptors cover; set
 * before load (at most VCPUSTATS_MAX_BYTES). */
const volatile __u32 stat_bytes = 8;

struct buf {
	struct vcpustats_rec rec;
	__u8 stat[VCPUSTATS_MAX_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buf);
} scratch SEC(".maps");

static const char prefix[] = "kvm-vcpu:";

SEC("iter/task_file")
int dump_vcpus(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	char name[sizeof(prefix)] = {};
	__u32 zero = 0;

	if (!task || !file)
		return 0;
	/* KVM names a vCPU's anonymous inode file "kvm-vcpu:N" */
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	for (int i = 0; i < (int)sizeof(prefix) - 1; i++)
		if (name[i] != prefix[i])
			return 0;
	struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);
	b->rec.tgid = BPF_CORE_READ(task, tgid);
	b->rec.fd = ctx->fd;
	b->rec.vcpu_id = BPF_CORE_READ(vcpu, vcpu_id);
	b->rec.vcpu = (__u64)vcpu;
	b->rec.kvm = (__u64)BPF_CORE_READ(vcpu, kvm);
	__u32 n = stat_bytes < VCPUSTATS_MAX_BYTES ? stat_bytes : VCPUSTATS_MAX_BYTES;
	b->rec.stat_bytes = n;
	if (bpf_probe_read_kernel(b->stat, n, (void *)vcpu + bpf_core_field_offset(struct kvm_vcpu, stat)))
		return 0;
	bpf_seq_write(seq, b, sizeof(b->rec) + n);
	return 0;
}
