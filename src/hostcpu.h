/* What the host CPU offers for virtualization (CPUID). */
#ifndef KVMEXITSTAT_HOSTCPU_H
#define KVMEXITSTAT_HOSTCPU_H

#include <stdbool.h>

/* VMX or SVM: guests run in hardware. Without (PVM), KVM emulates and
 * kvm:kvm_exit never fires. */
bool host_cpu_has_vmx_or_svm(void);
bool host_cpu_is_amd(void);

#endif
