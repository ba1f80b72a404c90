#include "bpf_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 0))) static int print_if_debug(enum libbpf_print_level level, const char *fmt,
							     va_list ap)
{
	if (level == LIBBPF_WARN && getenv("KVMEXITSTAT_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void bpf_util_quiet_libbpf(void)
{
	libbpf_set_print(print_if_debug);
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
