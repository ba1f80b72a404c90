#define _GNU_SOURCE
#include "vcpustats_bpf.h"

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

#include "bpf_util.h"
#include "kvm_stats.h"
#include "vcpustats.h"
#include "vcpustats.skel.h"

#define GONE_MAX 256

struct vcpustats {
	struct vcpustats_bpf *skel;
	struct kvm_counters *names; /* what the snapshots' ISA_KVM codes mean */
	struct bpf_link *link;
	struct kvm_stat_desc *descs;
	size_t ndescs;
	uint32_t bytes;        /* of struct kvm_vcpu_stat the descriptors cover */
	size_t *counter;       /* ISA_KVM code -> index into descs */
	size_t ncounters;
	char *buf;             /* one read of the iterator */
	size_t cap;
	struct vcpustats_buf *rel; /* one value of the released map */
	int ref_vm, ref_vcpu;  /* a vCPU of our own: what a vCPU file is (its fops) */
	/* VMs reported ended (forgotten) lately: a vCPU file another process
	 * still held is released later, with the counts already reported */
	struct vm_id gone[GONE_MAX];
	size_t ngone;          /* ever forgotten; the last GONE_MAX are kept */
	char describe[160];
};

/* The layout of struct kvm_vcpu_stat, as KVM_GET_STATS_FD describes it for
 * a vCPU of a VM made for the purpose (every vCPU of this KVM has it). The
 * VM and vCPU stay open in s->ref_vm, s->ref_vcpu: the iterator learns
 * from that file what a vCPU file is. */
static int learn_layout(struct vcpustats *s, char *msg, size_t len)
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
	if ((err = kvm_stats_descs(fd, &s->descs, &s->ndescs, &s->bytes, NULL)))
		snprintf(msg, len, "cannot read KVM's statistics descriptors: %s", strerror(-err));
	else if (s->bytes > VCPUSTATS_MAX_BYTES) {
		snprintf(msg, len, "KVM's vCPU statistics take %u bytes, more than the %d kvmexitstat reads", s->bytes,
			 VCPUSTATS_MAX_BYTES);
		err = -E2BIG;
	}
out:
	if (fd >= 0)
		close(fd);
	s->ref_vcpu = vcpu;
	s->ref_vm = vm;
	close(kvm);
	return err;
}

static void close_ref(struct vcpustats *s)
{
	if (s->ref_vcpu >= 0)
		close(s->ref_vcpu);
	if (s->ref_vm >= 0)
		close(s->ref_vm);
	s->ref_vcpu = s->ref_vm = -1;
}

static ssize_t iterate(struct vcpustats *s);

/* The counters shown: cumulative single values (not instant values, peaks
 * or histograms, whose deltas mean nothing or repeat a counter). */
static int pick_counters(struct vcpustats *s, bool exits_in_total)
{
	const char **names = calloc(s->ndescs ? s->ndescs : 1, sizeof(*names));

	s->counter = calloc(s->ndescs ? s->ndescs : 1, sizeof(*s->counter));
	if (!names || !s->counter) {
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->ndescs; i++) {
		if (!s->descs[i].cumulative || s->descs[i].size != 1)
			continue;
		names[s->ncounters] = s->descs[i].name;
		s->counter[s->ncounters++] = i;
	}
	s->names = kvm_counters_new(names, s->ncounters, exits_in_total);
	free(names);
	return s->names ? 0 : -ENOMEM;
}

int vcpustats_open(struct vcpustats **out, bool exits_in_total, char *msg, size_t len)
{
	struct vcpustats *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->ref_vm = s->ref_vcpu = -1;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		err = -errno;
		snprintf(msg, len, "the stats source needs the kernel's BTF, and /sys/kernel/btf/vmlinux is missing "
				   "(a kernel built with CONFIG_DEBUG_INFO_BTF)");
		goto fail;
	}
	/* KVM as a module needs its own BTF for struct kvm_vcpu (a rebuilt
	 * kvm.ko may have none); built in, vmlinux's has it */
	if (!access("/sys/module/kvm/refcnt", F_OK) && access("/sys/kernel/btf/kvm", R_OK)) {
		err = -ENOENT;
		snprintf(msg, len, "the stats source needs the kvm module's BTF, and /sys/kernel/btf/kvm is missing "
				   "(a kvm.ko built without CONFIG_DEBUG_INFO_BTF_MODULES)");
		goto fail;
	}
	if ((err = learn_layout(s, msg, len)))
		goto fail;
	if ((err = pick_counters(s, exits_in_total))) {
		snprintf(msg, len, "out of memory");
		goto fail;
	}
	bpf_util_quiet_libbpf();
	if (!(s->rel = malloc(sizeof(*s->rel)))) {
		err = -ENOMEM;
		snprintf(msg, len, "out of memory");
		goto fail;
	}
	/* with the hook on kvm_vcpu_release if this kernel lets it be traced,
	 * else without (the exits of a VM's last moments are then missed) */
	for (int with_release = 1; with_release >= 0; with_release--) {
		vcpustats_bpf__destroy(s->skel);
		if (!(s->skel = vcpustats_bpf__open())) {
			err = -errno;
			snprintf(msg, len, "cannot open the stats source's BPF object: %s", strerror(errno));
			goto fail;
		}
		s->skel->rodata->stat_bytes = s->bytes;
		s->skel->rodata->self_tgid = (__u32)getpid();
		s->skel->rodata->self_fd = (__u32)s->ref_vcpu;
		bpf_program__set_autoload(s->skel->progs.vcpu_released, with_release);
		if (!(err = vcpustats_bpf__load(s->skel)))
			break;
		if (getenv("KVMEXITSTAT_DEBUG"))
			fprintf(stderr, "kvmexitstat: stats source%s: %s\n",
				with_release ? " with its kvm_vcpu_release hook" : "", strerror(-err));
	}
	if (err) {
		if ((err == -EPERM || err == -EACCES) && geteuid() != 0)
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
	/* a first pass finds our own vCPU's file and notes its fops */
	ssize_t n = iterate(s);
	if (n < 0 || !s->skel->bss->vcpu_fops) {
		err = n < 0 ? (int)n : -ENOENT;
		snprintf(msg, len, "the stats iterator did not find kvmexitstat's own vCPU file%s%s",
			 n < 0 ? ": " : "", n < 0 ? strerror((int)-n) : "");
		goto fail;
	}
	close_ref(s);
	/* after our own vCPU is gone: its release is no VM's */
	if (bpf_program__autoload(s->skel->progs.vcpu_released))
		s->skel->links.vcpu_released = bpf_program__attach(s->skel->progs.vcpu_released);
	snprintf(s->describe, sizeof(s->describe),
		 "KVM vCPU stats (KVM's categories, not hardware exit reasons; %zu counters%s)", s->ncounters,
		 s->skel->links.vcpu_released ? "" : "; not a VM's last moments");
	*out = s;
	return 0;
fail:
	vcpustats_close(s);
	return err;
}

