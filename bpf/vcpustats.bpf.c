// SPDX-License-Identifier: GPL-2.0
/* The vCPU stats source's kernel side: a task_file iterator that finds
 * every open vCPU file of every process and copies the vCPU's KVM
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

#define buf vcpustats_buf

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buf);
} scratch SEC(".maps");

/* The last counts of vCPUs whose file was released (their VM ended or
 * closed them), by kvm_vcpu address: the iterator cannot see them any more,
 * and they hold the exits since the user side's last reading. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct buf);
} released SEC(".maps");

/* A file is a vCPU when its file_operations are KVM's vCPU fops: a name
 * ("kvm-vcpu:N") anyone can give a FIFO, and reading private_data of such
 * a file as a struct kvm_vcpu would show kernel memory. The fops' address
 * is learnt from a vCPU the user side made itself (self_tgid, self_fd):
 * the first pass notes it; no file is read before. */
const volatile __u32 self_tgid = 0;
const volatile __u32 self_fd = 0;
__u64 vcpu_fops = 0;

/* Whose a vCPU is: the process whose address space is the VM's (kvm->mm),
 * as the iterator last saw it, by kvm_vcpu address. Another process may
 * hold a vCPU's file too (pidfd_getfd, SCM_RIGHTS) and drop its last
 * reference; so may this iterator, which holds each file it visits: the
 * release hook then runs in that process, not in the VM's. */
struct owner {
	__u32 tgid;
	__u64 start;
	__u64 mm; /* the VM's (kvm->mm): an entry of a vCPU whose address a new
		   * vCPU took (its release unseen, as our own vCPU's) is stale */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct owner);
} owners SEC(".maps");

static __always_inline struct owner owner_of(struct task_struct *task)
{
	return (struct owner){ BPF_CORE_READ(task, tgid), BPF_CORE_READ(task, group_leader, start_boottime), 0 };
}

/* rec and stat of a vCPU into b; false when the stats cannot be read. */
static __always_inline bool fill(struct buf *b, struct kvm_vcpu *vcpu, struct owner o, __u32 fd)
{
	b->rec.tgid = o.tgid;
	b->rec.start = o.start;
	b->rec.fd = fd;
	b->rec.vcpu_id = BPF_CORE_READ(vcpu, vcpu_id);
	b->rec.vcpu = (__u64)vcpu;
	b->rec.kvm = (__u64)BPF_CORE_READ(vcpu, kvm);
	__u32 n = stat_bytes < VCPUSTATS_MAX_BYTES ? stat_bytes : VCPUSTATS_MAX_BYTES;
	b->rec.stat_bytes = n;
	return !bpf_probe_read_kernel(b->stat, n, (void *)vcpu + bpf_core_field_offset(struct kvm_vcpu, stat));
}

SEC("iter/task_file")
int dump_vcpus(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	__u32 zero = 0;

	if (!task || !file)
		return 0;
	__u64 fops = (__u64)BPF_CORE_READ(file, f_op);
	if (!vcpu_fops && task->tgid == self_tgid && ctx->fd == self_fd)
		vcpu_fops = fops; /* the user side's own vCPU */
	if (!fops || fops != vcpu_fops)
		return 0;
	struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct mm_struct *vm_mm = BPF_CORE_READ(vcpu, kvm, mm);
	if (mm && mm != vm_mm)
		return 0; /* another process's hold on a VM's vCPU: not a VM */
	__u64 key = (__u64)vcpu;
	struct owner o = owner_of(task);
	o.mm = (__u64)vm_mm;
	/* No mm: the process is exiting, its files not yet closed. It is the
	 * VM's unless an owner was seen before; this pass holds the file, so
	 * the release may come in kvmexitstat's context and needs the owner. */
	bpf_map_update_elem(&owners, &key, &o, mm ? BPF_ANY : BPF_NOEXIST);
	__u32 n = stat_bytes < VCPUSTATS_MAX_BYTES ? stat_bytes : VCPUSTATS_MAX_BYTES;
	if (fill(b, vcpu, o, ctx->fd))
		bpf_seq_write(seq, b, sizeof(b->rec) + n);
	return 0;
}

/* A vCPU's file is released: its final counts. KVM's release of the file
 * runs after the last ioctl on it returned, so no exit comes after. */
SEC("kprobe/kvm_vcpu_release")
int BPF_KPROBE(vcpu_released, struct inode *inode, struct file *filp)
{
	__u32 zero = 0;
	struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	struct kvm_vcpu *vcpu = BPF_CORE_READ(filp, private_data);
	__u64 key = (__u64)vcpu;
	/* the owner the iterator saw; else the releasing process, which is
	 * the VM's own when no reading came between its start and its end */
	struct owner *seen = bpf_map_lookup_elem(&owners, &key);
	bool valid = seen && seen->mm == (__u64)BPF_CORE_READ(vcpu, kvm, mm);
	struct owner o = valid ? *seen : owner_of((struct task_struct *)bpf_get_current_task());
	if (seen)
		bpf_map_delete_elem(&owners, &key); /* the address may be a new vCPU's next */
	if (fill(b, vcpu, o, 0))
		bpf_map_update_elem(&released, &key, b, BPF_ANY);
	return 0;
}
