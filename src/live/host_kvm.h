/* Which KVM this host runs: the module loaded, not the CPU's flags (a PVM
 * host's CPU may have VMX, yet its guests make no VMX exits). */
#ifndef KVMEXITSTAT_HOST_KVM_H
#define KVMEXITSTAT_HOST_KVM_H

#include <stdbool.h>

enum host_kvm {
	HOST_KVM_NONE,  /* no KVM loaded */
	HOST_KVM_VMX,   /* kvm_intel: guests run in VMX, kvm:kvm_exit fires */
	HOST_KVM_SVM,   /* kvm_amd: guests run in SVM, kvm:kvm_exit fires */
	HOST_KVM_OTHER, /* kvm without either (PVM): kvm:kvm_exit never fires */
};

/* From /sys/module (KVMEXITSTAT_SYSFS names another sysfs root, for tests). */
enum host_kvm host_kvm(void);
/* kvm:kvm_exit fires: kvm_intel or kvm_amd runs the guests */
bool host_kvm_hardware(void);
/* The module is loadable (not built in): then its BTF, if it has any, is
 * its own, /sys/kernel/btf/NAME. */
bool host_kvm_loadable(const char *name);
bool host_cpu_is_amd(void);

#endif
