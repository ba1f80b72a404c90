/* bpfprogs: the BPF programs and links loaded in the kernel, one line
 * each ("prog ID TYPE NAME", "link ID TYPE"), for tests that must see
 * nothing of kvmexitstat left behind (the testbed has no bpftool). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
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
