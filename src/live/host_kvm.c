#include "host_kvm.h"

#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static bool module_loaded(const char *name)
{
	const char *root = getenv("KVMEXITSTAT_SYSFS");
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/module/%s", root && *root ? root : "/sys", name);
	return stat(path, &st) == 0;
}

enum host_kvm host_kvm(void)
{
	/* (built into the kernel, they are in /sys/module too: they have
	 * parameters) */
	if (module_loaded("kvm_intel"))
		return HOST_KVM_VMX;
	if (module_loaded("kvm_amd"))
		return HOST_KVM_SVM;
	return module_loaded("kvm") ? HOST_KVM_OTHER : HOST_KVM_NONE;
}

bool host_kvm_loadable(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/initstate", name); /* (built-in ones have none) */
	return module_loaded(path);
}

bool host_kvm_hardware(void)
{
	enum host_kvm k = host_kvm();
	return k == HOST_KVM_VMX || k == HOST_KVM_SVM;
}

bool host_cpu_is_amd(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* "AuthenticAMD" */
}
