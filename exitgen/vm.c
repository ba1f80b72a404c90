#define _GNU_SOURCE
#include "vm.h"

#include "host_kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

extern const uint8_t guest_code_start[], guest_code_end[], guest_vmcall_insn[], guest_exception_stubs[];
extern const uint8_t guest_rip_cpuid[], guest_rip_io_out[], guest_rip_io_in[], guest_rip_mmio_read[],
	guest_rip_mmio_write[], guest_rip_hlt[], guest_rip_msr_read[], guest_rip_msr_write[], guest_rip_ud2[],
	guest_rip_cr8_write[];

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_PS 0x80ull

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_FIXED 0x2ull
#define RFLAGS_IOPL3 0x3000ull

const char *guest_mode_name(enum guest_mode m)
{
	return m == MODE_USER ? "user" : m == MODE_SUPERVISOR ? "supervisor" : "auto";
}

static uint64_t *table(struct vm *vm, uint64_t gpa)
{
	return (uint64_t *)(vm->mem + gpa);
}

/* Identity map 0-4 MiB (RAM) and 2 MiB at GUEST_MMIO (no slot), with 2 MiB pages. */
static void build_page_tables(struct vm *vm)
{
	uint64_t us = vm->mode == MODE_USER ? PTE_US : 0;

	table(vm, GUEST_PML4)[0] = GUEST_PDPT | PTE_P | PTE_RW | us;
	table(vm, GUEST_PDPT)[0] = GUEST_PD_LOW | PTE_P | PTE_RW | us;
	table(vm, GUEST_PDPT)[GUEST_MMIO >> 30] = GUEST_PD_MMIO | PTE_P | PTE_RW | us;
	for (uint64_t a = 0; a < GUEST_MEM_SIZE; a += 2ull << 20)
		table(vm, GUEST_PD_LOW)[a >> 21] = a | PTE_P | PTE_RW | PTE_PS | us;
	/* the whole hole from GUEST_MMIO_LOW, so that any address of it (the
	 * LAPIC's, the IOAPIC's) can be asked for */
	for (uint64_t a = GUEST_MMIO_LOW; a < 1ull << 32; a += 2ull << 20)
		table(vm, GUEST_PD_MMIO)[(a >> 21) & 511] = a | PTE_P | PTE_RW | PTE_PS | us;
}

/* Supervisor mode: a GDT (for the CS an interrupt gate loads) and an IDT
 * whose gates lead to the guest's exception stubs. User mode has none: the
 * privilege change would need a TSS, and PVM delivers exceptions its own way. */
static void build_gdt_idt(struct vm *vm)
{
	uint64_t *gdt = table(vm, GUEST_GDT);
	uint64_t stubs = GUEST_CODE + (uint64_t)(guest_exception_stubs - guest_code_start);

	gdt[1] = 0x00209a0000000000ull; /* 0x08: 64-bit code, present, DPL 0 */
	gdt[2] = 0x0000920000000000ull; /* 0x10: data, present, writable */
	for (uint64_t v = 0; v < 256; v++) {
		uint64_t off = stubs + 16 * v;
		uint64_t *gate = table(vm, GUEST_IDT + 16 * v);
		gate[0] = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((off >> 16) & 0xffff) << 48;
		gate[1] = off >> 32;
	}
}

/* Deny vm->msrs (EXITGEN_MSR until vm__expect says otherwise) in a KVM
 * MSR filter, with exits to user space for denied accesses: then every
 * RDMSR/WRMSR of them takes KVM's MSR exit path and ends here. */
static int set_msr_filter(struct vm *vm)
{
	static uint8_t deny[1]; /* bit clear: denied */
	struct kvm_msr_filter filter = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	for (int i = 0; i < vm->nmsrs; i++)
		filter.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = vm->msrs[i],
			.bitmap = deny,
		};
	return ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &filter) ? -errno : 0;
}

static bool setup_msr_filter(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args = { KVM_MSR_EXIT_REASON_FILTER } };

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return false;
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		return false;
	vm->msrs[0] = EXITGEN_MSR;
	vm->nmsrs = 1;
	return set_msr_filter(vm) == 0;
}

