/* kvmexitgen's guest: a 64-bit loop that runs a program of operations,
 * each one instruction that exits to the hypervisor, a given number of
 * times, counting what it did. Position-independent; copied to GUEST_CODE.
 *
 * Entry (registers set by the VMM):
 *   rdi  the program: records { u32 op, u32 arg, u64 count }, ended by OP_END
 *   rsi  the results: u64 done[OP_COUNT], one counter per operation
 *   r15  this vCPU's MMIO address
 *   rsp  a stack
 * At the end it writes to PORT_DONE, and never returns. */
#include "guest.h"

	.text
	.code64
	.globl guest_code_start, guest_code_end, guest_vmcall_insn, guest_exception_stubs
	/* each operation's exiting instruction: the guest RIP of its exits */
	.globl guest_rip_cpuid, guest_rip_io_out, guest_rip_io_in, guest_rip_mmio_read, guest_rip_mmio_write
	.globl guest_rip_hlt, guest_rip_msr_read, guest_rip_msr_write, guest_rip_ud2, guest_rip_cr8_write

guest_code_start:
	mov	%rdi, %r12		/* r12: next record */
	mov	%rsi, %r13		/* r13: results */

next_op:
	mov	(%r12), %eax		/* op */
	mov	8(%r12), %r14		/* count */
	add	$16, %r12
	test	%eax, %eax
	jz	finished
	cmp	$OP_CPUID_QUERY, %eax	/* its count is ECX, 0 included */
	je	do_query
	test	%r14, %r14
	jz	next_op
	cmp	$OP_CPUID, %eax
	je	do_cpuid
	cmp	$OP_IO_OUT, %eax
	je	do_io_out
	cmp	$OP_IO_IN, %eax
	je	do_io_in
	cmp	$OP_MMIO_READ, %eax
	je	do_mmio_read
	cmp	$OP_MMIO_WRITE, %eax
	je	do_mmio_write
	cmp	$OP_HLT, %eax
	je	do_hlt
	cmp	$OP_MSR_READ, %eax
	je	do_msr_read
	cmp	$OP_MSR_WRITE, %eax
	je	do_msr_write
	cmp	$OP_VMCALL, %eax
	je	do_vmcall
	cmp	$OP_UD2, %eax
	je	do_ud2
	cmp	$OP_CR8_WRITE, %eax
	je	do_cr8_write
	jmp	finished		/* the VMM validated the program: not reached */

do_cpuid:				/* CPUID leaf 0: always intercepted */
	xor	%eax, %eax
	xor	%ecx, %ecx
guest_rip_cpuid:
	cpuid
	incq	8 * OP_CPUID(%r13)
	dec	%r14
	jnz	do_cpuid
	jmp	next_op

do_query:				/* CPUID leaf -12(%r12), ECX r14: keep the answer */
	mov	-12(%r12), %eax
	mov	%r14, %rcx
	cpuid
	mov	8 * OP_CPUID_QUERY(%r13), %r8
	shl	$4, %r8			/* query q at q * 16 */
	mov	%r13, %r9
	sub	$GUEST_RESULTS, %r9
	shl	$2, %r9			/* vCPU i: results at i * 0x100, queries at i * 0x400 */
	add	$GUEST_QUERIES, %r9
	add	%r8, %r9
	mov	%eax, (%r9)
	mov	%ebx, 4(%r9)
	mov	%ecx, 8(%r9)
	mov	%edx, 12(%r9)
	incq	8 * OP_CPUID_QUERY(%r13)
	jmp	next_op

do_io_out:				/* OUT to the record's port (no device): exits to the VMM */
	movzwl	-12(%r12), %edx
	mov	$0x5a, %al
guest_rip_io_out:
	out	%al, %dx
	incq	8 * OP_IO_OUT(%r13)
	dec	%r14
	jnz	do_io_out
	jmp	next_op

do_io_in:
	movzwl	-12(%r12), %edx
guest_rip_io_in:
	in	%dx, %al
	incq	8 * OP_IO_IN(%r13)
	dec	%r14
	jnz	do_io_in
	jmp	next_op

do_mmio_read:				/* a GPA with no memory slot: MMIO exit */
	call	mmio_address
guest_rip_mmio_read:
	mov	(%r8), %rax
	incq	8 * OP_MMIO_READ(%r13)
	dec	%r14
	jnz	do_mmio_read
	jmp	next_op

do_mmio_write:
	call	mmio_address
guest_rip_mmio_write:
	mov	%r14, (%r8)
	incq	8 * OP_MMIO_WRITE(%r13)
	dec	%r14
	jnz	do_mmio_write
	jmp	next_op

do_hlt:					/* no in-kernel irqchip: every HLT exits to the VMM */
guest_rip_hlt:
	hlt
	incq	8 * OP_HLT(%r13)
	dec	%r14
	jnz	do_hlt
	jmp	next_op

do_msr_read:				/* the VMM's MSR filter denies the record's MSR */
	mov	-12(%r12), %ecx
guest_rip_msr_read:
	rdmsr
	incq	8 * OP_MSR_READ(%r13)
	dec	%r14
	jnz	do_msr_read
	jmp	next_op

do_msr_write:
	mov	-12(%r12), %ecx
	xor	%eax, %eax
	xor	%edx, %edx
guest_rip_msr_write:
	wrmsr
	incq	8 * OP_MSR_WRITE(%r13)
	dec	%r14
	jnz	do_msr_write
	jmp	next_op

do_vmcall:				/* a hypercall KVM does not know: handled in KVM */
	mov	$EXITGEN_HYPERCALL, %eax
guest_vmcall_insn:
	vmcall				/* 0f 01 c1; the VMM rewrites it to vmmcall on AMD */
	incq	8 * OP_VMCALL(%r13)
	dec	%r14
	jnz	do_vmcall
	jmp	next_op

do_ud2:					/* no IDT: the vCPU shuts down (triple fault) */
guest_rip_ud2:
	ud2
	incq	8 * OP_UD2(%r13)
	dec	%r14
	jnz	do_ud2
	jmp	next_op

do_cr8_write:				/* no in-kernel APIC: KVM intercepts CR8 (TPR) writes */
	xor	%eax, %eax
guest_rip_cr8_write:
	mov	%rax, %cr8
	incq	8 * OP_CR8_WRITE(%r13)
	dec	%r14
	jnz	do_cr8_write
	jmp	next_op

mmio_address:				/* r8: the record's address, or this vCPU's (r15) */
	mov	-12(%r12), %r8d
	test	%r8, %r8
	cmovz	%r15, %r8
	ret

finished:
	mov	$PORT_DONE, %dx
	out	%al, %dx
	jmp	finished

/* Supervisor mode has an IDT whose 256 gates lead here, 16 bytes a vector:
 * an exception or a stray interrupt is reported to the VMM (vector in eax,
 * the two words above it in rbx and rcx: rip, or error code then rip)
 * rather than ending in a triple fault that says nothing. */
	.align	16
guest_exception_stubs:
	.set	vector, 0
	.rept	256
	.align	16
	pushq	$vector
	jmp	exception_common
	.set	vector, vector + 1
	.endr
exception_common:
	mov	(%rsp), %eax
	mov	8(%rsp), %rbx
	mov	16(%rsp), %rcx
	mov	$PORT_EXCEPTION, %dx
	out	%eax, %dx
	jmp	exception_common
guest_code_end:

	.section .note.GNU-stack, "", @progbits
