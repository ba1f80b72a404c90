/* kvmexitgen: a tiny VMM whose guest makes an exact, known set of VM exits.
 * The ground truth kvmexitstat is tested against, and a measure of what
 * each exit type costs on a host. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "host_kvm.h"
#include "kvm_stats.h"
#include "numparse.h"
#include "vm.h"

#define VERSION "0.1.0"
#define MAX_STEPS 200 /* program records per vCPU (one page of 16-byte records) */

static const struct {
	const char *option;
	bool supervisor_only; /* privileged at CPL3: would fault in user mode */
	bool reaches_vmm;     /* handled by this VMM, not inside KVM */
} ops[OP_COUNT] = {
	[OP_CPUID] = { "cpuid", false, false },
	[OP_IO_OUT] = { "io-out", false, true },
	[OP_IO_IN] = { "io-in", false, true },
	[OP_MMIO_READ] = { "mmio-read", false, true },
	[OP_MMIO_WRITE] = { "mmio-write", false, true },
	[OP_HLT] = { "hlt", true, true },
	[OP_MSR_READ] = { "msr-read", true, true },
	[OP_MSR_WRITE] = { "msr-write", true, true },
	[OP_VMCALL] = { "vmcall", false, false },
	[OP_UD2] = { "ud2", false, false },
	[OP_CPUID_QUERY] = { "cpuid-query", false, false },
	[OP_CR8_WRITE] = { "cr8-write", true, false },
};

/* An operation's argument when N has no @ARG (guest.h). */
static uint32_t default_arg(uint32_t op)
{
	if (op == OP_IO_OUT || op == OP_IO_IN)
		return PORT_OP;
	if (op == OP_MSR_READ || op == OP_MSR_WRITE)
		return EXITGEN_MSR;
	return 0;
}

struct options {
	uint32_t op[MAX_STEPS];
	uint32_t arg[MAX_STEPS];    /* the port, MSR or address of N@ARG; --cpuid-query: the leaf */
	uint64_t count[MAX_STEPS];  /* --cpuid-query: ECX */
	int nsteps;
	int nqueries;
	int vcpus;
	enum guest_mode mode;
	bool json, hold, bench;
	uint64_t bench_exits;
	int rounds;
	unsigned timeout;
	const char *symbols;        /* --symbols FILE */
	int slow_port;              /* --slow-port PORT:US (-1: none) */
	unsigned slow_us;
};

static void usage(FILE *out)
{
	fputs("Usage: kvmexitgen [OPERATION N]... [OPTIONS]\n"
	      "A VM whose guest makes exactly the VM exits asked for, on each vCPU, in the\n"
	      "order given, then reports what it did and the vCPUs' own KVM statistics.\n"
	      "\n"
	      "Operations (repeatable, run in the order given):\n"
	      "  --cpuid N        CPUID (handled in KVM)\n"
	      "  --io-out N[@PORT]  OUT to PORT (default 0xe0; no device: exits to this VMM)\n"
	      "  --io-in N[@PORT]   IN from PORT\n"
	      "  --mmio-read N[@GPA]  read of a guest-physical address with no memory slot (default\n"
	      "                   0xf0000000 + 8 * vCPU; GPA from 0xc0000000 to 0xfffffff8)\n"
	      "  --mmio-write N[@GPA] write of it\n"
	      "  --hlt N          HLT (no in-kernel irqchip: each exits to this VMM)   [supervisor]\n"
	      "  --msr-read N[@MSR]  RDMSR of MSR (default 0xbad), denied by a KVM MSR filter so\n"
	      "                   that it exits to this VMM (at most 16 MSRs)         [supervisor]\n"
	      "  --msr-write N[@MSR] WRMSR of it                                      [supervisor]\n"
	      "  --cr8-write N    MOV to CR8 (the TPR) of 0: KVM intercepts it without an in-kernel\n"
	      "                   APIC and handles it                                 [supervisor]\n"
	      "  --vmcall N       VMCALL/VMMCALL of an unknown hypercall (handled in KVM)\n"
	      "  --ud2 N          an invalid opcode: the run ends with an error saying what and where\n"
	      "                   (shows how anything unexpected is reported)\n"
	      "  --cpuid-query LEAF[:ECX]\n"
	      "                   after the operations, one CPUID of LEAF (ECX as given) whose answer\n"
	      "                   is reported (--json: \"queries\"), such as the exit-statistics\n"
	      "                   leaves 0x4ffffffc-0x4fffffff of kernel/patches (at most 64)\n"
	      "\n"
	      "Options:\n"
	      "  --vcpus K        vCPUs, one thread each, each running the whole program (default 1)\n"
	      "  --mode MODE      auto (default), supervisor (CPL0: for VMX/SVM hosts) or user (CPL3:\n"
	      "                   for KVMs without hardware virtualization, such as PVM)\n"
	      "  --json           JSON instead of tables\n"
	      "  --hold           keep the VM open after the guest finished, until SIGINT/SIGTERM\n"
	      "  --bench          cost per exit of each operation, ns and TSC cycles (median of rounds)\n"
	      "  --bench-exits N  exits per round (default 20000)   --rounds R  rounds (default 5)\n"
	      "  --timeout S      fail when the guest has not finished after S seconds (default 300, 0: never)\n"
	      "  --slow-port PORT:US  answer each I/O exit at PORT after US microseconds: exits that\n"
	      "                   are slow on purpose, for kvmexitstat --slow\n"
	      "  --symbols FILE   write the guest code's symbols, System.map style (each operation's\n"
	      "                   exiting instruction is guest_rip_OPERATION)\n"
	      "  -name NAME       a name for the VM, in QEMU's spelling (kvmexitstat shows it)\n"
	      "  -V, --version    -h, --help\n",
	      out);
}

