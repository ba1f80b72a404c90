/* Guest symbol files: System.map / kallsyms text and ELF read into a
 * table that names RIPs; bad files refused with the file and line; the
 * snapshot's RIP counts kept apart from its keys' and carried through
 * diff, aggregation and folding. */
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

#include "guest_symbols.h"
#include "snapshot.h"

static char *write_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/kvmexitstat-syms-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char *name(const struct guest_symtab *t, uint64_t rip)
{
	static char buf[128];
	return guest_symtab_name(t, rip, buf, sizeof(buf));
}

static void system_map(void **state)
{
	(void)state;
	char msg[256] = "";
	struct guest_symtab t;
	char *p = write_file("ffffffff81000000 T _stext\n"
			     "ffffffff81000100 t native_write_msr\n"
			     "ffffffff81000000 A absolute_ignored\n"
			     "ffffffff81000200 T pit_read [pit]\n"
			     "ffffffff81000180 W weak_one\n");
	assert_int_equal(guest_symtab_load(&t, p, msg, sizeof(msg)), 0);
	unlink(p);
	assert_int_equal(t.n, 4);
	assert_string_equal(name(&t, 0xffffffff81000000), "_stext");
	assert_string_equal(name(&t, 0xffffffff81000108), "native_write_msr+0x8");
	assert_string_equal(name(&t, 0xffffffff8100017f), "native_write_msr+0x7f");
	assert_string_equal(name(&t, 0xffffffff81000180), "weak_one");
	assert_string_equal(name(&t, 0xffffffff81000210), "pit_read [pit]+0x10");
	assert_null(name(&t, 0xffffffff80ffffff)); /* below the first */
	assert_null(name(&t, 0xffffffff81001200)); /* too far past the last */
	guest_symtab_free(&t);
}

static void bad_files(void **state)
{
	(void)state;
	char msg[256] = "";
	struct guest_symtab t;
	char *p = write_file("ffffffff81000000 T _stext\nthis is not a symbol\n");
	assert_int_equal(guest_symtab_load(&t, p, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, ":2: not a symbol line"));
	unlink(p);
	p = write_file("0000000000000000 T _stext\n0000000000000000 t x\n");
	assert_int_equal(guest_symtab_load(&t, p, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "every address in it is 0"));
	unlink(p);
	p = write_file("");
	assert_int_equal(guest_symtab_load(&t, p, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "no symbols"));
	unlink(p);
	assert_int_equal(guest_symtab_load(&t, "/nonexistent/System.map", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "cannot read /nonexistent/System.map"));
}

/* An ELF file: this test binary's own symbols, main among them. */
static void elf_file(void **state)
{
	(void)state;
	char msg[256] = "", self[256];
	struct guest_symtab t;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(guest_symtab_load(&t, self, msg, sizeof(msg)), 0);
	bool found = false;
	for (size_t i = 0; i < t.n; i++)
		if (!strcmp(t.v[i].name, "system_map")) {
			found = true;
			assert_true(t.v[i].size > 0);
			assert_string_equal(name(&t, t.v[i].addr + 1), "system_map+0x1");
			assert_true(!name(&t, t.v[i].addr + t.v[i].size) ||
				    strncmp(name(&t, t.v[i].addr + t.v[i].size), "system_map", 10));
		}
	assert_true(found);
	guest_symtab_free(&t);
}