int vm__expect(struct vm *vm, const uint32_t *ops, const uint32_t *args, int n, char *msg, size_t msglen)
{
	int nmsrs = 0;
	for (int k = 0; k < n; k++) {
		uint32_t a = args[k];
		switch (ops[k]) {
		case OP_IO_OUT:
		case OP_IO_IN:
			if (a == PORT_DONE || a == PORT_EXCEPTION) {
				snprintf(msg, msglen, "port 0x%x is kvmexitgen's own (its guest reports on it)", a);
				return -EINVAL;
			}
			vm->io_ports[a >> 3] |= (uint8_t)(1u << (a & 7));
			break;
		case OP_MSR_READ:
		case OP_MSR_WRITE: {
			int i = 0;
			while (i < nmsrs && vm->msrs[i] != a)
				i++;
			if (i < nmsrs)
				break;
			if (nmsrs == 16) {
				snprintf(msg, msglen, "at most 16 MSRs in a program (KVM's MSR filter has 16 ranges)");
				return -EINVAL;
			}
			vm->msrs[nmsrs++] = a;
			break;
		}
		case OP_MMIO_READ:
		case OP_MMIO_WRITE:
			if (!a)
				break;
			if (vm->nmmio == 16) {
				snprintf(msg, msglen, "at most 16 MMIO addresses in a program");
				return -EINVAL;
			}
			vm->mmio[vm->nmmio++] = a;
			break;
		}
	}
	if (nmsrs && vm->msr_exits) {
		vm->nmsrs = nmsrs;
		int err = set_msr_filter(vm);
		if (err) {
			snprintf(msg, msglen, "KVM refused an MSR filter denying the program's MSRs: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

uint64_t vm__op_rip(int op)
{
	static const uint8_t *const at[OP_COUNT] = {
		[OP_CPUID] = guest_rip_cpuid, [OP_IO_OUT] = guest_rip_io_out, [OP_IO_IN] = guest_rip_io_in,
		[OP_MMIO_READ] = guest_rip_mmio_read, [OP_MMIO_WRITE] = guest_rip_mmio_write,
		[OP_HLT] = guest_rip_hlt, [OP_MSR_READ] = guest_rip_msr_read, [OP_MSR_WRITE] = guest_rip_msr_write,
		[OP_VMCALL] = guest_vmcall_insn, [OP_UD2] = guest_rip_ud2, [OP_CR8_WRITE] = guest_rip_cr8_write,
	};
	if (op <= 0 || op >= OP_COUNT || !at[op])
		return 0;
	return GUEST_CODE + (uint64_t)(at[op] - guest_code_start);
}

static bool msr_expected(const struct vm *vm, uint32_t index)
{
	for (int i = 0; i < vm->nmsrs; i++)
		if (vm->msrs[i] == index)
			return true;
	return false;
}

static bool mmio_expected(const struct vcpu *v, uint64_t addr)
{
	if (addr == GUEST_MMIO + (uint64_t)v->id * 8)
		return true;
	for (int i = 0; i < v->vm->nmmio; i++)
		if (v->vm->mmio[i] == addr)
			return true;
	return false;
}

static int set_cpuid(struct vcpu *v, char *msg, size_t msglen)
{
	int n = 128;
	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = (uint32_t)n;
		if (ioctl(v->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			int err = ioctl(v->fd, KVM_SET_CPUID2, c) ? -errno : 0;
			free(c);
			if (err)
				snprintf(msg, msglen, "KVM_SET_CPUID2 on vCPU %d failed: %s", v->id, strerror(-err));
			return err;
		}
		int e = errno;
		free(c);
		if (e != E2BIG || n > 4096) {
			snprintf(msg, msglen, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(e));
			return -e;
		}
		n *= 2;
	}
}

static void segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code, int dpl)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = (uint8_t)dpl, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

int vcpu__reset(struct vcpu *v, char *msg, size_t msglen)
{
	struct vm *vm = v->vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int dpl = vm->mode == MODE_USER ? 3 : 0;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs)) {
		snprintf(msg, msglen, "KVM_GET_SREGS on vCPU %d failed: %s", v->id, strerror(errno));
		return -errno;
	}
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = GUEST_PML4;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	segment(&sregs.cs, (uint16_t)(0x08 | dpl), 11, true, dpl);
	segment(&sregs.ds, (uint16_t)(0x10 | dpl), 3, false, dpl);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = 0x18, .type = 11, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .selector = 0, .type = 2, .present = 1, .unusable = 1 };
	if (vm->mode == MODE_SUPERVISOR) {
		sregs.gdt = (struct kvm_dtable){ .base = GUEST_GDT, .limit = 3 * 8 - 1 };
		sregs.idt = (struct kvm_dtable){ .base = GUEST_IDT, .limit = 256 * 16 - 1 };
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs)) {
		snprintf(msg, msglen, "KVM_SET_SREGS (long mode, CPL%d) on vCPU %d failed: %s", dpl, v->id,
			 strerror(errno));
		return -errno;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACKS + (uint64_t)(v->id + 1) * 0x4000;
	regs.rdi = GUEST_PROGRAMS + (uint64_t)v->id * 0x1000;
	regs.rsi = GUEST_RESULTS + (uint64_t)v->id * 0x100;
	regs.r15 = GUEST_MMIO + (uint64_t)v->id * 8;
	regs.rflags = RFLAGS_FIXED | (vm->mode == MODE_USER ? RFLAGS_IOPL3 : 0);
	if (ioctl(v->fd, KVM_SET_REGS, &regs)) {
		snprintf(msg, msglen, "KVM_SET_REGS on vCPU %d failed: %s", v->id, strerror(errno));
		return -errno;
	}
	memset(vm->mem + GUEST_RESULTS + (size_t)v->id * 0x100, 0, 8 * OP_COUNT);
	memset(v->seen, 0, sizeof(v->seen));
	v->done = false;
	v->error = 0;
	v->message[0] = '\0';
	return 0;
}

