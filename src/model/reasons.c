/* Exit-reason tables and name lookup. The tables are data: one row a code.
 * Sources: Intel SDM Vol. 3 Appendix C, AMD APM Vol. 2 Appendix C, and the
 * names Linux prints (arch/x86/include/uapi/asm/{vmx,svm}.h). See
 * docs/reference/ for the annotated lists these rows were checked against. */
#include "reasons.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "numparse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* code, Linux trace name, alias, description, in Linux's string table */
static const struct reason_info vmx_table[] = {
	{ 0, "EXCEPTION_NMI", NULL, "Exception or non-maskable interrupt", true },
	{ 1, "EXTERNAL_INTERRUPT", NULL, "External interrupt", true },
	{ 2, "TRIPLE_FAULT", NULL, "Triple fault", true },
	{ 3, "INIT_SIGNAL", NULL, "INIT signal", true },
	{ 4, "SIPI_SIGNAL", NULL, "Start-up IPI (SIPI)", true },
	{ 5, "IO_SMI", NULL, "I/O system-management interrupt", false },
	{ 6, "OTHER_SMI", NULL, "Other SMI", false },
	{ 7, "INTERRUPT_WINDOW", "PENDING_INTERRUPT", "Interrupt window", true },
	{ 8, "NMI_WINDOW", NULL, "NMI window", true },
	{ 9, "TASK_SWITCH", NULL, "Task switch", true },
	{ 10, "CPUID", NULL, "CPUID", true },
	{ 11, "GETSEC", NULL, "GETSEC", false },
	{ 12, "HLT", NULL, "HLT", true },
	{ 13, "INVD", NULL, "INVD", true },
	{ 14, "INVLPG", NULL, "INVLPG", true },
	{ 15, "RDPMC", NULL, "RDPMC", true },
	{ 16, "RDTSC", NULL, "RDTSC", true },
	{ 17, "RSM", NULL, "RSM", false },
	{ 18, "VMCALL", NULL, "VMCALL", true },
	{ 19, "VMCLEAR", NULL, "VMCLEAR", true },
	{ 20, "VMLAUNCH", NULL, "VMLAUNCH", true },
	{ 21, "VMPTRLD", NULL, "VMPTRLD", true },
	{ 22, "VMPTRST", NULL, "VMPTRST", true },
	{ 23, "VMREAD", NULL, "VMREAD", true },
	{ 24, "VMRESUME", NULL, "VMRESUME", true },
	{ 25, "VMWRITE", NULL, "VMWRITE", true },
	{ 26, "VMOFF", "VMXOFF", "VMXOFF", true },
	{ 27, "VMON", "VMXON", "VMXON", true },
	{ 28, "CR_ACCESS", NULL, "Control-register access (MOV CR, CLTS, LMSW)", true },
	{ 29, "DR_ACCESS", NULL, "MOV DR", true },
	{ 30, "IO_INSTRUCTION", NULL, "I/O instruction", true },
	{ 31, "MSR_READ", NULL, "RDMSR", true },
	{ 32, "MSR_WRITE", NULL, "WRMSR", true },
	{ 33, "INVALID_STATE", NULL, "VM-entry failure: invalid guest state", true },
	{ 34, "MSR_LOAD_FAIL", NULL, "VM-entry failure: MSR loading", true },
	{ 36, "MWAIT_INSTRUCTION", NULL, "MWAIT", true },
	{ 37, "MONITOR_TRAP_FLAG", NULL, "Monitor trap flag", true },
	{ 39, "MONITOR_INSTRUCTION", NULL, "MONITOR", true },
	{ 40, "PAUSE_INSTRUCTION", NULL, "PAUSE", true },
	{ 41, "MCE_DURING_VMENTRY", NULL, "VM-entry failure: machine-check event", true },
	{ 43, "TPR_BELOW_THRESHOLD", NULL, "TPR below threshold", true },
	{ 44, "APIC_ACCESS", NULL, "APIC access", true },
	{ 45, "EOI_INDUCED", NULL, "Virtualized EOI", true },
	{ 46, "GDTR_IDTR", NULL, "Access to GDTR or IDTR", true },
	{ 47, "LDTR_TR", NULL, "Access to LDTR or TR", true },
	{ 48, "EPT_VIOLATION", NULL, "EPT violation", true },
	{ 49, "EPT_MISCONFIG", NULL, "EPT misconfiguration", true },
	{ 50, "INVEPT", NULL, "INVEPT", true },
	{ 51, "RDTSCP", NULL, "RDTSCP", true },
	{ 52, "PREEMPTION_TIMER", NULL, "VMX-preemption timer expired", true },
	{ 53, "INVVPID", NULL, "INVVPID", true },
	{ 54, "WBINVD", NULL, "WBINVD or WBNOINVD", true },
	{ 55, "XSETBV", NULL, "XSETBV", true },
	{ 56, "APIC_WRITE", NULL, "APIC write", true },
	{ 57, "RDRAND", NULL, "RDRAND", true },
	{ 58, "INVPCID", NULL, "INVPCID", true },
	{ 59, "VMFUNC", NULL, "VMFUNC", true },
	{ 60, "ENCLS", NULL, "ENCLS", true },
	{ 61, "RDSEED", NULL, "RDSEED", true },
	{ 62, "PML_FULL", NULL, "Page-modification log full", true },
	{ 63, "XSAVES", NULL, "XSAVES", true },
	{ 64, "XRSTORS", NULL, "XRSTORS", true },
	{ 65, "PCONFIG", NULL, "PCONFIG", false },
	{ 66, "SPP", NULL, "SPP-related event", false },
	{ 67, "UMWAIT", NULL, "UMWAIT", true },
	{ 68, "TPAUSE", NULL, "TPAUSE", true },
	{ 69, "LOADIWKEY", NULL, "LOADIWKEY", false },
	{ 70, "ENCLV", NULL, "ENCLV", false },
	{ 72, "ENQCMD_PASID_FAIL", NULL, "ENQCMD PASID translation failure", false },
	{ 73, "ENQCMDS_PASID_FAIL", NULL, "ENQCMDS PASID translation failure", false },
	{ 74, "BUS_LOCK", NULL, "Bus lock", true },
	{ 75, "NOTIFY", NULL, "Instruction timeout (notify window)", true },
	{ 76, "SEAMCALL", NULL, "SEAMCALL", true },
	{ 77, "TDCALL", NULL, "TDCALL", true },
	{ 78, "RDMSRLIST", NULL, "RDMSRLIST", false },
	{ 79, "WRMSRLIST", NULL, "WRMSRLIST", false },
	{ 80, "URDMSR", NULL, "URDMSR", false },
	{ 81, "UWRMSR", NULL, "UWRMSR", false },
	{ 84, "MSR_READ_IMM", NULL, "RDMSR with immediate operand", true },
	{ 85, "MSR_WRITE_IMM", NULL, "WRMSRNS with immediate operand", true },
};

