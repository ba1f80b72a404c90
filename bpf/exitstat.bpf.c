// SPDX-License-Identifier: GPL-2.0
/* kvmexitstat's in-kernel side: count every kvm_exit per (VM process, vCPU,
 * ISA, reason) in a per-CPU map, and time exit -> next kvm_entry on the same
 * thread into a log2 histogram.
 *
 * Two flavours of the same programs; the user side loads one:
 *  - tp_btf: raw tracepoint with BTF. Cheapest (no trace record is made);
 *    the exit reason is read from the vCPU (CO-RE: vcpu_svm->vmcb or
 *    vcpu_vmx->exit_reason), the pairing state lives in a per-CPU slot.
 *  - classic tracepoint: for kernels whose KVM module has no BTF; fields are
 *    read from the trace record at offsets taken from its format file. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "detail_codes.h"
#include "exitstat.h"
#include "kvm_types.h"

char LICENSE[] SEC("license") = "GPL";

/* Knobs, set before load. */
const volatile bool filter_tgids = false; /* count only the VMs -p/-n chose */
const volatile __u32 n_names = 0;          /* -n names, compared with the process name */
const volatile char names[EXITSTAT_MAX_NAMES][EXITSTAT_COMM_LEN] = {};
const volatile bool with_time = true;     /* pair exits with entries */
const volatile bool with_detail = false;  /* --detail: key exits by what KVM says of them too */
const volatile __u64 slow_ns = 0;         /* --slow: exits this long or longer go to slow_events */
const volatile bool with_rip = false;     /* --rip: count exits by guest RIP too (with_detail set) */
const volatile __u32 isa_running = 0;     /* tp_btf: 1 VMX, 2 SVM */
/* classic tracepoint: where the fields are in the kvm_exit record */
const volatile __u32 off_exit_reason = 8;
const volatile __u32 off_isa = 24;
const volatile __u32 off_vcpu_id = 56;
const volatile bool has_vcpu_id = true;
const volatile bool has_isa = true;
const volatile __u32 off_guest_rip = 16;

/* Where exits are counted: each CPU owns EXITSTAT_CPU_SLOTS slots of one
 * plain array (a plain array's lookup is inlined by the JIT, a hash's is a
 * helper call that hashes the key); a key's slot is picked by a
 * multiplicative hash. A key whose slot another key holds goes to the
 * shared hash below. The user side sizes the array (CPUs x slots) and maps
 * it to read it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EXITSTAT_CPU_SLOTS);
	__type(key, __u32);
	__type(value, struct exitstat_slot);
} slots SEC(".maps");

/* The overflow: one hash for all CPUs, its counters added atomically. A
 * per-CPU hash would hold a copy of every key for every possible CPU: 1.2 GB
 * of kernel memory on a host with 128 of them. A key is one vCPU's, and a
 * vCPU exits on one CPU at a time, so the adds hardly ever meet. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITSTAT_MAX_KEYS);
	__type(key, struct exitstat_key);
	__type(value, struct exitstat_val);
} exits SEC(".maps");

/* --detail: the counts and handling times per (key, detail), instead of
 * the slots above (detail 0: nothing was said). An exit is added once it is
 * done, at its kvm_entry: by then KVM said all it says of it. As the counts: each CPU owns EXITSTAT_DETAIL_SLOTS slots of a plain
 * array (sized by the user side), and a (key, detail) whose slot another
 * holds goes to the hash below, allocated as keys come (a guest touches
 * many pages). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EXITSTAT_DETAIL_SLOTS);
	__type(key, __u32);
	__type(value, struct exitstat_dslot);
} dslots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITSTAT_MAX_DETAILS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exitstat_dkey);
	__type(value, struct exitstat_val);
} details SEC(".maps");

/* --rip: the exits of each (key, detail) by guest RIP, counts only. A
 * bounded hash: a RIP that finds no room is not told (the user side shows
 * the rest of its key's count as "(other)"), the exit counted all the same. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITSTAT_MAX_RIPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exitstat_rkey);
	__type(value, __u64);
} rips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exitstat_exit_rip);
} exit_rips SEC(".maps");

/* --slow: each exit over the threshold, the only per-exit stream (the
 * counting stays in the maps); the user side sizes it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} slow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITSTAT_MAX_FILTER);
	__type(key, struct exitstat_vm);
	__type(value, __u8);   /* 1 counted, 0 left out */
} allowed_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HEALTH_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} health SEC(".maps");

