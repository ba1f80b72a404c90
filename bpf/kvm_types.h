/* The few KVM fields the tp_btf programs read, declared for CO-RE: libbpf
 * finds their real offsets in the running kernel's BTF (kvm_intel or kvm_amd
 * module BTF), whatever the kernel version. */
#ifndef KVMEXITSTAT_BPF_KVM_TYPES_H
#define KVMEXITSTAT_BPF_KVM_TYPES_H

/* SVM: the exit code is in the VMCB's control area. */
struct vmcb_control_area___x {
	__u64 exit_code;
	__u64 exit_info_1;
	__u64 exit_info_2;
} __attribute__((preserve_access_index));

/* --rip: the guest's privilege at the exit (its RIP is in the vCPU) */
struct vmcb_save_area___x {
	__u8 cpl;
} __attribute__((preserve_access_index));

struct vmcb___x {
	struct vmcb_control_area___x control;
	struct vmcb_save_area___x save;
} __attribute__((preserve_access_index));

struct vcpu_svm___x {
	struct vmcb___x *vmcb;
} __attribute__((preserve_access_index));

/* VMX: the full exit reason (basic reason and flags). */
union vmx_exit_reason___x {
	__u32 full;
} __attribute__((preserve_access_index));

struct vcpu_vmx___x {
	union vmx_exit_reason___x exit_reason;
	__u32 exit_intr_info;
} __attribute__((preserve_access_index));

#endif
