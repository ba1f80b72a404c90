/* Prometheus text exposition of the statistics model. */
#define _GNU_SOURCE
#include "prom.h"
#include "text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Histogram buckets: le = 2^k ns for k in [FIRST, LAST] (1 µs to 67 ms),
 * from the model's log2 slots (slot i holds [2^i, 2^(i+1)) ns, so a bucket
 * counts the exits shorter than its bound). */
#define BUCKET_FIRST 10
#define BUCKET_LAST 26

static uint64_t boot_time(void)
{
	static uint64_t btime;
	if (btime)
		return btime;
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6))
			btime = strtoull(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return btime;
}

uint64_t prom_vm_start(uint64_t start)
{
	long hz = sysconf(_SC_CLK_TCK);
	return start ? boot_time() + start / (uint64_t)(hz > 0 ? hz : 100) : 0;
}

static void label(FILE *out, const char *text)
{
	/* Prometheus drops a whole exposition with a label that is not UTF-8 */
	char *safe = text_safe_dup(text ? text : "");
	const char *s = safe;
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
	free(safe);
}

/* {vm="..",pid="..",vm_start="..",[vcpu=".."]} without the closing brace */
static void vm_labels(FILE *out, const struct snapshot *s, const struct exit_key *k, bool with_vcpu)
{
	const char *name = snapshot_name(s, k->pid, k->start);
	fputs("{vm=", out);
	label(out, name ? name : "");
	/* from the key, not from /proc: the labels of an ended VM's last
	 * reading are those of its series */
	fprintf(out, ",pid=\"%" PRIu32 "\",vm_start=\"%" PRIu64 "\"", k->pid, prom_vm_start(k->start));
	if (with_vcpu) {
		if (k->vcpu >= 0)
			fprintf(out, ",vcpu=\"%" PRId32 "\"", k->vcpu);
		else
			fprintf(out, ",vcpu=\"\",tid=\"%" PRIu32 "\"", k->tid);
	}
}

static int cmp_keys(const void *a, const void *b)
{
	const struct exit_key *x = &(*(const struct snap_entry *const *)a)->key;
	const struct exit_key *y = &(*(const struct snap_entry *const *)b)->key;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->isa != y->isa)
		return x->isa < y->isa ? -1 : 1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static const struct snap_entry **sorted(const struct snapshot *s, size_t *n)
{
	const struct snap_entry **v = snapshot_entries(s, n);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_keys);
	return v;
}

static bool has_hardware_reasons(const struct snapshot *s, uint32_t pid)
{
	const struct snap_entry *e;
	for (size_t i = 0; (e = snapshot_next(s, &i));)
		if (e->key.pid == pid && e->key.isa != ISA_KVM)
			return true;
	return false;
}

static void exits(FILE *out, const struct snapshot *s, const struct snap_entry **v, size_t n, bool with_vcpu)
{
	char name[REASON_NAME_MAX];
	fputs("# HELP kvm_exits_total VM exits by exit reason (isa kvm, reason all: KVM's vCPU statistics, which have "
	      "no reasons).\n# TYPE kvm_exits_total counter\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct exit_key *k = &v[i]->key;
		if (k->isa == ISA_KVM) {
			/* KVM's "exits" counter, when no hardware reason counts this VM */
			if (!snapshot_in_total(s, k) || has_hardware_reasons(s, k->pid))
				continue;
			fputs("kvm_exits_total", out);
			vm_labels(out, s, k, with_vcpu);
			fputs(",isa=\"kvm\",reason=\"all\"}", out);
		} else {
			fputs("kvm_exits_total", out);
			vm_labels(out, s, k, with_vcpu);
			fprintf(out, ",isa=\"%s\",reason=", isa_name((enum isa)k->isa));
			label(out, snapshot_reason_name(s, k, name, sizeof(name)));
			fputc('}', out);
		}
		fprintf(out, " %" PRIu64 "\n", v[i]->st.count);
	}
}

static void vcpu_stats(FILE *out, const struct snapshot *s, const struct snap_entry **v, size_t n, bool with_vcpu)
{
	char name[REASON_NAME_MAX];
	for (int seconds = 0; seconds <= 1; seconds++) {
		bool head = false;
		for (size_t i = 0; i < n; i++) {
			const struct exit_key *k = &v[i]->key;
			if (k->isa != ISA_KVM)
				continue;
			snapshot_reason_name(s, k, name, sizeof(name));
			size_t len = strlen(name);
			bool ns = len > 3 && !strcmp(name + len - 3, "_ns");
			if (ns != seconds)
				continue;
			if (!head)
				fprintf(out, "# HELP kvm_vcpu_stat%s_total KVM's cumulative vCPU statistics (KVM_GET_STATS_FD)%s.\n"
					     "# TYPE kvm_vcpu_stat%s_total counter\n",
					seconds ? "_seconds" : "", seconds ? ", the _ns ones in seconds" : "",
					seconds ? "_seconds" : "");
			head = true;
			if (ns)
				name[len - 3] = '\0';
			fprintf(out, "kvm_vcpu_stat%s_total", seconds ? "_seconds" : "");
			vm_labels(out, s, k, with_vcpu);
			fputs(",stat=", out);
			label(out, name);
			if (ns)
				fprintf(out, "} %.9f\n", (double)v[i]->st.count / 1e9);
			else
				fprintf(out, "} %" PRIu64 "\n", v[i]->st.count);
		}
	}
}