/* The high bits of a VMX exit reason; Linux's tracepoint prints FAILED_VMENTRY. */
static const struct {
	uint32_t bit;
	const char *name;
} vmx_flags[] = {
	{ VMX_FLAG_BUS_LOCK, "BUS_LOCK_DETECTED" },
	{ VMX_FLAG_ENCLAVE, "ENCLAVE_MODE" },
	{ VMX_FLAG_PENDING_MTF, "PENDING_MTF" },
	{ VMX_FLAG_FROM_ROOT, "FROM_VMX_ROOT" },
	{ VMX_FLAG_FAILED_VMENTRY, "FAILED_VMENTRY" },
};

#define SVM_NEG(n) ((uint64_t)(int64_t)(n))

/* SVM: trace name (Linux's string, lowercase), SVM_EXIT_ suffix, description.
 * CRn/DRn/exceptions not in Linux's table get names in the same style. */
static const struct reason_info svm_table[] = {
#define CR(n, rw, lin) { (rw ? 0x10 : 0x00) + n, rw ? "write_cr" #n : "read_cr" #n, \
	rw ? "WRITE_CR" #n : "READ_CR" #n, rw ? "CR" #n " write" : "CR" #n " read", lin }
	CR(0, 0, true), CR(1, 0, false), CR(2, 0, true), CR(3, 0, true), CR(4, 0, true),
	CR(5, 0, false), CR(6, 0, false), CR(7, 0, false), CR(8, 0, true), CR(9, 0, false),
	CR(10, 0, false), CR(11, 0, false), CR(12, 0, false), CR(13, 0, false),
	CR(14, 0, false), CR(15, 0, false),
	CR(0, 1, true), CR(1, 1, false), CR(2, 1, true), CR(3, 1, true), CR(4, 1, true),
	CR(5, 1, false), CR(6, 1, false), CR(7, 1, false), CR(8, 1, true), CR(9, 1, false),
	CR(10, 1, false), CR(11, 1, false), CR(12, 1, false), CR(13, 1, false),
	CR(14, 1, false), CR(15, 1, false),
#undef CR
#define DR(n, rw, lin) { (rw ? 0x30 : 0x20) + n, rw ? "write_dr" #n : "read_dr" #n, \
	rw ? "WRITE_DR" #n : "READ_DR" #n, rw ? "DR" #n " write" : "DR" #n " read", lin }
	DR(0, 0, true), DR(1, 0, true), DR(2, 0, true), DR(3, 0, true), DR(4, 0, true),
	DR(5, 0, true), DR(6, 0, true), DR(7, 0, true), DR(8, 0, false), DR(9, 0, false),
	DR(10, 0, false), DR(11, 0, false), DR(12, 0, false), DR(13, 0, false),
	DR(14, 0, false), DR(15, 0, false),
	DR(0, 1, true), DR(1, 1, true), DR(2, 1, true), DR(3, 1, true), DR(4, 1, true),
	DR(5, 1, true), DR(6, 1, true), DR(7, 1, true), DR(8, 1, false), DR(9, 1, false),
	DR(10, 1, false), DR(11, 1, false), DR(12, 1, false), DR(13, 1, false),
	DR(14, 1, false), DR(15, 1, false),
#undef DR
#define EX(n, mn, lin) { 0x40 + n, #mn " excp", "EXCP_" #mn, "Exception vector " #n " (#" #mn ")", lin }
	EX(0, DE, true), EX(1, DB, true), EX(2, NMI, false), EX(3, BP, true),
	EX(4, OF, true), EX(5, BR, true), EX(6, UD, true), EX(7, NM, true),
	EX(8, DF, true), EX(9, CSO, false), EX(10, TS, true), EX(11, NP, true),
	EX(12, SS, true), EX(13, GP, true), EX(14, PF, true), EX(15, 15, false),
	EX(16, MF, true), EX(17, AC, true), EX(18, MC, true), EX(19, XF, true),
	EX(20, VE, false), EX(21, CP, false), EX(22, 22, false), EX(23, 23, false),
	EX(24, 24, false), EX(25, 25, false), EX(26, 26, false), EX(27, 27, false),
	EX(28, HV, false), EX(29, VC, false), EX(30, SX, false), EX(31, 31, false),
#undef EX
	{ 0x060, "interrupt", "INTR", "Physical interrupt", true },
	{ 0x061, "nmi", "NMI", "Physical NMI", true },
	{ 0x062, "smi", "SMI", "Physical SMI", true },
	{ 0x063, "init", "INIT", "Physical INIT", true },
	{ 0x064, "vintr", "VINTR", "Virtual interrupt window", true },
	{ 0x065, "cr0_sel_write", "CR0_SEL_WRITE", "CR0 write other than TS/MP", true },
	{ 0x066, "read_idtr", "IDTR_READ", "IDTR read", true },
	{ 0x067, "read_gdtr", "GDTR_READ", "GDTR read", true },
	{ 0x068, "read_ldtr", "LDTR_READ", "LDTR read", true },
	{ 0x069, "read_rt", "TR_READ", "TR read", true },
	{ 0x06a, "write_idtr", "IDTR_WRITE", "IDTR write", true },
	{ 0x06b, "write_gdtr", "GDTR_WRITE", "GDTR write", true },
	{ 0x06c, "write_ldtr", "LDTR_WRITE", "LDTR write", true },
	{ 0x06d, "write_rt", "TR_WRITE", "TR write", true },
	{ 0x06e, "rdtsc", "RDTSC", "RDTSC", true },
	{ 0x06f, "rdpmc", "RDPMC", "RDPMC", true },
	{ 0x070, "pushf", "PUSHF", "PUSHF", true },
	{ 0x071, "popf", "POPF", "POPF", true },
	{ 0x072, "cpuid", "CPUID", "CPUID", true },
	{ 0x073, "rsm", "RSM", "RSM", true },
	{ 0x074, "iret", "IRET", "IRET", true },
	{ 0x075, "swint", "SWINT", "Software interrupt (INTn)", true },
	{ 0x076, "invd", "INVD", "INVD", true },
	{ 0x077, "pause", "PAUSE", "PAUSE", true },
	{ 0x078, "hlt", "HLT", "HLT", true },
	{ 0x079, "invlpg", "INVLPG", "INVLPG", true },
	{ 0x07a, "invlpga", "INVLPGA", "INVLPGA", true },
	{ 0x07b, "io", "IOIO", "IN/OUT instruction", true },
	{ 0x07c, "msr", "MSR", "RDMSR or WRMSR", true },
	{ 0x07d, "task_switch", "TASK_SWITCH", "Task switch", true },
	{ 0x07e, "ferr_freeze", "FERR_FREEZE", "FERR freeze", true },
	{ 0x07f, "shutdown", "SHUTDOWN", "Shutdown", true },
	{ 0x080, "vmrun", "VMRUN", "VMRUN", true },
	{ 0x081, "hypercall", "VMMCALL", "VMMCALL", true },
	{ 0x082, "vmload", "VMLOAD", "VMLOAD", true },
	{ 0x083, "vmsave", "VMSAVE", "VMSAVE", true },
	{ 0x084, "stgi", "STGI", "STGI", true },
	{ 0x085, "clgi", "CLGI", "CLGI", true },
	{ 0x086, "skinit", "SKINIT", "SKINIT", true },
	{ 0x087, "rdtscp", "RDTSCP", "RDTSCP", true },
	{ 0x088, "icebp", "ICEBP", "ICEBP (INT1)", true },
	{ 0x089, "wbinvd", "WBINVD", "WBINVD or WBNOINVD", true },
	{ 0x08a, "monitor", "MONITOR", "MONITOR", true },
	{ 0x08b, "mwait", "MWAIT", "MWAIT", true },
	{ 0x08c, "mwait_cond", "MWAIT_COND", "MWAIT with armed monitor", false },
	{ 0x08d, "xsetbv", "XSETBV", "XSETBV", true },
	{ 0x08e, "rdpru", "RDPRU", "RDPRU", true },
	{ 0x08f, "efer_write_trap", "EFER_WRITE_TRAP", "EFER write trap (SEV-ES)", true },
#define CRT(n, lin) { 0x90 + n, "cr" #n "_write_trap", "CR" #n "_WRITE_TRAP", "CR" #n " write trap (SEV-ES)", lin }
	CRT(0, true), CRT(1, false), CRT(2, false), CRT(3, false), CRT(4, true),
	CRT(5, false), CRT(6, false), CRT(7, false), CRT(8, true), CRT(9, false),
	CRT(10, false), CRT(11, false), CRT(12, false), CRT(13, false), CRT(14, false),
	CRT(15, false),
#undef CRT
	{ 0x0a0, "invlpgb", "INVLPGB", "INVLPGB", false },
	{ 0x0a1, "invlpgb_illegal", "INVLPGB_ILLEGAL", "Illegal INVLPGB", false },
	{ 0x0a2, "invpcid", "INVPCID", "INVPCID", true },
	{ 0x0a3, "mcommit", "MCOMMIT", "MCOMMIT", false },
	{ 0x0a4, "tlbsync", "TLBSYNC", "TLBSYNC", false },
	{ 0x0a5, "buslock", "BUS_LOCK", "Bus lock", true },
	{ 0x0a6, "idle-halt", "IDLE_HLT", "HLT with no pending interrupt (idle HLT)", true },
	{ 0x400, "npf", "NPF", "Nested page fault", true },
	{ 0x401, "avic_incomplete_ipi", "AVIC_INCOMPLETE_IPI", "AVIC incomplete IPI", true },
	{ 0x402, "avic_unaccelerated_access", "AVIC_UNACCELERATED_ACCESS",
	  "AVIC unaccelerated access", true },
	{ 0x403, "vmgexit", "VMGEXIT", "VMGEXIT (SEV-ES guest request)", true },
	{ 0x80000001, "vmgexit_mmio_read", "VMGEXIT_MMIO_READ", "SEV-ES MMIO read", true },
	{ 0x80000002, "vmgexit_mmio_write", "VMGEXIT_MMIO_WRITE", "SEV-ES MMIO write", true },
	{ 0x80000003, "vmgexit_nmi_complete", "VMGEXIT_NMI_COMPLETE", "SEV-ES NMI complete", true },
	{ 0x80000004, "vmgexit_ap_hlt_loop", "VMGEXIT_AP_HLT_LOOP", "SEV-ES AP HLT loop", true },
	{ 0x80000005, "vmgexit_ap_jump_table", "VMGEXIT_AP_JUMP_TABLE", "SEV-ES AP jump table", true },
	{ 0x8000ffff, "vmgexit_unsupported_event", "VMGEXIT_UNSUPPORTED_EVENT",
	  "SEV-ES unsupported event", false },
	{ SVM_NEG(-4), "invalid_pmc", "INVALID_PMC", "VMRUN failed: invalid PMC state", false },
	{ SVM_NEG(-3), "idle_required", "IDLE_REQUIRED", "VMRUN failed: sibling thread not idle", false },
	{ SVM_NEG(-2), "busy", "BUSY", "VMRUN failed: VMSA busy (SEV-SNP)", false },
	{ SVM_NEG(-1), "invalid_guest_state", "ERR", "VMRUN failed: invalid guest state (VMEXIT_INVALID)", true },
};

