/* gentrace: write a large synthetic kvm_exit/kvm_entry trace in the real
 * text layouts (ftrace new layout with irq flags, trace-cmd report old
 * layout, perf script), mixing VMX and SVM guests, with a kvm_entry after
 * every exit and some other KVM events between them.
 *
 *   gentrace BYTES [SEED] > trace.txt
 *
 * On stderr it prints the exits it wrote per reason, for checking. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct reason {
	const char *name;    /* Linux's name */
	const char *tc_name; /* trace-cmd report's name (SVM: EXIT_*) */
	unsigned weight;
	uint64_t written;
};

static struct reason vmx[] = {
	{ "EPT_VIOLATION", "EPT_VIOLATION", 30, 0 }, { "EXTERNAL_INTERRUPT", "EXTERNAL_INTERRUPT", 20, 0 },
	{ "HLT", "HLT", 10, 0 }, { "IO_INSTRUCTION", "IO_INSTRUCTION", 10, 0 },
	{ "MSR_WRITE", "MSR_WRITE", 10, 0 }, { "CPUID", "CPUID", 5, 0 },
	{ "EPT_MISCONFIG", "EPT_MISCONFIG", 10, 0 }, { "PAUSE_INSTRUCTION", "PAUSE_INSTRUCTION", 5, 0 },
};
static struct reason svm[] = {
	{ "npf", "EXIT_NPF", 30, 0 }, { "interrupt", "EXIT_INTR", 20, 0 }, { "hlt", "EXIT_HLT", 10, 0 },
	{ "io", "EXIT_IOIO", 10, 0 }, { "msr", "EXIT_MSR", 10, 0 }, { "cpuid", "EXIT_CPUID", 5, 0 },
	{ "vintr", "EXIT_VINTR", 10, 0 }, { "pause", "EXIT_PAUSE", 5, 0 },
};

static struct reason *pick(struct reason *t, size_t n)
{
	unsigned total = 0, r;
	for (size_t i = 0; i < n; i++)
		total += t[i].weight;
	r = rnd(total);
	for (size_t i = 0; i < n; i++) {
		if (r < t[i].weight)
			return &t[i];
		r -= t[i].weight;
	}
	return &t[0];
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gentrace BYTES [SEED]\n");
		return 2;
	}
	char *end;
	unsigned long long target = strtoull(argv[1], &end, 10);
	if (*end || !target) {
		fprintf(stderr, "gentrace: BYTES must be a positive number\n");
		return 2;
	}
	if (argc > 2)
		rng ^= strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ull;

	static char buf[1 << 20];
	size_t used = 0;
	unsigned long long written = 0;
	uint64_t ts = 1000000000ull; /* ns */
	uint64_t exits = 0;

	while (written < target) {
		/* a block of events from one guest, in one layout */
		int is_svm = rnd(2), layout = rnd(3);
		unsigned vcpu = rnd(4), tid = (is_svm ? 5000 : 4000) + vcpu;
		struct reason *table = is_svm ? svm : vmx;
		for (int e = 0; e < 1000 && written < target; e++) {
			struct reason *r = pick(table, 8);
			uint64_t t_exit = ts, t_entry = ts + 500 + rnd(20000);
			ts = t_entry + 1000 + rnd(5000);
			char line[512];
			int n = 0;
			unsigned cpu = vcpu;
#define SEC(t) (unsigned long long)((t) / 1000000000ull), (unsigned long long)((t) % 1000000000ull / 1000)
			if (layout == 0) {
				n += snprintf(line + n, sizeof(line) - n,
					      "       CPU %u/KVM-%u    [%03u] d..1.  %llu.%06llu: kvm_exit: vcpu %u reason %s rip "
					      "0xffffffff8108aca7 info1 0x0000000000000000 info2 0x0000000000000000 "
					      "intr_info 0x00000000 error_code 0x00000000\n",
					      vcpu, tid, cpu, SEC(t_exit), vcpu, r->name);
				if (rnd(4) == 0)
					n += snprintf(line + n, sizeof(line) - n,
						      "       CPU %u/KVM-%u    [%03u] .....  %llu.%06llu: kvm_pio: pio_read at 0x5658 size 4 count 1 val 0x4\n",
						      vcpu, tid, cpu, SEC(t_exit + 100));
				n += snprintf(line + n, sizeof(line) - n,
					      "       CPU %u/KVM-%u    [%03u] d..1.  %llu.%06llu: kvm_entry: vcpu %u, rip 0xffffffff8108aca7\n",
					      vcpu, tid, cpu, SEC(t_entry), vcpu);
			} else if (layout == 1) {
				n += snprintf(line + n, sizeof(line) - n,
					      " qemu-system-x86-%u  [%03u]   %llu.%06llu: kvm_exit:             reason %s rip 0x7fa9ee5224e4 info 5658000b 0\n",
					      tid, cpu, SEC(t_exit), r->tc_name);
				if (rnd(4) == 0)
					n += snprintf(line + n, sizeof(line) - n,
						      " qemu-system-x86-%u  [%03u]   %llu.%06llu: kvm_fpu:              unload\n",
						      tid, cpu, SEC(t_exit + 100));
				n += snprintf(line + n, sizeof(line) - n,
					      " qemu-system-x86-%u  [%03u]   %llu.%06llu: kvm_entry:            vcpu %u\n",
					      tid, cpu, SEC(t_entry), vcpu);
			} else {
				n += snprintf(line + n, sizeof(line) - n,
					      " qemu-system-x86 %u [%03u]  %llu.%06llu:                       kvm:kvm_exit: vcpu %u reason %s rip 0x100146 "
					      "info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n",
					      tid, cpu, SEC(t_exit), vcpu, r->name);
				n += snprintf(line + n, sizeof(line) - n,
					      " qemu-system-x86 %u [%03u]  %llu.%06llu:                      kvm:kvm_entry: vcpu %u, rip 0x100146\n",
					      tid, cpu, SEC(t_entry), vcpu);
			}
			if (used + (size_t)n > sizeof(buf)) {
				if (fwrite(buf, 1, used, stdout) != used)
					return 1;
				used = 0;
			}
			memcpy(buf + used, line, (size_t)n);
			used += (size_t)n;
			written += (unsigned long long)n;
			r->written++;
			exits++;
		}
	}
	if (fwrite(buf, 1, used, stdout) != used || fflush(stdout))
		return 1;
	for (int i = 0; i < 8; i++)
		fprintf(stderr, "vmx %s %" PRIu64 "\n", vmx[i].name, vmx[i].written);
	for (int i = 0; i < 8; i++)
		fprintf(stderr, "svm %s %" PRIu64 "\n", svm[i].name, svm[i].written);
	fprintf(stderr, "exits %" PRIu64 " bytes %llu\n", exits, written);
	return 0;
}
