/* The importer: attribution, pairing, ISA inference, bad lines, the kernel
 * log series, and reading whole inputs. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "feed.h"
#include "importer.h"

struct fixture {
	struct importer im;
	char *errbuf;
	size_t errlen;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	importer_init(&f->im);
	f->im.err = open_memstream(&f->errbuf, &f->errlen);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fclose(f->im.err);
	free(f->errbuf);
	importer_free(&f->im);
	free(f);
	return 0;
}


static const struct exit_stat *get(struct importer *im, uint32_t pid, int32_t vcpu, uint32_t tid,
				   enum isa isa, uint64_t reason)
{
	struct exit_key k = { pid, vcpu, tid, (uint8_t)isa, reason, 0, 0, 0, 0 };
	return snapshot_find(&im->exits, &k);
}

static const char *errtext(struct fixture *f)
{
	fflush(f->im.err);
	return f->errbuf ? f->errbuf : "";
}

static void pairs_exit_with_entry(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     " qemu-10 [000] .... 1.000000: kvm_exit: vcpu 0 reason CPUID rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " qemu-11 [001] .... 1.000001: kvm_exit: vcpu 1 reason HLT rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " qemu-10 [000] .... 1.000003: kvm_entry: vcpu 0, rip 0x3\n"
	     " qemu-11 [001] .... 1.000101: kvm_entry: vcpu 1, rip 0x3\n"
	     " qemu-10 [000] .... 1.000010: kvm_exit: vcpu 0 reason CPUID rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " qemu-10 [000] .... 1.000020: kvm_exit: vcpu 0 reason CPUID rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " qemu-10 [000] .... 1.000025: kvm_entry: vcpu 0, rip 0x3\n");
	const struct exit_stat *cpuid = get(&f->im, 10, 0, 0, ISA_VMX, 10);
	const struct exit_stat *hlt = get(&f->im, 11, 1, 0, ISA_VMX, 12);
	assert_non_null(cpuid);
	assert_non_null(hlt);
	assert_int_equal(cpuid->count, 3);
	assert_int_equal(cpuid->timed, 2);     /* 3000 ns and 5000 ns; the middle one lost its entry */
	assert_int_equal(cpuid->sum_ns, 8000);
	assert_int_equal(cpuid->min_ns, 3000);
	assert_int_equal(cpuid->max_ns, 5000);
	assert_int_equal(hlt->count, 1);
	assert_int_equal(hlt->sum_ns, 100000);
	assert_int_equal(f->im.paired, 3);
	assert_int_equal(f->im.unpaired_exits, 1);
	assert_string_equal(snapshot_name(&f->im.exits, 10, 0), "qemu");
	assert_int_equal(f->im.unparsed, 0);
}

static void old_layout_learns_vcpu_from_entry(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     " qemu-system-x86-6660  [007]   398.691444: kvm_entry:            vcpu 3\n"
	     " qemu-system-x86-6660  [007]   398.691475: kvm_exit:             reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0\n"
	     " other-77  [001]   398.691476: kvm_exit:             reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0\n");
	assert_int_equal(get(&f->im, 6660, 3, 0, ISA_VMX, 30)->count, 1);
	/* no vCPU id known for thread 77: attributed to the thread */
	assert_int_equal(get(&f->im, 77, VCPU_NONE, 77, ISA_VMX, 30)->count, 1);
}

static void exit_before_first_entry_joins_its_vcpu(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     "           <...>-43752 [001]  3615.602298: kvm_exit:             reason EXIT_MSR rip 0x4015c2 info 0 0\n"
	     "           <...>-43752 [001]  3615.602301: kvm_entry:            vcpu 2\n"
	     "           <...>-43752 [001]  3615.602302: kvm_exit:             reason EXIT_MSR rip 0x4015c2 info 6a 0\n");
	assert_int_equal(get(&f->im, 43752, VCPU_NONE, 43752, ISA_SVM, 0x7c)->count, 1);
	assert_int_equal(get(&f->im, 43752, 2, 0, ISA_SVM, 0x7c)->count, 1);
	assert_int_equal(importer_finish(&f->im), 0);
	const struct exit_stat *st = get(&f->im, 43752, 2, 0, ISA_SVM, 0x7c);
	assert_int_equal(st->count, 2);
	assert_int_equal(st->timed, 1);
	assert_int_equal(st->sum_ns, 3000);
	assert_null(get(&f->im, 43752, VCPU_NONE, 43752, ISA_SVM, 0x7c));
	assert_null(snapshot_name(&f->im.exits, 43752, 0)); /* "<...>" is no name */
}