const char *isa_name(enum isa isa)
{
	switch (isa) {
	case ISA_VMX: return "vmx";
	case ISA_SVM: return "svm";
	case ISA_KVM: return "kvm";
	default: return "unknown";
	}
}

int isa_parse(const char *s, enum isa *out)
{
	if (!strcasecmp(s, "vmx") || !strcasecmp(s, "intel"))
		*out = ISA_VMX;
	else if (!strcasecmp(s, "svm") || !strcasecmp(s, "amd"))
		*out = ISA_SVM;
	else if (!strcasecmp(s, "kvm"))
		*out = ISA_KVM;
	else
		return -EINVAL;
	return 0;
}

size_t reasons_count(enum isa isa)
{
	return isa == ISA_VMX ? ARRAY_SIZE(vmx_table) : isa == ISA_SVM ? ARRAY_SIZE(svm_table) : 0;
}

const struct reason_info *reasons_at(enum isa isa, size_t i)
{
	if (i >= reasons_count(isa))
		return NULL;
	return isa == ISA_VMX ? &vmx_table[i] : &svm_table[i];
}

/* The tracepoint's exit_reason is 32 bits: SVM's negative codes arrive as
 * 0xffffffff etc. Widen them back so both spellings mean the same reason. */
static uint64_t svm_normalize(uint64_t code)
{
	if (code >= 0xfffffff0ull && code <= 0xffffffffull)
		return code | 0xffffffff00000000ull;
	return code;
}