static void per_vm(void **state)
{
	(void)state;
	struct guest_symbols g = { 0 };
	char msg[256];
	char *p = write_file("1000 T all_vms\n");
	char path[64], arg[96];
	snprintf(path, sizeof(path), "%s", p);
	assert_int_equal(guest_symbols_add(&g, path, msg, sizeof(msg)), 0);
	assert_int_equal(guest_symbols_add(&g, path, msg, sizeof(msg)), -EINVAL); /* twice for every VM */
	p = write_file("1000 T vm_web\n");
	snprintf(arg, sizeof(arg), "web=%s", p);
	assert_int_equal(guest_symbols_add(&g, arg, msg, sizeof(msg)), 0);
	unlink(p);
	p = write_file("1000 T vm_42\n");
	snprintf(arg, sizeof(arg), "42=%s", p);
	assert_int_equal(guest_symbols_add(&g, arg, msg, sizeof(msg)), 0);
	unlink(p);
	unlink(path);
	assert_string_equal(name(guest_symbols_for(&g, 7, "web"), 0x1000), "vm_web");
	assert_string_equal(name(guest_symbols_for(&g, 42, "db"), 0x1000), "vm_42");
	assert_string_equal(name(guest_symbols_for(&g, 7, "db"), 0x1000), "all_vms");
	assert_string_equal(name(guest_symbols_for(&g, PID_ALL, NULL), 0x1000), "all_vms");
	assert_int_equal(guest_symbols_add(&g, "x=", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "expected FILE or VM=FILE"));
	guest_symbols_free(&g);
}

static void add_rip(struct snapshot *s, uint32_t pid, int32_t vcpu, uint64_t detail, uint64_t rip, uint64_t n)
{
	struct exit_key k = { .pid = pid, .vcpu = vcpu, .isa = ISA_SVM, .reason = 0x7b, .detail = detail };
	stat_add_count(snapshot_get(s, &k), n);
	k.rip = rip;
	k.ring = RING_KERNEL;
	stat_add_count(snapshot_get_rip(s, &k), n);
}

static void snapshot_rips(void **state)
{
	(void)state;
	struct snapshot a, b, d, agg, fold;
	snapshot_init(&a);
	snapshot_init(&b);
	snapshot_init(&d);
	snapshot_init(&agg);
	snapshot_init(&fold);
	add_rip(&a, 10, 0, 1, 0x100, 5);
	add_rip(&b, 10, 0, 1, 0x100, 5);
	add_rip(&b, 10, 0, 1, 0x100, 3); /* 8 */
	add_rip(&b, 10, 1, 2, 0x200, 4);
	add_rip(&b, 10, 1, 1, 0x300, 9);
	/* the RIPs' counts are not the keys' */
	struct exit_stat total;
	snapshot_total(&b, &total);
	assert_int_equal(total.count, 21);
	assert_int_equal(snapshot_diff(&d, &b, &a), 0);
	const struct snap_entry *v[4];
	struct exit_key k = { .pid = 10, .vcpu = 0, .isa = ISA_SVM, .reason = 0x7b, .detail = 1 };
	assert_int_equal(snapshot_top_rips(&d, &k, v, 4), 1);
	assert_int_equal(v[0]->st.count, 3);
	/* by VM and folded: one key, its RIPs most first */
	assert_int_equal(snapshot_aggregate(&agg, &b, BY_VM), 0);
	assert_int_equal(snapshot_fold_details(&fold, &agg), 0);
	k = (struct exit_key){ .pid = 10, .vcpu = VCPU_ALL, .isa = ISA_SVM, .reason = 0x7b };
	assert_int_equal(snapshot_top_rips(&fold, &k, v, 4), 3);
	assert_int_equal(v[0]->key.rip, 0x300);
	assert_int_equal(v[1]->key.rip, 0x100);
	assert_int_equal(v[1]->st.count, 8);
	assert_int_equal(v[2]->key.rip, 0x200);
	assert_int_equal(snapshot_top_rips(&fold, &k, v, 2), 2); /* the top 2 only */
	assert_int_equal(v[1]->key.rip, 0x100);
	snapshot_free(&a);
	snapshot_free(&b);
	snapshot_free(&d);
	snapshot_free(&agg);
	snapshot_free(&fold);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_map), cmocka_unit_test(bad_files), cmocka_unit_test(elf_file),
		cmocka_unit_test(per_vm), cmocka_unit_test(snapshot_rips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
