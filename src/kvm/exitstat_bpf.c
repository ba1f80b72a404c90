#define _GNU_SOURCE
#include "exitstat_bpf.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_util.h"
#include "exitstat.h"
#include "exitstat.skel.h"
#include "host_kvm.h"

struct exitstat {
	struct exitstat_bpf *skel;
	enum bpf_flavour flavour;
	enum isa isa;
	int ncpus;
	struct exitstat_slot *slots; /* the slot array, mapped */
	size_t nslots, slots_bytes;
	struct exitstat_dslot *dslots; /* --detail: the detail slot array, mapped */
	size_t ndslots, dslots_bytes;
	char describe[96];
	char fallback[320]; /* why tp_btf was not used, when the default chose it */
	bool with_detail;
	bool with_rip;
	struct ring_buffer *slow;      /* --slow: slow_events */
	void (*slow_fn)(void *ctx, const struct slow_exit *e);
	void *slow_ctx;
	int64_t real_minus_mono;       /* wall clock less the BPF clock, ns */
};

static const char *tracefs_dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static bool path_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* The ISA of this host's KVM, from the module loaded (or built in). */
static enum isa kvm_isa(void)
{
	switch (host_kvm()) {
	case HOST_KVM_SVM:
		return ISA_SVM;
	case HOST_KVM_VMX:
		return ISA_VMX;
	default:
		return ISA_UNKNOWN;
	}
}

/* Where kvm:kvm_exit's format file is, or NULL. */
static const char *kvm_exit_format(char *buf, size_t len, bool *tracefs_found)
{
	*tracefs_found = false;
	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		char events[128];
		snprintf(events, sizeof(events), "%s/events", tracefs_dirs[i]);
		if (!path_exists(events))
			continue;
		*tracefs_found = true;
		snprintf(buf, len, "%s/events/kvm/kvm_exit/format", tracefs_dirs[i]);
		if (path_exists(buf))
			return buf;
	}
	return NULL;
}

/* Field offsets of the classic kvm_exit record, from its format file:
 *   field:unsigned int exit_reason;	offset:8;	size:4;	signed:0; */
static int read_format(const char *path, int *off_reason, int *off_isa, int *off_vcpu, int *off_rip)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (!f)
		return -errno;
	*off_reason = *off_isa = *off_vcpu = *off_rip = -1;
	while (fgets(line, sizeof(line), f)) {
		char *field = strstr(line, "field:");
		char *off = strstr(line, "offset:");
		if (!field || !off)
			continue;
		char *semi = strchr(field, ';');
		if (!semi)
			continue;
		*semi = '\0';
		char *name = strrchr(field, ' ');
		name = name ? name + 1 : field + 6;
		int o = atoi(off + 7);
		if (!strcmp(name, "exit_reason"))
			*off_reason = o;
		else if (!strcmp(name, "isa"))
			*off_isa = o;
		else if (!strcmp(name, "vcpu_id"))
			*off_vcpu = o;
		else if (!strcmp(name, "guest_rip"))
			*off_rip = o;
	}
	fclose(f);
	return 0;
}

/* For tests: KVMEXITSTAT_MAP_ENTRIES="exits=1,pending_tid=1" makes maps
 * small enough to fill, so that each loss can be forced and seen. */
static int map_entries_knob(struct bpf_object *obj, char *msg, size_t len)
{
	const char *knob = getenv("KVMEXITSTAT_MAP_ENTRIES");
	char buf[256], *save = NULL;

	if (!knob)
		return 0;
	snprintf(buf, sizeof(buf), "%s", knob);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(w, '=');
		unsigned long n = eq ? strtoul(eq + 1, NULL, 10) : 0;
		struct bpf_map *m = eq ? (*eq = '\0', bpf_object__find_map_by_name(obj, w)) : NULL;
		if (!m || !n || n > UINT32_MAX || bpf_map__set_max_entries(m, (__u32)n)) {
			snprintf(msg, len, "KVMEXITSTAT_MAP_ENTRIES: '%s' is not MAP=ENTRIES of one of its maps", w);
			return -EINVAL;
		}
	}
	return 0;
}

/* How many arguments tracepoint `name` of module `mod` has (its
 * btf_trace_ typedef's prototype, less the hook's own first), or -1. */