/* One pass of the iterator: every open kvm-vcpu file, into s->buf. */
static ssize_t iterate(struct vcpustats *s)
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

struct seen {
	uint64_t *v; /* (tgid, kvm_vcpu address) pairs */
	size_t n, cap;
};

static bool seen_add(struct seen *sn, uint32_t tgid, uint64_t vcpu, bool *dup)
{
	*dup = false;
	for (size_t i = 0; i < sn->n; i++)
		if (sn->v[2 * i] == tgid && sn->v[2 * i + 1] == vcpu)
			return *dup = true;
	if (sn->n == sn->cap) {
		size_t c = sn->cap ? sn->cap * 2 : 64;
		uint64_t *t = realloc(sn->v, c * 2 * sizeof(*t));
		if (!t)
			return false;
		sn->v = t;
		sn->cap = c;
	}
	sn->v[2 * sn->n] = tgid;
	sn->v[2 * sn->n++ + 1] = vcpu;
	return true;
}

/* One vCPU's counters into snap, unless that vCPU was added already (a
 * process may hold a vCPU's file twice). 0 or -ENOMEM. */
static int add_vcpu(struct vcpustats *s, struct snapshot *snap, struct seen *sn,
		    const struct vcpustats_rec *r, const void *data)
{
	bool dup;
	if (!seen_add(sn, r->tgid, r->vcpu, &dup))
		return -ENOMEM;
	if (dup)
		return 0;
	for (size_t c = 0; c < s->ncounters; c++) {
		uint64_t v = kvm_stats_value(&s->descs[s->counter[c]], data, r->stat_bytes);
		if (!v)
			continue;
		struct exit_key k = { .pid = r->tgid, .vcpu = r->vcpu_id, .tid = 0, .isa = ISA_KVM, .reason = c,
				      .start = vm_ticks(r->start) };
		struct exit_stat *st = snapshot_get(snap, &k);
		if (!st)
			return -ENOMEM;
		st->count += v;
	}
	return 0;
}

int vcpustats_read(struct vcpustats *s, struct snapshot *snap)
{
	ssize_t n = iterate(s);
	struct seen sn = { 0 };
	int err = 0;

	snapshot_clear(snap);
	snapshot_set_kvm(snap, s->names);
	if (n < 0)
		return (int)n;
	/* the vCPUs whose files are open */
	for (size_t off = 0; !err && off + sizeof(struct vcpustats_rec) <= (size_t)n;) {
		struct vcpustats_rec r;
		memcpy(&r, s->buf + off, sizeof(r));
		const char *data = s->buf + off + sizeof(r);
		off += sizeof(r) + r.stat_bytes;
		if (off > (size_t)n)
			break;
		err = add_vcpu(s, snap, &sn, &r, data);
	}
	/* and the final counts of those released since */
	if (s->skel->links.vcpu_released) {
		int fd = bpf_map__fd(s->skel->maps.released);
		uint64_t key, next, *prev = NULL;
		while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, s->rel))
				continue;
			if (vm_in(s->gone, s->ngone < GONE_MAX ? s->ngone : GONE_MAX, s->rel->rec.tgid,
				  vm_ticks(s->rel->rec.start))) {
				bpf_map_delete_elem(fd, &key);
				prev = NULL; /* the walk starts again without it */
				continue;
			}
			err = add_vcpu(s, snap, &sn, &s->rel->rec, s->rel->stat);
		}
	}
	free(sn.v);
	return err;
}

static struct vm_id vm_of_released(const void *key, const void *value)
{
	const struct vcpustats_rec *r = &((const struct vcpustats_buf *)value)->rec;
	(void)key;
	return (struct vm_id){ r->tgid, vm_ticks(r->start) };
}

void vcpustats_forget(struct vcpustats *s, uint32_t tgid, uint64_t start)
{
	s->gone[s->ngone++ % GONE_MAX] = (struct vm_id){ tgid, start };
	bpf_util_delete_vm(bpf_map__fd(s->skel->maps.released), sizeof(uint64_t), sizeof(struct vcpustats_buf),
			   (struct vm_id){ tgid, start }, vm_of_released);
}

const char *vcpustats_describe(const struct vcpustats *s)
{
	return s->describe;
}

void vcpustats_close(struct vcpustats *s)
{
	if (!s)
		return;
	close_ref(s);
	bpf_link__destroy(s->link);
	vcpustats_bpf__destroy(s->skel);
	free(s->descs);
	free(s->counter);
	free(s->buf);
	free(s->rel);
	kvm_counters_unref(s->names);
	free(s);
}
