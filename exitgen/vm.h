/* kvmexitgen's VMM: a VM with identity-mapped long-mode memory, vCPUs that
 * run the guest program, and the handling of the exits that reach it. */
#ifndef KVMEXITGEN_VM_H
#define KVMEXITGEN_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

enum guest_mode { MODE_AUTO, MODE_SUPERVISOR, MODE_USER };

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	int stats_fd;            /* KVM_GET_STATS_FD, -1 if refused */
	struct kvm_run *run;
	size_t run_size;
	uint64_t seen[OP_COUNT]; /* exits that reached this VMM, per operation */
	int error;               /* 0, or -errno of a failure already reported in message */
	int tid;                 /* the thread that ran it (its kvm_exit events carry this id) */
	char message[512];
	bool done;
};

struct vm {
	int kvm_fd;
	int fd;
	uint8_t *mem;
	enum guest_mode mode;    /* resolved: supervisor or user */
	bool amd;                /* vmmcall rather than vmcall */
	bool msr_exits;          /* MSR filter with user-space exits is in place */
	/* what the program's operations reach this VMM at (vm__expect) */
	uint8_t io_ports[65536 / 8];
	uint32_t msrs[16];       /* denied by the MSR filter (KVM takes 16 ranges) */
	int nmsrs;
	uint64_t mmio[16];       /* addresses besides each vCPU's own */
	int nmmio;
	int slow_port;           /* --slow-port: I/O to this port is answered after slow_us (-1: none) */
	unsigned slow_us;
	int nvcpus;
	struct vcpu vcpus[GUEST_MAX_VCPUS];
};

/* Open /dev/kvm, create the VM and its memory, load the guest code. On
 * failure returns -errno with a one-line message in msg. */
int vm__create(struct vm *vm, enum guest_mode mode, int nvcpus, char *msg, size_t msglen);
void vm__destroy(struct vm *vm);

/* Write vCPU i's program (ops[] with counts[], n of them, OP_END added). */
/* Program records: op, its argument (OP_CPUID_QUERY: the leaf; args may
 * be NULL), count (OP_CPUID_QUERY: ECX). */
void vm__load_program(struct vm *vm, int i, const uint32_t *ops, const uint32_t *args, const uint64_t *counts,
		      int n);
/* The ports, MSRs and MMIO addresses the program's operations use (args
 * as vm__load_program's): accepted when they reach this VMM, and the MSRs
 * denied by the MSR filter. 0, or -EINVAL with a message. */
int vm__expect(struct vm *vm, const uint32_t *ops, const uint32_t *args, int n, char *msg, size_t msglen);
/* The guest RIP of operation op's exits (its exiting instruction), 0 for
 * none. */
uint64_t vm__op_rip(int op);
/* EAX, EBX, ECX, EDX of vCPU i's query q. */
void vm__query(const struct vm *vm, int i, int q, uint32_t regs[4]);
/* What the guest counted it did, per operation. */
void vm__results(const struct vm *vm, int i, uint64_t done[OP_COUNT]);

/* Reset vCPU i to the start of its program (registers, results, seen). */
int vcpu__reset(struct vcpu *v, char *msg, size_t msglen);
/* Run vCPU until the guest reports it is done. 0, or -errno with v->message. */
int vcpu__run(struct vcpu *v);

/* The resolved mode's name. */
const char *guest_mode_name(enum guest_mode m);

#endif