/* The VM process's name, recorded when its first key is made, for VMs that
 * end before the user side reads /proc. */
struct vm_comm {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct exitstat_vm);
	__type(value, struct vm_comm);
} vm_comms SEC(".maps");

/* ns in a clock tick (the user side's sysconf(_SC_CLK_TCK)) */
const volatile __u64 ns_per_tick = 10000000;

static __always_inline struct exitstat_vm vm_of(__u32 tgid, __u64 start_ns)
{
	struct exitstat_vm vm = { .tgid = tgid, .start = start_ns / ns_per_tick };
	return vm;
}

/* A thread's pairing state. The kvm_entry only notes its time; the
 * handling time (entry - exit) is added to the exit's key at the thread's
 * next kvm_exit, which finds its own slot anyway: in the common run of
 * exits of one reason that costs nothing more. A thread's last event is
 * always an exit (KVM_RUN returns through one), so every paired exit is
 * accounted; only the latest pair of a thread waits for its next exit. */
#define pending exitstat_pending

/* tp_btf: the state of the thread running on each CPU, indexed by CPU (the
 * user side sizes it). When that thread leaves the CPU (sched_switch) its
 * state moves to pending_tid, and comes back from there on its next exit
 * or entry, wherever it runs: no pair is lost to a migration, and the exit
 * and entry of a thread that stays on its CPU touch no hash at all. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} pending_cpu SEC(".maps");

/* By thread: switched-out threads (tp_btf), every thread (classic). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pending);
} pending_tid SEC(".maps");

#define EEXIST 17 /* (vmlinux.h has no errno) */

static __always_inline void health_inc(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&health, &what);
	if (v)
		(*v)++;
}

/* With a filter: the VM's verdict, decided once per process. -p pids (and
 * processes whose QEMU -name matched) are put in by the user side; other
 * processes are compared here with the -n names by their process name, so
 * that a short-lived VM is not missed before the user side could look. */
static __always_inline bool wanted(__u32 tgid, __u64 start)
{
	if (!filter_tgids)
		return true;
	/* by process, not pid: a new process with an old pid is decided anew */
	struct exitstat_vm vm = vm_of(tgid, start);
	__u8 *v = bpf_map_lookup_elem(&allowed_tgids, &vm);
	if (v)
		return *v;
	char comm[EXITSTAT_COMM_LEN] = {};
	struct task_struct *t = (void *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&comm, t, group_leader, comm);
	__u8 verdict = 0;
	for (__u32 i = 0; i < EXITSTAT_MAX_NAMES && i < n_names && !verdict; i++) {
		bool same = true;
		for (int c = 0; c < EXITSTAT_COMM_LEN; c++) {
			if (comm[c] != names[i][c])
				same = false;
			if (!names[i][c])
				break;
		}
		verdict = same;
	}
	/* (EEXIST: another CPU decided meanwhile, the same way) */
	long err = bpf_map_update_elem(&allowed_tgids, &vm, &verdict, BPF_NOEXIST);
	if (err && err != -EEXIST)
		health_inc(HEALTH_FILTER_FULL);
	return verdict;
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffff) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* A zeroed value to insert new keys with (too large for the BPF stack). */
struct exitstat_val zero_val = {};

/* A key is three 64-bit words (exitstat.h): compared, and hashed, as such. */
typedef __u64 __attribute__((may_alias)) key_word;
_Static_assert(sizeof(struct exitstat_key) == 24, "a key is three words");
_Static_assert(EXITSTAT_CPU_SLOTS == 256, "slot_of takes the hash's top 8 bits");

