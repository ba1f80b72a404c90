#!/usr/bin/env bash
# report --detail: the details of real published traces and of a written
# one, the same numbers in every format, the top N and "(other)", and the
# options' errors. (Live details are tested in the testbeds:
# tests/vm/test_detail.sh.)
. "$(dirname "$0")/tap.bash"
T=tests/data/traces
# expect_row NAME FILE LABEL COUNT PCT: a table row of LABEL (an extended
# regular expression), then COUNT and PCT, as many spaces between as may be
expect_row() {
	if grep -qE -- "^$3 +$4 +$5%" "$2"; then ok "$1"; else not_ok "$1: no row '$3 $4 $5%'" "$(head -c 900 "$2")"; fi
}

# a trace as KVM writes one: an OUT handled in the kernel, an IN that user
# space completes (the VMM first, its port after), MSR writes, a page fault
cat >"$TMP/w.txt" <<'TRACE'
 qemu-10 (   10) [000] 1.000000: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x1 info1 0x3f80000 info2 0x0 intr_info 0x0 error_code 0x0
 qemu-10 (   10) [000] 1.000001: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x41
 qemu-10 (   10) [000] 1.000003: kvm_entry: vcpu 0, rip 0x2
 qemu-10 (   10) [000] 1.000010: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x2 info1 0x700008 info2 0x0 intr_info 0x0 error_code 0x0
 qemu-10 (   10) [000] 1.000011: kvm_userspace_exit: reason KVM_EXIT_IO (2)
 qemu-10 (   10) [000] 1.000015: kvm_pio: pio_read at 0x70 size 1 count 1 val 0x4
 qemu-10 (   10) [000] 1.000020: kvm_entry: vcpu 0, rip 0x3
 qemu-10 (   10) [000] 1.000030: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x3 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0
 qemu-10 (   10) [000] 1.000031: kvm_msr: msr_write 6e0 = 0x1
 qemu-10 (   10) [000] 1.000032: kvm_entry: vcpu 0, rip 0x4
 qemu-10 (   10) [000] 1.000040: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x3 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0
 qemu-10 (   10) [000] 1.000041: kvm_msr: msr_write 6e0 = 0x2
 qemu-10 (   10) [000] 1.000044: kvm_entry: vcpu 0, rip 0x4
 qemu-10 (   10) [000] 1.000050: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0x5 info1 0x181 info2 0x0 intr_info 0x0 error_code 0x0
 qemu-10 (   10) [000] 1.000051: kvm_page_fault: vcpu 0 rip 0x5 address 0x00000000fee000b0 error_code 0x181
 qemu-10 (   10) [000] 1.000052: kvm_mmio: mmio write len 4 gpa 0xfee000b0 val 0x0
 qemu-10 (   10) [000] 1.000054: kvm_entry: vcpu 0, rip 0x6
TRACE
run "report --detail of a written trace" 0 "$KVMEXITSTAT" report --detail "$TMP/w.txt"
cp "$TMP/out" "$TMP/w.table"
expect_row "an OUT handled in KVM: its port and name" "$TMP/w.table" "  out 0x3f8/1 COM1 data" 1 50.00
expect_row "an IN that went on to the VMM" "$TMP/w.table" "  in 0x70/1 RTC/CMOS index, to VMM" 1 50.00
expect_row "MSR writes by MSR, named" "$TMP/w.table" "  wrmsr 0x6e0 IA32_TSC_DEADLINE" 2 100.00
expect_row "a page fault's page, named" "$TMP/w.table" "  gpa 0xfee00000 LAPIC" 1 100.00
expect_row "the reasons' own rows stay" "$TMP/w.table" "IO_INSTRUCTION +vmx" 2 40.00
run "--detail -o json" 0 "$KVMEXITSTAT" report --detail -o json "$TMP/w.txt"
if python3 - "$TMP/out" >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
io = [r for r in j["rows"] if r["reason"] == "IO_INSTRUCTION"][0]
d = {(x["port"], x["in"], x.get("to_vmm", False)): (x["count"], x["time_ns"]) for x in io["details"]}
assert d == {(0x3f8, False, False): (1, 3000), (0x70, True, True): (1, 10000)}, d
msr = [r for r in j["rows"] if r["reason"] == "MSR_WRITE"][0]["details"]
assert [(x["kind"], x["msr"], x["write"], x["count"], x["time_ns"]) for x in msr] == [("msr", 0x6e0, True, 2, 6000)], msr
ept = [r for r in j["rows"] if r["reason"] == "EPT_VIOLATION"][0]["details"]
assert [(x["kind"], x["gpa"]) for x in ept] == [("gpa", 0xfee00000)], ept
assert j["total"]["count"] == 5
PY
then ok "JSON: details inside their reasons, with their fields and times"; else not_ok "JSON details" "$(cat "$TMP/cmp")"; fi
run "--by reason,detail -o csv" 0 "$KVMEXITSTAT" report --by reason,detail -o csv "$TMP/w.txt"
expect_in "CSV: the detail columns" "$TMP/out" ",growth,detail,detail_kind"
expect_in "CSV: a detail row" "$TMP/out" ",MSR_WRITE,32,2,"
expect_in "CSV: its detail" "$TMP/out" ",wrmsr 0x6e0 IA32_TSC_DEADLINE,msr"
# without --detail: the same trace, per reason only, columns as before
run "report without --detail" 0 "$KVMEXITSTAT" report -o csv "$TMP/w.txt"
expect_not_in "no detail columns without --detail" "$TMP/out" "detail"
expect_in "the same counts per reason" "$TMP/out" ",IO_INSTRUCTION,30,2,"

