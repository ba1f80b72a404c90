/* The Prometheus exposition: hardware reasons per VM, a histogram per
 * reason whose buckets are cumulative and end in the count, KVM's
 * statistics in their own families, label escaping; and promtool (when
 * installed, as make check installs it) accepts the whole text. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "prom.h"

static char *render(const struct snapshot *s, bool vcpu)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct prom_health h = { "tp_btf (SVM)", { { [H_EXITS_LOST] = 1, [H_PAIRS_LOST] = 3, [H_FILTER_FULL] = 4,
						      [H_UNNAMED] = 5, [H_UNPAIRED] = 2 } },
				 1700000000.5, 7 };
	assert_int_equal(prom_render(f, s, vcpu, &h), 0);
	fclose(f);
	return buf;
}

static void add(struct snapshot *s, uint32_t pid, int32_t vcpu, enum isa isa, uint64_t code, uint64_t n,
		uint64_t ns)
{
	struct exit_key k = { pid, vcpu, 0, (uint8_t)isa, code, 0, 0, 0, 0 };
	struct exit_stat *st = snapshot_get(s, &k);
	stat_add_count(st, n);
	for (uint64_t i = 0; i < n && ns; i++)
		stat_add_time(st, ns);
}

static void exposition(void **state)
{
	(void)state;
	struct snapshot s;
	snapshot_init(&s);
	add(&s, 4194342, 0, ISA_SVM, 0x72, 10, 1500);   /* cpuid, 1.5 us each */
	add(&s, 4194342, 1, ISA_SVM, 0x72, 5, 3000000); /* cpuid, 3 ms each */
	add(&s, 4194342, 0, ISA_SVM, 0x400, 2, 0);      /* npf, untimed */
	snapshot_set_name(&s, 4194342, 0, "web \"1\"");
	char *t = render(&s, false);
	/* per VM, summed over vCPUs, name escaped */
	assert_non_null(strstr(t, "kvm_exits_total{vm=\"web \\\"1\\\"\",pid=\"4194342\",vm_start=\"0\",isa=\"svm\",reason=\"cpuid\"} 15\n"));
	assert_non_null(strstr(t, ",isa=\"svm\",reason=\"npf\"} 2\n"));
	/* histogram: 1.5 us exits are below 2.048 us, 3 ms ones below 4.19 ms */
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_bucket{isa=\"svm\",reason=\"cpuid\",le=\"1.024e-06\"} 0\n"));
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_bucket{isa=\"svm\",reason=\"cpuid\",le=\"2.048e-06\"} 10\n"));
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_bucket{isa=\"svm\",reason=\"cpuid\",le=\"0.002097152\"} 10\n"));
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_bucket{isa=\"svm\",reason=\"cpuid\",le=\"0.004194304\"} 15\n"));
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_bucket{isa=\"svm\",reason=\"cpuid\",le=\"+Inf\"} 15\n"));
	assert_non_null(strstr(t, "kvm_exit_handling_seconds_sum{isa=\"svm\",reason=\"cpuid\"} 0.015015000\n"));
	assert_null(strstr(t, "reason=\"npf\",le=")); /* untimed: no histogram */
	assert_non_null(strstr(t, "kvmexitstat_lost_exits_total 1\n"));
	assert_non_null(strstr(t, "kvmexitstat_lost_pairs_total 3\n"));
	assert_non_null(strstr(t, "kvmexitstat_lost_filter_verdicts_total 4\n"));
	assert_non_null(strstr(t, "kvmexitstat_unnamed_vms_total 5\n"));
	assert_non_null(strstr(t, "kvmexitstat_unpaired_exits_total 2\n"));
	assert_non_null(strstr(t, "# TYPE kvmexitstat_unnamed_vms_total counter\n"));
	assert_null(strstr(t, "vcpu=")); /* not asked for */
	free(t);
	t = render(&s, true);
	assert_non_null(strstr(t, "vm_start=\"0\",vcpu=\"1\",isa=\"svm\",reason=\"cpuid\"} 5\n"));
	free(t);
	snapshot_free(&s);
}

static void kvm_statistics(void **state)
{
	(void)state;
	const char *names[] = { "exits", "io_exits", "halt_wait_ns" };
	struct kvm_counters *kc = kvm_counters_new(names, 3, true);
	assert_non_null(kc);
	struct snapshot s;
	snapshot_init(&s);
	snapshot_set_kvm(&s, kc);
	kvm_counters_unref(kc); /* the snapshot holds it now */
	add(&s, 4194307, 0, ISA_KVM, 0, 100, 0);
	add(&s, 4194307, 0, ISA_KVM, 1, 30, 0);
	add(&s, 4194307, 0, ISA_KVM, 2, 2500000000u, 0);
	char *t = render(&s, false);
	/* alone, KVM's statistics give the VM's exits without reasons */
	assert_non_null(strstr(t, "kvm_exits_total{vm=\"\",pid=\"4194307\",vm_start=\"0\",isa=\"kvm\",reason=\"all\"} 100\n"));
	assert_non_null(strstr(t, "kvm_vcpu_stat_total{vm=\"\",pid=\"4194307\",vm_start=\"0\",stat=\"io_exits\"} 30\n"));
	assert_non_null(strstr(t, "kvm_vcpu_stat_seconds_total{vm=\"\",pid=\"4194307\",vm_start=\"0\",stat=\"halt_wait\"} 2.500000000\n"));
	free(t);
	/* beside the tracepoint's reasons, "all" would count the exits twice */
	add(&s, 4194307, 0, ISA_SVM, 0x72, 100, 0);
	t = render(&s, false);
	assert_null(strstr(t, "reason=\"all\""));
	free(t);
	snapshot_free(&s);
}

static void promtool_accepts(void **state)
{
	(void)state;
	if (access("/usr/bin/promtool", X_OK)) {
		skip(); /* make check installs it (tests/deps.sh) */
		return;
	}
	struct snapshot s;
	snapshot_init(&s);
	add(&s, 4194342, 0, ISA_SVM, 0x72, 10, 1500);
	add(&s, 4194343, 0, ISA_VMX, 48, 3, 800);
	snapshot_set_name(&s, 4194342, 0, "a\\b\nc");
	char *t = render(&s, true);
	FILE *p = popen("/usr/bin/promtool check metrics >/dev/null 2>&1", "w");
	assert_non_null(p);
	fputs(t, p);
	int st = pclose(p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(t);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exposition),
		cmocka_unit_test(kvm_statistics),
		cmocka_unit_test(promtool_accepts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
