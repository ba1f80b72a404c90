#include "detail.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>


/* The PC's fixed ports, and QEMU's (fw_cfg, the ACPI PM block where
 * SeaBIOS puts it). First match wins: single ports before their ranges. */
static const struct { uint16_t lo, hi; const char *name; } ports[] = {
	{ 0x20, 0x21, "PIC1" },
	{ 0x40, 0x40, "PIT ch0" },
	{ 0x41, 0x42, "PIT" },
	{ 0x43, 0x43, "PIT mode" },
	{ 0x60, 0x60, "i8042 data" },
	{ 0x61, 0x61, "PIT ch2 gate/NMI" },
	{ 0x64, 0x64, "i8042 cmd" },
	{ 0x70, 0x70, "RTC/CMOS index" },
	{ 0x71, 0x71, "RTC/CMOS data" },
	{ 0x80, 0x80, "POST" },
	{ 0x92, 0x92, "A20 (port 92)" },
	{ 0xa0, 0xa1, "PIC2" },
	{ 0xf0, 0xf0, "FPU error" },
	{ 0x170, 0x177, "IDE2" },
	{ 0x1ce, 0x1cf, "Bochs VBE" },
	{ 0x1f0, 0x1f7, "IDE1" },
	{ 0x2e8, 0x2ef, "COM4" },
	{ 0x2f8, 0x2ff, "COM2" },
	{ 0x3b0, 0x3df, "VGA" },
	{ 0x3e8, 0x3ef, "COM3" },
	{ 0x3f0, 0x3f7, "floppy" },
	{ 0x3f8, 0x3f8, "COM1 data" },
	{ 0x3f9, 0x3ff, "COM1" },
	{ 0x402, 0x402, "firmware debug" },
	{ 0x4d0, 0x4d1, "PIC ELCR" },
	{ 0x510, 0x510, "fw_cfg select" },
	{ 0x511, 0x511, "fw_cfg data" },
	{ 0x514, 0x51b, "fw_cfg DMA" },
	{ 0x608, 0x608, "ACPI PM timer" },
	{ 0x600, 0x63f, "ACPI PM" },
	{ 0xb008, 0xb008, "ACPI PM timer" },
	{ 0xb000, 0xb03f, "ACPI PM" },
	{ 0xcf8, 0xcfb, "PCI config addr" },
	{ 0xcfc, 0xcff, "PCI config data" },
};

const char *detail_port_name(uint16_t port)
{
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (port >= ports[i].lo && port <= ports[i].hi)
			return ports[i].name;
	return "";
}