static void histograms(FILE *out, const struct snap_entry **v, size_t n)
{
	char name[REASON_NAME_MAX];
	bool head = false;
	for (size_t i = 0; i < n; i++) {
		const struct exit_key *k = &v[i]->key;
		const struct exit_stat *st = &v[i]->st;
		if (k->isa == ISA_KVM || !st->timed)
			continue;
		if (!head)
			fputs("# HELP kvm_exit_handling_seconds Time from a VM exit to the next entry of its vCPU, by exit "
			      "reason, over every VM.\n# TYPE kvm_exit_handling_seconds histogram\n",
			      out);
		head = true;
		reason_format((enum isa)k->isa, k->reason, name, sizeof(name));
		uint64_t cum = 0;
		unsigned slot = 0;
		for (unsigned b = BUCKET_FIRST; b <= BUCKET_LAST; b++) {
			for (; slot < b; slot++)
				cum += st->hist[slot];
			fprintf(out, "kvm_exit_handling_seconds_bucket{isa=\"%s\",reason=", isa_name((enum isa)k->isa));
			label(out, name);
			fprintf(out, ",le=\"%.9g\"} %" PRIu64 "\n", (double)(1ull << b) / 1e9, cum);
		}
		fprintf(out, "kvm_exit_handling_seconds_bucket{isa=\"%s\",reason=", isa_name((enum isa)k->isa));
		label(out, name);
		fprintf(out, ",le=\"+Inf\"} %" PRIu64 "\n", st->timed);
		fprintf(out, "kvm_exit_handling_seconds_sum{isa=\"%s\",reason=", isa_name((enum isa)k->isa));
		label(out, name);
		fprintf(out, "} %.9f\n", (double)st->sum_ns / 1e9);
		fprintf(out, "kvm_exit_handling_seconds_count{isa=\"%s\",reason=", isa_name((enum isa)k->isa));
		label(out, name);
		fprintf(out, "} %" PRIu64 "\n", st->timed);
	}
}

static void health(FILE *out, const struct prom_health *h)
{
	fputs("# HELP kvmexitstat_source_info The source of the numbers.\n# TYPE kvmexitstat_source_info gauge\n"
	      "kvmexitstat_source_info{source=",
	      out);
	label(out, h->source);
	fputs("} 1\n", out);
	/* one counter for each thing the collector can lose (health.h) */
	static const char *const help[H_COUNT] = {
		[H_EXITS_LOST] = "lost_exits_total Exits not counted (the BPF key map was full).",
		[H_PAIRS_LOST] = "lost_pairs_total Exit->entry pairs without a handling time (the pairing map was full).",
		[H_FILTER_FULL] = "lost_filter_verdicts_total VM processes whose -p/-n verdict could not be kept.",
		[H_UNNAMED] = "unnamed_vms_total VMs that ended before they could be named.",
		[H_UNPAIRED] = "unpaired_exits_total Exits without a handling time (no entry followed).",
		[H_SLOW_LOST] = "lost_slow_exits_total Slow exits not listed (the ring buffer was full).",
		[H_RIPS_UNTOLD] = "untold_rips_total Exits counted without their guest RIP (the RIP map was full).",
	};
	for (int i = 0; i < H_COUNT; i++) {
		int n = (int)strcspn(help[i], " ");
		fprintf(out, "# HELP kvmexitstat_%s\n# TYPE kvmexitstat_%.*s counter\nkvmexitstat_%.*s %" PRIu64 "\n",
			help[i], n, help[i], n, help[i], h->lost.n[i]);
	}
	fprintf(out, "# HELP kvmexitstat_last_update_timestamp_seconds When the sources were last read.\n"
		     "# TYPE kvmexitstat_last_update_timestamp_seconds gauge\n"
		     "kvmexitstat_last_update_timestamp_seconds %.3f\n"
		     "# HELP kvmexitstat_readings_total Readings of the sources.\n"
		     "# TYPE kvmexitstat_readings_total counter\nkvmexitstat_readings_total %" PRIu64 "\n",
		h->last_update, h->readings);
}

int prom_render(FILE *out, const struct snapshot *cur, bool with_vcpu, const struct prom_health *h)
{
	struct snapshot by_vm, by_reason;
	const struct snap_entry **v = NULL, **r = NULL;
	size_t n = 0, nr = 0;
	int err = -ENOMEM;

	snapshot_init(&by_vm);
	snapshot_init(&by_reason);
	const struct snapshot *per = cur;
	if (!with_vcpu) {
		if (snapshot_aggregate(&by_vm, cur, BY_VM))
			goto out;
		per = &by_vm;
	}
	if (snapshot_aggregate(&by_reason, cur, BY_REASON))
		goto out;
	v = sorted(per, &n);
	r = sorted(&by_reason, &nr);
	if ((per->len && !v) || (by_reason.len && !r))
		goto out;
	exits(out, per, v, n, with_vcpu);
	histograms(out, r, nr);
	vcpu_stats(out, per, v, n, with_vcpu);
	health(out, h);
	err = fflush(out) || ferror(out) ? -EIO : 0;
out:
	free(v);
	free(r);
	snapshot_free(&by_vm);
	snapshot_free(&by_reason);
	return err;
}
