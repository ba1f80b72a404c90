/* VM processes on this host and their names. */
#ifndef KVMEXITSTAT_VM_NAMES_H
#define KVMEXITSTAT_VM_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A VM is its process: pid and start (clock ticks since boot, as
 * /proc/PID/stat's field 22), for a pid is used again once its process
 * ended. start 0 matches whatever process has the pid. */

struct vm_id {
	uint32_t pid;
	uint64_t start;
};

/* Whether (pid, start) is one of ids[0..n). */
bool vm_in(const struct vm_id *ids, size_t n, uint32_t pid, uint64_t start);

/* Clock ticks since boot (as start is) of a time in ns since boot. */
uint64_t vm_ticks(uint64_t ns);

/* The start of process pid now, or 0 when there is none. */
uint64_t vm_start(uint32_t pid);
/* A VM's name: QEMU's "-name guest=NAME,..." or "-name NAME", else the
 * process name. Returns false if the process is gone (or is another one). */
bool vm_name(uint32_t pid, uint64_t start, char *buf, size_t len);
/* Is the process still there? */
bool vm_alive(uint32_t pid, uint64_t start);
/* Processes that hold a KVM VM (an open anon_inode:kvm-vm file), up to max. */
size_t vm_list(uint32_t *pids, size_t max);

#endif
