/* kvmexitstat top [OPTIONS] [INTERVAL]: the engine's readings (engine.h)
 * in the ncurses view (sink_top.c, top.c). */
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "sink.h"

void cmd_top_usage(FILE *out)
{
	fputs("Usage: kvmexitstat top [OPTIONS] [INTERVAL]\n"
	      "An interactive view of the running VMs' exits, refreshed every INTERVAL seconds\n"
	      "(default 1): VMs with their exit rate, total and average handling time. Keys as in\n"
	      "kvm_stat: Enter goes into a VM's vCPUs and a vCPU's reasons, x shows the reasons over\n"
	      "every VM, o sorts, p filters the VMs (name or pid), f the reasons, c clears both,\n"
	      "r resets the totals, s sets the interval, Space pauses, h helps, q quits. Fits 80x24.\n"
	      "\n"
	      "  -p, --pid PID, -n, --name NAME, --vcpu N, --source WHAT, --count-only, --bpf KIND\n"
	      "                          as for live statistics (kvmexitstat --help)\n"
	      "      --detail            Enter on a reason shows its details (port, MSR, page, ...:\n"
	      "                          each with its rate, total, share and times; tp_btf)\n"
	      "  -h, --help\n",
	      out);
}

/* (before anything is loaded) */
static int have_terminal(void)
{
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return 0;
	fprintf(stderr, "kvmexitstat top: needs a terminal on stdin and stdout; for a file or a pipe, "
			"use kvmexitstat -o json or -o csv\n");
	return EXIT_FAIL;
}

int cmd_top(int argc, char **argv)
{
	return live_command(argc, argv, LIVE_TOP, cmd_top_usage, have_terminal, false, sink_top_open);
}
