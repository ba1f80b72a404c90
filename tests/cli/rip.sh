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
run "--guest-symbols without --rip: refused" 2 "$KVMEXITSTAT" --guest-symbols "$TMP/good.map" 1 1
expect_in "--guest-symbols without --rip: why" "$TMP/err" "give --rip too"
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