static void tgid_groups_threads_into_a_vm(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     " CPU 0/KVM-101 (  100) [000] .... 1.0: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " CPU 1/KVM-102 (  100) [001] .... 1.0: kvm_exit: vcpu 1 reason EPT_VIOLATION rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n");
	assert_int_equal(get(&f->im, 100, 0, 0, ISA_VMX, 48)->count, 1);
	assert_int_equal(get(&f->im, 100, 1, 0, ISA_VMX, 48)->count, 1);
}

static void isa_from_names_and_numbers(void **state)
{
	struct fixture *f = *state;
	/* A number before any name: ISA unknown until the names show SVM. */
	feed(&f->im,
	     " q-5 [000] 1.0: kvm_exit: vcpu 0 reason 0x7b rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " q-5 [000] 1.1: kvm_exit: vcpu 0 reason npf rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " q-5 [000] 1.2: kvm_exit: vcpu 0 reason Hlt rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n"
	     " q-5 [000] 1.3: kvm_exit: vcpu 0 reason 0x7b rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n");
	/* "Hlt" matches both tables alike; after npf in the same input it is SVM's */
	assert_int_equal(get(&f->im, 5, 0, 0, ISA_SVM, 0x78)->count, 1);
	assert_null(get(&f->im, 5, 0, 0, ISA_VMX, 12));
	assert_int_equal(get(&f->im, 5, 0, 0, ISA_SVM, 0x7b)->count, 1);
	assert_int_equal(get(&f->im, 5, 0, 0, ISA_UNKNOWN, 0x7b)->count, 1);
	assert_int_equal(importer_finish(&f->im), 0);
	assert_int_equal(get(&f->im, 5, 0, 0, ISA_SVM, 0x7b)->count, 2);
	assert_null(get(&f->im, 5, 0, 0, ISA_UNKNOWN, 0x7b));
}

static void forced_isa(void **state)
{
	struct fixture *f = *state;
	f->im.forced_isa = ISA_VMX;
	feed(&f->im,
	     " q-5 [000] 1.0: kvm_exit: reason 48 rip 0x0 info 0 0\n"
	     " q-5 [000] 1.1: kvm_exit: reason npf rip 0x0 info 0 0\n");
	assert_int_equal(get(&f->im, 5, VCPU_NONE, 5, ISA_VMX, 48)->count, 1);
	assert_int_equal(f->im.unparsed, 1); /* npf is no VMX reason */
	assert_non_null(strstr(errtext(f), ":2: cannot decode"));
}

static void undecodable_lines_counted_and_reported(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 8; i++)
		feed(&f->im, " q-5 [000] 1.0: kvm_exit: vcpu 0 reason FROBNICATE rip 0x0 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0\n");
	feed(&f->im, " q-5 [000] 1.0: kvm_exit: vcpu 0 reason CPU");
	assert_int_equal(f->im.unparsed, 8); /* the last may go on in a next line */
	assert_int_equal(importer_end_lines(&f->im), 0);
	assert_int_equal(f->im.unparsed, 9);
	const char *e = errtext(f);
	assert_non_null(strstr(e, "-:1: cannot decode: unknown exit reason name"));
	assert_non_null(strstr(e, "-:5: cannot decode"));
	assert_null(strstr(e, "-:6: cannot decode")); /* only the first five are shown */
	assert_non_null(strstr(e, "more undecodable lines follow"));
}

static void strict_stops(void **state)
{
	struct fixture *f = *state;
	f->im.strict = true;
	const char *l = " q-5 [000] 1.0: kvm_exit: vcpu 0 reason 0x1ffffffffffffffffffff rip 0x0 info 0 0";
	assert_int_equal(importer_line(&f->im, l, strlen(l)), -EINVAL);
	assert_non_null(strstr(errtext(f), "out of range"));
}

