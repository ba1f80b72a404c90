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
run "bad --source" 2 "$KVMEXITSTAT" --source perf
expect_in "bad --source: lists the sources" "$TMP/err" "expected auto, tracepoint, stats or tracepoint,stats"
run "bad -s (the sort, as in report)" 2 "$KVMEXITSTAT" -s perf
expect_in "bad -s: lists the sort keys" "$TMP/err" "--sort: expected count, time, avg, max or reason"
run "bad --source list" 2 "$KVMEXITSTAT" --source stats,
run "bad -p list" 2 "$KVMEXITSTAT" -p 12,,13
expect_in "bad -p list: says what it expects" "$TMP/err" "ids separated by commas"
run "bad --vcpu" 2 "$KVMEXITSTAT" --vcpu -1
expect_in "bad --vcpu: says what it expects" "$TMP/err" "--vcpu: expected a vCPU id"
run "--source stats with --latency" 2 "$KVMEXITSTAT" --source stats --latency
expect_in "--source stats with --latency: says why" "$TMP/err" "have counts only"
run "bad --sort" 2 "$KVMEXITSTAT" --sort size
run "--latency with --count-only" 2 "$KVMEXITSTAT" --latency --count-only
expect_in "--latency with --count-only: says why" "$TMP/err" "--count-only leaves out"
run "live --help" 0 "$KVMEXITSTAT" --help
expect_in "--help describes INTERVAL [COUNT]" "$TMP/out" "[OPTIONS] [INTERVAL [COUNT]]"

run "not root" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" 1 1
expect_in "not root: says what to do" "$TMP/err" "run as root (or with CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)"

# kvmexitstat decides by the KVM module loaded, not by the CPU's flags
if [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; then
	echo "ok - host without VMX/SVM message # SKIP this host runs kvm_intel or kvm_amd"
else
	run "no kvm_intel/kvm_amd, --source tracepoint: kvm_exit never fires" 1 "$KVMEXITSTAT" --source tracepoint 1 1
	expect_in "no kvm_intel/kvm_amd, --source tracepoint: says so plainly" "$TMP/err" "kvm:kvm_exit never fires on this host"
	expect_in "no kvm_intel/kvm_amd, --source tracepoint: points to --source stats" "$TMP/err" "use KVM's vCPU statistics (--source stats)"
	run "no kvm_intel/kvm_amd, auto with --latency" 2 "$KVMEXITSTAT" --latency 1 1
	expect_in "no kvm_intel/kvm_amd, auto with --latency: says why" "$TMP/err" "--latency needs it"
	if [ -c /dev/kvm ]; then
		run "no kvm_intel/kvm_amd, auto: the stats source" 0 "$KVMEXITSTAT" 0.1 1
		expect_in "no kvm_intel/kvm_amd, auto: says why it uses the stats source" "$TMP/err" "counting with KVM's vCPU statistics instead"
		expect_in "no kvm_intel/kvm_amd, auto: names the source" "$TMP/out" "# source: KVM vCPU stats"
	else
		run "no kvm_intel/kvm_amd, auto, no /dev/kvm" 1 "$KVMEXITSTAT" 0.1 1
		expect_in "no kvm_intel/kvm_amd, auto: says why it uses the stats source" "$TMP/err" "counting with KVM's vCPU statistics instead"
		expect_in "no /dev/kvm: the stats source says what it needs" "$TMP/err" "needs /dev/kvm"
	fi
fi

# The module decides, whatever the CPU: a sysfs (KVMEXITSTAT_SYSFS) where
# kvm_intel is loaded makes the tracepoint the source, one with only a PVM
# module the vCPU statistics
fake=$TMP/sysfs
mkdir -p "$fake/module"
KVMEXITSTAT_SYSFS=$fake run "no KVM loaded" 1 "$KVMEXITSTAT" 1 1
expect_in "no KVM loaded: says so" "$TMP/err" "KVM is not loaded (no kvm module): modprobe kvm-intel or kvm-amd"
mkdir -p "$fake/module/kvm" "$fake/module/kvm_pvm"
KVMEXITSTAT_SYSFS=$fake run "only kvm_pvm loaded: --source tracepoint refused" 1 "$KVMEXITSTAT" --source tracepoint 1 1
expect_in "only kvm_pvm loaded: names the modules" "$TMP/err" "neither kvm_intel nor kvm_amd is loaded"
mkdir -p "$fake/module/kvm_intel"
echo live >"$fake/module/kvm_intel/initstate" # a loadable module, and no BTF of its own here
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
if [ -r /sys/kernel/tracing/events/kvm/kvm_exit/format ] || [ -r /sys/kernel/debug/tracing/events/kvm/kvm_exit/format ]; then
	KVMEXITSTAT_SYSFS=$fake run "kvm_intel loaded: the tracepoint is the source" 0 "$KVMEXITSTAT" 0.1 1
	expect_in "kvm_intel loaded: counts VMX exits with the tracepoint" "$TMP/err" "counting VM exits with tracepoint (VMX"
	expect_in "kvm_intel without BTF: says why not tp_btf" "$TMP/err" "not tp_btf: kvm_intel has no BTF"
	KVMEXITSTAT_SYSFS=$fake run "kvm_intel without BTF, --bpf btf" 1 "$KVMEXITSTAT" --bpf btf 0.1 1
	expect_in "--bpf btf without the module's BTF: says what works" "$TMP/err" "this kvm_intel has none"
	expect_in "--bpf btf without the module's BTF: names the way out" "$TMP/err" "--bpf classic, or the default, works"
else
	echo "ok - kvm_intel loaded: the tracepoint is the source # SKIP no kvm:kvm_exit tracepoint in this host's tracefs"
fi