static int tracepoint_args(const char *mod, const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *m = vmlinux ? btf__load_module_btf(mod, vmlinux) : NULL;
	char tn[96];
	int n = -1;

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	struct btf *b = m ? m : vmlinux;
	int id = b ? btf__find_by_name_kind(b, tn, BTF_KIND_TYPEDEF) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(b, (__u32)id) : NULL;
	if (t)
		t = btf__type_by_id(b, t->type); /* the pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(b, t->type);
	if (t && btf_is_func_proto(t))
		n = btf_vlen(t) - 1;
	btf__free(m);
	btf__free(vmlinux);
	return n;
}

/* Whether the kernel has the bpf_rdonly_cast kfunc (6.2 on). */
static bool kernel_can_cast(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool has = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return has;
}

/* A key of the programs as the model has it. */
static struct exit_key model_key(const struct exitstat_key *key, uint64_t detail)
{
	struct exit_key k = { .pid = key->tgid, .vcpu = (int32_t)key->vcpu_id, .tid = 0,
			      .isa = (uint8_t)key->isa, .reason = key->reason, .start = vm_ticks(key->start),
			      .detail = detail };
	if (k.isa == ISA_SVM && key->reason >= 0xfffffff0u)
		k.reason = (uint64_t)(int64_t)(int32_t)key->reason; /* VMRUN failures: -1 .. */
	return k;
}

/* A slow exit from the ring buffer, into the model's terms. */
static int on_slow(void *ctx, void *data, size_t size)
{
	struct exitstat *s = ctx;
	const struct exitstat_slow *ev = data;
	if (size < sizeof(*ev) || !s->slow_fn)
		return 0;
	struct slow_exit e = {
		.key = model_key(&ev->key, ev->detail),
		.when_ns = (uint64_t)((int64_t)ev->exit_ts + s->real_minus_mono),
		.ns = ev->ns, .sched_ns = ev->sched_ns, .tid = ev->tid, .exit_cpu = ev->exit_cpu,
		.entry_cpu = ev->entry_cpu,
	};
	e.key.rip = ev->rip;
	e.key.ring = ev->ring <= RING_USER ? (uint8_t)ev->ring : RING_UNKNOWN;
	s->slow_fn(s->slow_ctx, &e);
	return 0;
}

int exitstat_slow(struct exitstat *s, void (*fn)(void *ctx, const struct slow_exit *e), void *ctx)
{
	if (!s->slow)
		return 0;
	s->slow_fn = fn;
	s->slow_ctx = ctx;
	int n = ring_buffer__consume(s->slow);
	s->slow_fn = NULL;
	return n;
}

static int load(struct exitstat *s, const struct exitstat_opts *o, enum bpf_flavour flavour,
		const char *format, char *msg, size_t len)
{
	struct exitstat_bpf *skel = exitstat_bpf__open();
	int err;

	if (!skel) {
		snprintf(msg, len, "cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	/* (--rip counts as --detail does, at the entry) */
	bool want_detail = o->with_detail || o->with_rip;
	skel->rodata->with_time = o->with_time || want_detail;
	skel->rodata->with_detail = want_detail;
	skel->rodata->with_rip = o->with_rip;
	skel->rodata->slow_ns = o->slow_ns;
	skel->rodata->filter_tgids = o->ntgids > 0 || o->nnames > 0;
	for (size_t k = 0; k < o->nnames && k < EXITSTAT_MAX_NAMES; k++)
		strncpy((char *)skel->rodata->names[k], o->names[k], EXITSTAT_COMM_LEN - 1);
	skel->rodata->n_names = (__u32)(o->nnames < EXITSTAT_MAX_NAMES ? o->nnames : EXITSTAT_MAX_NAMES);
	skel->rodata->isa_running = (__u32)s->isa;
	skel->rodata->ns_per_tick = vm_ticks(1000000000u) ? 1000000000u / vm_ticks(1000000000u) : 10000000u;
	if ((err = map_entries_knob(skel->obj, msg, len)))
		goto fail;
	/* for tests: KVMEXITSTAT_CPU_SLOTS=1 sends all but one key per CPU to
	 * the overflow hash */
	const char *cs = getenv("KVMEXITSTAT_CPU_SLOTS");
	if (cs) {
		unsigned long want = strtoul(cs, NULL, 10);
		__u32 bits = 0;
		while (bits < 8 && (1ul << (bits + 1)) <= want)
			bits++;
		skel->rodata->slot_mask = (1u << bits) - 1;
	}

	bool btf = flavour == FLAVOUR_BTF;
	/* the exit reason by plain loads where the kernel can cast (see the
	 * programs); KVMEXITSTAT_NO_CAST=1 takes the probe reads (to compare) */
	bool cast = btf && kernel_can_cast() && !getenv("KVMEXITSTAT_NO_CAST");
	bpf_program__set_autoload(skel->progs.kvm_exit_svm, btf && !cast && s->isa == ISA_SVM);
	bpf_program__set_autoload(skel->progs.kvm_exit_vmx, btf && !cast && s->isa == ISA_VMX);
	bpf_program__set_autoload(skel->progs.kvm_exit_svm_cast, cast && s->isa == ISA_SVM);
	bpf_program__set_autoload(skel->progs.kvm_exit_vmx_cast, cast && s->isa == ISA_VMX);
	bool timed = o->with_time || want_detail || o->slow_ns;
	bpf_program__set_autoload(skel->progs.kvm_entry_btf, btf && timed);
	bpf_program__set_autoload(skel->progs.sched_switch_btf, btf && timed);
	/* --detail: KVM's tracepoints that say what it does with an exit,
	 * where the exit programs cannot read it: on SVM the VMCB has the
	 * port, the address and (in the exit code) the CR, and on both the
	 * guest's RCX is the MSR; VMX's exit qualification is in the VMCS */
	bool detail = btf && want_detail, vmx = detail && s->isa == ISA_VMX;
	bool rip = btf && o->with_rip, rip_vmx = rip && s->isa == ISA_VMX;
	int pf_args = vmx ? tracepoint_args("kvm", "kvm_page_fault") : 0;
	bpf_program__set_autoload(skel->progs.kvm_pio_btf, vmx);
	bpf_program__set_autoload(skel->progs.kvm_cr_btf, vmx);
	bpf_program__set_autoload(skel->progs.kvm_page_fault_btf, vmx && pf_args >= 3);
	bpf_program__set_autoload(skel->progs.kvm_page_fault_old_btf, vmx && pf_args == 2);
	bpf_program__set_autoload(skel->progs.kvm_mmio_btf, vmx);
	bpf_program__set_autoload(skel->progs.kvm_fast_mmio_btf, vmx);
	bpf_program__set_autoload(skel->progs.kvm_hypercall_btf, detail);
	bpf_program__set_autoload(skel->progs.kvm_vcpu_wakeup_btf, detail);
	bpf_program__set_autoload(skel->progs.kvm_userspace_exit_btf, detail);
	bpf_program__set_autoload(skel->progs.kvm_exit_rip_tp, rip_vmx);
	if (!rip)
		bpf_map__set_autocreate(skel->maps.rips, false);
	if (!rip_vmx)
		bpf_map__set_autocreate(skel->maps.exit_rips, false);
	if (!o->slow_ns || !btf)
		bpf_map__set_autocreate(skel->maps.slow_events, false);
	if (!detail) {
		bpf_map__set_autocreate(skel->maps.details, false);
		bpf_map__set_autocreate(skel->maps.dslots, false);
	} else {
		s->ndslots = (size_t)s->ncpus * EXITSTAT_DETAIL_SLOTS;
		bpf_map__set_max_entries(skel->maps.dslots, (__u32)s->ndslots);
	}
	s->nslots = (size_t)s->ncpus * EXITSTAT_CPU_SLOTS;
	bpf_map__set_max_entries(skel->maps.slots, (__u32)s->nslots);
	bpf_map__set_max_entries(skel->maps.pending_cpu, (__u32)s->ncpus);
	bpf_program__set_autoload(skel->progs.kvm_exit_tp, !btf);
	bpf_program__set_autoload(skel->progs.kvm_entry_tp, !btf && timed);
	if (!btf || rip_vmx) {
		int r = -1, i = -1, v = -1, g = -1;
		if ((err = read_format(format, &r, &i, &v, &g))) {
			snprintf(msg, len, "cannot read %s: %s", format, strerror(-err));
			goto fail;
		}
		if (r < 0 || r > 60 || i > 60 || v > 60) {
			snprintf(msg, len, "%s: kvm_exit has no exit_reason field in its first 64 bytes", format);
			err = -EINVAL;
			goto fail;
		}
		skel->rodata->off_exit_reason = (__u32)r;
		skel->rodata->has_isa = i >= 0;
		skel->rodata->off_isa = i >= 0 ? (__u32)i : 0;
		skel->rodata->has_vcpu_id = v >= 0;
		skel->rodata->off_vcpu_id = v >= 0 ? (__u32)v : 0;
		if (rip_vmx && (g < 0 || g > 56)) {
			snprintf(msg, len, "%s: kvm_exit has no guest_rip field in its first 64 bytes", format);
			err = -EINVAL;
			goto fail;
		}
		skel->rodata->off_guest_rip = g >= 0 ? (__u32)g : 0;
		if (!btf)
			bpf_map__set_autocreate(skel->maps.pending_cpu, false);
	}
	bpf_util_log_clear();
	if ((err = exitstat_bpf__load(skel))) {
		char why[200];
		bool verifier = false;
		bool said = bpf_util_log_reason(why, sizeof(why), &verifier);
		/* EACCES is also the verifier's "no": a refusal the verifier
		 * explained is not about privileges */
		if ((err == -EPERM || err == -EACCES) && (geteuid() != 0 || !verifier))
			snprintf(msg, len, "loading BPF programs was refused (%s): run as root (CAP_BPF and CAP_PERFMON)",
				 strerror(-err));
		else if (said)
			snprintf(msg, len, "the kernel refused kvmexitstat's %s programs (%s): %s%s",
				 btf ? "tp_btf" : "classic tracepoint", strerror(-err), why,
				 getenv("KVMEXITSTAT_DEBUG") ? "" : " (KVMEXITSTAT_DEBUG=1 prints the whole log)");
		else
			snprintf(msg, len, "the kernel refused kvmexitstat's %s programs: %s",
				 btf ? "tp_btf" : "classic tracepoint", strerror(-err));
		goto fail;
	}
	for (size_t k = 0; k < o->ntgids; k++) {
		__u8 one = 1;
		struct exitstat_vm vm = { .tgid = o->tgids[k].pid, .start = o->tgids[k].start };
		bpf_map__update_elem(skel->maps.allowed_tgids, &vm, sizeof(vm), &one, 1, BPF_ANY);
	}
	s->slots_bytes = s->nslots * sizeof(struct exitstat_slot);
	s->slots = mmap(NULL, s->slots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.slots), 0);
	if (s->slots == MAP_FAILED) {
		err = -errno;
		s->slots = NULL;
		snprintf(msg, len, "cannot map kvmexitstat's BPF slot array: %s", strerror(-err));
		goto fail;
	}
	if (o->slow_ns && btf) {
		s->slow = ring_buffer__new(bpf_map__fd(skel->maps.slow_events), on_slow, s, NULL);
		if (!s->slow) {
			err = -errno;
			snprintf(msg, len, "cannot read kvmexitstat's ring buffer of slow exits: %s", strerror(-err));
			goto fail;
		}
		struct timespec r, m;
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m); /* (bpf_ktime_get_ns's clock) */
		s->real_minus_mono = ((int64_t)r.tv_sec - (int64_t)m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
	}
	if (detail) {
		s->dslots_bytes = s->ndslots * sizeof(struct exitstat_dslot);
		s->dslots = mmap(NULL, s->dslots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
				 bpf_map__fd(skel->maps.dslots), 0);
		if (s->dslots == MAP_FAILED) {
			err = -errno;
			s->dslots = NULL;
			snprintf(msg, len, "cannot map kvmexitstat's BPF detail slot array: %s", strerror(-err));
			goto fail;
		}
	}
	/* sched_switch first: kvm_entry_btf relies on it clearing a CPU's
	 * pairing slot whenever the thread named there leaves the CPU */
	if (btf && timed) {
		bpf_program__set_autoattach(skel->progs.sched_switch_btf, false);
		skel->links.sched_switch_btf = bpf_program__attach(skel->progs.sched_switch_btf);
		if (!skel->links.sched_switch_btf) {
			err = -errno;
			snprintf(msg, len, "attaching to sched:sched_switch failed: %s", strerror(-err));
			goto fail;
		}
	}
	/* VMX --rip: the classic kvm_exit program before the tp_btf one, so
	 * that it has read the RIP when the tp_btf one runs (a tracepoint
	 * calls its probes in the order they came) */
	if (rip_vmx) {
		bpf_program__set_autoattach(skel->progs.kvm_exit_rip_tp, false);
		skel->links.kvm_exit_rip_tp = bpf_program__attach(skel->progs.kvm_exit_rip_tp);
		if (!skel->links.kvm_exit_rip_tp) {
			err = -errno;
			snprintf(msg, len, "attaching to kvm:kvm_exit (for the guest RIP) failed: %s", strerror(-err));
			goto fail;
		}
	}
	if ((err = exitstat_bpf__attach(skel))) {
		snprintf(msg, len, "attaching to kvm:kvm_exit failed: %s", strerror(-err));
		goto fail;
	}
	s->skel = skel;
	s->flavour = flavour;
	snprintf(s->describe, sizeof(s->describe), "%s (%s%s%s%s)", btf ? "tp_btf" : "tracepoint",
		 s->isa == ISA_SVM ? "SVM" : s->isa == ISA_VMX ? "VMX" : "ISA from the record",
		 timed ? ", exit->entry timing" : ", counting only", detail ? ", details" : "",
		 rip ? ", guest RIPs" : "");
	s->with_detail = detail;
	s->with_rip = rip;
	return 0;
fail:
	ring_buffer__free(s->slow);
	s->slow = NULL;
	if (s->slots)
		munmap(s->slots, s->slots_bytes);
	if (s->dslots)
		munmap(s->dslots, s->dslots_bytes);
	s->slots = NULL;
	s->dslots = NULL;
	exitstat_bpf__destroy(skel);
	return err ? err : -EINVAL;
}

int exitstat_open(struct exitstat **out, const struct exitstat_opts *o, char *msg, size_t len)
{
	struct exitstat *s = calloc(1, sizeof(*s));
	char format[256];
	bool tracefs;
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	bpf_util_quiet_libbpf();
	const char *fmt = kvm_exit_format(format, sizeof(format), &tracefs);
	if (!fmt) {
		if (!tracefs)
			snprintf(msg, len, "no tracefs: mount it (mount -t tracefs nodev /sys/kernel/tracing)");
		else
			snprintf(msg, len, "no kvm:kvm_exit tracepoint: is KVM loaded? (modprobe kvm-intel or kvm-amd)");
		free(s);
		return -ENOENT;
	}
	s->isa = kvm_isa();
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -EINVAL;
		snprintf(msg, len, "cannot tell how many CPUs this host may have: %s", strerror(-err));
		free(s);
		return err;
	}

	/* tp_btf reads the vCPU through the layout the ISA's module's BTF
	 * describes: a module built without BTF cannot have it */
	const char *mod = s->isa == ISA_SVM ? "kvm_amd" : "kvm_intel";
	char mod_btf[64];
	snprintf(mod_btf, sizeof(mod_btf), "/sys/kernel/btf/%s", mod);
	bool have_btf = s->isa != ISA_UNKNOWN && (!host_kvm_loadable(mod) || path_exists(mod_btf));
	enum bpf_flavour flavour = o->flavour;
	if (flavour == FLAVOUR_AUTO)
		flavour = have_btf ? FLAVOUR_BTF : FLAVOUR_CLASSIC;
	if (flavour == FLAVOUR_BTF && s->isa == ISA_UNKNOWN) {
		snprintf(msg, len, "tp_btf needs kvm_intel or kvm_amd loaded, and neither is");
		err = -ENOENT;
		goto fail;
	}
	if (flavour == FLAVOUR_BTF && !have_btf) {
		snprintf(msg, len, "tp_btf needs the BTF of %s, and this %s has none (no %s: a module built without "
			 "BTF); --bpf classic, or the default, works", mod, mod, mod_btf);
		err = -ENOENT;
		goto fail;
	}
	if (o->slow_ns && flavour != FLAVOUR_BTF) {
		snprintf(msg, len, "--slow needs the tp_btf programs%s", o->flavour == FLAVOUR_CLASSIC ? ", not --bpf classic"
			 : ", and this KVM module has no BTF");
		err = -ENOTSUP;
		goto fail;
	}
	if ((o->with_detail || o->with_rip) && flavour != FLAVOUR_BTF) {
		const char *what = o->with_detail ? "--detail" : "--rip";
		if (o->flavour == FLAVOUR_CLASSIC)
			snprintf(msg, len, "%s needs the tp_btf programs, not --bpf classic", what);
		else
			snprintf(msg, len, "%s needs the tp_btf programs, and this %s has no BTF (no %s)", what, mod,
				 mod_btf);
		err = -ENOTSUP;
		goto fail;
	}
	if (o->flavour == FLAVOUR_AUTO && s->isa != ISA_UNKNOWN && !have_btf)
		snprintf(s->fallback, sizeof(s->fallback), "%s has no BTF (no %s)", mod, mod_btf);
	err = load(s, o, flavour, fmt, msg, len);
	if (err && o->flavour == FLAVOUR_AUTO && flavour == FLAVOUR_BTF && !o->with_detail && !o->with_rip) {
		/* the classic programs may still load: say why tp_btf did not */
		snprintf(s->fallback, sizeof(s->fallback), "%s", msg);
		err = load(s, o, FLAVOUR_CLASSIC, fmt, msg, len);
	}
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	free(s);
	return err;
}

const char *exitstat_fallback(const struct exitstat *s)
{
	return s->fallback[0] ? s->fallback : NULL;
}

static void to_stat(struct exit_stat *one, const struct exitstat_val *v)
{
	memset(one, 0, sizeof(*one));
	one->count = v->count;
	one->timed = v->timed;
	one->sum_ns = v->sum_ns;
	one->min_ns = v->min_ns;
	one->max_ns = v->max_ns;
	memcpy(one->hist, v->hist, sizeof(one->hist));
}

static struct exit_stat *stat_of(struct snapshot *snap, const struct exitstat_key *key, uint64_t detail)
{
	struct exit_key k = model_key(key, detail);
	return snapshot_get(snap, &k);
}

/* --detail: the details map, each (key, detail) into its own key of
 * details. */
static int read_details(struct exitstat *s, struct snapshot *details)
{
	int fd = bpf_map__fd(s->skel->maps.details);
	struct exitstat_dkey key, next, *prev = NULL;
	struct exitstat_val val;
	struct exit_stat one;

	for (size_t i = 0; i < s->ndslots; i++) {
		volatile struct exitstat_dslot *sl = &s->dslots[i];
		uint32_t isa = sl->key.key.isa;
		if (!isa)
			continue;
		__atomic_thread_fence(__ATOMIC_ACQUIRE); /* (isa is written last) */
		key = (struct exitstat_dkey){ .key = { .tgid = sl->key.key.tgid, .vcpu_id = sl->key.key.vcpu_id,
						       .reason = sl->key.key.reason, .isa = isa,
						       .start = sl->key.key.start },
					      .detail = sl->key.detail };
		to_stat(&one, (const struct exitstat_val *)&s->dslots[i].val);
		if (!one.count && !one.timed)
			continue;
		struct exit_stat *st = stat_of(details, &key.key, key.detail);
		if (!st)
			return -ENOMEM;
		stat_merge(st, &one);
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue; /* deleted meanwhile */
		struct exit_stat *st = stat_of(details, &key.key, key.detail);
		if (!st)
			return -ENOMEM;
		to_stat(&one, &val);
		stat_merge(st, &one);
	}
	return 0;
}

/* --detail: the last exit of each vCPU thread of an ended VM. The
 * programs count an exit at its entry, and this one's never comes (it went
 * to the VMM for good); such a thread will not run again, so its exit is
 * counted here, in every reading until its VM is forgotten. */
static int add_final(struct snapshot *details, const struct exitstat_pending *p, bool with_rip)
{
	if (p->state != PAIR_EXITED || vm_alive(p->key.tgid, vm_ticks(p->key.start)))
		return 0;
	struct exit_stat *st = stat_of(details, &p->key, p->detail);
	if (!st)
		return -ENOMEM;
	stat_add_count(st, 1);
	if (!with_rip)
		return 0;
	struct exit_key k = model_key(&p->key, p->detail);
	k.rip = p->rip;
	k.ring = (uint8_t)p->ring;
	if (!(st = snapshot_get_rip(details, &k)))
		return -ENOMEM;
	stat_add_count(st, 1);
	return 0;
}

/* --rip: the RIP map, into details' rips */
static int read_rips(struct exitstat *s, struct snapshot *details)
{
	int fd = bpf_map__fd(s->skel->maps.rips);
	struct exitstat_rkey key, next, *prev = NULL;
	__u64 n;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &n))
			continue; /* deleted meanwhile */
		struct exit_key k = model_key(&key.dk.key, key.dk.detail);
		k.rip = key.rip;
		k.ring = (uint8_t)key.ring;
		struct exit_stat *st = snapshot_get_rip(details, &k);
		if (!st)
			return -ENOMEM;
		stat_add_count(st, n);
	}
	return 0;
}