static void kernel_log_series(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     "[   10.000000] CMPE283: VMX Exit Stats (total=10000)\n"
	     "[   10.000001] CMPE283: exit 10 count=6000\n"
	     "[   10.000002] CMPE283: exit 30 count=4000\n"
	     "[   20.000000] CMPE283: VMX Exit Stats (total=20000)\n"
	     "[   20.000001] CMPE283: exit 10 count=11000\n"
	     "[   20.000002] CMPE283: exit 30 count=8000\n"
	     "[   20.000003] CMPE283: exit 48 count=1000\n");
	assert_int_equal(importer_finish(&f->im), 0);
	assert_int_equal(f->im.nklogs, 1);
	const struct klog_series *k = &f->im.klogs[0];
	assert_false(k->has_id);
	assert_int_equal(k->npoints, 2);
	assert_int_equal(k->isa, ISA_VMX);
	assert_int_equal(k->points[0].total, 10000);
	assert_int_equal(k->points[0].sum, 10000);
	assert_int_equal(k->points[1].total, 20000);
	assert_int_equal(k->points[1].sum, 20000);
	assert_true(k->points[1].ts_ns == 20000000000ull);
	struct exit_key cpuid = { PID_ALL, VCPU_ALL, 0, ISA_VMX, 10, 0, 0, 0, 0 }, ept = { PID_ALL, VCPU_ALL, 0, ISA_VMX, 48, 0, 0, 0, 0 };
	assert_int_equal(snapshot_find(&k->last, &cpuid)->count, 11000);
	assert_int_equal(snapshot_find(&k->first, &cpuid)->count, 6000);
	assert_int_equal(snapshot_find(&k->last, &ept)->count, 1000);
	assert_null(snapshot_find(&k->first, &ept));
	assert_int_equal(f->im.exits.len, 0); /* kernel log counts are not trace exits */
}

static void kernel_log_svm_hex(void **state)
{
	struct fixture *f = *state;
	/* the patch prints "unknown" for the reasons its module does not know */
	feed(&f->im, "CMPE283: SVM Exit Stats (total=6)\nCMPE283: exit 0x72 count=2\nCMPE283: exit 0x400 count=1\n"
		     "CMPE283: exit unknown count=3\n");
	struct exit_key npf = { PID_ALL, VCPU_ALL, 0, ISA_SVM, 0x400, 0, 0, 0, 0 };
	struct exit_key other = { PID_ALL, VCPU_ALL, 0, ISA_SVM, REASON_OTHER, 0, 0, 0, 0 };
	assert_int_equal(snapshot_find(&f->im.klogs[0].last, &npf)->count, 1);
	assert_int_equal(snapshot_find(&f->im.klogs[0].last, &other)->count, 3);
	assert_int_equal(f->im.klogs[0].points[0].sum, 6);
	assert_int_equal(f->im.klogs[0].isa, ISA_SVM);
	assert_int_equal(f->im.unparsed, 0);
	char name[REASON_NAME_MAX];
	assert_string_equal(reason_format(ISA_SVM, REASON_OTHER, name, sizeof(name)), "unknown");
	assert_string_equal(reason_format(ISA_VMX, REASON_OTHER, name, sizeof(name)), "unknown");
}

/* kvmexitstat's kernel patch: each vCPU reports on its own, its header
 * naming it; interleaved reports of two vCPUs are two series. */
static void kernel_log_per_vcpu(void **state)
{
	struct fixture *f = *state;
	feed(&f->im,
	     "[ 1.0] CMPE283: SVM Exit Stats (total=100) pid=42 vcpu=0\n"
	     "[ 1.0] CMPE283: exit 0x72 count=90\n"
	     "[ 1.0] CMPE283: exit 0x7b count=10\n"
	     "[ 1.5] CMPE283: SVM Exit Stats (total=100) pid=42 vcpu=1\n"
	     "[ 1.5] CMPE283: exit 0x78 count=100\n"
	     "[ 2.0] CMPE283: SVM Exit Stats (total=200) pid=42 vcpu=0 skipped=3\n"
	     "[ 2.0] CMPE283: exit 0x72 count=170\n"
	     "[ 2.0] CMPE283: exit 0x7b count=30\n"
	     "[ 3.0] CMPE283: SVM Exit Stats (total=150) pid=42 vcpu=1 skipped=1 final\n"
	     "[ 3.0] CMPE283: exit 0x78 count=150\n");
	assert_int_equal(importer_finish(&f->im), 0);
	assert_int_equal(f->im.unparsed, 0);
	assert_int_equal(f->im.nklogs, 2);
	const struct klog_series *a = &f->im.klogs[0], *b = &f->im.klogs[1];
	assert_true(a->has_id && a->pid == 42 && a->vcpu == 0);
	assert_true(b->has_id && b->pid == 42 && b->vcpu == 1);
	assert_int_equal(a->npoints, 2);
	assert_int_equal(b->npoints, 2);
	assert_int_equal(a->skipped, 3);
	assert_false(a->final);
	assert_true(b->final && b->skipped == 1);
	assert_int_equal(a->points[1].sum, 200);
	struct exit_key cpuid0 = { 42, 0, 0, ISA_SVM, 0x72, 0, 0, 0, 0 }, hlt1 = { 42, 1, 0, ISA_SVM, 0x78, 0, 0, 0, 0 };
	assert_int_equal(snapshot_find(&a->last, &cpuid0)->count, 170);
	assert_int_equal(snapshot_find(&a->first, &cpuid0)->count, 90);
	assert_int_equal(snapshot_find(&b->last, &hlt1)->count, 150);
	assert_null(snapshot_find(&a->last, &hlt1));
}

