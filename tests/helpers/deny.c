/* deny: run a command with one system call, or one ioctl request, refused,
 * to test how the command reports a refusal it cannot otherwise be made to
 * see.
 *
 *   deny ioctl REQUEST ERRNO COMMAND [ARG]...    REQUEST in hex: ioctl(fd, REQUEST, ...) fails
 *   deny syscall NR ERRNO COMMAND [ARG]...       system call number NR fails
 *
 * with ERRNO (a number), through a seccomp filter. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "ioctl") && strcmp(argv[1], "syscall"))) {
		fprintf(stderr, "usage: deny ioctl REQUEST ERRNO COMMAND [ARG]...\n"
				"       deny syscall NR ERRNO COMMAND [ARG]...\n");
		return 2;
	}
	bool ioctl_req = !strcmp(argv[1], "ioctl");
	unsigned long what = strtoul(argv[2], NULL, ioctl_req ? 16 : 10);
	unsigned err = (unsigned)strtoul(argv[3], NULL, 10);
	struct sock_filter ioctl_filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)what, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter syscall_filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)what, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = ioctl_req ? (struct sock_fprog){ sizeof(ioctl_filter) / sizeof(ioctl_filter[0]), ioctl_filter }
					   : (struct sock_fprog){ sizeof(syscall_filter) / sizeof(syscall_filter[0]), syscall_filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("deny: seccomp");
		return 1;
	}
	execvp(argv[4], argv + 4);
	perror("deny: exec");
	return 127;
}