static const struct { uint32_t index; const char *name; } msrs[] = {
	{ 0x10, "IA32_TIME_STAMP_COUNTER" },
	{ 0x1b, "IA32_APIC_BASE" },
	{ 0x3a, "IA32_FEATURE_CONTROL" },
	{ 0x3b, "IA32_TSC_ADJUST" },
	{ 0x48, "IA32_SPEC_CTRL" },
	{ 0x49, "IA32_PRED_CMD" },
	{ 0x8b, "IA32_BIOS_SIGN_ID" },
	{ 0xe7, "IA32_MPERF" },
	{ 0xe8, "IA32_APERF" },
	{ 0xfe, "IA32_MTRRCAP" },
	{ 0x174, "IA32_SYSENTER_CS" },
	{ 0x175, "IA32_SYSENTER_ESP" },
	{ 0x176, "IA32_SYSENTER_EIP" },
	{ 0x179, "IA32_MCG_CAP" },
	{ 0x17a, "IA32_MCG_STATUS" },
	{ 0x1a0, "IA32_MISC_ENABLE" },
	{ 0x1d9, "IA32_DEBUGCTL" },
	{ 0x277, "IA32_PAT" },
	{ 0x2ff, "IA32_MTRR_DEF_TYPE" },
	{ 0x6e0, "IA32_TSC_DEADLINE" },
	{ 0x802, "x2APIC ID" },
	{ 0x803, "x2APIC version" },
	{ 0x808, "x2APIC TPR" },
	{ 0x80b, "x2APIC EOI" },
	{ 0x80d, "x2APIC LDR" },
	{ 0x80f, "x2APIC SVR" },
	{ 0x828, "x2APIC ESR" },
	{ 0x830, "x2APIC ICR" },
	{ 0x832, "x2APIC LVT timer" },
	{ 0x834, "x2APIC LVT perfmon" },
	{ 0x835, "x2APIC LVT LINT0" },
	{ 0x836, "x2APIC LVT LINT1" },
	{ 0x837, "x2APIC LVT error" },
	{ 0x838, "x2APIC timer initial" },
	{ 0x839, "x2APIC timer current" },
	{ 0x83e, "x2APIC timer divide" },
	{ 0x83f, "x2APIC self IPI" },
	{ 0x4b564d00, "KVM_WALL_CLOCK_NEW" },
	{ 0x4b564d01, "KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02, "KVM_ASYNC_PF_EN" },
	{ 0x4b564d03, "KVM_STEAL_TIME" },
	{ 0x4b564d04, "KVM_PV_EOI_EN" },
	{ 0x4b564d05, "KVM_POLL_CONTROL" },
	{ 0x4b564d06, "KVM_ASYNC_PF_INT" },
	{ 0x4b564d07, "KVM_ASYNC_PF_ACK" },
	{ 0x11, "KVM_SYSTEM_TIME (old)" },
	{ 0x12, "KVM_WALL_CLOCK (old)" },
	{ 0xc0000080, "EFER" },
	{ 0xc0000081, "STAR" },
	{ 0xc0000082, "LSTAR" },
	{ 0xc0000083, "CSTAR" },
	{ 0xc0000084, "SFMASK" },
	{ 0xc0000100, "FS_BASE" },
	{ 0xc0000101, "GS_BASE" },
	{ 0xc0000102, "KERNEL_GS_BASE" },
	{ 0xc0000103, "TSC_AUX" },
	{ 0xc0010015, "AMD HWCR" },
	{ 0xc0010114, "AMD VM_CR" },
	{ 0xc0010117, "AMD VM_HSAVE_PA" },
};

const char *detail_msr_name(uint32_t index)
{
	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		if (msrs[i].index == index)
			return msrs[i].name;
	if (index >= 0x200 && index <= 0x21f)
		return "MTRR variable";
	if (index >= 0x250 && index <= 0x26f)
		return "MTRR fixed";
	if (index >= 0xc0010000 && index <= 0xc0010007)
		return "AMD PERF_CTL/CTR";
	if (index >= 0xc0010200 && index <= 0xc001020b)
		return "AMD PERF_CTL/CTR";
	if (index >= 0x40000000 && index <= 0x400000ff)
		return "Hyper-V";
	return "";
}

/* The PC's memory-mapped devices at their usual addresses. */
static const struct { uint64_t lo, hi; const char *name; } regions[] = {
	{ 0xa0000, 0xbffff, "VGA window" },
	{ 0xc0000, 0xfffff, "BIOS area" },
	{ 0xfec00000, 0xfecfffff, "IOAPIC" }, /* (several, 64 KiB apart: QEMU microvm has two) */
	{ 0xfed00000, 0xfed00fff, "HPET" },
	{ 0xfee00000, 0xfeefffff, "LAPIC" },
	{ 0xff000000, 0xffffffff, "firmware flash" },
};

const char *detail_gpa_name(uint64_t gpa)
{
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (gpa >= regions[i].lo && gpa <= regions[i].hi)
			return regions[i].name;
	return "";
}

/* include/uapi/linux/kvm.h */
static const char *const kvm_exits[] = {
	"UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO", "IRQ_WINDOW_OPEN", "SHUTDOWN",
	"FAIL_ENTRY", "INTR", "SET_TPR", "TPR_ACCESS", "S390_SIEIC", "S390_RESET", "DCR", "NMI",
	"INTERNAL_ERROR", "OSI", "PAPR_HCALL", "S390_UCONTROL", "WATCHDOG", "S390_TSCH", "EPR",
	"SYSTEM_EVENT", "S390_STSI", "IOAPIC_EOI", "HYPERV", "ARM_NISV", "X86_RDMSR", "X86_WRMSR",
	"DIRTY_RING_FULL", "AP_RESET_HOLD", "X86_BUS_LOCK", "XEN", "RISCV_SBI", "RISCV_CSR", "NOTIFY",
	"LOONGARCH_IOCSR", "MEMORY_FAULT",
};

const char *detail_kvm_exit_name(uint32_t reason)
{
	static char names[sizeof(kvm_exits) / sizeof(kvm_exits[0])][32];
	if (reason >= sizeof(kvm_exits) / sizeof(kvm_exits[0]))
		return NULL;
	if (!names[reason][0])
		snprintf(names[reason], sizeof(names[reason]), "KVM_EXIT_%s", kvm_exits[reason]);
	return names[reason];
}

/* Documentation/virt/kvm/x86/hypercalls.rst */
static const char *hcall_name(uint64_t nr)
{
	static const char *const n[] = { NULL, "VAPIC_POLL_IRQ", "MMU_OP", "FEATURES", "PPC_MAP_MAGIC_PAGE",
					 "KICK_CPU", "MIPS_GET_CLOCK_FREQ", "MIPS_EXIT_VM", "MIPS_CONSOLE_OUTPUT",
					 "CLOCK_PAIRING", "SEND_IPI", "SCHED_YIELD", "MAP_GPA_RANGE" };
	return nr < sizeof(n) / sizeof(n[0]) && n[nr] ? n[nr] : "";
}

/* Linux's own vectors (arch/x86/include/asm/irq_vectors.h): the host's, for
 * an external interrupt exit; its devices' are from 0x21 on. */
static const char *host_vector_name(unsigned v)
{
	switch (v) {
	case 0xec: return "host local timer";
	case 0xfd: return "host reschedule IPI";
	case 0xfc: return "host call-function IPI";
	case 0xfb: return "host call-function-single IPI";
	case 0xf6: return "host irq_work";
	case 0xf2: return "posted interrupt";
	case 0xf1: return "posted-interrupt wakeup";
	case 0xff: return "spurious";
	default: return v >= 0x21 && v < 0xec ? "host device" : "";
	}
}

static const char *vector_name(unsigned v)
{
	static const char *const n[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "",
					 "#TS", "#NP", "#SS", "#GP", "#PF", "", "#MF", "#AC", "#MC", "#XM",
					 "#VE", "#CP" };
	return v < sizeof(n) / sizeof(n[0]) ? n[v] : "";
}

/* "TEXT" then " NAME" when there is a name */
static char *with_name(char *buf, size_t len, int used, const char *name)
{
	if (used >= 0 && (size_t)used < len && name && *name)
		snprintf(buf + used, len - (size_t)used, " %s", name);
	return buf;
}

static char *format_fields(uint64_t d, char *buf, size_t len);

char *detail_format(uint64_t d, char *buf, size_t len)
{
	format_fields(d & ~DETAIL_VIA_VMM, buf, len);
	size_t n = strlen(buf);
	if (d & DETAIL_VIA_VMM && n < len)
		snprintf(buf + n, len - n, ", to VMM");
	return buf;
}

static char *format_fields(uint64_t d, char *buf, size_t len)
{
	uint64_t f = d & ((1ull << DETAIL_KIND_SHIFT) - 1);
	int n;

	if (!len)
		return buf;
	switch (detail_kind(d)) {
	case DETAIL_NONE:
		snprintf(buf, len, "(no detail)");
		return buf;
	case DETAIL_IO:
		n = snprintf(buf, len, "%s%s 0x%" PRIx64 "/%u", f >> 16 & 1 ? "in" : "out", f >> 21 & 1 ? "s" : "",
			     f & 0xffff, (unsigned)(f >> 17 & 15));
		return with_name(buf, len, n, detail_port_name((uint16_t)f));
	case DETAIL_MSR:
		n = snprintf(buf, len, "%s 0x%" PRIx64, f >> 32 & 1 ? "wrmsr" : "rdmsr", f & 0xffffffffu);
		return with_name(buf, len, n, detail_msr_name((uint32_t)f));
	case DETAIL_CR:
		snprintf(buf, len, "%s cr%u", f >> 8 & 1 ? "write" : "read", (unsigned)(f & 0xff));
		return buf;
	case DETAIL_GPA:
		n = snprintf(buf, len, "gpa 0x%" PRIx64, f << 12);
		return with_name(buf, len, n, detail_gpa_name(f << 12));
	case DETAIL_HCALL:
		n = snprintf(buf, len, "hypercall %" PRIu64, f);
		return with_name(buf, len, n, hcall_name(f));
	case DETAIL_VMM: {
		const char *name = detail_kvm_exit_name((uint32_t)f);
		if (name)
			snprintf(buf, len, "vmm %s", name);
		else
			snprintf(buf, len, "vmm KVM_EXIT %" PRIu64, f & 0xffffffffu);
		return buf;
	}
	case DETAIL_VEC: /* (below 32: an exception; above: an interrupt) */
		n = snprintf(buf, len, "vector %u", (unsigned)(f & 0xff));
		return with_name(buf, len, n, (f & 0xff) < 32 ? vector_name((unsigned)(f & 0xff))
								 : host_vector_name((unsigned)(f & 0xff)));
	case DETAIL_HALT:
		snprintf(buf, len, "%s", f & 1 ? "halt: blocked (guest idle)" : "halt: polled");
		return buf;
	case DETAIL_OTHER:
		snprintf(buf, len, "(other)");
		return buf;
	default:
		snprintf(buf, len, "detail 0x%" PRIx64, d);
		return buf;
	}
}

const char *detail_kind_name(uint64_t d)
{
	static const char *const n[DETAIL_KINDS] = { "none", "io", "msr", "cr", "gpa", "hypercall", "vmm", "vector",
						     "halt" };
	enum detail_kind k = detail_kind(d);
	if (k == DETAIL_OTHER)
		return "other";
	return k < DETAIL_KINDS ? n[k] : "unknown";
}