__attribute__((format(printf, 1, 2))) static int fail_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kvmexitgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return 2;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_BASE = 1000, OPT_VCPUS = OPT_BASE + OP_COUNT, OPT_MODE, OPT_JSON, OPT_HOLD, OPT_BENCH,
	       OPT_BENCH_EXITS, OPT_ROUNDS, OPT_TIMEOUT, OPT_SYMBOLS, OPT_SLOW_PORT };
	struct option longopts[OP_COUNT + 14];
	int n = 0;

	for (int op = 1; op < OP_COUNT; op++)
		longopts[n++] = (struct option){ ops[op].option, required_argument, NULL, OPT_BASE + op };
	longopts[n++] = (struct option){ "vcpus", required_argument, NULL, OPT_VCPUS };
	longopts[n++] = (struct option){ "mode", required_argument, NULL, OPT_MODE };
	longopts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	longopts[n++] = (struct option){ "hold", no_argument, NULL, OPT_HOLD };
	longopts[n++] = (struct option){ "bench", no_argument, NULL, OPT_BENCH };
	longopts[n++] = (struct option){ "bench-exits", required_argument, NULL, OPT_BENCH_EXITS };
	longopts[n++] = (struct option){ "rounds", required_argument, NULL, OPT_ROUNDS };
	longopts[n++] = (struct option){ "timeout", required_argument, NULL, OPT_TIMEOUT };
	longopts[n++] = (struct option){ "symbols", required_argument, NULL, OPT_SYMBOLS };
	longopts[n++] = (struct option){ "slow-port", required_argument, NULL, OPT_SLOW_PORT };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	/* QEMU's "-name NAME": kvmexitstat names this VM from it as it names a
	 * QEMU guest. Left in the command line (that is where it is read) and
	 * taken out of what getopt sees. */
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-name") && i + 1 < argc) {
			i++;
			continue;
		}
		argv[kept++] = argv[i];
	}
	argc = kept;

	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->bench_exits = 20000;
	o->rounds = 5;
	o->timeout = 300;
	o->slow_port = -1;
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		if (c > OPT_BASE && c < OPT_BASE + OP_COUNT) {
			uint32_t op = (uint32_t)(c - OPT_BASE), leaf = default_arg(op);
			char num[64], *at;
			snprintf(num, sizeof(num), "%s", optarg);
			if (op != OP_CPUID_QUERY && (at = strchr(num, '@'))) {
				/* N@ARG: the port, MSR or address */
				uint64_t a;
				*at = '\0';
				bool io = op == OP_IO_OUT || op == OP_IO_IN, msr = op == OP_MSR_READ || op == OP_MSR_WRITE;
				bool mmio = op == OP_MMIO_READ || op == OP_MMIO_WRITE;
				if (!io && !msr && !mmio)
					return fail_usage("--%s takes no @ARG: '%s'", ops[op].option, optarg);
				if (parse_u64(at + 1, &a) || (io && a > 0xffff) || (msr && a > UINT32_MAX) ||
				    (mmio && (a < GUEST_MMIO_LOW || a > 0xfffffff8 || a % 8)))
					return fail_usage("--%s: '%s' is not N@%s", ops[op].option, optarg,
							  io ? "PORT (0 to 0xffff)" : msr ? "MSR (a 32-bit index)"
							     : "GPA (8-byte aligned, 0xc0000000 to 0xfffffff8)");
				if (msr && a >= 0x800 && a <= 0x8ff)
					return fail_usage("--%s: MSR 0x%" PRIx64 " is an x2APIC MSR, which KVM's MSR filter "
							  "cannot deny", ops[op].option, a);
				leaf = (uint32_t)a;
			}
			if (c == OPT_BASE + OP_CPUID_QUERY) {
				/* LEAF[:ECX], each decimal or 0x hex */
				char buf[64], *colon;
				uint64_t l, e = 0;
				snprintf(buf, sizeof(buf), "%s", optarg);
				if ((colon = strchr(buf, ':')))
					*colon = '\0';
				if (parse_u64(buf, &l) || l > UINT32_MAX || (colon && (parse_u64(colon + 1, &e) || e > UINT32_MAX)))
					return fail_usage("--cpuid-query: '%s' is not LEAF[:ECX] (32-bit numbers)", optarg);
				if (++o->nqueries > GUEST_MAX_QUERIES)
					return fail_usage("at most %d --cpuid-query", GUEST_MAX_QUERIES);
				leaf = (uint32_t)l;
				v = e;
			} else if (parse_u64(num, &v) || v > (1ull << 40)) {
				return fail_usage("'%s' is not a count from 0 to 2^40", optarg);
			}
			if (o->nsteps == MAX_STEPS)
				return fail_usage("at most %d operations in a program", MAX_STEPS);
			o->op[o->nsteps] = (uint32_t)(c - OPT_BASE);
			o->arg[o->nsteps] = leaf;
			o->count[o->nsteps++] = v;
			continue;
		}
		switch (c) {
		case OPT_VCPUS:
			if (parse_u64(optarg, &v) || v < 1 || v > GUEST_MAX_VCPUS)
				return fail_usage("--vcpus: '%s' is not a number from 1 to 64", optarg);
			o->vcpus = (int)v;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "auto"))
				o->mode = MODE_AUTO;
			else if (!strcmp(optarg, "supervisor"))
				o->mode = MODE_SUPERVISOR;
			else if (!strcmp(optarg, "user"))
				o->mode = MODE_USER;
			else
				return fail_usage("--mode: '%s' is not auto, supervisor or user", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_HOLD:
			o->hold = true;
			break;
		case OPT_BENCH:
			o->bench = true;
			break;
		case OPT_BENCH_EXITS:
			if (parse_u64(optarg, &v) || v < 1 || v > (1ull << 32))
				return fail_usage("--bench-exits: '%s' is not a number from 1 to 2^32", optarg);
			o->bench_exits = v;
			break;
		case OPT_ROUNDS:
			if (parse_u64(optarg, &v) || v < 1 || v > 1000)
				return fail_usage("--rounds: '%s' is not a number from 1 to 1000", optarg);
			o->rounds = (int)v;
			break;
		case OPT_SYMBOLS:
			o->symbols = optarg;
			break;
		case OPT_SLOW_PORT: {
			char buf[64], *colon;
			uint64_t port, us;
			snprintf(buf, sizeof(buf), "%s", optarg);
			if (!(colon = strchr(buf, ':')) || (*colon = '\0', parse_u64(buf, &port)) || port > 0xffff ||
			    parse_u64(colon + 1, &us) || us > 10000000)
				return fail_usage("--slow-port: '%s' is not PORT:MICROSECONDS (up to 10 s)", optarg);
			o->slow_port = (int)port;
			o->slow_us = (unsigned)us;
			break;
		}
		case OPT_TIMEOUT:
			if (parse_u64(optarg, &v) || v > 86400)
				return fail_usage("--timeout: '%s' is not a number of seconds from 0 to 86400", optarg);
			o->timeout = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("kvmexitgen %s\n", VERSION);
			exit(0);
		default:
			return 2;
		}
	}
	if (optind < argc)
		return fail_usage("unexpected argument '%s'", argv[optind]);
	if (!o->nsteps && !o->bench)
		return fail_usage("%s", "nothing to do: give operations such as --cpuid 1000, or --bench");
	return 0;
}

