#!/usr/bin/env bash
# trace.dat read natively: in the testbed, `trace-cmd record` writes
# kvm_exit/kvm_entry of kvmexitgen's guest to trace-cmd data files (file
# version 6, and 7 compressed, 1 and 2 vCPUs) while the kernel's own hist
# trigger counts the same exits; on the host, `kvmexitstat report FILE`
# must count exactly what the hist trigger counted, per thread, vCPU and
# reason, time every exit a kvm_entry followed, and agree with the text of
# the same file (trace-cmd report FILE | kvmexitstat report -). Then what a
# user may hand it: a file the kernel dropped events from (said, exit 3),
# one without KVM's events, truncated and damaged copies (a message, never
# a crash or a silently short count), and record --from-trace.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
O=${O:-build}
command -v trace-cmd >/dev/null || { echo "ok - # SKIP no trace-cmd on this host (tests/deps.sh installs it)"; exit 0; }
# FULL=0: the recording and exactness case only (the file-format checks
# do not depend on the kernel: test_trace_dat_6.12.sh leaves them to 6.1)
FULL=${FULL:-1}
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --hlt 7 --msr-read 12 --vmcall 11"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tests/vm/tool_cpio.sh "$work/trace-cmd.cpio" trace-cmd || { echo "not ok - trace-cmd for the testbed"; exit 1; }
cat >"$work/guest.sh" <<GUEST
T=/sys/kernel/tracing/events/kvm
H1='hist:keys=common_pid,vcpu_id,exit_reason:vals=hitcount'
H2='hist:keys=common_pid,vcpu_id:vals=hitcount'
hists_on() { echo "\$H1" >>\$T/kvm_exit/trigger; echo "\$H2" >>\$T/kvm_entry/trigger; }
hists_off() {
	echo "-- exit_hist"; cat \$T/kvm_exit/hist
	echo "-- entry_hist"; cat \$T/kvm_entry/hist
	echo "!\$H1" >>\$T/kvm_exit/trigger; echo "!\$H2" >>\$T/kvm_entry/trigger
}
# (gzip: a version 6 file holds the kernel's symbols uncompressed)
dat() { echo "-- dat"; gzip -c "\$1" | base64; rm -f "\$1"; }
cd /tmp
run_case() { # name, trace-cmd record options, kvmexitgen options
	name=\$1 opts=\$2
	shift 2
	echo "== case \$name =="
	hists_on
	trace-cmd record -q -b 16384 \$opts -e kvm:kvm_exit -e kvm:kvm_entry -o /tmp/\$name.dat \
		kvmexitgen --timeout 60 "\$@" >/tmp/rec.out 2>&1 || { echo "trace-cmd failed: \$?"; cat /tmp/rec.out; }
	hists_off
	dat /tmp/\$name.dat
	echo "== end \$name =="
}
run_case v7_two_vcpus "" --vcpus 2 $MIX
[ $FULL = 1 ] || exit 0
run_case v6_one_vcpu "--file-version 6" --vcpus 1 $MIX
# a ring buffer of one page per CPU, read once at the end: it overwrites
echo "== case lost =="
hists_on
trace-cmd start -b 4 -e kvm:kvm_exit -e kvm:kvm_entry >/dev/null 2>&1
kvmexitgen --timeout 60 --cpuid 3000 >/dev/null
trace-cmd stop
hists_off
trace-cmd extract -o /tmp/lost.dat >/dev/null 2>&1 || echo "extract failed: \$?"
trace-cmd reset >/dev/null 2>&1
dat /tmp/lost.dat
echo "== end lost =="
echo "== case no_kvm =="
trace-cmd record -q -e sched:sched_switch -o /tmp/no_kvm.dat sleep 0.2 >/dev/null 2>&1 || echo "trace-cmd failed: \$?"
dat /tmp/no_kvm.dat
echo "== end no_kvm =="
GUEST
TESTBED_EXTRA_CPIO=$work/trace-cmd.cpio run_in_testbed "$work/guest.sh" 300 "$work/out"
python3 tests/vm/trace_dat_check.py "$O/kvmexitstat" "$work" "$FULL" <"$work/out"