const struct reason_info *reason_find(enum isa isa, uint64_t code)
{
	const struct reason_info *t;
	size_t n, lo = 0, hi;

	if (isa == ISA_VMX) {
		if (code > 0xffffffffull)
			return NULL;
		code &= VMX_BASIC_MASK;
		t = vmx_table;
		n = ARRAY_SIZE(vmx_table);
	} else if (isa == ISA_SVM) {
		code = svm_normalize(code);
		t = svm_table;
		n = ARRAY_SIZE(svm_table);
	} else {
		return NULL;
	}
	/* Both tables are sorted by code (checked by a unit test). */
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].code == code)
			return &t[mid];
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *reason_format(enum isa isa, uint64_t code, char *buf, size_t len)
{
	const struct reason_info *ri = reason_find(isa, code);
	size_t used;

	if (!len)
		return buf;
	if (code == REASON_OTHER && isa != ISA_KVM) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	if (isa == ISA_KVM) {
		/* the names are the snapshot's: snapshot_reason_name */
		snprintf(buf, len, "stat(%" PRIu64 ")", code);
		return buf;
	}
	if (ri)
		used = (size_t)snprintf(buf, len, "%s", ri->name);
	else if (isa == ISA_VMX)
		used = (size_t)snprintf(buf, len, "UNKNOWN(%" PRIu64 ")", code & VMX_BASIC_MASK);
	else if (isa == ISA_SVM && (int64_t)svm_normalize(code) < 0)
		used = (size_t)snprintf(buf, len, "UNKNOWN(%" PRId64 ")", (int64_t)svm_normalize(code));
	else
		used = (size_t)snprintf(buf, len, "UNKNOWN(0x%" PRIx64 ")", code);
	if (isa == ISA_VMX && code <= 0xffffffffull) {
		for (size_t i = 0; i < ARRAY_SIZE(vmx_flags) && used < len; i++)
			if (code & vmx_flags[i].bit)
				used += (size_t)snprintf(buf + used, len - used, "|%s", vmx_flags[i].name);
		/* Reserved high bits are kept visible rather than dropped. */
		uint32_t known = VMX_BASIC_MASK;
		for (size_t i = 0; i < ARRAY_SIZE(vmx_flags); i++)
			known |= vmx_flags[i].bit;
		if ((code & ~(uint64_t)known) && used < len)
			snprintf(buf + used, len - used, "|0x%" PRIx64, code & ~(uint64_t)known);
	}
	return buf;
}

