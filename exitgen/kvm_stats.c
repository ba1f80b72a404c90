#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int kvm_stats_read(int fd, struct kvm_stat_value **out, size_t *n)
{
	struct kvm_stats_header h;
	struct kvm_stat_value *vals = NULL;
	char *descs = NULL;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = read_at(fd, &h, sizeof(h), 0)))
		return err;
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	if (h.num_desc > 4096 || h.name_size > 4096)
		return -EINVAL;
	descs = malloc(dsize * h.num_desc);
	vals = calloc(h.num_desc ? h.num_desc : 1, sizeof(*vals));
	if (!descs || !vals) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = read_at(fd, descs, dsize * h.num_desc, h.desc_offset)))
		goto fail;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + dsize * i);
		uint64_t buf[64], sum = 0;
		uint16_t size = d->size < 64 ? d->size : 64;
		if ((err = read_at(fd, buf, size * sizeof(uint64_t), h.data_offset + d->offset)))
			goto fail;
		for (uint16_t k = 0; k < size; k++)
			sum += buf[k];
		size_t nl = strnlen(d->name, h.name_size);
		if (nl >= sizeof(vals[i].name))
			nl = sizeof(vals[i].name) - 1;
		memcpy(vals[i].name, d->name, nl);
		vals[i].value = sum;
		vals[i].cumulative = (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
	}
	free(descs);
	*out = vals;
	*n = h.num_desc;
	return 0;
fail:
	free(descs);
	free(vals);
	return err;
}

int64_t kvm_stats_get(const struct kvm_stat_value *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return (int64_t)v[i].value;
	return -1;
}
