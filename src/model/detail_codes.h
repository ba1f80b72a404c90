/* The values of exit details (detail.h), shared by the BPF programs and
 * the user side: fixed-width types, everything inline. */
#ifndef KVMEXITSTAT_DETAIL_CODES_H
#define KVMEXITSTAT_DETAIL_CODES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stdbool.h>
#endif

enum detail_kind {
	DETAIL_NONE = 0,
	DETAIL_IO = 1,    /* port bits 0-15, in bit 16, size (bytes) bits 17-20, string bit 21 */
	DETAIL_MSR = 2,   /* index bits 0-31, write bit 32 */
	DETAIL_CR = 3,    /* CR number bits 0-7, write bit 8 */
	DETAIL_GPA = 4,   /* guest-physical page number (address >> 12) bits 0-51 */
	DETAIL_HCALL = 5, /* hypercall number bits 0-31 */
	DETAIL_VMM = 6,   /* KVM_EXIT_* bits 0-31: the exit went on to the VMM, nothing else said */
	DETAIL_VEC = 7,   /* exception vector bits 0-7 */
	DETAIL_HALT = 8,  /* HLT inside KVM: blocked (bit 0: the vCPU slept) or halt-polled */
	DETAIL_KINDS,
	DETAIL_OTHER = 0xff, /* the details of a reason after its top N, folded */
};

#define DETAIL_KIND_SHIFT 56
/* The exit went on to the VMM after what its detail says (a port that QEMU
 * handles): one bit below the kind. */
#define DETAIL_VIA_VMM (1ull << 55)
#define KVM_EXIT_INTR_REASON 10 /* KVM_EXIT_INTR: a signal, not the exit's doing */

static inline enum detail_kind detail_kind(__u64 d)
{
	return (enum detail_kind)(d >> DETAIL_KIND_SHIFT);
}

static inline __u64 detail_make(enum detail_kind k, __u64 fields)
{
	return (__u64)k << DETAIL_KIND_SHIFT | (fields & ((1ull << DETAIL_KIND_SHIFT) - 1));
}

static inline __u64 detail_io(__u16 port, int in, unsigned size, int string)
{
	return detail_make(DETAIL_IO, (__u64)port | (__u64)!!in << 16 | (__u64)(size & 15) << 17 | (__u64)!!string << 21);
}

static inline __u64 detail_msr(__u32 index, int write)
{
	return detail_make(DETAIL_MSR, (__u64)index | (__u64)!!write << 32);
}

static inline __u64 detail_cr(unsigned cr, int write)
{
	return detail_make(DETAIL_CR, (__u64)(cr & 0xff) | (__u64)!!write << 8);
}

static inline __u64 detail_gpa(__u64 gpa)
{
	return detail_make(DETAIL_GPA, (gpa >> 12) & ((1ull << 52) - 1));
}

static inline __u64 detail_hcall(__u64 nr)
{
	return detail_make(DETAIL_HCALL, nr & 0xffffffffu);
}

static inline __u64 detail_vmm(__u32 kvm_exit_reason)
{
	return detail_make(DETAIL_VMM, kvm_exit_reason);
}

static inline __u64 detail_vec(unsigned vector)
{
	return detail_make(DETAIL_VEC, vector & 0xff);
}

static inline __u64 detail_halt(int blocked)
{
	return detail_make(DETAIL_HALT, !!blocked);
}

/* The exit's detail once `add` is said of it, with cur said before: a
 * detail line's detail is firm, one decoded from the exit record itself is
 * not (a line may name it better). KVM_EXIT_* alone is the weakest: a
 * detail said after it replaces it, and one said before it keeps it as
 * DETAIL_VIA_VMM; KVM_EXIT_INTR never marks another. *firm says of cur,
 * and is updated. */
static inline __u64 detail_merge(__u64 cur, bool *firm, __u64 add, bool add_firm)
{
	bool cur_vmm = detail_kind(cur) == DETAIL_VMM;
	__u64 cur_reason = cur & 0xffffffffu;

	if (!add)
		return cur;
	if (detail_kind(add) == DETAIL_VMM) {
		if (!cur) {
			*firm = false;
			return add;
		}
		if (cur_vmm || (add & 0xffffffffu) == KVM_EXIT_INTR_REASON)
			return cur;
		return cur | DETAIL_VIA_VMM;
	}
	if (!cur || cur_vmm) {
		*firm = add_firm;
		return add | (cur_vmm && cur_reason != KVM_EXIT_INTR_REASON ? DETAIL_VIA_VMM : 0);
	}
	if (!*firm && add_firm) {
		*firm = true;
		return add | (cur & DETAIL_VIA_VMM);
	}
	return cur;
}

/* What the exit record alone tells (isa 1 VMX, 2 SVM, as exit keys have
 * it; info1 the exit qualification or EXITINFO1, info2 EXITINFO2,
 * intr_info VMX's interruption info): the port of an I/O exit (both
 * ISAs), the CR and direction of a CR access (VMX's qualification, SVM's
 * reason), the GPA of an SVM nested page fault, the vector of a VMX
 * exception. 0 when none. Layouts: Intel SDM vol. 3 "Exit Qualification
 * for I/O Instructions" and "... Control-Register Accesses"; AMD APM vol. 2
 * "IOIO Intercept Information". */
static inline __u64 detail_from_exit(int isa, __u64 reason, __u64 info1, __u64 info2, bool has_intr_info,
				     __u32 intr_info)
{
	if (isa == 2) {
		if (reason == 0x7b) { /* ioio */
			unsigned size = info1 & 0x10 ? 1 : info1 & 0x20 ? 2 : info1 & 0x40 ? 4 : 0;
			return size ? detail_io((__u16)(info1 >> 16), info1 & 1, size, info1 >> 2 & 1) : 0;
		}
		if (reason == 0x400) /* npf: EXITINFO2 is the address */
			return detail_gpa(info2);
		if (reason < 0x20) /* read_cr0 .. write_cr15 */
			return detail_cr((unsigned)(reason & 15), reason >= 0x10);
		return 0;
	}
	if (isa != 1)
		return 0;
	switch (reason & 0xffff) {
	case 30: /* IO_INSTRUCTION */
		return detail_io((__u16)(info1 >> 16), info1 >> 3 & 1, (unsigned)(info1 & 7) + 1, info1 >> 4 & 1);
	case 28: { /* CR_ACCESS: mov to, mov from, CLTS, LMSW (the last two write CR0) */
		unsigned type = info1 >> 4 & 3;
		return detail_cr(type >= 2 ? 0 : (unsigned)(info1 & 15), type != 1);
	}
	case 0: /* EXCEPTION_NMI: the vector, when intr_info is valid */
		return has_intr_info && intr_info >> 31 ? detail_vec(intr_info & 0xff) : 0;
	}
	return 0;
}

/* An MSR exit's MSR, from the guest's RCX as KVM saved it at the exit:
 * VMX MSR_READ / MSR_WRITE, SVM msr (EXITINFO1 1: WRMSR). 0 for another
 * exit. */
static inline __u64 detail_msr_exit(int isa, __u64 reason, __u64 info1, __u64 rcx)
{
	if (isa == 1 && (reason == 31 || reason == 32))
		return detail_msr((__u32)rcx, reason == 32);
	if (isa == 2 && reason == 0x7c)
		return detail_msr((__u32)rcx, info1 & 1);
	return 0;
}

#endif