/* ---- name index ------------------------------------------------------- */

#define INDEX_SLOTS 1024 /* power of two, > 2 * number of names */

struct index_slot {
	const char *name; /* NULL = empty */
	uint8_t isa;
	uint16_t row;
};

static struct index_slot name_index[INDEX_SLOTS];

static uint32_t hash_nocase(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)tolower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

static void index_add(const char *name, enum isa isa, size_t row)
{
	uint32_t h = hash_nocase(name, strlen(name)) & (INDEX_SLOTS - 1);
	while (name_index[h].name)
		h = (h + 1) & (INDEX_SLOTS - 1);
	name_index[h] = (struct index_slot){ name, (uint8_t)isa, (uint16_t)row };
}

static void build_index(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmx_table); i++) {
		index_add(vmx_table[i].name, ISA_VMX, i);
		if (vmx_table[i].define)
			index_add(vmx_table[i].define, ISA_VMX, i);
	}
	for (size_t i = 0; i < ARRAY_SIZE(svm_table); i++) {
		index_add(svm_table[i].name, ISA_SVM, i);
		if (strcasecmp(svm_table[i].define, svm_table[i].name))
			index_add(svm_table[i].define, ISA_SVM, i);
	}
}

/* Once per process: the importer's parts look names up from several
 * threads at once, and an index built twice at the same time loops. */