static int vcpu__create(struct vm *vm, int id, char *msg, size_t msglen)
{
	struct vcpu *v = &vm->vcpus[id];
	int size;

	v->vm = vm;
	v->id = id;
	v->stats_fd = -1;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		snprintf(msg, msglen, "KVM_CREATE_VCPU %d failed: %s", id, strerror(errno));
		return -errno;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		snprintf(msg, msglen, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -errno;
	}
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(msg, msglen, "mmap of vCPU %d's kvm_run failed: %s", id, strerror(errno));
		return -errno;
	}
	int err = set_cpuid(v, msg, msglen);
	if (err)
		return err;
	v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	return vcpu__reset(v, msg, msglen);
}

int vm__create(struct vm *vm, enum guest_mode mode, int nvcpus, char *msg, size_t msglen)
{
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		err = -errno;
		if (errno == ENOENT)
			snprintf(msg, msglen, "no /dev/kvm: is KVM enabled? (modprobe kvm-intel or kvm-amd)");
		else if (errno == EACCES || errno == EPERM)
			snprintf(msg, msglen, "cannot open /dev/kvm: %s (run as root, or join the kvm group)",
				 strerror(errno));
		else
			snprintf(msg, msglen, "cannot open /dev/kvm: %s", strerror(errno));
		return err;
	}
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(msg, msglen, "KVM_GET_API_VERSION says %d, this program needs %d", api, KVM_API_VERSION);
		return -EINVAL;
	}
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		err = -errno;
		snprintf(msg, msglen, "KVM_CREATE_VM failed: %s", strerror(errno));
		return err;
	}
	vm->mode = mode == MODE_AUTO ? (host_kvm_hardware() ? MODE_SUPERVISOR : MODE_USER) : mode;
	vm->amd = host_cpu_is_amd();
	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		snprintf(msg, msglen, "cannot allocate guest memory: %s", strerror(errno));
		return -ENOMEM;
	}
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM_SIZE, .userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		err = -errno;
		snprintf(msg, msglen, "KVM_SET_USER_MEMORY_REGION failed: %s", strerror(errno));
		return err;
	}
	build_page_tables(vm);
	if (vm->mode == MODE_SUPERVISOR)
		build_gdt_idt(vm);
	memcpy(vm->mem + GUEST_CODE, guest_code_start, (size_t)(guest_code_end - guest_code_start));
	if (vm->amd) {
		/* vmcall would #UD on AMD and be patched by KVM: start with vmmcall */
		uint8_t *insn = vm->mem + GUEST_CODE + (guest_vmcall_insn - guest_code_start);
		insn[2] = 0xd9;
	}
	vm->msr_exits = setup_msr_filter(vm);
	for (int i = 0; i < nvcpus; i++) {
		if ((err = vcpu__create(vm, i, msg, msglen)))
			return err;
		vm->nvcpus = i + 1;
	}
	return 0;
}

void vm__destroy(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			munmap(v->run, v->run_size);
		if (v->stats_fd >= 0)
			close(v->stats_fd);
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->mem)
		munmap(vm->mem, GUEST_MEM_SIZE);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
}

void vm__load_program(struct vm *vm, int i, const uint32_t *ops, const uint32_t *args, const uint64_t *counts,
		      int n)
{
	uint8_t *p = vm->mem + GUEST_PROGRAMS + (size_t)i * 0x1000;
	memset(p, 0, 0x1000);
	for (int k = 0; k < n; k++) {
		memcpy(p + 16 * k, &ops[k], 4);
		if (args)
			memcpy(p + 16 * k + 4, &args[k], 4);
		memcpy(p + 16 * k + 8, &counts[k], 8);
	}
}

void vm__query(const struct vm *vm, int i, int q, uint32_t regs[4])
{
	memcpy(regs, vm->mem + GUEST_QUERIES + (size_t)i * 0x400 + (size_t)q * 16, 16);
}

void vm__results(const struct vm *vm, int i, uint64_t done[OP_COUNT])
{
	memcpy(done, vm->mem + GUEST_RESULTS + (size_t)i * 0x100, 8 * OP_COUNT);
}