static __always_inline bool same_key(const struct exitstat_key *a, const struct exitstat_key *b)
{
	const key_word *x = (const void *)a, *y = (const void *)b;
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

static __always_inline void note_comm(const struct exitstat_key *key)
{
	struct vm_comm c = {};
	struct exitstat_vm vm = vm_of(key->tgid, key->start);
	struct task_struct *t = (void *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&c.comm, t, group_leader, comm);
	bpf_map_update_elem(&vm_comms, &vm, &c, BPF_NOEXIST);
}

/* A key's slot: the top 8 bits of a multiplicative hash of its VM
 * process, vCPU, reason and ISA (not the start: a pid's keys of two
 * processes at once are rare, and same_key tells them apart), masked by
 * slot_mask (255: all 256 slots; less only to test the overflow to the
 * hash). */
const volatile __u32 slot_mask = EXITSTAT_CPU_SLOTS - 1;

static __always_inline __u32 slot_of(const struct exitstat_key *k)
{
	const key_word *w = (const void *)k;
	return (__u32)(((w[0] + w[1] * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >> 56) & slot_mask;
}

static __always_inline struct exitstat_val *get_val(struct exitstat_key *key, bool *shared)
{
	*shared = false;
	__u32 idx = bpf_get_smp_processor_id() * EXITSTAT_CPU_SLOTS + slot_of(key);
	struct exitstat_slot *sl = bpf_map_lookup_elem(&slots, &idx);

	if (sl) {
		if (same_key(&sl->key, key))
			return &sl->val;
		if (!sl->key.isa) {
			/* take the free slot: zero it, then the key, isa last, so
			 * that a reader that sees isa sees the whole key */
			__builtin_memset(&sl->val, 0, sizeof(sl->val));
			sl->key.tgid = key->tgid;
			sl->key.vcpu_id = key->vcpu_id;
			sl->key.reason = key->reason;
			sl->key.start = key->start;
			asm volatile("" ::: "memory");
			sl->key.isa = key->isa;
			note_comm(key);
			return &sl->val;
		}
	}
	/* the slot is another key's: the hash */
	struct exitstat_val *v = bpf_map_lookup_elem(&exits, key);
	if (!v) {
		/* BPF_NOEXIST: if another CPU inserted the key meanwhile, the
		 * lookup finds that one */
		bpf_map_update_elem(&exits, key, &zero_val, BPF_NOEXIST);
		note_comm(key);
		v = bpf_map_lookup_elem(&exits, key);
	}
	*shared = true;
	return v; /* NULL: the hash is full (the caller says what was lost) */
}

/* Adds to a value: plain in a CPU's own slot, atomic in the shared hash
 * (min and max are plain there: two CPUs timing one key at once, which the
 * classic tracepoint without vcpu_id allows, may keep the other's bound) */
static __always_inline void add(__u64 *c, __u64 n, bool shared)
{
	if (shared)
		__sync_fetch_and_add(c, n);
	else
		*c += n;
}

static __always_inline void add_time(struct exitstat_val *v, __u64 d, bool shared)
{
	if (!v->timed || d < v->min_ns)
		v->min_ns = d;
	if (d > v->max_ns)
		v->max_ns = d;
	add(&v->timed, 1, shared);
	add(&v->sum_ns, d, shared);
	__u32 s = log2_slot(d);
	if (s < EXITSTAT_HIST_SLOTS)
		add(&v->hist[s], 1, shared);
}

_Static_assert(sizeof(struct exitstat_dkey) == 32, "a detail key is four words");
_Static_assert(EXITSTAT_DETAIL_SLOTS == 128, "dslot_of takes the hash's top 7 bits");

/* --detail: slot i of this CPU for (key, detail) when it holds it or is
 * free (then taken), else NULL. */
static __always_inline struct exitstat_val *dslot_take(__u32 i, const struct exitstat_dkey *dk)
{
	const key_word *w = (const void *)dk;
	__u32 idx = bpf_get_smp_processor_id() * EXITSTAT_DETAIL_SLOTS + (i & (EXITSTAT_DETAIL_SLOTS - 1));
	struct exitstat_dslot *sl = bpf_map_lookup_elem(&dslots, &idx);

	if (!sl)
		return NULL;
	const key_word *x = (const void *)&sl->key;
	if (x[0] == w[0] && x[1] == w[1] && x[2] == w[2] && x[3] == w[3])
		return &sl->val;
	if (sl->key.key.isa)
		return NULL; /* another's */
	/* take it as get_val takes a slot: isa last */
	__builtin_memset(&sl->val, 0, sizeof(sl->val));
	sl->key.detail = dk->detail;
	sl->key.key.tgid = dk->key.tgid;
	sl->key.key.vcpu_id = dk->key.vcpu_id;
	sl->key.key.reason = dk->key.reason;
	sl->key.key.start = dk->key.start;
	asm volatile("" ::: "memory");
	sl->key.key.isa = dk->key.isa;
	note_comm(&dk->key);
	return &sl->val;
}

/* --detail: the value of (key, detail): one of two slots of this CPU (a
 * VM's details differ from each other by the same amounts whatever its
 * pid, so one slot each would make the same keys meet in every run), or
 * the hash (shared). NULL: neither has room. */
static __always_inline struct exitstat_val *get_dval(const struct exitstat_dkey *dk, bool *shared)
{
	const key_word *w = (const void *)dk;
	__u32 h = (__u32)(((w[0] + w[1] * 0xc2b2ae3d27d4eb4full + w[3] * 0x165667b19e3779f9ull) *
			   0x9e3779b97f4a7c15ull) >> 57);
	struct exitstat_val *v = dslot_take(h, dk);

	*shared = false;
	if (!v)
		v = dslot_take(h ^ 1, dk);
	if (v)
		return v;
	v = bpf_map_lookup_elem(&details, dk);
	if (!v) {
		bpf_map_update_elem(&details, dk, &zero_val, BPF_NOEXIST);
		note_comm(&dk->key);
		v = bpf_map_lookup_elem(&details, dk);
	}
	*shared = true;
	return v;
}

/* --rip: a done exit by its guest RIP */
static __always_inline void add_rip(const struct exitstat_dkey *dk, const struct pending *p)
{
	struct exitstat_rkey rk = { .dk = *dk, .rip = p->rip, .ring = p->ring };
	__u64 zero = 0, *v = bpf_map_lookup_elem(&rips, &rk);
	if (!v) {
		bpf_map_update_elem(&rips, &rk, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&rips, &rk);
	}
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		health_inc(HEALTH_RIPS_FULL);
}

/* --detail: a done exit into the details (detail 0: none said), with its
 * handling time d when timed. */
static __always_inline void add_detail(const struct pending *p, bool timed, __u64 d)
{
	struct exitstat_dkey dk = { .key = p->key, .detail = p->detail };
	bool shared;
	struct exitstat_val *v = get_dval(&dk, &shared);
	if (!v) {
		health_inc(HEALTH_KEYS_FULL); /* the exit is not counted */
		return;
	}
	add(&v->count, 1, shared);
	if (timed)
		add_time(v, d, shared);
	if (with_rip)
		add_rip(&dk, p);
}

/* --slow: where the exit happened; its thread has not been switched out */
static __always_inline void arm_slow(struct pending *p)
{
	if (!slow_ns)
		return;
	p->exit_cpu = bpf_get_smp_processor_id();
	p->out_ts = 0;
	p->sched_ns = 0;
}

/* --slow: the exit p just entered after into the ring buffer */
static __always_inline void emit_slow(const struct pending *p)
{
	struct exitstat_slow *ev = bpf_ringbuf_reserve(&slow_events, sizeof(*ev), 0);
	if (!ev) {
		health_inc(HEALTH_SLOW_LOST);
		return;
	}
	ev->key = p->key;
	ev->exit_ts = p->exit_ts;
	ev->ns = p->entry_ts - p->exit_ts;
	ev->sched_ns = p->sched_ns;
	ev->detail = with_detail ? p->detail : 0;
	ev->tid = p->tid;
	ev->exit_cpu = p->exit_cpu;
	ev->entry_cpu = bpf_get_smp_processor_id();
	ev->rip = p->rip;
	ev->ring = p->ring;
	bpf_ringbuf_submit(ev, 0);
}

/* Count this exit; account the thread's previous exit->entry pair; arm p
 * (first_detail: what the exit itself says of it, or 0). */
static __always_inline void on_exit(struct exitstat_key *key, struct pending *p, __u64 first_detail)
{
	/* --detail: the exit is counted once it is done (at its entry, with
	 * its detail and handling time, in one place); here it is only armed */
	if (with_detail && p) {
		if (p->state == PAIR_EXITED) {
			health_inc(HEALTH_UNPAIRED);
			add_detail(p, false, 0); /* never entered: done all the same */
		}
		p->key = *key;
		p->exit_ts = bpf_ktime_get_ns();
		p->state = PAIR_EXITED;
		arm_slow(p);
		/* (what the programs read from the exit is exact: the
		 * hardware's decoding, the guest's RCX) */
		p->detail = first_detail;
		p->firm = first_detail != 0;
		return;
	}
	bool shared = false;
	struct exitstat_val *v = get_val(key, &shared);

	if (v)
		add(&v->count, 1, shared);
	else
		health_inc(HEALTH_KEYS_FULL);
	if (!p)
		return;
	if (p->state == PAIR_ENTERED) {
		__u64 d = p->entry_ts - p->exit_ts;
		bool pshared = shared;
		struct exitstat_val *pv = same_key(key, &p->key) ? v : get_val(&p->key, &pshared);
		if (pv)
			add_time(pv, d, pshared);
		else
			health_inc(HEALTH_PAIRS_LOST); /* its key had no room */
	} else if (p->state == PAIR_EXITED) {
		health_inc(HEALTH_UNPAIRED);
	}
	p->key = *key;
	p->exit_ts = bpf_ktime_get_ns();
	p->state = PAIR_EXITED;
	arm_slow(p);
}

static __always_inline __u32 svm_ring(struct kvm_vcpu *vcpu);

/* (vcpu: tp_btf's, NULL for the classic program) */
static __always_inline void on_entry(struct pending *p, struct kvm_vcpu *vcpu)
{
	if (p && p->state == PAIR_EXITED) {
		p->entry_ts = bpf_ktime_get_ns();
		p->state = PAIR_ENTERED;
		if (with_detail)
			add_detail(p, true, p->entry_ts - p->exit_ts);
		if (slow_ns && p->entry_ts - p->exit_ts >= slow_ns) {
			/* --slow without --rip: the privilege read only for a slow
			 * exit (a probe read); handling leaves the CPL as it was */
			if (vcpu && !with_rip && isa_running == 2)
				p->ring = svm_ring(vcpu);
			emit_slow(p);
		}
	}
}

/* ---- tp_btf ------------------------------------------------------------- */

/* The pairing state of thread tid, which runs on this CPU. */
static __always_inline struct pending *cpu_pending(__u32 tid)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct pending *p = bpf_map_lookup_elem(&pending_cpu, &cpu);

	if (!p || p->tid == tid)
		return p;
	/* first event of tid on this CPU since it was switched in */
	if (p->tid && p->state != PAIR_NONE && bpf_map_update_elem(&pending_tid, &p->tid, p, BPF_ANY))
		health_inc(HEALTH_PAIRS_LOST); /* (sched_switch normally moved it) */
	struct pending *saved = bpf_map_lookup_elem(&pending_tid, &tid);
	if (saved) {
		*p = *saved;
		bpf_map_delete_elem(&pending_tid, &tid);
	} else {
		p->state = PAIR_NONE;
	}
	p->tid = tid;
	return p;
}

/* --rip: where the guest was at the exit p was just armed with. SVM: KVM
 * copied the RIP from the VMCB into the vCPU, the CPL is in the VMCB's
 * save area. VMX: the classic kvm_exit program, attached first, read the
 * RIP for this CPU's exit (KVM's own VMREAD); the CPL stays unknown. */
static __always_inline __u32 svm_ring(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm___x *svm = (void *)vcpu;
	return BPF_CORE_READ(svm, vmcb, save.cpl) ? 2 : 1;
}

static __always_inline void note_rip(struct kvm_vcpu *vcpu, struct pending *p)
{
	p->rip = 0;
	p->ring = 0;
	if (isa_running == 2) {
		p->rip = vcpu->arch.regs[VCPU_REGS_RIP];
		p->ring = svm_ring(vcpu);
		return;
	}
	__u32 zero = 0;
	struct exitstat_exit_rip *r = bpf_map_lookup_elem(&exit_rips, &zero);
	if (r && r->tid == p->tid) {
		p->rip = r->rip;
		r->tid = 0; /* one exit's */
	}
}

static __always_inline int on_exit_btf(struct kvm_vcpu *vcpu, __u32 reason, __u32 isa, __u64 first_detail)
{
	/* one helper call; the rest are direct reads of BTF pointers */
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	__u64 start = task->group_leader->start_boottime;

	if (!wanted(tgid, start))
		return 0;
	struct exitstat_key key = { .tgid = tgid, .vcpu_id = vcpu->vcpu_id, .isa = isa, .reason = reason,
				    .start = start };
	struct pending *p = with_time ? cpu_pending((__u32)task->pid) : NULL;
	on_exit(&key, p, first_detail);
	/* (--slow lists the RIP too where it is at hand: SVM's is in the
	 * vCPU, one load; VMX's only from the classic program --rip attaches) */
	if (p && with_rip) {
		note_rip(vcpu, p);
	} else if (p && slow_ns && isa_running == 2) {
		p->rip = vcpu->arch.regs[VCPU_REGS_RIP];
		p->ring = 0; /* (read at the entry of a slow one) */
	}
	return 0;
}

/* (VMX: the exit qualification is in the VMCS, out of reach; KVM's
 * tracepoints say what it would. The interruption info of an
 * EXCEPTION_NMI exit is in the vCPU: vmx_vcpu_enter_exit reads it then.) */
/* --detail: whether an SVM exit's EXITINFO1/2 say its detail (I/O, MSR,
 * CR and nested page fault exits), so that they are worth reading */
static __always_inline bool svm_info_says(__u32 code)
{
	return code == 0x7b || code == 0x7c || code == 0x400 || code < 0x20;
}

/* --detail: what the exit itself says (detail_codes.h); the MSR of an MSR
 * exit from the guest's RCX, which KVM saved in the vCPU */
static __always_inline __u64 svm_first_detail(struct kvm_vcpu *vcpu, __u32 code, __u64 info1, __u64 info2)
{
	__u64 d = detail_from_exit(2, code, info1, info2, false, 0);
	return d ? d : detail_msr_exit(2, code, info1, vcpu->arch.regs[VCPU_REGS_RCX]);
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_svm, struct kvm_vcpu *vcpu, __u32 isa)
{
	if (!vcpu)
		return 0; /* never, but newer verifiers (6.12) hold that it may be */
	struct vcpu_svm___x *svm = (void *)vcpu; /* struct kvm_vcpu is its first member */
	if (!with_detail)
		return on_exit_btf(vcpu, (__u32)BPF_CORE_READ(svm, vmcb, control.exit_code), 2, 0);
	/* --detail: the exit code and EXITINFO1/2 in one probe read, where
	 * they follow each other (as they always have) */
	struct vmcb___x *vmcb = BPF_CORE_READ(svm, vmcb);
	__u64 f[3] = {};
	if (bpf_core_field_offset(struct vmcb___x, control.exit_info_1) ==
		    bpf_core_field_offset(struct vmcb___x, control.exit_code) + 8 &&
	    bpf_core_field_offset(struct vmcb___x, control.exit_info_2) ==
		    bpf_core_field_offset(struct vmcb___x, control.exit_code) + 16) {
		bpf_core_read(f, sizeof(f), &vmcb->control.exit_code);
	} else {
		f[0] = BPF_CORE_READ(vmcb, control.exit_code);
		f[1] = BPF_CORE_READ(vmcb, control.exit_info_1);
		f[2] = BPF_CORE_READ(vmcb, control.exit_info_2);
	}
	__u32 code = (__u32)f[0];
	return on_exit_btf(vcpu, code, 2, svm_info_says(code) ? svm_first_detail(vcpu, code, f[1], f[2]) : 0);
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_vmx, struct kvm_vcpu *vcpu, __u32 isa)
{
	if (!vcpu)
		return 0; /* (as above) */
	struct vcpu_vmx___x *vmx = (void *)vcpu;
	__u32 reason = BPF_CORE_READ(vmx, exit_reason.full);
	__u64 first = 0;
	if (with_detail && !(reason & 0xffff))
		first = detail_from_exit(1, 0, 0, 0, true, BPF_CORE_READ(vmx, exit_intr_info));
	else if (with_detail)
		first = detail_msr_exit(1, reason, 0, vcpu->arch.regs[VCPU_REGS_RCX]);
	return on_exit_btf(vcpu, reason, 1, first);
}

/* Where the kernel has bpf_rdonly_cast (6.2 on), the exit reason is read
 * with plain loads, which the JIT makes fault-safe, instead of probe-read
 * helper calls. The kfunc casts only to vmlinux types and vcpu_svm and
 * vcpu_vmx are kvm_amd's and kvm_intel's, so a word at the address
 * (offsets relocated against those modules' BTF) is read through a
 * vmlinux struct whose first member is an unsigned long. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

struct rb_node___word {
	unsigned long __rb_parent_color;
} __attribute__((preserve_access_index));

static __always_inline __u64 word_at(__u64 addr)
{
	struct rb_node___word *w = bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct rb_node___word));
	return w->__rb_parent_color;
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_svm_cast, struct kvm_vcpu *vcpu, __u32 isa)
{
	if (!vcpu)
		return 0; /* (as above) */
	__u64 vmcb = word_at((__u64)vcpu + bpf_core_field_offset(struct vcpu_svm___x, vmcb));
	__u64 code = word_at(vmcb + bpf_core_field_offset(struct vmcb___x, control.exit_code));
	__u64 first = 0;
	if (with_detail && svm_info_says((__u32)code))
		first = svm_first_detail(vcpu, (__u32)code,
					 word_at(vmcb + bpf_core_field_offset(struct vmcb___x, control.exit_info_1)),
					 word_at(vmcb + bpf_core_field_offset(struct vmcb___x, control.exit_info_2)));
	return on_exit_btf(vcpu, (__u32)code, 2, first);
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_vmx_cast, struct kvm_vcpu *vcpu, __u32 isa)
{
	if (!vcpu)
		return 0; /* (as above) */
	/* (8 bytes read, the low 4 are the reason: x86 is little-endian) */
	__u32 reason = (__u32)word_at((__u64)vcpu + bpf_core_field_offset(struct vcpu_vmx___x, exit_reason));
	__u64 first = 0;
	if (with_detail && !(reason & 0xffff))
		first = detail_from_exit(1, 0, 0, 0, true,
					 (__u32)word_at((__u64)vcpu + bpf_core_field_offset(struct vcpu_vmx___x, exit_intr_info)));
	else if (with_detail)
		first = detail_msr_exit(1, reason, 0, vcpu->arch.regs[VCPU_REGS_RCX]);
	return on_exit_btf(vcpu, reason, 1, first);
}

/* --detail, VMX: an external interrupt's vector, from the interruption
 * info that KVM read for it after the exit (handle_external_interrupt_
 * irqoff), where nothing else said anything */
static __always_inline void vmx_irq_vector(struct kvm_vcpu *vcpu, struct pending *p)
{
	if (!with_detail || isa_running != 1 || !p || p->state != PAIR_EXITED || p->detail ||
	    (p->key.reason & 0xffff) != 1 || !vcpu)
		return;
	struct vcpu_vmx___x *vmx = (void *)vcpu;
	__u32 info = BPF_CORE_READ(vmx, exit_intr_info);
	if (info >> 31) {
		p->detail = detail_vec(info & 0xff);
		p->firm = 1;
	}
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(kvm_entry_btf, struct kvm_vcpu *vcpu)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct pending *p = bpf_map_lookup_elem(&pending_cpu, &cpu);

	/* A thread named in its CPU's slot is the one running there:
	 * sched_switch (attached before these programs) clears the slot when
	 * it leaves. So the common entry, on the CPU of its exit, needs no
	 * helper call to know whose it is. */
	if (!p || !p->tid)
		p = cpu_pending((__u32)bpf_get_current_task_btf()->pid);
	vmx_irq_vector(vcpu, p);
	on_entry(p, vcpu);
	return 0;
}

/* A thread leaves its CPU: its pairing state moves to the hash, where its
 * next exit or entry, on whatever CPU, finds it. Preemption is off in
 * tracepoint programs, so this never interleaves with the two above. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct pending *p = bpf_map_lookup_elem(&pending_cpu, &cpu);

	if (slow_ns && next) {
		/* a vCPU thread back on a CPU between an exit and its entry:
		 * the time it was out counts to that exit */
		__u32 ntid = (__u32)next->pid;
		struct pending *np = bpf_map_lookup_elem(&pending_tid, &ntid);
		if (np && np->state == PAIR_EXITED && np->out_ts) {
			np->sched_ns += bpf_ktime_get_ns() - np->out_ts;
			np->out_ts = 0;
		}
	}
	if (!prev || !p || !p->tid || p->tid != (__u32)prev->pid)
		return 0;
	if (slow_ns && p->state == PAIR_EXITED)
		p->out_ts = bpf_ktime_get_ns();
	if (p->state != PAIR_NONE && bpf_map_update_elem(&pending_tid, &p->tid, p, BPF_ANY))
		health_inc(HEALTH_PAIRS_LOST);
	p->tid = 0;
	return 0;
}

