#!/usr/bin/env bash
# --slow's options and their errors (the slow exits themselves are listed
# in the testbeds: tests/vm/test_slow.sh).
. "$(dirname "$0")/tap.bash"
for bad in "x" "0" "2 ms" "-1ms" "3h" "1e30s"; do
	run "--slow '$bad': refused" 2 "$KVMEXITSTAT" --slow "$bad" 1 1
	expect_in "--slow '$bad': says what it expects" "$TMP/err" "kvmexitstat: --slow: expected a handling time such as 500us, 2ms or 1s (ns, us, ms, s), got '$bad'"
done
run "--slow with --count-only: refused" 2 "$KVMEXITSTAT" --slow 2ms --count-only 1 1
expect_in "--slow with --count-only: why" "$TMP/err" "--slow is for live statistics and record from the tracepoint source, with handling times (--count-only leaves them out)"
run "top --slow: refused" 2 "$KVMEXITSTAT" top --slow 2ms
expect_in "top --slow: why" "$TMP/err" "--slow is for live statistics and record from the tracepoint source"
run "record --slow --count-only: refused" 2 "$KVMEXITSTAT" record --slow 2ms --count-only -o "$TMP/x.db" 1 1
expect_in "record --slow --count-only: why" "$TMP/err" "(--count-only leaves them out)"
run "--slow --source stats: refused" 2 "$KVMEXITSTAT" --slow 500us --source stats 1 1
expect_in "--slow --source stats: why" "$TMP/err" "--slow is for live statistics and record from the tracepoint source"
# where kvm_exit never fires (PVM) the default source cannot list them
if [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
	run "--slow where kvm_exit never fires: refused" 2 "$KVMEXITSTAT" --slow 1.5ms 1 1
	expect_in "--slow where kvm_exit never fires: says so" "$TMP/err" "and --slow needs it"
else
	ok "# SKIP this host runs kvm_intel or kvm_amd: --slow works here"
fi
