/* An exit's detail: what KVM said of the exit while it handled it (the
 * port of an I/O exit, the MSR of an MSR exit, the page of a nested page
 * fault...), one 64-bit value: the kind in the top byte, its fields below.
 * The BPF programs (bpf/exitstat.h) and the trace importer make the same
 * values; 0 is "no detail". */
#ifndef KVMEXITSTAT_DETAIL_H
#define KVMEXITSTAT_DETAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detail_codes.h"

/* "out 0x3f8/1 COM1", "wrmsr 0x6e0 IA32_TSC_DEADLINE", "write cr0",
 * "gpa 0xfee00000 LAPIC", "hypercall 5 KICK_CPU", "vmm KVM_EXIT_HLT",
 * "vector 14 #PF", "halt: blocked (guest idle)", "(no detail)", "(other)". Always NUL-terminates;
 * returns buf. */
char *detail_format(uint64_t d, char *buf, size_t len);
/* The well-known names alone ("" when none): of a PC I/O port, an MSR, a
 * guest-physical page. */
const char *detail_port_name(uint16_t port);
const char *detail_msr_name(uint32_t index);
const char *detail_gpa_name(uint64_t gpa);
/* KVM_EXIT_HLT for 5; NULL when unknown. */
const char *detail_kvm_exit_name(uint32_t reason);
/* "io", "msr", "cr", "gpa", "hypercall", "vmm", "vector", "halt", "none", "other" */
const char *detail_kind_name(uint64_t d);

#endif