/* ---- --detail: what KVM says of the exit it handles -------------------- */

/* Said of the exit the current thread is handling (none: not ours, or
 * not between an exit and its entry, as KVM's own emulation at KVM_RUN). */
static __always_inline int say(__u64 detail)
{
	struct pending *p = cpu_pending((__u32)bpf_get_current_pid_tgid());

	if (!p || p->state != PAIR_EXITED)
		return 0;
	bool firm = p->firm;
	p->detail = detail_merge(p->detail, &firm, detail, true);
	p->firm = firm;
	return 0;
}

/* (KVM_PIO_IN is 0) */
SEC("tp_btf/kvm_pio")
int BPF_PROG(kvm_pio_btf, unsigned int rw, unsigned int port, unsigned int size, unsigned int count)
{
	return say(detail_io((__u16)port, !rw, size, count > 1));
}

/* (No kvm_msr program: the exit programs read the MSR from the guest's
 * RCX, which also names the MSRs that user space handles, for which KVM
 * traces no kvm_msr.) */

SEC("tp_btf/kvm_cr")
int BPF_PROG(kvm_cr_btf, unsigned int rw, unsigned int cr)
{
	return say(detail_cr(cr, rw));
}

/* (vcpu, fault_address, error_code) since 5.19; before, (address, error_code) */
SEC("tp_btf/kvm_page_fault")
int BPF_PROG(kvm_page_fault_btf, struct kvm_vcpu *vcpu, __u64 gpa)
{
	return say(detail_gpa(gpa));
}

