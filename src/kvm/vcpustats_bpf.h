/* The vCPU stats source: KVM's own per-vCPU statistics (struct
 * kvm_vcpu_stat: exits, io_exits, halt_exits, insn_emulation, ...) of every
 * vCPU of every process on the host, read by a BPF task_file iterator,
 * without the VMs' cooperation. Works on every KVM, including those whose
 * kvm_exit tracepoint never fires. The counts are KVM's categories, keyed
 * in the model with ISA_KVM and the statistic's index as the code. */
#ifndef KVMEXITSTAT_VCPUSTATS_BPF_H
#define KVMEXITSTAT_VCPUSTATS_BPF_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

struct vcpustats;

/* Learn the statistics' layout (from a vCPU of a throwaway VM, through
 * KVM_GET_STATS_FD) and load the iterator. On failure returns -errno and a
 * one-line message saying why and what to do. exits_in_total: whether
 * KVM's "exits" makes a table's total (not when the tracepoint's exits are
 * in the same table: it counts them again). */
int vcpustats_open(struct vcpustats **out, bool exits_in_total, char *msg, size_t len);
/* Every vCPU's cumulative counters now, into snap (cleared first; it
 * carries the counters' names from then on). */
int vcpustats_read(struct vcpustats *s, struct snapshot *snap);
/* Drop what is kept of a VM process's released vCPUs (it ended and was
 * reported); a vCPU of it that another process held is released later and
 * adds nothing then. */
void vcpustats_forget(struct vcpustats *s, uint32_t tgid, uint64_t start);
/* "KVM vCPU stats (KVM's categories, not hardware exit reasons; 40 counters, ...)" */
const char *vcpustats_describe(const struct vcpustats *s);
void vcpustats_close(struct vcpustats *s);

#endif
