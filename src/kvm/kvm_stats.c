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

static int read_header(int fd, struct kvm_stats_header *h)
{
	int err = read_at(fd, h, sizeof(*h), 0);
	if (err)
		return err;
	if (h->num_desc > 4096 || h->name_size > 4096)
		return -EINVAL;
	return 0;
}

int kvm_stats_descs(int fd, struct kvm_stat_desc **out, size_t *n, uint32_t *data_bytes, uint32_t *data_offset)
{
	struct kvm_stats_header h;
	struct kvm_stat_desc *descs = NULL;
	char *raw = NULL;
	int err;

	*out = NULL;
	*n = 0;
	*data_bytes = 0;
	if ((err = read_header(fd, &h)))
		return err;
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	raw = malloc(dsize * h.num_desc);
	descs = calloc(h.num_desc ? h.num_desc : 1, sizeof(*descs));
	if (!raw || !descs) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = read_at(fd, raw, dsize * h.num_desc, h.desc_offset)))
		goto fail;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(raw + dsize * i);
		size_t nl = strnlen(d->name, h.name_size);
		if (nl >= sizeof(descs[i].name))
			nl = sizeof(descs[i].name) - 1;
		memcpy(descs[i].name, d->name, nl);
		descs[i].offset = d->offset;
		descs[i].size = d->size;
		descs[i].cumulative = (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
		uint32_t end = d->offset + (uint32_t)d->size * 8u;
		if (end > *data_bytes)
			*data_bytes = end;
	}
	free(raw);
	*out = descs;
	*n = h.num_desc;
	if (data_offset)
		*data_offset = h.data_offset;
	return 0;
fail:
	free(raw);
	free(descs);
	return err;
}

uint64_t kvm_stats_value(const struct kvm_stat_desc *d, const void *data, size_t len)
{
	uint64_t sum = 0;
	for (uint16_t k = 0; k < d->size; k++) {
		size_t off = d->offset + (size_t)k * 8;
		uint64_t v;
		if (off + 8 > len)
			return 0;
		memcpy(&v, (const char *)data + off, 8);
		sum += v;
	}
	return sum;
}

int kvm_stats_read(int fd, struct kvm_stat_value **out, size_t *n)
{
	struct kvm_stat_desc *descs = NULL;
	struct kvm_stat_value *vals = NULL;
	void *data = NULL;
	uint32_t bytes, data_offset;
	size_t nd;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = kvm_stats_descs(fd, &descs, &nd, &bytes, &data_offset)))
		return err;
	data = malloc(bytes ? bytes : 1);
	vals = calloc(nd ? nd : 1, sizeof(*vals));
	if (!data || !vals) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = read_at(fd, data, bytes, data_offset)))
		goto fail;
	for (size_t i = 0; i < nd; i++) {
		memcpy(vals[i].name, descs[i].name, sizeof(vals[i].name));
		vals[i].value = kvm_stats_value(&descs[i], data, bytes);
		vals[i].cumulative = descs[i].cumulative;
	}
	free(descs);
	free(data);
	*out = vals;
	*n = nd;
	return 0;
fail:
	free(descs);
	free(data);
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
