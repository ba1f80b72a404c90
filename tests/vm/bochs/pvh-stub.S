/* Entry of the PVH boot stub (pvh-stub.c): GRUB loads it as a multiboot
 * kernel and jumps here in 32-bit protected mode, paging off, with EAX the
 * multiboot magic and EBX the multiboot information. */
	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002		/* magic */
	.long 0x00000003		/* modules page-aligned, memory map wanted */
	.long -(0x1BADB002 + 0x00000003)

	.text
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	push %ebx
	push %eax
	call stub_main			/* returns the kernel's PVH entry, start info in EDX */
	mov %edx, %ebx			/* PVH: EBX = physical address of hvm_start_info */
	jmp *%eax

	.bss
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