static void kernel_log_bad_ids(void **state)
{
	struct fixture *f = *state;
	feed(&f->im, "CMPE283: SVM Exit Stats (total=3) pid=1\n"
		     "CMPE283: SVM Exit Stats (total=3) pid=x vcpu=0\n"
		     "CMPE283: SVM Exit Stats (total=3) pid=1 vcpu=99999999999\n");
	assert_int_equal(f->im.unparsed, 3);
	assert_non_null(strstr(errtext(f), "only one of pid= and vcpu="));
	assert_non_null(strstr(errtext(f), "bad pid=, vcpu= or skipped= number"));
}

static int read_text(struct fixture *f, const char *data, size_t len)
{
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	if (fork() == 0) {
		close(fd[0]);
		size_t off = 0;
		while (off < len) {
			ssize_t n = write(fd[1], data + off, len - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(fd[1]);
	int err = importer_read_fd(&f->im, fd[0], "input");
	close(fd[0]);
	return err;
}

static void read_last_line_without_newline(void **state)
{
	struct fixture *f = *state;
	const char *t = " q-5 [000] 1.0: kvm_exit: reason CPUID rip 0x0 info 0 0\n"
			" q-5 [000] 1.1: kvm_exit: reason CPUID rip 0x0 info 0 0";
	assert_int_equal(read_text(f, t, strlen(t)), 0);
	assert_int_equal(get(&f->im, 5, VCPU_NONE, 5, ISA_VMX, 10)->count, 2);
}

static void read_overlong_line(void **state)
{
	struct fixture *f = *state;
	size_t big = 200000;
	char *buf = malloc(big + 200);
	const char *exit_line = " q-5 [000] 1.0: kvm_exit: reason CPUID rip 0x0 info 0 0\n";
	strcpy(buf, exit_line);
	size_t off = strlen(buf);
	memset(buf + off, 'x', big);
	off += big;
	buf[off++] = '\n';
	strcpy(buf + off, exit_line);
	off += strlen(exit_line);
	assert_int_equal(read_text(f, buf, off), 0);
	assert_int_equal(get(&f->im, 5, VCPU_NONE, 5, ISA_VMX, 10)->count, 2);
	assert_int_equal(f->im.lineno, 3);
	free(buf);
}

static void read_binary_rejected(void **state)
{
	struct fixture *f = *state;
	const char bin[] = "abc\0def kvm_exit: reason CPUID rip 0 info 0 0\n";
	assert_int_equal(read_text(f, bin, sizeof(bin) - 1), -EINVAL);
	assert_non_null(strstr(errtext(f), "input: binary data at byte 3"));
	assert_int_equal(f->im.exits.len, 0);
}

static void read_empty_and_eventless(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(read_text(f, "", 0), -ENODATA);
	assert_non_null(strstr(errtext(f), "input: empty input"));
	assert_int_equal(read_text(f, "hello\nworld\n", 12), -ENODATA);
	assert_non_null(strstr(errtext(f), "no kvm_exit, kvm_entry or CMPE283 lines in 2 lines"));
}

/* --rip: each exit counted at its guest RIP too, under the key its count
 * ends in: the detail a kvm_pio line gives it, the vCPU a later kvm_entry
 * names. An exit line without a RIP is counted, at no RIP. */
static void rips_follow_their_exits(void **state)
{
	struct fixture *f = *state;
	f->im.details = true;
	f->im.rips = true;
	feed(&f->im, " qemu-10 [000] 1.000000: kvm_exit: reason IO_INSTRUCTION rip 0x4010 info 0 0\n"
		     " qemu-10 [000] 1.000001: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x41\n"
		     " qemu-10 [000] 1.000002: kvm_entry: vcpu 1\n"
		     " qemu-10 [000] 1.000003: kvm_exit: reason IO_INSTRUCTION rip 0x4010 info 0 0\n"
		     " qemu-10 [000] 1.000004: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x41\n"
		     " qemu-10 [000] 1.000005: kvm_entry: vcpu 1\n"
		     " qemu-10 [000] 1.000006: kvm_exit: reason HLT rip ffffffff81000040 info 0 0\n"
		     " qemu-10 [000] 1.000007: kvm_entry: vcpu 1\n"
		     " qemu-10 [000] 1.000008: kvm_exit: vcpu 1 reason HLT\n");
	assert_int_equal(importer_finish(&f->im), 0);
	const struct snap_entry *e, *v[4];
	size_t seen = 0;
	for (size_t i = 0; (e = snapshot_next(&f->im.exits, &i));) {
		if (!e->st.count)
			continue; /* the key an exit was at before its kvm_pio line */
		assert_int_equal(e->key.vcpu, 1);
		size_t n = snapshot_top_rips(&f->im.exits, &e->key, v, 4);
		if (e->key.reason == 30) { /* IO_INSTRUCTION, at port 0x3f8 */
			assert_true(e->key.detail != 0);
			assert_int_equal(e->st.count, 2);
			assert_int_equal(n, 1);
			assert_int_equal(v[0]->key.rip, 0x4010);
			assert_int_equal(v[0]->st.count, 2);
		} else {
			assert_int_equal(e->key.reason, 12); /* HLT: one with its RIP, one without */
			assert_int_equal(e->st.count, 2);
			assert_int_equal(n, 1);
			assert_int_equal(v[0]->key.rip, 0xffffffff81000040ull);
			assert_int_equal(v[0]->st.count, 1);
		}
		assert_int_equal(v[0]->key.ring, RING_UNKNOWN);
		seen++;
	}
	assert_int_equal(seen, 2);
	uint64_t sum = 0;
	for (size_t i = 0; (e = snapshot_next(f->im.exits.rips, &i));)
		sum += e->st.count;
	assert_int_equal(sum, 3); /* none left behind where an exit was before */
}

static void read_missing_file(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(importer_read_path(&f->im, "/nonexistent/trace.txt"), -ENOENT);
	assert_non_null(strstr(errtext(f), "/nonexistent/trace.txt: cannot open: No such file"));
}

/* ---- a file read in parallel parts equals one stream ------------------ */

static void write_tricky_trace(const char *path)
{
	FILE *f = fopen(path, "w");
	uint64_t r = 12345, ts = 1000000;
	assert_non_null(f);
	/* numbers and alike-spelt names before any named exit: hint-dependent */
	fprintf(f, " q-1 [000] 0.000001: kvm_exit: reason 0x7b rip 0x0 info 0 0\n");
	fprintf(f, " q-1 [000] 0.000002: kvm_exit: reason Hlt rip 0x0 info 0 0\n");
	for (int i = 0; i < 3000; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		unsigned k = (unsigned)(r >> 33);
		unsigned tid = 100 + k % 5;
		ts += 1 + k % 7;
		const char *names[] = { "CPUID", "npf", "Hlt", "0x30", "48", "EXIT_IOIO", "FROBNICATE", "GP excp" };
		switch (k % 11) {
		case 0: case 1: case 2: case 3:
			/* some wrapped by a mail client, after "rip" or after "info 0" */
			fprintf(f, " q-%u [00%u] %llu.%06llu: kvm_exit: reason %s rip%s\n", tid, tid % 4,
				(unsigned long long)(ts / 1000000), (unsigned long long)(ts % 1000000), names[(k >> 8) % 8],
				(k >> 12) % 5 == 0 ? "\n0x10 info 0 0" : (k >> 12) % 5 == 1 ? " 0x20 info 0\n0" : " 0x30 info 0 0");
			break;
		case 4: case 5: case 6:
			fprintf(f, " q-%u [00%u] %llu.%06llu: kvm_entry: vcpu %u\n", tid, tid % 4,
				(unsigned long long)(ts / 1000000), (unsigned long long)(ts % 1000000), tid - 100);
			break;
		case 7:
			fprintf(f, " q-%u [000] %llu.%06llu: kvm_exit: vcpu %u reason CR_ACCESS rip 0x0 info1 0x0 info2 0x0 "
				   "intr_info 0x0 error_code 0x0\n", tid, (unsigned long long)(ts / 1000000),
				(unsigned long long)(ts % 1000000), tid - 100);
			break;
		case 8:
			/* reports of the whole log and of three vCPUs, interleaved */
			fprintf(f, "[ %llu.000000] CMPE283: VMX Exit Stats (total=%d)", (unsigned long long)(ts / 1000000),
				i * 3);
			if (i % 4)
				fprintf(f, " pid=7 vcpu=%d%s", i % 4, i % 3 ? "" : i % 2 ? " skipped=2 final" : " skipped=2");
			fprintf(f, "\nCMPE283: exit 10 count=%d\nCMPE283: exit 48 count=%d\n", i * 2, i);
			break;
		case 9:
			fprintf(f, " q-%u [000] %llu.%06llu: kvm_exit: vcpu 0 reason CPU\n", tid,
				(unsigned long long)(ts / 1000000), (unsigned long long)(ts % 1000000));
			break;
		default:
			/* prose, a trace header, and captures that start anew: the
			 * time goes back, or jumps by seconds after prose, or by
			 * minutes */
			switch ((k >> 8) % 8) {
			case 0:
				fprintf(f, "# tracer: nop\n");
				break;
			case 1:
				ts -= ts > 5000000 ? 5000000 : 0;
				break;
			case 2:
				ts += 2000000;
				fprintf(f, "the second capture %u\n", k);
				break;
			case 3:
				ts += 61000000;
				break;
			case 4:
				ts += 2000000; /* a gap without prose: one capture */
				break;
			default:
				fprintf(f, "some prose between the lines %u\n", k);
			}
		}
	}
	fclose(f);
}

static void import_file(struct importer *im, char **err, size_t *errlen, const char *path,
			unsigned threads, uint64_t split_min)
{
	importer_init(im);
	im->err = open_memstream(err, errlen);
	im->threads = threads;
	im->split_min = split_min;
	im->rips = true;
	int rc = importer_read_path(im, path);
	assert_true(rc == 0 || rc == -ENODATA);
	assert_int_equal(importer_finish(im), 0);
	fclose(im->err);
	im->err = NULL;
}

static void assert_same_stat(const struct exit_stat *a, const struct exit_stat *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->timed, b->timed);
	assert_int_equal(a->sum_ns, b->sum_ns);
	if (a->timed) {
		assert_int_equal(a->min_ns, b->min_ns);
		assert_int_equal(a->max_ns, b->max_ns);
	}
	assert_memory_equal(a->hist, b->hist, sizeof(a->hist));
}

static void assert_same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->len, b->len);
	const struct snap_entry *e;
	for (size_t i = 0; (e = snapshot_next(a, &i));) {
		const struct exit_stat *o = snapshot_find(b, &e->key);
		if (!o)
			fail_msg("key pid %u vcpu %d tid %u isa %u reason %#llx missing", e->key.pid, e->key.vcpu,
				 e->key.tid, e->key.isa, (unsigned long long)e->key.reason);
		assert_same_stat(&e->st, o);
	}
	/* and the counts per guest RIP */
	assert_int_equal(a->rips ? a->rips->len : 0, b->rips ? b->rips->len : 0);
	for (size_t i = 0; a->rips && (e = snapshot_next(a->rips, &i));) {
		const struct exit_stat *o = snapshot_find(b->rips, &e->key);
		if (!o)
			fail_msg("rip %#llx of reason %#llx missing", (unsigned long long)e->key.rip,
				 (unsigned long long)e->key.reason);
		assert_int_equal(e->st.count, o->count);
	}
}

