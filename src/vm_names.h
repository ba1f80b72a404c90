/* VM processes on this host and their names. */
#ifndef KVMEXITSTAT_VM_NAMES_H
#define KVMEXITSTAT_VM_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A VM's name: QEMU's "-name guest=NAME,..." or "-name NAME", else the
 * process name. Returns false if the process is gone. */
bool vm_name(uint32_t pid, char *buf, size_t len);
/* Is the process still there? */
bool vm_alive(uint32_t pid);
/* Processes that hold a KVM VM (an open anon_inode:kvm-vm file), up to max. */
size_t vm_list(uint32_t *pids, size_t max);

#endif
