/* What the host and the guest code of kvmexitgen agree on: the guest's
 * memory layout, its ports, its MSR, and the program format. Included by
 * C and by guest.S. */
#ifndef KVMEXITGEN_GUEST_H
#define KVMEXITGEN_GUEST_H

/* Operations of a guest program; one record is { u32 op, u32 arg, u64
 * count }: arg is the port of io-out/io-in, the MSR of msr-read/msr-write,
 * the address of mmio-read/mmio-write (0: this vCPU's own, GUEST_MMIO +
 * 8 * id), the leaf of cpuid-query. */
#define OP_END 0
#define OP_CPUID 1
#define OP_IO_OUT 2
#define OP_IO_IN 3
#define OP_MMIO_READ 4
#define OP_MMIO_WRITE 5
#define OP_HLT 6
#define OP_MSR_READ 7
#define OP_MSR_WRITE 8
#define OP_VMCALL 9
#define OP_UD2 10               /* an invalid opcode: ends the run with an error */
#define OP_CPUID_QUERY 11       /* one CPUID: leaf in the record's second u32, ECX its count;
				   EAX..EDX to GUEST_QUERIES */
#define OP_CR8_WRITE 12         /* MOV to CR8 of 0: exits where no in-kernel APIC shadows the TPR */
#define OP_COUNT 13

/* Guest-physical layout (identity-mapped, so also the guest's virtual one). */
#define GUEST_PML4 0x1000
#define GUEST_PDPT 0x2000
#define GUEST_PD_LOW 0x3000     /* 0-1 GiB, 2 MiB pages */
#define GUEST_PD_MMIO 0x4000    /* 3-4 GiB: the MMIO hole */
#define GUEST_GDT 0x5000        /* supervisor mode: code and data descriptors */
#define GUEST_IDT 0x6000        /* supervisor mode: 256 gates to guest_exception_stubs */
#define GUEST_CODE 0x10000
#define GUEST_PROGRAMS 0x40000  /* vCPU i: program at + i * 0x1000 */
#define GUEST_RESULTS 0x80000   /* vCPU i: u64 done[OP_COUNT] at + i * 0x100 */
#define GUEST_QUERIES 0x90000   /* vCPU i: u32 eax, ebx, ecx, edx of query q at + i * 0x400 + q * 16 */
#define GUEST_MAX_QUERIES 64
#define GUEST_STACKS 0x100000   /* vCPU i: stack top at + (i + 1) * 0x4000 */
#define GUEST_MEM_SIZE 0x400000 /* 4 MiB of RAM from GPA 0 */
#define GUEST_MMIO 0xf0000000   /* no memory slot here: every access exits */
#define GUEST_MMIO_LOW 0xc0000000 /* the hole GUEST_PD_MMIO maps: any address from here up exits */
#define GUEST_MAX_VCPUS 64

#define PORT_OP 0xe0            /* io-out / io-in operations */
#define PORT_DONE 0xe4          /* the guest finished its program */
#define PORT_EXCEPTION 0xe8     /* the guest took an exception: eax vector, rbx/rcx the frame */
#define EXITGEN_MSR 0x00000bad  /* filtered, so that RDMSR/WRMSR exit to the VMM */
#define EXITGEN_HYPERCALL 0x7e57 /* no such KVM hypercall: KVM answers -ENOSYS */

#endif
