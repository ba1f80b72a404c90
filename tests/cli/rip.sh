#!/usr/bin/env bash
# --rip's and --guest-symbols' options and their errors (the RIPs
# themselves are checked in the testbeds: tests/vm/test_rip.sh).
. "$(dirname "$0")/tap.bash"
for bad in "x" "0" "1001" "-3"; do
	run "--rip='$bad': refused" 2 "$KVMEXITSTAT" --rip="$bad" 1 1
	expect_in "--rip='$bad': says what it expects" "$TMP/err" "kvmexitstat: --rip: expected how many guest RIPs to show of each reason, 1 to 1000, got '$bad'"
done
run "--guest-symbols of no file: refused" 2 "$KVMEXITSTAT" --rip --guest-symbols "$TMP/none.map" 1 1
expect_in "--guest-symbols of no file: names it" "$TMP/err" "kvmexitstat: --guest-symbols: cannot read $TMP/none.map: No such file or directory"
printf 'ffffffff81000000 T _stext\nnot a symbol\n' >"$TMP/bad.map"
run "--guest-symbols of a bad file: refused" 2 "$KVMEXITSTAT" --rip --guest-symbols "web=$TMP/bad.map" 1 1
expect_in "--guest-symbols of a bad file: file and line" "$TMP/err" "kvmexitstat: --guest-symbols: $TMP/bad.map:2: not a symbol line"
printf '0000000000000000 T _stext\n' >"$TMP/zero.map"
run "--guest-symbols of a kallsyms read without root: refused" 2 "$KVMEXITSTAT" --rip --guest-symbols "$TMP/zero.map" 1 1
expect_in "--guest-symbols of zeros: why" "$TMP/err" "every address in it is 0"
printf 'ffffffff81000000 T _stext\n' >"$TMP/good.map"
run "--guest-symbols without --rip or --slow: refused" 2 "$KVMEXITSTAT" --guest-symbols "$TMP/good.map" 1 1
expect_in "--guest-symbols without --rip: why" "$TMP/err" "give --rip or --slow too"
run "two files for every VM: refused" 2 "$KVMEXITSTAT" --rip --guest-symbols "$TMP/good.map" --guest-symbols "$TMP/good.map" 1 1
expect_in "two files for every VM: says so" "$TMP/err" "a second file for every VM"
run "--rip with --count-only: refused" 2 "$KVMEXITSTAT" --rip --count-only 1 1
expect_in "--rip with --count-only: why" "$TMP/err" "--rip is for live statistics from the tracepoint source"
run "record --rip: refused" 2 "$KVMEXITSTAT" record --rip -o "$TMP/x.db" 1 1
expect_in "record --rip: why" "$TMP/err" "--rip is for live statistics"
if [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
	run "--rip where kvm_exit never fires: refused" 2 "$KVMEXITSTAT" --rip 1 1
	expect_in "--rip where kvm_exit never fires: says so" "$TMP/err" "and --rip needs it"
else
	ok "# SKIP this host runs kvm_intel or kvm_amd: --rip works here"
fi

# report --rip: the RIPs of a published trace (a kvm-unit-tests #GP loop:
# all six exits at one instruction), named from a symbol file
T=tests/data/traces
GP=$T/trace_vkuznets_svm_gp_loop.txt
run "report --rip: reads the trace" 0 "$KVMEXITSTAT" report --rip=2 "$GP"
expect_in "report --rip: the GP exits' RIP and count" "$TMP/out" "  0x4015c2                                   4  100.00%"
expect_in "report --rip: the MSR exits' RIP and count" "$TMP/out" "  0x4015c2                                   2  100.00%"
printf '0000000000401500 T gp_loop\n0000000000401600 T after_loop\n' >"$TMP/gp.map"
run "report --rip --guest-symbols: reads the trace" 0 "$KVMEXITSTAT" report --rip --guest-symbols "$TMP/gp.map" "$GP"
expect_in "report --rip --guest-symbols: the function" "$TMP/out" "  0x4015c2 gp_loop+0xc2                      4  100.00%"
run "report --rip -o json: reads the trace" 0 "$KVMEXITSTAT" report --rip -o json --guest-symbols "$TMP/gp.map" "$GP"
if python3 -c '
import json, sys
rows = {r["reason"]: r for r in json.load(open(sys.argv[1]))["rows"]}
want = {"GP excp": 4, "msr": 2}
sys.exit(0 if all(rows[k]["rips"] == [{"rip": "0x4015c2", "ring": "unknown", "symbol": "gp_loop+0xc2",
    "count": n, "percent": 100.0}] for k, n in want.items()) else 1)' "$TMP/out"; then
	ok "report --rip -o json: each reason's one RIP, as hex, named, ring unknown"
else
	not_ok "report --rip -o json: rips" "$(head -c 600 "$TMP/out")"
fi
# ESXi's nested boot: 13 exits at 12 RIPs, two EXTERNAL_INTERRUPTs at one
run "report --rip=1: the top RIP only" 0 "$KVMEXITSTAT" report --rip=1 "$T/trace_mkrause_nested_esxi_cr0wp.txt"
expect_in "report --rip=1: EXTERNAL_INTERRUPT's commonest RIP" "$TMP/out" "  0xffffffff8113b1f9                         2   50.00%"
expect_in "report --rip=1: the rest as (other RIPs)" "$TMP/out" "  (other RIPs)                               2   50.00%"
printf ' q-5 [000] 1.000000: kvm_exit: vcpu 0 reason HLT\n q-5 [000] 1.000001: kvm_entry: vcpu 0\n' >"$TMP/norip.txt"
run "report --rip of a trace without RIPs: still a report" 0 "$KVMEXITSTAT" report --rip "$TMP/norip.txt"
expect_in "report --rip of a trace without RIPs: says so" "$TMP/err" "kvmexitstat report: --rip: no exit in the input says its guest RIP"
run "report --guest-symbols without --rip: refused" 2 "$KVMEXITSTAT" report --guest-symbols "$TMP/gp.map" "$GP"
expect_in "report --guest-symbols without --rip: why" "$TMP/err" "give --rip (there are no slow exits)"
run "record --guest-symbols: refused" 2 "$KVMEXITSTAT" record --slow 1ms --guest-symbols "$TMP/gp.map" -o "$TMP/y.db" 1 1
expect_in "record --guest-symbols: why" "$TMP/err" "the store keeps the RIPs themselves: give --guest-symbols to report"
run "report --guest-symbols of a bad file: refused" 2 "$KVMEXITSTAT" report --rip --guest-symbols "$TMP/bad.map" "$GP"
expect_in "report --guest-symbols of a bad file: file and line" "$TMP/err" "kvmexitstat report: --guest-symbols: $TMP/bad.map:2: not a symbol line"
run "record --from-trace: a store" 0 "$KVMEXITSTAT" record -o "$TMP/gp.db" --from-trace "$GP"
run "report --rip of a store: refused" 1 "$KVMEXITSTAT" report --rip "$TMP/gp.db"
expect_in "report --rip of a store: why" "$TMP/err" "kvmexitstat report: $TMP/gp.db: --rip: a record store keeps no guest RIPs (only traces do)"