static int read_finals(struct exitstat *s, struct snapshot *details)
{
	int fd = bpf_map__fd(s->skel->maps.pending_tid), err = 0;
	struct exitstat_pending p;
	__u32 tid, next, *prev = NULL;

	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		tid = next;
		prev = &tid;
		if (bpf_map_lookup_elem(fd, &tid, &p) == 0)
			err = add_final(details, &p, s->with_rip);
	}
	/* a CPU's slot is a thread's state while it names the thread (once
	 * the thread leaves the CPU, the state is in the hash, and the slot
	 * holds a stale copy) */
	fd = bpf_map__fd(s->skel->maps.pending_cpu);
	for (__u32 cpu = 0; !err && cpu < (__u32)s->ncpus; cpu++)
		if (bpf_map_lookup_elem(fd, &cpu, &p) == 0 && p.tid)
			err = add_final(details, &p, s->with_rip);
	return err;
}

int exitstat_read(struct exitstat *s, struct snapshot *snap)
{
	int fd = bpf_map__fd(s->skel->maps.exits);
	struct exitstat_key key, next;
	struct exitstat_key *prev = NULL;
	struct exitstat_val val;
	struct exit_stat one;
	struct snapshot details;
	int err;

	snapshot_clear(snap);
	snapshot_init(&details);
	if (s->with_detail && ((err = read_details(s, &details)) || (err = read_finals(s, &details)) ||
			       (s->with_rip && (err = read_rips(s, &details))))) {
		snapshot_free(&details);
		return err;
	}
	/* the slots: a slot's key is whole once its isa reads non-zero (the
	 * programs write isa last) */
	for (size_t i = 0; i < s->nslots; i++) {
		volatile struct exitstat_slot *sl = &s->slots[i];
		uint32_t isa = sl->key.isa;
		if (!isa)
			continue;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		key = (struct exitstat_key){ .tgid = sl->key.tgid, .vcpu_id = sl->key.vcpu_id,
					     .reason = sl->key.reason, .isa = isa, .start = sl->key.start };
		to_stat(&one, (const struct exitstat_val *)&s->slots[i].val);
		if (!one.count && !one.timed)
			continue;
		struct exit_stat *st = stat_of(snap, &key, 0);
		if (!st) {
			snapshot_free(&details);
			return -ENOMEM;
		}
		stat_merge(st, &one);
	}
	/* the keys that found their slot taken */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue; /* deleted meanwhile */
		struct exit_stat *st = stat_of(snap, &key, 0);
		if (!st) {
			snapshot_free(&details);
			return -ENOMEM;
		}
		to_stat(&one, &val);
		stat_merge(st, &one);
	}
	/* (with --detail the slots above hold only exits that found no
	 * pairing state, counted as without it) */
	err = s->with_detail ? snapshot_merge(snap, &details) : 0;
	snapshot_free(&details);
	return err;
}

