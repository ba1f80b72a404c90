/* The names of one KVM's vCPU statistics and which of them counts exits:
 * the meaning of an ISA_KVM reason code, known only at run time (from the
 * running kernel's binary stats, or from the store that recorded them).
 * A snapshot carries the table of the source that filled it; the table is
 * shared by reference and never changes once made. */
#ifndef KVMEXITSTAT_KVM_COUNTERS_H
#define KVMEXITSTAT_KVM_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_counters;

/* A table of n names (copied); code i is names[i]. "exits", the one
 * statistic that counts every exit, is found by name. exits_in_total says
 * whether it belongs in a table's total: not when the tracepoint's exits
 * are in the same table, as KVM's "exits" counts them again. NULL when
 * out of memory. The caller holds the one reference. */
struct kvm_counters *kvm_counters_new(const char *const *names, size_t n, bool exits_in_total);
struct kvm_counters *kvm_counters_ref(struct kvm_counters *kc);  /* NULL stays NULL */
void kvm_counters_unref(struct kvm_counters *kc);                  /* NULL is ignored */

/* The name of a code, or NULL past the table (or without one). */
const char *kvm_counters_name(const struct kvm_counters *kc, uint64_t code);
/* Whether a code's count belongs in a total of exits: of KVM's statistics
 * only "exits" (io_exits and halt_exits are among its exits, pf_fixed is
 * not an exit at all), and only when exits_in_total. */
bool kvm_counters_in_total(const struct kvm_counters *kc, uint64_t code);

#endif