# published traces: what their lines and exit records say
run "a nested I/O loop (kiszka)" 0 "$KVMEXITSTAT" report --detail $T/trace_kiszka_nested_io_loop.txt
expect_in "the port from the exit qualification, to the VMM" "$TMP/out" "  in 0x5658/4, to VMM"
run "an ESXi guest's CR0.WP (mkrause)" 0 "$KVMEXITSTAT" report --detail $T/trace_mkrause_nested_esxi_cr0wp.txt
expect_row "its CR writes" "$TMP/out" "  write cr4" 2 66.67
expect_row "its EFER write" "$TMP/out" "  wrmsr 0xc0000080 EFER" 1 50.00
run "--detail=1: the top one and (other)" 0 "$KVMEXITSTAT" report --detail=1 $T/trace_mkrause_nested_esxi_cr0wp.txt
expect_row "(other) holds the rest" "$TMP/out" "  \\(other\\)" 1 33.33
expect_not_in "only the top detail shown by name" "$TMP/out" "write cr0"
run "an SVM #GP loop (vkuznets)" 0 "$KVMEXITSTAT" report --detail $T/trace_vkuznets_svm_gp_loop.txt
expect_row "an MSR read of it" "$TMP/out" "  rdmsr 0xce" 2 100.00
expect_row "the exit that ended in a shutdown" "$TMP/out" "  vmm KVM_EXIT_SHUTDOWN" 1 25.00

# the options' errors
for bad in "--detail=0" "--detail=x" "--detail=1001" "--detail=-3" "--by vm,foo" "--by foo,detail"; do
	run "report $bad: refused" 2 "$KVMEXITSTAT" report $bad "$TMP/w.txt"
	expect_in "report $bad: says what it expects" "$TMP/err" "kvmexitstat report: --"
done
run "serve --detail: refused, with why" 2 "$KVMEXITSTAT" serve --detail 1 1
expect_in "serve --detail: says what keeps details" "$TMP/err" "--detail is for live statistics, record, top and report"
run "--detail with --count-only: refused" 2 "$KVMEXITSTAT" --detail --count-only 1 1
expect_in "--detail with --count-only: why" "$TMP/err" "--count-only leaves them out"

# the store: schema 3 has a detail column; a schema 2 store is read as it
# is, and record adds the column before it appends a run
run "record --from-trace into a new store" 0 "$KVMEXITSTAT" record -o "$TMP/s.db" --from-trace "$TMP/w.txt"
if [ "$(sqlite3 "$TMP/s.db" "SELECT value FROM meta WHERE key = 'schema'")" = 3 ] &&
	sqlite3 "$TMP/s.db" "SELECT detail FROM exits LIMIT 1" >/dev/null 2>&1; then
	ok "a new store is of schema 3, with a detail column"
else not_ok "schema 3" "$(sqlite3 "$TMP/s.db" .schema 2>&1 | head -20)"; fi
# the same store as schema 2 wrote it: exits without detail, no view
sqlite3 "$TMP/s.db" "BEGIN; DROP VIEW exits_named; CREATE TABLE e2 AS SELECT interval, pid, vcpu, tid, isa, code, count, timed, time_ns, min_ns, max_ns, hist, start FROM exits; DROP TABLE exits; ALTER TABLE e2 RENAME TO exits; UPDATE meta SET value = '2' WHERE key = 'schema'; COMMIT;"
run "report reads a schema 2 store" 0 "$KVMEXITSTAT" report -o csv "$TMP/s.db"
expect_in "its counts" "$TMP/out" ",IO_INSTRUCTION,30,2,"
run "record appends to a schema 2 store" 0 "$KVMEXITSTAT" record -o "$TMP/s.db" --from-trace "$TMP/w.txt"
if [ "$(sqlite3 "$TMP/s.db" "SELECT value FROM meta WHERE key = 'schema'")" = 3 ] &&
	[ "$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM exits_named WHERE detail = 0")" -gt 0 ]; then
	ok "after adding the detail column (schema 3, the view shows it)"
else not_ok "migration" "$(sqlite3 "$TMP/s.db" .schema 2>&1 | head -20)"; fi
run "report of both runs" 0 "$KVMEXITSTAT" report -o csv "$TMP/s.db"
expect_in "both runs' counts" "$TMP/out" ",IO_INSTRUCTION,30,4,"
# a store whose rows have details (as record --detail writes them), read
# with and without --detail
sqlite3 "$TMP/s.db" "UPDATE exits SET detail = $(( (2 << 56) | (1 << 32) | 0x6e0 )) WHERE code = 32"
run "report --detail of a store with details" 0 "$KVMEXITSTAT" report --detail "$TMP/s.db"
expect_row "its details under their reason" "$TMP/out" "  wrmsr 0x6e0 IA32_TSC_DEADLINE" 4 100.00
run "report of it without --detail" 0 "$KVMEXITSTAT" report "$TMP/s.db"
expect_row "one row per reason, the details folded" "$TMP/out" "MSR_WRITE +vmx" 4 40.00
expect_not_in "no detail rows" "$TMP/out" "wrmsr"
