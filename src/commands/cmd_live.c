/* kvmexitstat [OPTIONS] [INTERVAL [COUNT]]: live exit statistics of every
 * guest on this host, sysstat style. Without INTERVAL, a summary when
 * stopped (Ctrl-C, SIGTERM); with it, one report per interval (deltas and
 * rates), then the totals: the engine's readings (engine.h) printed
 * (sink_print.c). */
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "sink.h"

void cmd_live_usage(FILE *out)
{
	fputs("Usage: kvmexitstat [OPTIONS] [INTERVAL [COUNT]]\n"
	      "Live VM exit statistics of the guests on this host, from kvm:kvm_exit and kvm:kvm_entry\n"
	      "or from KVM's own per-vCPU statistics.\n"
	      "Without INTERVAL: totals when stopped (Ctrl-C). With it: a report every INTERVAL\n"
	      "seconds (counts and rates in that interval), COUNT times or until stopped, then totals.\n"
	      "\n"
	      "  -p, --pid PID[,PID..]  only these VM processes (repeatable)\n"
	      "  -n, --name NAME        only VMs of this name (QEMU -name, else the process name)\n"
	      "      --vcpu N           only vCPU N of each VM\n"
	      "  -b, --by WHAT          reason (default), vm or vcpu; WHAT,detail: with --detail\n"
	      "  -o, --output FORMAT    table (default), json (a line per interval) or csv\n"
	      "      --source WHAT      auto (default): tracepoint where kvm_exit fires, else stats;\n"
	      "                         tracepoint (kvm_exit/kvm_entry: hardware reasons, handling time),\n"
	      "                         stats (KVM's vCPU statistics: its categories, on any KVM),\n"
	      "                         or tracepoint,stats (both, side by side)\n"
	      "  -s, --sort KEY         count (default), time, avg, max or reason\n"
	      "  -l, --latency          handling time columns (avg, p50, p99, max)\n"
	      "      --detail[=N]       under each reason the N (default 5) details that come most,\n"
	      "                         the rest as (other): port, MSR, CR, page, hypercall, vector,\n"
	      "                         HLT blocked or polled, or KVM_EXIT_* of each exit (tp_btf only)\n"
	      "      --rip[=N]          under each reason (or detail) the N (default 5) guest RIPs its\n"
	      "                         exits came from most, kernel or user where the ISA says (tp_btf)\n"
	      "      --guest-symbols [VM=]FILE  name the RIPs from the guest's System.map, kallsyms\n"
	      "                         or vmlinux; VM= (pid or name) for one VM (repeatable)\n"
	      "      --slow THRESHOLD   after each report, each exit that took at least THRESHOLD\n"
	      "                         (500us, 2ms, 1s): when, VM, vCPU, CPUs, reason, time (tp_btf)\n"
	      "      --hlt-time         HLT's handling time (the guest idle, with an in-kernel irqchip)\n"
	      "                         in the totals' times, where it is left out by default\n"
	      "      --count-only       attach kvm_exit alone: counts, no handling time, lowest cost\n"
	      "      --bpf KIND         btf or classic: force the BPF program kind (default: btf when\n"
	      "                         KVM's module has BTF, else the classic tracepoint)\n"
	      "  -h, --help\n",
	      out);
}

int cmd_live(int argc, char **argv)
{
	return live_command(argc, argv, LIVE_STATS, cmd_live_usage, NULL, true, sink_print_open);
}
