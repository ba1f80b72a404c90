#include "vm_names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numparse.h"
#include "text.h"

uint64_t vm_ticks(uint64_t ns)
{
	static uint64_t ns_per_tick;
	if (!ns_per_tick) {
		long hz = sysconf(_SC_CLK_TCK);
		ns_per_tick = hz > 0 ? 1000000000u / (uint64_t)hz : 10000000u;
	}
	return ns / ns_per_tick;
}

uint64_t vm_start(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "PID (COMM) ", whose COMM may hold spaces and parentheses:
	 * field 3 is the state, field 22 the start */
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

bool vm_in(const struct vm_id *ids, size_t n, uint32_t pid, uint64_t start)
{
	for (size_t k = 0; k < n; k++)
		if (ids[k].pid == pid && ids[k].start == start)
			return true;
	return false;
}

bool vm_alive(uint32_t pid, uint64_t start)
{
	if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
		return false;
	/* (0 when it ended meanwhile) */
	uint64_t now = start ? vm_start(pid) : 0;
	return !start || now == start;
}

/* The value of QEMU's -name: "guest=web1,debug-threads=on" -> "web1". */
static void qemu_name(const char *arg, char *buf, size_t len)
{
	const char *g = strstr(arg, "guest=");
	const char *v = g && (g == arg || g[-1] == ',') ? g + 6 : arg;
	size_t n = strcspn(v, ",");
	if (g == NULL && strchr(arg, '='))
		n = 0; /* only options, no name */
	n = text_cut(v, n, len - 1); /* on a character boundary */
	memcpy(buf, v, n);
	buf[n] = '\0';
}

bool vm_name(uint32_t pid, uint64_t start, char *buf, size_t len)
{
	char path[64], args[4096];
	int fd;
	ssize_t n;

	buf[0] = '\0';
	if (start && vm_start(pid) != start)
		return false; /* another process has the pid now */
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, args, sizeof(args) - 1);
	close(fd);
	if (n > 0) {
		args[n] = '\0';
		for (char *a = args; a < args + n; a += strlen(a) + 1)
			if (!strcmp(a, "-name") && a + strlen(a) + 1 < args + n) {
				qemu_name(a + strlen(a) + 1, buf, len);
				if (buf[0])
					return true;
			}
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static bool holds_vm(const char *pid)
{
	char dir[300], link[600], target[64];
	bool found = false;
	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = !strcmp(target, "anon_inode:kvm-vm");
		}
	}
	closedir(d);
	return found;
}

size_t vm_list(uint32_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	size_t n = 0;
	struct dirent *e;
	uint64_t pid;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d)))
		if (parse_u64(e->d_name, &pid) == 0 && pid <= UINT32_MAX && holds_vm(e->d_name))
			pids[n++] = (uint32_t)pid;
	closedir(d);
	return n;
}