/* Operations this VM can do, or a message why not. */
static const char *op_unavailable(const struct vm *vm, int op)
{
	if (vm->mode == MODE_USER && ops[op].supervisor_only)
		return "needs supervisor mode (CPL0); in user mode the guest would fault";
	if (op == OP_VMCALL && vm->mode == MODE_SUPERVISOR && !host_kvm_hardware())
		return "in supervisor mode needs VMX or SVM: without them (PVM) KVM emulates CPL0 and its "
		       "emulator never completes VMCALL; use --mode user";
	if (op == OP_CR8_WRITE && !host_kvm_hardware())
		return "needs VMX or SVM: without them (PVM) KVM does not intercept CR8";
	if ((op == OP_MSR_READ || op == OP_MSR_WRITE) && !vm->msr_exits)
		return "needs KVM's MSR filter with exits to user space (KVM_CAP_X86_MSR_FILTER), which this KVM lacks";
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *vcpu_thread(void *arg)
{
	vcpu__run(arg);
	return NULL;
}

/* Run every vCPU to the end of its program, one thread each. */
static int run_all(struct vm *vm, uint64_t *wall_ns, unsigned timeout_s)
{
	pthread_t th[GUEST_MAX_VCPUS];
	sigset_t block, old;
	int started = 0, err = 0;

	/* vCPU threads leave SIGINT/SIGTERM to the main thread: block them
	 * while creating the threads (which inherit the mask), then unblock. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	uint64_t t0 = now_ns();
	for (; started < vm->nvcpus; started++)
		if (pthread_create(&th[started], NULL, vcpu_thread, &vm->vcpus[started]))
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_s;
	for (int i = 0; i < started; i++) {
		if (!timeout_s) {
			pthread_join(th[i], NULL);
		} else if (pthread_timedjoin_np(th[i], NULL, &deadline)) {
			/* A vCPU inside KVM_RUN cannot be inspected or stopped
			 * cleanly: say so and end the process. */
			fprintf(stderr, "kvmexitgen: vCPU %d did not finish its program within %u s "
					"(the guest or KVM loops without exiting to this VMM)\n", i, timeout_s);
			_exit(1);
		}
	}
	*wall_ns = now_ns() - t0;
	if (started < vm->nvcpus) {
		fprintf(stderr, "kvmexitgen: cannot start a thread for vCPU %d\n", started);
		return -EAGAIN;
	}
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].error) {
			fprintf(stderr, "kvmexitgen: %s\n", vm->vcpus[i].message);
			err = vm->vcpus[i].error;
		}
	return err;
}

