/* kvmexitstat serve [OPTIONS] [INTERVAL]: the engine's readings (engine.h)
 * as Prometheus metrics over HTTP (sink_prom.c). */
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "sink.h"

void cmd_serve_usage(FILE *out)
{
	fputs("Usage: kvmexitstat serve [--listen ADDR:PORT] [--vcpu-label] [OPTIONS] [INTERVAL]\n"
	      "Export live exit statistics in Prometheus's text format at http://ADDR:PORT/metrics\n"
	      "(default 127.0.0.1:9541: loopback unless told otherwise), read every INTERVAL seconds\n"
	      "(default 1): kvm_exits_total, kvm_exit_handling_seconds, kvm_vcpu_stat_total,\n"
	      "kvm_vcpu_stat_seconds_total and the collector's own kvmexitstat_* metrics.\n"
	      "\n"
	      "      --listen ADDR:PORT  where to listen ([::1]:PORT for IPv6, 0.0.0.0:PORT for all)\n"
	      "      --vcpu-label        a vcpu label on the per-VM series (more series)\n"
	      "  -p, --pid PID, -n, --name NAME, --vcpu N, --source WHAT, --count-only, --bpf KIND\n"
	      "                          as for live statistics (kvmexitstat --help)\n"
	      "  -h, --help\n",
	      out);
}

int cmd_serve(int argc, char **argv)
{
	return live_command(argc, argv, LIVE_SERVE, cmd_serve_usage, NULL, false, sink_prom_open);
}