static void assert_same_import(const char *path, unsigned threads, uint64_t split_min)
{
	struct importer one, many;
	char *e1 = NULL, *e2 = NULL;
	size_t l1, l2;

	import_file(&one, &e1, &l1, path, 1, split_min);
	import_file(&many, &e2, &l2, path, threads, split_min);
	assert_same_snapshot(&one.exits, &many.exits);
	assert_int_equal(one.lines, many.lines);
	assert_int_equal(one.events, many.events);
	assert_int_equal(one.unparsed, many.unparsed);
	assert_int_equal(one.paired, many.paired);
	assert_int_equal(one.unpaired_exits, many.unpaired_exits);
	assert_int_equal(one.unpaired_boundary, many.unpaired_boundary);
	assert_int_equal(one.first_ts, many.first_ts);
	assert_int_equal(one.last_ts, many.last_ts);
	assert_int_equal(one.nklogs, many.nklogs);
	for (size_t s = 0; s < one.nklogs; s++) {
		const struct klog_series *x = &one.klogs[s], *y = &many.klogs[s];
		assert_true(x->has_id == y->has_id && x->pid == y->pid && x->vcpu == y->vcpu);
		assert_int_equal(x->skipped, y->skipped);
		assert_int_equal(x->final, y->final);
		assert_int_equal(x->npoints, y->npoints);
		for (size_t i = 0; i < x->npoints; i++) {
			const struct klog_point *a = &x->points[i], *b = &y->points[i];
			assert_int_equal(a->has_ts, b->has_ts);
			assert_int_equal(a->ts_ns, b->ts_ns);
			assert_int_equal(a->total, b->total);
			assert_int_equal(a->sum, b->sum);
		}
		assert_same_snapshot(&x->first, &y->first);
		assert_same_snapshot(&x->last, &y->last);
	}
	assert_string_equal(e1 ? e1 : "", e2 ? e2 : "");
	free(e1);
	free(e2);
	importer_free(&one);
	importer_free(&many);
}

