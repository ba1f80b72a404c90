/* bpfprogs: the BPF programs and links loaded in the kernel, one line
 * each ("prog ID TYPE NAME", "link ID TYPE"), for tests that must see
 * nothing of kvmexitstat left behind (the testbed has no bpftool).
 * bpfprogs maps: the maps instead, with the kernel memory each is charged
 * ("map ID TYPE NAME MEMLOCK", bpftool's memlock), and their sum. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* memlock of a map: the kernel tells it in the fd's fdinfo */
static unsigned long long memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int maps(void)
{
	__u32 id = 0;
	int n = 0;
	unsigned long long total = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		int fd = bpf_map_get_fd_by_id(id);
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			unsigned long long m = memlock(fd);
			printf("map %u %u %s %llu\n", id, info.type, info.name, m);
			total += m;
			n++;
		}
		close(fd);
	}
	if (errno != ENOENT) {
		perror("bpfprogs: BPF_MAP_GET_NEXT_ID");
		return 1;
	}
	printf("total %d maps memlock %llu\n", n, total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "maps"))
		return maps();
	__u32 id = 0;
	int progs = 0, links = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		int fd = bpf_prog_get_fd_by_id(id);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("prog %u %u %s\n", id, info.type, info.name);
		close(fd);
		progs++;
	}
	if (errno != ENOENT) {
		perror("bpfprogs: BPF_PROG_GET_NEXT_ID");
		return 1;
	}
	id = 0;
	while (!bpf_link_get_next_id(id, &id)) {
		int fd = bpf_link_get_fd_by_id(id);
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("link %u %u\n", id, info.type);
		close(fd);
		links++;
	}
	printf("total %d programs %d links\n", progs, links);
	return 0;
}