void reasons_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_index);
}

struct match {
	int score; /* 0 none, 1 differs in case, 2 exact */
	uint64_t code;
};

/* Best match of a name in each ISA's table. */
static void index_find(const char *s, size_t len, struct match m[3])
{
	uint32_t h = hash_nocase(s, len) & (INDEX_SLOTS - 1);

	for (; name_index[h].name; h = (h + 1) & (INDEX_SLOTS - 1)) {
		const struct index_slot *e = &name_index[h];
		if (strlen(e->name) != len || strncasecmp(e->name, s, len))
			continue;
		int score = strncmp(e->name, s, len) ? 1 : 2;
		if (score > m[e->isa].score) {
			m[e->isa].score = score;
			m[e->isa].code = reasons_at(e->isa, e->row)->code;
		}
	}
}

static int prefix_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len > n && !strncasecmp(s, prefix, n);
}

/* Pick the ISA of a name found in one or both tables. */
static int choose(struct match m[3], enum isa only, enum isa *isa, uint64_t *code)
{
	enum isa pick;

	if (only != ISA_UNKNOWN) {
		if (!m[only].score)
			return -ENOENT;
		pick = only;
	} else if (!m[ISA_VMX].score && !m[ISA_SVM].score) {
		return -ENOENT;
	} else if (m[ISA_VMX].score != m[ISA_SVM].score) {
		/* exact case wins: Linux prints VMX names upper case, SVM lower */
		pick = m[ISA_VMX].score > m[ISA_SVM].score ? ISA_VMX : ISA_SVM;
	} else if (*isa != ISA_UNKNOWN) {
		pick = *isa; /* same match in both ("Hlt"): the caller's hint decides */
	} else {
		pick = ISA_VMX;
	}
	*isa = pick;
	*code = m[pick].code;
	return 0;
}