/* Two captures: the prose between them ends the first part, the second
 * part begins with the entry two seconds later; serial and parallel both
 * leave the exit unpaired, for that reason. */
static void parallel_capture_at_part_start(void **state)
{
	(void)state;
	char path[] = "/tmp/kvmexitstat-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, " q-1 [000] 1.000000: kvm_exit: vcpu 0 reason HLT rip 0x0 info 0 0\n");
	fprintf(f, "And after the change, %0200d\n", 0);
	fprintf(f, " q-1 [000] 3.000000: kvm_entry: vcpu 0\n");
	fclose(f);
	struct importer one, two;
	char *e1 = NULL, *e2 = NULL;
	size_t l1, l2;
	import_file(&one, &e1, &l1, path, 1, 16);
	import_file(&two, &e2, &l2, path, 2, 16);
	assert_int_equal(two.parts, 2);
	assert_int_equal(one.unpaired_boundary, 1);
	assert_int_equal(two.unpaired_boundary, 1);
	assert_int_equal(one.paired + two.paired, 0);
	importer_free(&one);
	importer_free(&two);
	free(e1);
	free(e2);
	unlink(path);
}

static void parallel_equals_serial(void **state)
{
	(void)state;
	char path[] = "/tmp/kvmexitstat-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_tricky_trace(path);
	assert_same_import(path, 2, 4096);
	assert_same_import(path, 4, 1000);
	assert_same_import(path, 16, 200);
	/* small parts put part boundaries everywhere: after prose, inside
	 * kernel-log blocks' neighbourhoods, between an exit and its entry */
	for (unsigned t = 2; t <= 8; t *= 2)
		for (uint64_t split = 37; split < 4096; split = split * 3 + 1)
			assert_same_import(path, t, split);

	/* and the file really was read in parts */
	struct importer im;
	char *e = NULL;
	size_t l;
	import_file(&im, &e, &l, path, 16, 200);
	assert_int_equal(im.parts, 16);
	assert_true(im.paired > 0);
	assert_true(im.unpaired_boundary > 0); /* the trace has several captures */
	assert_true(im.unparsed > 100);
	assert_non_null(strstr(e, "more undecodable lines follow"));
	free(e);
	importer_free(&im);
	unlink(path);

	const char *traces[] = { "tests/data/traces/trace_mkrause_nested_esxi_cr0wp.txt",
				 "tests/data/traces/trace_vkuznets_svm_gp_loop.txt",
				 "tests/data/traces/trace_manali_amd_idlehlt_svm.txt",
				 "tests/data/traces/written_wrapped_lines.txt",
				 "tests/data/traces/written_quoted_printable.txt" };
	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++)
		for (uint64_t split = 40; split < 1000; split = split * 2 + 1)
			assert_same_import(traces[i], 8, split);
}