SEC("tp_btf/kvm_page_fault")
int BPF_PROG(kvm_page_fault_old_btf, __u64 gpa)
{
	return say(detail_gpa(gpa));
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(kvm_mmio_btf, int type, int len, __u64 gpa)
{
	return say(detail_gpa(gpa));
}

SEC("tp_btf/kvm_fast_mmio")
int BPF_PROG(kvm_fast_mmio_btf, __u64 gpa)
{
	return say(detail_gpa(gpa));
}

SEC("tp_btf/kvm_hypercall")
int BPF_PROG(kvm_hypercall_btf, unsigned long nr)
{
	return say(detail_hcall(nr));
}

/* A halted vCPU runs again: it slept (waited) or halt polling saw its
 * wakeup first */
SEC("tp_btf/kvm_vcpu_wakeup")
int BPF_PROG(kvm_vcpu_wakeup_btf, __u64 ns, bool waited)
{
	return say(detail_halt(waited));
}

/* KVM_RUN returns: errno < 0 is a signal (-EINTR: KVM_EXIT_INTR) or an
 * error, which says nothing of the exit */
SEC("tp_btf/kvm_userspace_exit")
int BPF_PROG(kvm_userspace_exit_btf, __u32 reason, int err)
{
	if (err == -4)
		return say(detail_vmm(KVM_EXIT_INTR_REASON));
	if (err < 0)
		return 0;
	return say(detail_vmm(reason));
}

/* ---- classic tracepoint ------------------------------------------------ */

/* VMX --rip: the exit's guest RIP from KVM's own record of it, for the
 * tp_btf exit program that runs after this one (note_rip) */
SEC("tracepoint/kvm/kvm_exit")
int kvm_exit_rip_tp(void *ctx)
{
	__u32 zero = 0;
	struct exitstat_exit_rip *r = bpf_map_lookup_elem(&exit_rips, &zero);
	if (!r)
		return 0;
	__u64 rip = 0;
	bpf_probe_read_kernel(&rip, sizeof(rip), (char *)ctx + (off_guest_rip & 63));
	r->rip = rip;
	r->tid = (__u32)bpf_get_current_pid_tgid();
	return 0;
}

SEC("tracepoint/kvm/kvm_exit")
int kvm_exit_tp(void *ctx)
{
	__u8 rec[72] = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id, reason = 0, isa = 0, vcpu = 0;
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 start = BPF_CORE_READ(task, group_leader, start_boottime);

	if (!wanted(tgid, start))
		return 0;
	/* the record's first 64 bytes hold every field we read (the user side
	 * checks the offsets); & 63 keeps the verifier sure of it */
	bpf_probe_read_kernel(rec, 64, ctx);
	__builtin_memcpy(&reason, rec + (off_exit_reason & 63), 4);
	if (has_isa)
		__builtin_memcpy(&isa, rec + (off_isa & 63), 4);
	else
		isa = isa_running;
	if (has_vcpu_id)
		__builtin_memcpy(&vcpu, rec + (off_vcpu_id & 63), 4);
	struct exitstat_key key = { .tgid = tgid, .vcpu_id = vcpu, .isa = isa, .reason = reason, .start = start };
	struct pending *p = NULL;
	if (with_time) {
		p = bpf_map_lookup_elem(&pending_tid, &tid);
		if (!p) {
			struct pending fresh = {};
			bpf_map_update_elem(&pending_tid, &tid, &fresh, BPF_NOEXIST);
			p = bpf_map_lookup_elem(&pending_tid, &tid);
			if (!p)
				health_inc(HEALTH_PAIRS_LOST); /* the pairing hash is full */
		}
	}
	on_exit(&key, p, 0);
	return 0;
}

SEC("tracepoint/kvm/kvm_entry")
int kvm_entry_tp(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	on_entry(bpf_map_lookup_elem(&pending_tid, &tid), NULL);
	return 0;
}