static const char *kvm_exit_name(uint32_t r)
{
	static const char *names[] = {
		[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN", [KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
		[KVM_EXIT_IO] = "KVM_EXIT_IO", [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
		[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG", [KVM_EXIT_HLT] = "KVM_EXIT_HLT",
		[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN (guest triple fault)",
		[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY", [KVM_EXIT_INTR] = "KVM_EXIT_INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR", [KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR", [KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
	};
	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "KVM_EXIT_(other)";
}

/* An exit the guest program cannot have caused: say what, where, and fail. */
static int unexpected(struct vcpu *v, const char *what)
{
	struct kvm_regs r;
	int n = snprintf(v->message, sizeof(v->message), "vCPU %d: unexpected %s (exit_reason %u)", v->id, what,
			 v->run->exit_reason);
	if (v->run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		n += snprintf(v->message + n, sizeof(v->message) - (size_t)n, ", hardware reason 0x%llx",
			      (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	if (v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		n += snprintf(v->message + n, sizeof(v->message) - (size_t)n, ", suberror %u",
			      v->run->internal.suberror);
	if (ioctl(v->fd, KVM_GET_REGS, &r) == 0)
		snprintf(v->message + n, sizeof(v->message) - (size_t)n,
			 "; rip 0x%llx rsp 0x%llx rax 0x%llx rcx 0x%llx rdx 0x%llx rflags 0x%llx",
			 (unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rax,
			 (unsigned long long)r.rcx, (unsigned long long)r.rdx, (unsigned long long)r.rflags);
	v->error = -EIO;
	return v->error;
}

/* The guest's exception stub reported a vector: say which, where, and fail. */
static int guest_exception(struct vcpu *v)
{
	static const char *names[32] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "", "#TS",
					 "#NP", "#SS", "#GP", "#PF", "", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
					 "", "", "", "", "", "", "#HV", "#VC", "#SX", "" };
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_REGS, &r)) {
		snprintf(v->message, sizeof(v->message), "vCPU %d: guest exception (KVM_GET_REGS failed: %s)", v->id,
			 strerror(errno));
	} else {
		unsigned vec = (unsigned)r.rax & 0xff;
		bool err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30;
		snprintf(v->message, sizeof(v->message),
			 "vCPU %d: guest exception vector %u%s%s at rip 0x%llx%s (error code 0x%llx)", v->id, vec,
			 vec < 32 && names[vec][0] ? " " : "", vec < 32 ? names[vec] : "",
			 (unsigned long long)(err ? r.rcx : r.rbx), vec < 32 ? "" : " (an interrupt: none was expected)",
			 (unsigned long long)(err ? r.rbx : 0));
	}
	v->error = -EIO;
	return v->error;
}

int vcpu__run(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[96];

	v->tid = gettid();
	while (!v->done) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			v->error = -errno;
			snprintf(v->message, sizeof(v->message), "vCPU %d: KVM_RUN failed: %s", v->id, strerror(errno));
			return v->error;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == PORT_DONE && run->io.direction == KVM_EXIT_IO_OUT) {
				v->done = true;
			} else if (run->io.port == PORT_EXCEPTION) {
				return guest_exception(v);
			} else if (v->vm->io_ports[run->io.port >> 3] >> (run->io.port & 7) & 1) {
				if (run->io.port == v->vm->slow_port)
					usleep(v->vm->slow_us); /* a slow exit on purpose */
				int op = run->io.direction == KVM_EXIT_IO_OUT ? OP_IO_OUT : OP_IO_IN;
				if (op == OP_IO_IN)
					memset((uint8_t *)run + run->io.data_offset, 0, (size_t)run->io.size * run->io.count);
				v->seen[op] += run->io.count;
			} else {
				snprintf(what, sizeof(what), "%s port 0x%x", kvm_exit_name(run->exit_reason), run->io.port);
				return unexpected(v, what);
			}
			break;
		case KVM_EXIT_MMIO:
			if (!mmio_expected(v, run->mmio.phys_addr)) {
				snprintf(what, sizeof(what), "MMIO at 0x%llx", (unsigned long long)run->mmio.phys_addr);
				return unexpected(v, what);
			}
			if (run->mmio.is_write) {
				v->seen[OP_MMIO_WRITE]++;
			} else {
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
				v->seen[OP_MMIO_READ]++;
			}
			break;
		case KVM_EXIT_HLT:
			v->seen[OP_HLT]++;
			break;
		case KVM_EXIT_X86_RDMSR:
		case KVM_EXIT_X86_WRMSR:
			if (!msr_expected(v->vm, run->msr.index)) {
				snprintf(what, sizeof(what), "%s of MSR 0x%x", kvm_exit_name(run->exit_reason),
					 run->msr.index);
				return unexpected(v, what);
			}
			run->msr.error = 0;
			if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
				run->msr.data = 0;
				v->seen[OP_MSR_READ]++;
			} else {
				v->seen[OP_MSR_WRITE]++;
			}
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			return unexpected(v, kvm_exit_name(run->exit_reason));
		}
	}
	return 0;
}