static struct vm_id vm_of_key(const void *key, const void *value)
{
	const struct exitstat_key *k = key;
	(void)value;
	return (struct vm_id){ k->tgid, vm_ticks(k->start) };
}

static struct vm_id vm_of_pending(const void *key, const void *value)
{
	const struct exitstat_pending *p = value;
	(void)key;
	return (struct vm_id){ p->key.tgid, vm_ticks(p->key.start) };
}

void exitstat_forget(struct exitstat *s, uint32_t tgid, uint64_t start)
{
	struct vm_id vm = { tgid, start };
	struct exitstat_vm mk = { .tgid = tgid, .start = start };
	bpf_util_delete_vm(bpf_map__fd(s->skel->maps.exits), sizeof(struct exitstat_key), 0, vm, vm_of_key);
	/* (a details key starts with its exitstat_key) */
	if (s->with_detail)
		bpf_util_delete_vm(bpf_map__fd(s->skel->maps.details), sizeof(struct exitstat_dkey), 0, vm,
				   vm_of_key);
	if (s->with_rip)
		bpf_util_delete_vm(bpf_map__fd(s->skel->maps.rips), sizeof(struct exitstat_rkey), 0, vm, vm_of_key);
	for (size_t i = 0; i < s->ndslots; i++) {
		volatile struct exitstat_dslot *sl = &s->dslots[i];
		if (sl->key.key.isa && sl->key.key.tgid == tgid && vm_ticks(sl->key.key.start) == start)
			sl->key.key.isa = 0;
	}
	/* its slots: free (the programs zero a slot when they take it) */
	for (size_t i = 0; i < s->nslots; i++) {
		volatile struct exitstat_slot *sl = &s->slots[i];
		if (sl->key.isa && sl->key.tgid == tgid && vm_ticks(sl->key.start) == start)
			sl->key.isa = 0;
	}
	/* its threads' pairing states (their last exits, never entered) */
	bpf_util_delete_vm(bpf_map__fd(s->skel->maps.pending_tid), sizeof(uint32_t), sizeof(struct exitstat_pending),
			   vm, vm_of_pending);
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.vm_comms), &mk);
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.allowed_tgids), &mk);
}

