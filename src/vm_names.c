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

bool vm_alive(uint32_t pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
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

bool vm_name(uint32_t pid, char *buf, size_t len)
{
	char path[64], args[4096];
	int fd;
	ssize_t n;

	buf[0] = '\0';
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
