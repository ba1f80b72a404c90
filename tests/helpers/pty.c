/* pty SECONDS CMD [ARG]...: runs CMD on a pseudo-terminal of 80x24 for
 * SECONDS, copying what it draws to stdout, then types 'q' and waits up
 * to 10 s for it to end (killed if it does not). For tests of top where no
 * tmux is (the testbed). Exits with CMD's status, 124 when it was killed.
 * PTY_KEYS="T=KEYS ...": types KEYS T seconds after the start (in order;
 * \r is Enter, \e Esc). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copy the terminal's output to stdout until the deadline or its end. */
static void copy(int master, double until)
{
	char buf[4096];
	for (double left; (left = until - now()) > 0;) {
		struct pollfd p = { master, POLLIN, 0 };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = read(master, buf, sizeof(buf));
		if (n <= 0)
			return; /* EIO: the other side is closed */
		fwrite(buf, 1, (size_t)n, stdout);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: pty SECONDS CMD [ARG]...\n");
		return 2;
	}
	double secs = atof(argv[1]);
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	if (pid < 0) {
		perror("pty: forkpty");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("pty: exec");
		_exit(127);
	}
	double t0 = now();
	char *keys = getenv("PTY_KEYS") ? strdup(getenv("PTY_KEYS")) : NULL;
	for (char *save = NULL, *item = keys ? strtok_r(keys, " ", &save) : NULL; item;
	     item = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			continue;
		*eq = '\0';
		copy(master, t0 + atof(item));
		char buf[64];
		size_t n = 0;
		for (const char *k = eq + 1; *k && n < sizeof(buf); k++)
			buf[n++] = k[0] == '\\' && k[1] == 'r' ? (k++, '\r') : k[0] == '\\' && k[1] == 'e' ? (k++, 27) : *k;
		if (write(master, buf, n) != (ssize_t)n)
			perror("pty: write");
	}
	free(keys);
	copy(master, t0 + secs);
	if (write(master, "q", 1) != 1)
		perror("pty: write");
	copy(master, now() + 2);
	/* the terminal closes before the process has ended: its end is
	 * waited for (10 s at most: the testbed's emulated CPUs are slow to
	 * let top detach its programs), not taken from one look */
	int status = 0;
	pid_t done = 0;
	for (double until = now() + 10; !(done = waitpid(pid, &status, WNOHANG)) && now() < until;)
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 124;
	}
	fflush(stdout);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
