/* Prometheus text exposition (format 0.0.4) of a cumulative snapshot:
 *
 *   kvm_exits_total{vm,pid,vm_start,isa,reason[,vcpu]}   exits by hardware
 *       reason (tracepoint source); with KVM's vCPU statistics alone,
 *       isa="kvm" reason="all" (they count exits without reasons)
 *   kvm_exit_handling_seconds{isa,reason}   histogram over every VM
 *   kvm_vcpu_stat_total{vm,pid,vm_start,stat[,vcpu]} and
 *   kvm_vcpu_stat_seconds_total{...}   KVM's vCPU statistics (the *_ns ones
 *       in seconds)
 *   kvmexitstat_*   the collector's own health
 *
 * vm_start (the VM process's start, Unix seconds) tells runs of a VM apart,
 * so that each series only ever goes up. */
#ifndef KVMEXITSTAT_PROM_H
#define KVMEXITSTAT_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "health.h"
#include "snapshot.h"

struct prom_health {
	const char *source;        /* as the source describes itself */
	struct health lost;        /* what the collector could not do so far */
	double last_update;        /* Unix seconds of the reading */
	uint64_t readings;
};

/* Writes the exposition of cur. with_vcpu adds the vcpu label. 0 or -EIO. */
int prom_render(FILE *out, const struct snapshot *cur, bool with_vcpu, const struct prom_health *h);

/* A VM process's start (exit_key.start, clock ticks since boot) in Unix
 * seconds; 0 when not known. */
uint64_t prom_vm_start(uint64_t start);

#endif
