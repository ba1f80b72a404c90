#define _GNU_SOURCE
#include "stats_source.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_stats.h"
#include "vcpustats.h"
#include "vcpustats.skel.h"

struct stats_source {
	struct vcpustats_bpf *skel;
	struct bpf_link *link;
	struct kvm_stat_desc *descs;
	size_t ndescs;
	uint32_t bytes;        /* of struct kvm_vcpu_stat the descriptors cover */
	size_t *counter;       /* ISA_KVM code -> index into descs */
	size_t ncounters;
	char *buf;             /* one read of the iterator */
	size_t cap;
	char describe[96];
};

/* The layout of struct kvm_vcpu_stat, as KVM_GET_STATS_FD describes it for
 * a vCPU of a VM made for the purpose (every vCPU of this KVM has it). */
static int learn_layout(struct stats_source *s, char *msg, size_t len)
{
	int kvm = -1, vm = -1, vcpu = -1, fd = -1, err;

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		err = -errno;
		snprintf(msg, len, "the stats source needs /dev/kvm to learn KVM's statistics: %s%s", strerror(errno),
			 errno == ENOENT ? " (is KVM loaded?)" : "");
		return err;
	}
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0) {
		err = -errno;
		snprintf(msg, len, "cannot make a vCPU to learn KVM's statistics: %s", strerror(errno));
		goto out;
	}
	if ((fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL)) < 0) {
		err = -errno;
		snprintf(msg, len, "KVM_GET_STATS_FD: %s (the stats source needs Linux 5.14 or later)", strerror(errno));
		goto out;
	}
	if ((err = kvm_stats_descs(fd, &s->descs, &s->ndescs, &s->bytes)))
		snprintf(msg, len, "cannot read KVM's statistics descriptors: %s", strerror(-err));
	else if (s->bytes > VCPUSTATS_MAX_BYTES) {
		snprintf(msg, len, "KVM's vCPU statistics take %u bytes, more than the %d kvmexitstat reads", s->bytes,
			 VCPUSTATS_MAX_BYTES);
		err = -E2BIG;
	}
out:
	if (fd >= 0)
		close(fd);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return err;
}

/* The counters shown: cumulative single values (not instant values, peaks
 * or histograms, whose deltas mean nothing or repeat a counter). */
static int pick_counters(struct stats_source *s)
{
	const char **names = calloc(s->ndescs ? s->ndescs : 1, sizeof(*names));
	uint64_t exits = UINT64_MAX;

	s->counter = calloc(s->ndescs ? s->ndescs : 1, sizeof(*s->counter));
	if (!names || !s->counter) {
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->ndescs; i++) {
		if (!s->descs[i].cumulative || s->descs[i].size != 1)
			continue;
		if (!strcmp(s->descs[i].name, "exits"))
			exits = s->ncounters;
		names[s->ncounters] = s->descs[i].name;
		s->counter[s->ncounters++] = i;
	}
	int err = reasons_set_kvm_stats(names, s->ncounters, exits);
	free(names);
	return err;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("KVMEXITSTAT_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int stats_source_open(struct stats_source **out, char *msg, size_t len)
{
	struct stats_source *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if ((err = learn_layout(s, msg, len)))
		goto fail;
	if ((err = pick_counters(s))) {
		snprintf(msg, len, "out of memory");
		goto fail;
	}
	libbpf_set_print(libbpf_quiet);
	if (!(s->skel = vcpustats_bpf__open())) {
		err = -errno;
		snprintf(msg, len, "cannot open the stats source's BPF object: %s", strerror(errno));
		goto fail;
	}
	s->skel->rodata->stat_bytes = s->bytes;
	if ((err = vcpustats_bpf__load(s->skel))) {
		if (err == -EPERM || err == -EACCES)
			snprintf(msg, len, "loading the stats iterator was refused (%s): run as root (CAP_BPF and CAP_PERFMON)",
				 strerror(-err));
		else
			snprintf(msg, len, "the kernel refused the stats iterator (a BPF task_file iterator with BTF): %s",
				 strerror(-err));
		goto fail;
	}
	s->link = bpf_program__attach_iter(s->skel->progs.dump_vcpus, NULL);
	if (!s->link) {
		err = -errno;
		snprintf(msg, len, "attaching the stats iterator failed: %s", strerror(errno));
		goto fail;
	}
	snprintf(s->describe, sizeof(s->describe), "KVM vCPU stats (%zu counters, each VM's since it started)",
		 s->ncounters);
	*out = s;
	return 0;
fail:
	stats_source_close(s);
	return err;
}

/* One pass of the iterator: every open kvm-vcpu file, into s->buf. */
static ssize_t iterate(struct stats_source *s)
{
	int fd = bpf_iter_create(bpf_link__fd(s->link));
	size_t used = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (s->cap - used < 65536) {
			size_t cap = s->cap ? s->cap * 2 : 1 << 20;
			char *b = realloc(s->buf, cap);
			if (!b) {
				close(fd);
				return -ENOMEM;
			}
			s->buf = b;
			s->cap = cap;
		}
		ssize_t n = read(fd, s->buf + used, s->cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	return (ssize_t)used;
}

int stats_source_read(struct stats_source *s, struct snapshot *snap)
{
	ssize_t n = iterate(s);

	snapshot_clear(snap);
	if (n < 0)
		return (int)n;
	uint64_t *seen = NULL; /* vCPUs already counted (a process may hold a vCPU's file twice) */
	size_t nseen = 0, cseen = 0;
	int err = 0;
	for (size_t off = 0; off + sizeof(struct vcpustats_rec) <= (size_t)n;) {
		struct vcpustats_rec r;
		memcpy(&r, s->buf + off, sizeof(r));
		const char *data = s->buf + off + sizeof(r);
		off += sizeof(r) + r.stat_bytes;
		if (off > (size_t)n)
			break;
		bool dup = false;
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = seen[2 * i] == r.tgid && seen[2 * i + 1] == r.vcpu;
		if (dup)
			continue;
		if (nseen == cseen) {
			size_t c = cseen ? cseen * 2 : 64;
			uint64_t *t = realloc(seen, c * 2 * sizeof(*t));
			if (!t) {
				err = -ENOMEM;
				break;
			}
			seen = t;
			cseen = c;
		}
		seen[2 * nseen] = r.tgid;
		seen[2 * nseen++ + 1] = r.vcpu;
		for (size_t c = 0; c < s->ncounters; c++) {
			uint64_t v = kvm_stats_value(&s->descs[s->counter[c]], data, r.stat_bytes);
			if (!v)
				continue;
			struct exit_key k = { .pid = r.tgid, .vcpu = r.vcpu_id, .tid = 0, .isa = ISA_KVM, .reason = c };
			struct exit_stat *st = snapshot_get(snap, &k);
			if (!st) {
				err = -ENOMEM;
				break;
			}
			st->count += v;
		}
	}
	free(seen);
	return err;
}

const char *stats_source_describe(const struct stats_source *s)
{
	return s->describe;
}

void stats_source_close(struct stats_source *s)
{
	if (!s)
		return;
	bpf_link__destroy(s->link);
	vcpustats_bpf__destroy(s->skel);
	free(s->descs);
	free(s->counter);
	free(s->buf);
	free(s);
}
