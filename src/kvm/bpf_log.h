/* Reading what libbpf and the kernel's verifier said about a program they
 * refused. */
#ifndef KVMEXITSTAT_BPF_LOG_H
#define KVMEXITSTAT_BPF_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Why the load failed, in one line, from libbpf's warnings (with the
 * verifier's log in them): the verifier's last words before its summary,
 * or else libbpf's first failure. false when neither said anything.
 * *verifier (if not NULL): the verifier's log said it. */
bool bpf_log_reason(const char *log, char *buf, size_t len, bool *verifier);

#endif