/* A wrapped record is one record, and a message about it names its first line. */
static void wrapped_record_joined(void **state)
{
	struct fixture *f = *state;
	feed(&f->im, " q-5 [001] 1.000001: kvm_exit: vcpu 0 reason npf rip\n"
		     "0xfd11d info 100000014 fd000\n"
		     " q-5 [001] 1.000003: kvm_entry: vcpu 0\n"
		     " q-5 [001] 1.000005: kvm_exit: vcpu 0 reason FROBNICATE rip\n"
		     "0x1 info 0 0\n"
		     " q-5 [001] 1.000007: kvm_entry: vcpu 0\n"
		     " q-5 [001] 1.000009: kvm_exit: vcpu 0 reason hlt\n"
		     "Then the guest sleeps.\n");
	assert_int_equal(importer_finish(&f->im), 0); /* (reads the line still held) */
	const struct exit_stat *st = get(&f->im, 5, 0, 0, ISA_SVM, 1024);
	assert_non_null(st);
	assert_int_equal(st->count, 1);
	assert_int_equal(st->timed, 1);
	assert_int_equal(st->sum_ns, 2000);
	st = get(&f->im, 5, 0, 0, ISA_SVM, 120);
	assert_non_null(st);
	assert_int_equal(st->count, 1);
	assert_int_equal(f->im.unparsed, 1);
	assert_int_equal(f->im.lines, 8);
	fflush(f->im.err);
	assert_non_null(strstr(errtext(f), ":4: cannot decode: unknown exit reason name"));
	assert_non_null(strstr(errtext(f), "FROBNICATE rip 0x1 info 0 0"));
}

