/* Subcommands of kvmexitstat; each returns the process exit status. */
#ifndef KVMEXITSTAT_COMMANDS_H
#define KVMEXITSTAT_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "reasons.h"

#define KVMEXITSTAT_VERSION "0.1.0"

/* Exit statuses: 0 ok, 1 the command failed, 2 wrong usage. */
/* EXIT_PARTIAL: report made, but some input lines could not be decoded */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PARTIAL = 3 };

int cmd_report(int argc, char **argv);
int cmd_reasons(int argc, char **argv);
int cmd_live(int argc, char **argv);
void cmd_live_usage(FILE *out);
int cmd_record(int argc, char **argv);
void cmd_record_usage(FILE *out);
int cmd_plot(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_top(int argc, char **argv);
void cmd_top_usage(FILE *out);
void cmd_serve_usage(FILE *out);
/* A text trace into a record store, in intervals of its own clock
 * (cmd_record.c; plot uses it for traces). Returns an exit status. */
int record_trace(const char *trace, const char *store, double interval, enum isa isa, int argc, char **argv,
		 bool quiet);

#endif