bool exitstat_comm(struct exitstat *s, uint32_t tgid, uint64_t start, char *buf, size_t len)
{
	char comm[16];
	struct exitstat_vm vm = { .tgid = tgid, .start = start };
	if (!len || bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.vm_comms), &vm, comm))
		return false;
	snprintf(buf, len, "%.*s", (int)sizeof(comm), comm);
	return true;
}

void exitstat_health(struct exitstat *s, struct health *h)
{
	int fd = bpf_map__fd(s->skel->maps.health);
	uint64_t *v = calloc((size_t)s->ncpus, sizeof(*v));
	uint64_t sums[HEALTH_COUNT] = { 0 };

	for (uint32_t k = 0; v && k < HEALTH_COUNT; k++)
		if (bpf_map_lookup_elem(fd, &k, v) == 0)
			for (int c = 0; c < s->ncpus; c++)
				sums[k] += v[c];
	free(v);
	h->n[H_EXITS_LOST] += sums[HEALTH_KEYS_FULL];
	h->n[H_PAIRS_LOST] += sums[HEALTH_PAIRS_LOST];
	h->n[H_FILTER_FULL] += sums[HEALTH_FILTER_FULL];
	h->n[H_UNPAIRED] += sums[HEALTH_UNPAIRED];
	h->n[H_SLOW_LOST] += sums[HEALTH_SLOW_LOST];
	h->n[H_RIPS_UNTOLD] += sums[HEALTH_RIPS_FULL];
}