/* The guest's own count and what reached this VMM must both equal what was asked. */
static int check_truth(struct vm *vm, const struct options *o, uint64_t want[OP_COUNT])
{
	int err = 0;
	for (int i = 0; i < vm->nvcpus; i++) {
		uint64_t done[OP_COUNT];
		vm__results(vm, i, done);
		for (int op = 1; op < OP_COUNT; op++) {
			if (done[op] != want[op]) {
				fprintf(stderr, "kvmexitgen: vCPU %d: guest did %" PRIu64 " %s, asked %" PRIu64 "\n", i,
					done[op], ops[op].option, want[op]);
				err = -EIO;
			}
			if (ops[op].reaches_vmm && vm->vcpus[i].seen[op] != want[op]) {
				fprintf(stderr, "kvmexitgen: vCPU %d: %" PRIu64 " %s exits reached the VMM, asked %" PRIu64 "\n",
					i, vm->vcpus[i].seen[op], ops[op].option, want[op]);
				err = -EIO;
			}
		}
	}
	(void)o;
	return err;
}

/* The stats shown in the table, in this order; JSON has all of them. */
static const char *const table_stats[] = {
	"exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits", "signal_exits", "irq_window_exits",
	"nmi_window_exits", "request_irq_exits", "insn_emulation", "insn_emulation_fail", "hypercalls",
	"halt_wakeup", "l1d_flush", "pf_taken", "pf_fixed", "pf_emulate", "pf_spurious", "preemption_reported",
};

