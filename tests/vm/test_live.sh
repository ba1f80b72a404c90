#!/usr/bin/env bash
# The live collector in the testbed (real SVM exits): kvmexitstat's counts
# per VM, vCPU and reason against kvmexitgen's ground truth and against the
# kernel's own kvm_exit histogram (keyed by thread and reason).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<GUEST
T=/sys/kernel/tracing/events/kvm/kvm_exit
# One histogram for the whole boot, keyed by thread: each case's vCPU threads
# are new, so a case reads its own rows. (Removing and re-adding the trigger
# between cases, after the classic BPF program detached, soft-locked Debian's
# 6.1 guest kernel now and then.)
echo 'hist:keys=common_pid,exit_reason:vals=hitcount:size=8192' >>\$T/trigger
begin() { # case name, kvmexitstat arguments...
	name=\$1; shift
	kvmexitstat -o csv \${BY:---by vcpu} "\$@" >/tmp/live.csv 2>/tmp/live.err &
	LP=\$!
	sleep 2 # attached
}
end() {
	kill -INT \$LP; wait \$LP; echo "# kvmexitstat exit \$?"; cat /tmp/live.err
	echo "== case \$name =="
	echo "-- gen"; cat /tmp/gen*.json; rm -f /tmp/gen*.json
	echo "-- live"; cat /tmp/live.csv
	echo "-- hist"; cat \$T/hist
	echo "-- err"; cat /tmp/live.err
	echo "== end \$name =="
}
begin one_vm_1vcpu -s tracepoint,stats
kvmexitgen --timeout 60 --json $MIX >/tmp/gen1.json
end
begin one_vm_2vcpus
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
begin two_vms -s tracepoint,stats
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json & G1=\$!
kvmexitgen --timeout 60 --json --vcpus 1 --cpuid 500 --io-out 77 --hlt 3 >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
# -p: both VMs start stopped, so that their pids are known before they run
sh -c 'kill -STOP \$\$; exec kvmexitgen --timeout 60 --json --vcpus 2 $MIX' >/tmp/gen1.json & A=\$!
sh -c 'kill -STOP \$\$; exec kvmexitgen --timeout 60 --json --cpuid 400 --io-in 50' >/tmp/gen2.json & B=\$!
sleep 0.5
begin pid_filter -p \$A
kill -CONT \$A \$B; wait \$A \$B
end
# -n: a VM of another name (a copy of kvmexitgen named othergen) is left out
cp /usr/bin/kvmexitgen /tmp/othergen
begin name_filter -n kvmexitgen
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json & G1=\$!
/tmp/othergen --timeout 60 --json --cpuid 400 --io-in 50 >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
begin classic --bpf classic
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
begin intervals 0.5
kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 20000 --io-out 500 --hlt 100 >/tmp/gen1.json
sleep 1 # one more interval after the VM ended
end
begin high_rate
kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 30000 >/tmp/gen1.json
end
begin count_only --count-only
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
# --by reason while VMs end: their counts folded into the per-reason totals
BY="--by reason"
begin by_reason 0.5
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
sleep 1.2 # reported once more, then folded
kvmexitgen --timeout 60 --json --cpuid 500 --io-out 77 --hlt 3 >/tmp/gen2.json
sleep 1.2
end
unset BY
# both sources: the VM is held (its vCPU files open) while kvmexitstat reads
begin both -s tracepoint,stats
kvmexitgen --timeout 60 --json --hold --vcpus 2 $MIX >/tmp/gen1.json 2>/tmp/gen1.err & G=\$!
for i in \$(seq 200); do grep -q holding /tmp/gen1.err && break; sleep 0.1; done
sleep 1.5 # a reading while it holds
end
kill -TERM \$G; wait \$G
# both sources, the VM ends before kvmexitstat stops: its last counts come
# from the hook on kvm_vcpu_release
begin both_ended -s tracepoint,stats 0.5
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
sleep 1.5
end
# one slot per CPU: nearly every key overflows to the hash
export KVMEXITSTAT_CPU_SLOTS=1
begin overflow
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json & G1=\$!
kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 500 --io-out 77 --hlt 3 >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
unset KVMEXITSTAT_CPU_SLOTS
GUEST
run_in_testbed "$script" 240 "$script.out"
fail=0
check() {
	if ! python3 tests/vm/live_check.py "$@" <"$script.out"; then
		fail=1
		sed -n "/== case $1 ==/,/== end $1 ==/p" "$script.out" | sed 's/^/#   /' | head -80
	fi
}
check one_vm_1vcpu --with-stats --source "tp_btf (SVM, exit->entry timing) + KVM vCPU stats"
check one_vm_2vcpus
check two_vms --with-stats
check pid_filter --only-pid-of 0
check name_filter --only-pid-of 0
check classic --source "tracepoint (SVM, exit->entry timing)"
check intervals --intervals
check high_rate
check count_only --count-only --source "tp_btf (SVM, counting only)"
check overflow
check by_reason --by-reason
check both --with-stats --source "tp_btf (SVM, exit->entry timing) + KVM vCPU stats (KVM's categories, not hardware exit reasons; 40 counters, each VM's since it started)"
check both_ended --with-stats
grep '^# kvmexitstat exit' "$script.out" | sort | uniq -c | sed 's/^/# /'
exit $fail
