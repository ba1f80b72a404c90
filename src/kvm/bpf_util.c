#include "bpf_util.h"
#include "bpf_log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libbpf's warnings since the last bpf_util_log_clear(): among them the
 * verifier's log of a program it refused. Kept to 64 KiB, which holds the
 * end of any log, where the verifier says why. */
#define LOG_MAX (64 * 1024)
static char log_buf[LOG_MAX];
static size_t log_len;

__attribute__((format(printf, 2, 0))) static int print_warnings(enum libbpf_print_level level, const char *fmt,
							      va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	if (getenv("KVMEXITSTAT_DEBUG")) {
		va_list copy;
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	char line[LOG_MAX];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n <= 0)
		return 0;
	size_t add = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (log_len + add >= LOG_MAX) { /* keep the newest: the end says why */
		size_t keep = LOG_MAX - 1 - add;
		memmove(log_buf, log_buf + log_len - keep, keep);
		log_len = keep;
	}
	memcpy(log_buf + log_len, line, add);
	log_len += add;
	log_buf[log_len] = '\0';
	return 0;
}

void bpf_util_quiet_libbpf(void)
{
	libbpf_set_print(print_warnings);
}

void bpf_util_log_clear(void)
{
	log_len = 0;
	log_buf[0] = '\0';
}

bool bpf_util_log_reason(char *buf, size_t len, bool *verifier)
{
	return bpf_log_reason(log_buf, buf, len, verifier);
}

/* The keys are gathered first: deleting while walking would restart the walk. */
void bpf_util_delete_vm(int fd, size_t key_size, size_t value_size, struct vm_id vm,
			struct vm_id (*vm_of)(const void *key, const void *value))
{
	unsigned char *key = malloc(key_size), *next = malloc(key_size);
	unsigned char *value = value_size ? malloc(value_size) : NULL;
	unsigned char *doomed = NULL;
	void *prev = NULL;
	size_t n = 0;

	if (!key || !next || (value_size && !value))
		goto out;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (value_size && bpf_map_lookup_elem(fd, key, value))
			continue; /* deleted meanwhile */
		struct vm_id its = vm_of(key, value);
		if (its.pid != vm.pid || its.start != vm.start)
			continue;
		unsigned char *d = realloc(doomed, (n + 1) * key_size);
		if (!d)
			break;
		doomed = d;
		memcpy(doomed + n++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, doomed + i * key_size);
out:
	free(doomed);
	free(key);
	free(next);
	free(value);
}
