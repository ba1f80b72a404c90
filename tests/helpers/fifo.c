/* fifo: run a command at real-time priority (SCHED_FIFO 1), as chrt -f 1
 * does; the testbed's busybox has no chrt.
 *
 *   fifo COMMAND [ARG]... */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sched_param p = { .sched_priority = 1 };

	if (argc < 2) {
		fprintf(stderr, "usage: fifo COMMAND [ARG]...\n");
		return 2;
	}
	if (sched_setscheduler(0, SCHED_FIFO, &p)) {
		fprintf(stderr, "fifo: SCHED_FIFO: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "fifo: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
