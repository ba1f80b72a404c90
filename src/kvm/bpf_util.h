/* What both BPF sources (exitstat_bpf.c, vcpustats_bpf.c) do with libbpf. */
#ifndef KVMEXITSTAT_BPF_UTIL_H
#define KVMEXITSTAT_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_names.h"

/* libbpf's messages only with KVMEXITSTAT_DEBUG set (the sources say
 * themselves what failed); its warnings are kept for bpf_util_log_reason. */
void bpf_util_quiet_libbpf(void);
void bpf_util_log_clear(void);
/* Why the last load failed, as the kernel's verifier (or libbpf) said it
 * since bpf_util_log_clear(): one line. false: nothing was said.
 * *verifier: the verifier said it (it looked at the program). */
bool bpf_util_log_reason(char *buf, size_t len, bool *verifier);

/* Delete a hash map's elements that belong to the VM (pid and start), as
 * vm_of reads it from the key or (value_size > 0) the value. */
void bpf_util_delete_vm(int fd, size_t key_size, size_t value_size, struct vm_id vm,
			struct vm_id (*vm_of)(const void *key, const void *value));

#endif
