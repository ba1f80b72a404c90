/* The options the live commands share (live statistics, record, serve,
 * top): which VMs, which source, which programs, how often. */
#ifndef KVMEXITSTAT_LIVE_OPTS_H
#define KVMEXITSTAT_LIVE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exitstat_bpf.h"
#include "guest_symbols.h"
#include "render.h"
#include "vm_names.h"

#define LIVE_MAX_PIDS 64
#define LIVE_MAX_NAMES 8

enum live_cmd { LIVE_STATS, LIVE_RECORD, LIVE_SERVE, LIVE_TOP };
enum { SRC_AUTO = 0, SRC_TRACEPOINT = 1, SRC_STATS = 2 };

struct live_opts {
	enum live_cmd cmd;
	struct render_opts ro;        /* live statistics: -o, -b, -s */
	bool latency;                 /* live statistics: -l */
	bool count_only;
	bool detail;                  /* --detail[=N] (N in ro.detail_top), or --by X,detail */
	uint64_t slow_ns;             /* --slow THRESHOLD: list each exit at least this long; 0: none */
	bool rip;                     /* --rip[=N] (N in ro.rip_top) */
	struct guest_symbols syms;    /* --guest-symbols (ro.rip_name names RIPs by them) */
	enum bpf_flavour flavour;
	int sources;                  /* SRC_* */
	double interval;              /* seconds; 0: the totals only (live statistics) */
	uint64_t count;               /* intervals; 0: until stopped */
	struct vm_id pids[LIVE_MAX_PIDS]; /* -p: each process as it was when the run began */
	size_t npids;
	const char *names[LIVE_MAX_NAMES]; /* -n */
	size_t nnames;
	int32_t vcpu;                 /* --vcpu: only this vCPU id; -1: all */
	const char *store_path;       /* record: -o */
	char listen_addr[64];         /* serve: --listen */
	uint16_t listen_port;
	bool vcpu_label;              /* serve: --vcpu-label */
};

/* Parse the command line of cmd into o; usage is the command's help.
 * Returns 0, or the exit status to end with (the message said); --help
 * prints usage and exits. */
int live_opts_parse(int argc, char **argv, enum live_cmd cmd, void (*usage)(FILE *out), struct live_opts *o);
/* What parse took (the symbol files). */
void live_opts_free(struct live_opts *o);

/* The command's name in messages: "kvmexitstat record", "kvmexitstat". */
const char *live_cmd_name(enum live_cmd cmd);

#endif
