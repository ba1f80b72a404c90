/* kvmexitstat: which VM exits each guest causes, how often, what they cost. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out)
{
	fputs("Usage: kvmexitstat [OPTIONS] [INTERVAL [COUNT]]   live exit statistics (--help for options)\n"
	      "       kvmexitstat COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  report [OPTIONS] FILE...   per-reason exit statistics from kvm_exit/kvm_entry\n"
	      "                             trace text (ftrace, trace-cmd report, perf script),\n"
	      "                             trace.dat or the CMPE283 kernel log; '-' reads stdin\n"
	      "  record -o FILE.db [INTERVAL] live exit statistics into an SQLite store, an\n"
	      "                             interval at a time (or --from-trace TRACE)\n"
	      "  plot FILE.db|TRACE -o F.svg exit rate over time as an SVG chart\n"
	      "  serve [--listen ADDR:PORT] Prometheus metrics over HTTP (loopback by default)\n"
	      "  top [INTERVAL]             an interactive view of the running VMs (ncurses)\n"
	      "  reasons [vmx|svm]          the exit-reason decode tables\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help                 this help ('kvmexitstat COMMAND --help' for a command)\n"
	      "  -V, --version              version\n",
	      out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		cmd_live_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kvmexitstat %s\n", KVMEXITSTAT_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "reasons"))
		return cmd_reasons(argc - 1, argv + 1);
	if (!strcmp(cmd, "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(cmd, "plot"))
		return cmd_plot(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc - 1, argv + 1);
	/* no command: the live collector, with its options and INTERVAL [COUNT] */
	return cmd_live(argc, argv);
}