/* Quoted-printable text is undone once a line shows it; a file of it is
 * read in one stream (a soft break may fall on a part boundary). */
static void quoted_printable_read(void **state)
{
	(void)state;
	char path[] = "/tmp/kvmexitstat-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *out = fdopen(fd, "w");
	for (int i = 0; i < 400; i++)
		fprintf(out, " qemu-system-x86-7 [001] 1.%06d: kvm_exit: vcpu 0 reason EPT_VIO=\nLATION rip 0x1 info1 0x0 info2 0x0 "
			     "intr_info 0x0 error_code 0x0\n qemu-system-x86-7 [001] 1.%06d: kvm_entry: vcpu 0, rip 0x=\n2\n",
			2 * i, 2 * i + 1);
	fclose(out);
	assert_same_import(path, 4, 1000);
	struct importer im;
	char *e = NULL;
	size_t l;
	import_file(&im, &e, &l, path, 4, 1000);
	assert_int_equal(im.parts, 1);
	assert_int_equal(im.unparsed, 0);
	assert_int_equal(im.lines, 1600);
	struct exit_key k = { 7, 0, 0, ISA_VMX, 48, 0, 0, 0, 0 };
	const struct exit_stat *st = snapshot_find(&im.exits, &k);
	assert_non_null(st);
	assert_int_equal(st->count, 400);
	assert_int_equal(st->timed, 400);
	free(e);
	importer_free(&im);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pairs_exit_with_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(old_layout_learns_vcpu_from_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_before_first_entry_joins_its_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(tgid_groups_threads_into_a_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(isa_from_names_and_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(forced_isa, setup, teardown),
		cmocka_unit_test_setup_teardown(undecodable_lines_counted_and_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(strict_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_log_series, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_log_svm_hex, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_log_per_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_log_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(read_last_line_without_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(read_overlong_line, setup, teardown),
		cmocka_unit_test_setup_teardown(read_binary_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(read_empty_and_eventless, setup, teardown),
		cmocka_unit_test_setup_teardown(read_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(rips_follow_their_exits, setup, teardown),
		cmocka_unit_test(parallel_capture_at_part_start),
		cmocka_unit_test(parallel_equals_serial),
		cmocka_unit_test_setup_teardown(wrapped_record_joined, setup, teardown),
		cmocka_unit_test(quoted_printable_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
