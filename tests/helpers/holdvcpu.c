/* holdvcpu: take copies of another process's vCPU files (pidfd_getfd) and
 * hold them, so that this process, not the VM's, drops their last
 * reference: a vCPU's stats must still be the VM's, never this holder's.
 *
 *   holdvcpu PID SECONDS
 *
 * Prints how many vCPU files it holds, holds them SECONDS, then exits. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int main(int argc, char **argv)
{
	char dir[64], path[64 + 256], link[128];
	int held = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: holdvcpu PID SECONDS\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "holdvcpu: pidfd_open %d: %s\n", pid, strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "holdvcpu: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (struct dirent *e; (e = readdir(d));) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "anon_inode:kvm-vcpu:", 20))
			continue;
		if (syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0) < 0) {
			fprintf(stderr, "holdvcpu: pidfd_getfd %d %s: %s\n", pid, e->d_name, strerror(errno));
			return 1;
		}
		held++;
	}
	closedir(d);
	printf("holdvcpu: holding %d vCPU files of %d\n", held, pid);
	fflush(stdout);
	sleep((unsigned)atoi(argv[2]));
	return held ? 0 : 1;
}
