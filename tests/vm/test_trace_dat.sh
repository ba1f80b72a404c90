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
. tests/vm/detail_mix.bash # DMIX
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
# report --detail of a file with KVM's detail events (test_detail.sh's
# program): the sections of live_guest.sh, for detail_check.py
echo "== case details =="
H3='hist:keys=common_pid,exit_reason:vals=hitcount'
echo "\$H3" >>\$T/kvm_exit/trigger
trace-cmd record -q -b 16384 -e kvm:kvm_exit -e kvm:kvm_entry -e kvm:kvm_pio -e kvm:kvm_msr -e kvm:kvm_cr \
	-e kvm:kvm_page_fault -e kvm:kvm_mmio -e kvm:kvm_hypercall -e kvm:kvm_userspace_exit -o /tmp/details.dat \
	kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen.json 2>/tmp/rec.out || { echo "trace-cmd failed: \$?"; cat /tmp/rec.out; }
echo "-- gen"; grep '^{' /tmp/gen.json
echo "-- hist"; cat \$T/kvm_exit/hist
echo "!\$H3" >>\$T/kvm_exit/trigger
dat /tmp/details.dat
echo "== end details =="
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
python3 tests/vm/trace_dat_check.py "$O/kvmexitstat" "$work" "$FULL" <"$work/out" || fail=1
# the details case: the file read by report --detail, checked as the
# live details are
sec() { sed -n "/^== case details ==/,/^== end details ==/p" "$work/out" | sed -n "/^-- $1\$/,/^\(-- \|== end\)/p" | sed '1d;$d'; }
sec dat | base64 -d | gunzip >"$work/details.dat" 2>/dev/null
{
	echo "== case dat =="
	echo "-- gen"; sec gen
	echo "-- live"; "$O/kvmexitstat" report --detail=20 -o json --by vcpu "$work/details.dat" 2>&1
	echo "-- hist"; sec hist
	echo "== end dat =="
} >"$work/details.txt"
python3 tests/vm/detail_check.py dat <"$work/details.txt" || { fail=1; sed 's/^/#   /' "$work/details.txt" | head -40; }
exit ${fail:-0}