static int lookup_name(const char *s, size_t len, enum isa *isa, uint64_t *code)
{
	struct match m[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	enum isa only = ISA_UNKNOWN;

	if (len == 0 || len >= REASON_NAME_MAX)
		return -ENOENT;
	/* Forms of the C defines: EXIT_REASON_CPUID (VMX), SVM_EXIT_NPF and
	 * trace-cmd's EXIT_NPF (SVM). */
	if (prefix_nocase(s, len, "EXIT_REASON_")) {
		s += 12, len -= 12, only = ISA_VMX;
	} else if (prefix_nocase(s, len, "SVM_EXIT_")) {
		s += 9, len -= 9, only = ISA_SVM;
	} else if (prefix_nocase(s, len, "EXIT_")) {
		s += 5, len -= 5, only = ISA_SVM;
	}
	index_find(s, len, m);
	return choose(m, only, isa, code);
}

static int lookup_vmx_flag(const char *s, size_t len, uint32_t *bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmx_flags); i++)
		if (strlen(vmx_flags[i].name) == len && !strncasecmp(vmx_flags[i].name, s, len)) {
			*bit = vmx_flags[i].bit;
			return 0;
		}
	return -ENOENT;
}

static int lookup_number(const char *s, size_t len, enum isa *isa, uint64_t *code)
{
	char tmp[32];
	int64_t neg;

	if (len >= sizeof(tmp))
		return strspn(s, "0123456789abcdefABCDEFx-") >= len ? -ERANGE : -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (tmp[0] == '-') {
		/* Only SVM has negative codes (VMRUN failures). */
		int err = parse_i64(tmp, &neg);
		if (err)
			return err;
		if (neg >= 0 || neg < -0x7fffffff)
			return -ERANGE;
		if (*isa == ISA_VMX)
			return -ERANGE;
		*isa = ISA_SVM;
		*code = (uint64_t)neg;
		return 0;
	}
	int err = parse_u64(tmp, code);
	if (err)
		return err;
	if (*isa == ISA_VMX && *code > 0xffffffffull)
		return -ERANGE;
	if (*isa == ISA_SVM)
		*code = svm_normalize(*code);
	return 0;
}

int reason_lookup(const char *text, size_t len, enum isa *isa, uint64_t *code)
{
	reasons_init();
	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (!len)
		return -ENOENT;
	if (isdigit((unsigned char)text[0]) || text[0] == '-') {
		int err = lookup_number(text, len, isa, code);
		if (err != -EINVAL)
			return err; /* a number, in range or not; else a name like "15 excp" */
	}
	if (lookup_name(text, len, isa, code) == 0)
		return 0;

	/* A VMX name followed by flags, as the tracepoint prints a failed
	 * entry: "INVALID_STATE FAILED_VMENTRY" (or joined with '|'). */
	/* (text is len bytes, not NUL-terminated: no strcspn) */
	size_t first = 0;
	while (first < len && text[first] != ' ' && text[first] != '|')
		first++;
	if (first >= len)
		return -ENOENT;
	enum isa vmx = ISA_VMX;
	uint64_t basic;
	if (lookup_name(text, first, &vmx, &basic) || vmx != ISA_VMX)
		return -ENOENT;
	size_t i = first;
	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '|'))
			i++;
		size_t j = i;
		while (j < len && text[j] != ' ' && text[j] != '|')
			j++;
		uint32_t bit;
		if (j > i && lookup_vmx_flag(text + i, j - i, &bit))
			return -ENOENT;
		if (j > i)
			basic |= bit;
		i = j;
	}
	*isa = ISA_VMX;
	*code = basic;
	return 0;
}

bool reason_is_halt(enum isa isa, uint64_t code)
{
	return (isa == ISA_VMX && (code & 0xffff) == 12) || (isa == ISA_SVM && code == 0x78);
}