static void print_table(struct vm *vm, const struct options *o, const uint64_t want[OP_COUNT], uint64_t wall,
			struct kvm_stat_value **stats, size_t *nstats)
{
	printf("kvmexitgen: %d vCPU%s, %s mode (CPL%d), %s, wall time %.6f s\n", vm->nvcpus,
	       vm->nvcpus == 1 ? "" : "s", guest_mode_name(vm->mode), vm->mode == MODE_USER ? 3 : 0,
	       vm->amd ? "AMD (vmmcall)" : "Intel (vmcall)", (double)wall / 1e9);
	printf("\n%-5s %-11s %12s %12s %12s  %s\n", "vCPU", "OPERATION", "REQUESTED", "GUEST DID", "REACHED VMM",
	       "GUEST RIP");
	for (int i = 0; i < vm->nvcpus; i++) {
		uint64_t done[OP_COUNT];
		vm__results(vm, i, done);
		for (int op = 1; op < OP_COUNT; op++) {
			if (!want[op] && !done[op])
				continue;
			char seen[24] = "-";
			if (ops[op].reaches_vmm)
				snprintf(seen, sizeof(seen), "%" PRIu64, vm->vcpus[i].seen[op]);
			char rip[24] = "-";
			if (vm__op_rip(op))
				snprintf(rip, sizeof(rip), "0x%" PRIx64, vm__op_rip(op));
			printf("%-5d %-11s %12" PRIu64 " %12" PRIu64 " %12s  %s\n", i, ops[op].option, want[op], done[op],
			       seen, rip);
		}
	}
	printf("\nKVM statistics of each vCPU (KVM_GET_STATS_FD)\n%-22s", "STAT");
	for (int i = 0; i < vm->nvcpus; i++)
		printf(" %11s%-2d", "vCPU ", i);
	putchar('\n');
	for (size_t s = 0; s < sizeof(table_stats) / sizeof(table_stats[0]); s++) {
		if (kvm_stats_get(stats[0], nstats[0], table_stats[s]) < 0)
			continue; /* this KVM has no such stat */
		printf("%-22s", table_stats[s]);
		for (int i = 0; i < vm->nvcpus; i++)
			printf(" %13" PRId64, kvm_stats_get(stats[i], nstats[i], table_stats[s]));
		putchar('\n');
	}
	(void)o;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(struct vm *vm, const struct options *o, const uint64_t want[OP_COUNT], uint64_t wall,
		       struct kvm_stat_value **stats, size_t *nstats)
{
	printf("{\"pid\":%d,\"mode\":\"%s\",\"vendor\":\"%s\",\"vcpus\":%d,\"wall_ns\":%" PRIu64 ",\"vcpu\":[",
	       (int)getpid(), guest_mode_name(vm->mode), vm->amd ? "amd" : "intel", vm->nvcpus, wall);
	for (int i = 0; i < vm->nvcpus; i++) {
		uint64_t done[OP_COUNT];
		vm__results(vm, i, done);
		printf("%s{\"id\":%d,\"tid\":%d,\"ops\":{", i ? "," : "", i, vm->vcpus[i].tid);
		bool first = true;
		for (int op = 1; op < OP_COUNT; op++) {
			if (!want[op] && !done[op])
				continue;
			printf("%s\"%s\":{\"requested\":%" PRIu64 ",\"guest\":%" PRIu64, first ? "" : ",", ops[op].option,
			       want[op], done[op]);
			if (ops[op].reaches_vmm)
				printf(",\"vmm\":%" PRIu64, vm->vcpus[i].seen[op]);
			if (vm__op_rip(op))
				printf(",\"rip\":%" PRIu64, vm__op_rip(op));
			putchar('}');
			first = false;
		}
		printf("}");
		if (want[OP_CPUID_QUERY]) {
			printf(",\"queries\":[");
			for (int k = 0, q = 0; k < o->nsteps; k++) {
				if (o->op[k] != OP_CPUID_QUERY)
					continue;
				uint32_t r[4];
				vm__query(vm, i, q, r);
				printf("%s{\"leaf\":%" PRIu32 ",\"subleaf\":%" PRIu64 ",\"eax\":%" PRIu32 ",\"ebx\":%" PRIu32
				       ",\"ecx\":%" PRIu32 ",\"edx\":%" PRIu32 "}", q++ ? "," : "", o->arg[k], o->count[k],
				       r[0], r[1], r[2], r[3]);
			}
			putchar(']');
		}
		printf(",\"stats\":{");
		for (size_t s = 0; s < nstats[i]; s++) {
			printf("%s", s ? "," : "");
			json_str(stats[i][s].name);
			printf(":%" PRIu64, stats[i][s].value);
		}
		printf("}}");
	}
	printf("]}\n");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Cost per exit of each operation this VM can do: one vCPU runs N of it,
 * timed from the host; the median of the rounds. */
static int bench(struct vm *vm, const struct options *o)
{
	char msg[256];
	uint64_t ns[1000], cyc[1000];

	if (o->json)
		printf("{\"mode\":\"%s\",\"vendor\":\"%s\",\"exits_per_round\":%" PRIu64 ",\"rounds\":%d,\"ops\":{",
		       guest_mode_name(vm->mode), vm->amd ? "amd" : "intel", o->bench_exits, o->rounds);
	else
		printf("kvmexitgen --bench: %s mode, %" PRIu64 " exits per round, median of %d rounds\n%-11s %12s %14s\n",
		       guest_mode_name(vm->mode), o->bench_exits, o->rounds, "OPERATION", "NS/EXIT", "CYCLES/EXIT");
	bool first = true;
	for (int op = 1; op < OP_COUNT; op++) {
		if (op == OP_UD2 || op == OP_CPUID_QUERY || op_unavailable(vm, op))
			continue; /* ud2 ends a run: nothing to time; a query is one cpuid */
		struct vcpu *v = &vm->vcpus[0];
		uint32_t code = (uint32_t)op, arg = default_arg(code);
		for (int r = -1; r < o->rounds; r++) { /* round -1 warms up (first-touch faults) */
			uint64_t count = r < 0 ? 100 : o->bench_exits;
			vm__load_program(vm, 0, &code, &arg, &count, 1);
			if (vcpu__reset(v, msg, sizeof(msg))) {
				fprintf(stderr, "kvmexitgen: %s\n", msg);
				return -EIO;
			}
			uint64_t t0 = now_ns(), c0 = __rdtsc();
			if (vcpu__run(v)) {
				fprintf(stderr, "kvmexitgen: %s\n", v->message);
				return -EIO;
			}
			uint64_t c1 = __rdtsc(), t1 = now_ns();
			if (r >= 0) {
				ns[r] = (t1 - t0) * 1000 / count; /* picoseconds keep the median precise */
				cyc[r] = (c1 - c0) * 1000 / count;
			}
		}
		qsort(ns, (size_t)o->rounds, sizeof(ns[0]), cmp_u64);
		qsort(cyc, (size_t)o->rounds, sizeof(cyc[0]), cmp_u64);
		double mns = (double)ns[o->rounds / 2] / 1000, mcyc = (double)cyc[o->rounds / 2] / 1000;
		if (o->json)
			printf("%s\"%s\":{\"ns_per_exit\":%.1f,\"cycles_per_exit\":%.1f}", first ? "" : ",", ops[op].option,
			       mns, mcyc);
		else
			printf("%-11s %12.1f %14.1f\n", ops[op].option, mns, mcyc);
		first = false;
	}
	if (o->json)
		printf("}}\n");
	return 0;
}

/* The guest code's symbols as System.map has them ("ADDR t NAME"),
 * sorted: a symbol file for kvmexitstat --guest-symbols. */
static int write_symbols(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kvmexitgen: --symbols: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "%016" PRIx64 " T guest_code_start\n", (uint64_t)GUEST_CODE);
	uint64_t done[OP_COUNT] = { 0 };
	for (int k = 0; k < OP_COUNT; k++) { /* in address order */
		int best = 0;
		for (int op = 1; op < OP_COUNT; op++)
			if (vm__op_rip(op) && !done[op] && (!best || vm__op_rip(op) < vm__op_rip(best)))
				best = op;
		if (!best)
			break;
		done[best] = 1;
		char name[32];
		snprintf(name, sizeof(name), "%s", ops[best].option);
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		fprintf(f, "%016" PRIx64 " t guest_rip_%s\n", vm__op_rip(best), name);
	}
	return fclose(f) ? -EIO : 0;
}

static void hold(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fprintf(stderr, "kvmexitgen: holding the VM open (pid %d); SIGINT or SIGTERM ends it\n", (int)getpid());
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	struct options o;
	struct vm vm;
	char msg[512];
	uint64_t want[OP_COUNT] = { 0 }, wall = 0;
	int status = 1, err = parse_args(argc, argv, &o);

	if (err)
		return err;
	for (int k = 0; k < o.nsteps; k++)
		want[o.op[k]] += o.op[k] == OP_CPUID_QUERY ? 1 : o.count[k];
	if (vm__create(&vm, o.mode, o.bench ? 1 : o.vcpus, msg, sizeof(msg))) {
		fprintf(stderr, "kvmexitgen: %s\n", msg);
		vm__destroy(&vm);
		return 1;
	}
	if (o.symbols && write_symbols(o.symbols))
		goto out;
	vm.slow_port = o.slow_port;
	vm.slow_us = o.slow_us;
	if (o.bench) { /* every operation, as it has no @ARG */
		uint32_t all[OP_COUNT], args[OP_COUNT];
		for (int op = 0; op < OP_COUNT; op++)
			all[op] = (uint32_t)op, args[op] = default_arg((uint32_t)op);
		err = vm__expect(&vm, all, args, OP_COUNT, msg, sizeof(msg));
	} else {
		err = vm__expect(&vm, o.op, o.arg, o.nsteps, msg, sizeof(msg));
	}
	if (err) {
		fprintf(stderr, "kvmexitgen: %s\n", msg);
		status = 2;
		goto out;
	}
	for (int k = 0; k < o.nsteps; k++) {
		const char *why = op_unavailable(&vm, (int)o.op[k]);
		if (why) {
			fprintf(stderr, "kvmexitgen: --%s %s\n", ops[o.op[k]].option, why);
			status = 2;
			goto out;
		}
	}
	if (o.bench) {
		status = bench(&vm, &o) ? 1 : 0;
		goto out;
	}
	for (int i = 0; i < vm.nvcpus; i++)
		vm__load_program(&vm, i, o.op, o.arg, o.count, o.nsteps);
	if (run_all(&vm, &wall, o.timeout) || check_truth(&vm, &o, want))
		goto out;

	struct kvm_stat_value *stats[GUEST_MAX_VCPUS] = { 0 };
	size_t nstats[GUEST_MAX_VCPUS] = { 0 };
	for (int i = 0; i < vm.nvcpus; i++) {
		if (vm.vcpus[i].stats_fd < 0 || (err = kvm_stats_read(vm.vcpus[i].stats_fd, &stats[i], &nstats[i]))) {
			fprintf(stderr, "kvmexitgen: vCPU %d: KVM_GET_STATS_FD: %s\n", i,
				vm.vcpus[i].stats_fd < 0 ? "refused by this KVM" : strerror(-err));
			goto out_stats;
		}
	}
	if (o.json)
		print_json(&vm, &o, want, wall, stats, nstats);
	else
		print_table(&vm, &o, want, wall, stats, nstats);
	fflush(stdout);
	status = ferror(stdout) ? 1 : 0;
	if (o.hold && !status)
		hold();
out_stats:
	for (int i = 0; i < vm.nvcpus; i++)
		free(stats[i]);
out:
	vm__destroy(&vm);
	return status;
}