const char *exitstat_describe(const struct exitstat *s)
{
	return s->describe;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/* Detaching a classic tracepoint program closes its perf event, and the
 * kernel then waits for RCU grace periods (tracepoint_synchronize_unregister),
 * each event on its own: kvm_exit's and kvm_entry's are closed at once, so
 * that their waits overlap. (tp_btf links detach without waiting.) */
static void detach(struct exitstat *s)
{
	struct bpf_link **entry = &s->skel->links.kvm_entry_tp;
	pthread_t t;
	bool threaded = *entry && pthread_create(&t, NULL, destroy_link, *entry) == 0;
	if (threaded)
		*entry = NULL;
	exitstat_bpf__detach(s->skel);
	if (threaded)
		pthread_join(t, NULL);
}

void exitstat_close(struct exitstat *s)
{
	if (!s)
		return;
	ring_buffer__free(s->slow);
	if (s->slots)
		munmap(s->slots, s->slots_bytes);
	if (s->dslots)
		munmap(s->dslots, s->dslots_bytes);
	detach(s);
	exitstat_bpf__destroy(s->skel);
	free(s);
}

int exitstat_allow(struct exitstat *s, uint32_t tgid, uint64_t start)
{
	__u8 one = 1;
	struct exitstat_vm vm = { .tgid = tgid, .start = start };
	return bpf_map__update_elem(s->skel->maps.allowed_tgids, &vm, sizeof(vm), &one, 1, BPF_ANY);
}
