/* Exit-reason tables: VMX basic exit reasons and SVM exit codes, as data.
 *
 * A reason is an (isa, code) pair. For VMX the code is the full 32-bit
 * exit-reason field (bits 15:0 basic reason, high bits flags); for SVM it is
 * the 64-bit EXITCODE. Nothing here ever drops a code: what no table knows is
 * named UNKNOWN(n).
 */
#ifndef KVMEXITSTAT_REASONS_H
#define KVMEXITSTAT_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum isa {
	ISA_UNKNOWN = 0,
	ISA_VMX = 1, /* same numbering as KVM's KVM_ISA_VMX / KVM_ISA_SVM */
	ISA_SVM = 2,
	ISA_KVM = 3, /* KVM's own vCPU statistics: its categories, not hardware reasons */
};

/* VMX exit-reason flag bits (SDM 25.9.1, Linux union vmx_exit_reason). */
#define VMX_BASIC_MASK 0xffffu
#define VMX_FLAG_BUS_LOCK (1u << 26)
#define VMX_FLAG_ENCLAVE (1u << 27)
#define VMX_FLAG_PENDING_MTF (1u << 28)
#define VMX_FLAG_FROM_ROOT (1u << 29)
#define VMX_FLAG_FAILED_VMENTRY (1u << 31)

struct reason_info {
	uint64_t code;
	const char *name;    /* Linux's trace name: EPT_VIOLATION, npf, "GP excp" */
	const char *define;  /* SVM: SVM_EXIT_ suffix (NPF, EXCP_GP); VMX: alias or NULL */
	const char *desc;    /* SDM / APM description */
	bool linux_table;    /* name appears in Linux's VMX_/SVM_EXIT_REASONS table */
};

const char *isa_name(enum isa isa);           /* "vmx", "svm", "unknown" */
int isa_parse(const char *s, enum isa *out);  /* 0 or -EINVAL */

/* Table access, for `reasons` and tests. */
size_t reasons_count(enum isa isa);
const struct reason_info *reasons_at(enum isa isa, size_t i);

/* The table entry of a code (VMX: of its basic reason), or NULL. */
const struct reason_info *reason_find(enum isa isa, uint64_t code);

/* Printable name of a code into buf: "CPUID", "npf", "INVALID_STATE|FAILED_VMENTRY",
 * "UNKNOWN(0x1234)"; an ISA_KVM code as "stat(N)" (its name is known only
 * to a snapshot: snapshot_reason_name). Always NUL-terminates; returns buf. */
#define REASON_NAME_MAX 96
char *reason_format(enum isa isa, uint64_t code, char *buf, size_t len);

/* The kernel patch's own bucket of the reasons its vendor module does not
 * know ("CMPE283: exit unknown count=C"), named "unknown": a code no ISA
 * uses (SVM's error codes are small negative numbers). */
#define REASON_OTHER 0x7fffffffffffffffull

/* Look a reason up by text: a Linux name in any case, trace-cmd's EXIT_NPF /
 * SVM_EXIT_NPF / EXIT_REASON_CPUID forms, a VMX name followed by flag names
 * ("INVALID_STATE FAILED_VMENTRY"), or a number (decimal, 0x hex, or a
 * negative SVM error code). *isa is a hint on entry (ISA_UNKNOWN if none)
 * and the resolved ISA on return; a number with no hint keeps ISA_UNKNOWN.
 * Returns 0, or -ENOENT for an unknown name, -ERANGE for a number out of range. */
int reason_lookup(const char *text, size_t len, enum isa *isa, uint64_t *code);
/* Whether the exit reason is HLT (VMX 12, SVM hlt): with an in-kernel
 * irqchip, its handling time is mostly the guest idle. */
bool reason_is_halt(enum isa isa, uint64_t code);

/* Build the name index (idempotent). Lookups call it themselves. */
void reasons_init(void);

#endif
