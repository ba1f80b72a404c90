#!/usr/bin/env bash
# The live collector's command line on this host: usage errors, and what it
# says on a host whose KVM never fires kvm:kvm_exit. (Its counts are tested
# in the testbed: tests/vm/test_live.sh.)
. "$(dirname "$0")/tap.bash"

run "bad INTERVAL" 2 "$KVMEXITSTAT" abc
expect_in "bad INTERVAL: names it" "$TMP/err" "INTERVAL 'abc' is not a number of seconds"
run "INTERVAL too small" 2 "$KVMEXITSTAT" 0
run "bad COUNT" 2 "$KVMEXITSTAT" 1 x
expect_in "bad COUNT: names it" "$TMP/err" "COUNT 'x' is not a positive number"
run "extra argument" 2 "$KVMEXITSTAT" 1 2 3
run "bad -p" 2 "$KVMEXITSTAT" -p abc
run "bad --by" 2 "$KVMEXITSTAT" --by host
run "bad --bpf" 2 "$KVMEXITSTAT" --bpf fast
run "bad -s" 2 "$KVMEXITSTAT" -s perf
expect_in "bad -s: lists the sources" "$TMP/err" "expected auto, tracepoint, stats or tracepoint,stats"
run "bad -s list" 2 "$KVMEXITSTAT" -s stats,
run "-s stats with --latency" 2 "$KVMEXITSTAT" -s stats --latency
expect_in "-s stats with --latency: says why" "$TMP/err" "have counts only"
run "bad --sort" 2 "$KVMEXITSTAT" --sort size
run "--latency with --count-only" 2 "$KVMEXITSTAT" --latency --count-only
expect_in "--latency with --count-only: says why" "$TMP/err" "--count-only leaves out"
run "live --help" 0 "$KVMEXITSTAT" --help
expect_in "--help describes INTERVAL [COUNT]" "$TMP/out" "[OPTIONS] [INTERVAL [COUNT]]"

run "not root" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" 1 1
expect_in "not root: says what to do" "$TMP/err" "run as root (or with CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)"

if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "ok - host without VMX/SVM message # SKIP this host has VMX or SVM"
else
	run "no VMX/SVM, -s tracepoint: kvm_exit never fires" 1 "$KVMEXITSTAT" -s tracepoint 1 1
	expect_in "no VMX/SVM, -s tracepoint: says so plainly" "$TMP/err" "kvm:kvm_exit never fires on this host"
	expect_in "no VMX/SVM, -s tracepoint: points to -s stats" "$TMP/err" "use KVM's vCPU statistics (-s stats)"
	run "no VMX/SVM, auto: the stats source" 0 "$KVMEXITSTAT" 0.1 1
	expect_in "no VMX/SVM, auto: says why it uses the stats source" "$TMP/err" "counting with KVM's vCPU statistics instead"
	expect_in "no VMX/SVM, auto: names the source" "$TMP/out" "# source: KVM vCPU stats"
	run "no VMX/SVM, auto with --latency" 2 "$KVMEXITSTAT" --latency 1 1
	expect_in "no VMX/SVM, auto with --latency: says why" "$TMP/err" "--latency needs it"
fi
