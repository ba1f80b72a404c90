#!/usr/bin/env bash
# The live collector in the testbed (real SVM exits, or VMX with
# TESTBED_ISA=vmx): kvmexitstat's counts
# per VM, vCPU and reason against kvmexitgen's ground truth and against the
# kernel's own kvm_exit histogram (keyed by thread and reason).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
ISA=$(echo "${TESTBED_ISA:-svm}" | tr a-z A-Z) # as kvmexitstat names its source
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
# Under Bochs (a tenth of QEMU TCG's speed) the VMX testbed runs the cases
# whose path differs by ISA: both program kinds, 1 and 2 vCPUs, two VMs,
# counting only, KVM's statistics beside them, and which program reads the
# reason. Filters, the store, intervals, folding, held vCPU files and the
# overflow hash are the same code for both ISAs, tested in the SVM testbeds
# on 6.1 and 6.12.
FULL=1
[ "$ISA" = VMX ] && FULL=0
echo "FULL=$FULL" >>"$script"
cat >>"$script" <<GUEST
begin one_vm_1vcpu --source tracepoint,stats
kvmexitgen --timeout 60 --json $MIX >/tmp/gen1.json
end
begin one_vm_2vcpus
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
begin two_vms --source tracepoint,stats
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json & G1=\$!
kvmexitgen --timeout 60 --json --vcpus 1 --cpuid 500 --io-out 77 --hlt 3 >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
if [ "\$FULL" = 1 ]; then
# -p: both VMs start stopped, so that their pids are known before they run
sh -c 'kill -STOP \$\$; exec kvmexitgen --timeout 60 --json --vcpus 2 $MIX' >/tmp/gen1.json & A=\$!
sh -c 'kill -STOP \$\$; exec kvmexitgen --timeout 60 --json --cpuid 400 --io-in 50' >/tmp/gen2.json & B=\$!
sleep 0.5
# which process -p names, as it is now, into the case's gen section (which
# live_check prints on a failure): if the case ever shows no VM, whether
# \$A was the process that became kvmexitgen
echo "# pid_filter: -p \$A: \$(cut -d' ' -f1-3,22 /proc/\$A/stat 2>&1)" >/tmp/gen0.json
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
record_begin recorded
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
record_end
fi
begin classic --bpf classic
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
if [ "\$FULL" = 1 ]; then
begin intervals 0.5
kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 20000 --io-out 500 --hlt 100 >/tmp/gen1.json
sleep 1 # one more interval after the VM ended
end
begin high_rate
kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 30000 >/tmp/gen1.json
end
fi
begin count_only --count-only
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
if [ "\$FULL" = 1 ]; then
# --by reason while VMs end: their counts folded into the per-reason totals
BY="--by reason"
begin by_reason 0.5
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
sleep 1.2 # reported once more, then folded
kvmexitgen --timeout 60 --json --cpuid 500 --io-out 77 --hlt 3 >/tmp/gen2.json
sleep 1.2
end
unset BY
fi
# both sources: the VM is held (its vCPU files open) while kvmexitstat reads
begin both --source tracepoint,stats
kvmexitgen --timeout 60 --json --hold --vcpus 2 $MIX >/tmp/gen1.json 2>/tmp/gen1.err & G=\$!
for i in \$(seq 200); do grep -q holding /tmp/gen1.err && break; sleep 0.1; done
sleep 1.5 # a reading while it holds
# which kvm_exit program reads the exit reason: by plain loads where the
# kernel has bpf_rdonly_cast, else by probe reads
echo "exit program: \$(bpfprogs | awk '\$4 ~ /^kvm_exit/ {print \$4}') rdonly_cast: \$(grep -c ' bpf_rdonly_cast\$' /proc/kallsyms)"
end
kill -TERM \$G; wait \$G
if [ "\$FULL" = 1 ]; then
# both sources, another process holds the VM's vCPU files (pidfd_getfd)
# and drops their last reference after the VM ended: the counts stay the VM's
begin held_elsewhere --source tracepoint,stats 0.5
kvmexitgen --timeout 60 --json --hold --vcpus 2 $MIX >/tmp/gen1.json 2>/tmp/gen1.err & G=\$!
for i in \$(seq 200); do grep -q holding /tmp/gen1.err && break; sleep 0.1; done
holdvcpu \$G 3 >/tmp/hold.out 2>&1 & H=\$!
sleep 1.5 # readings while both hold them
kill -TERM \$G; wait \$G
wait \$H; cat /tmp/hold.out >>/tmp/live.err
sleep 1.2 # a reading after the last reference went
end
# both sources, the VM ends before kvmexitstat stops: its last counts come
# from the hook on kvm_vcpu_release
begin both_ended --source tracepoint,stats 0.5
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
fi
GUEST
limit=240
[ "$ISA" = VMX ] && limit=900 # (Bochs: about a tenth of QEMU TCG's speed)
run_in_testbed "$script" $limit "$script.out"
fail=0
check() { live_check "$script.out" "$@" || fail=1; }
check one_vm_1vcpu --with-stats --source "tp_btf ($ISA, exit->entry timing) + KVM vCPU stats"
check one_vm_2vcpus
check two_vms --with-stats
[ $FULL = 1 ] && check pid_filter --only-pid-of 0
[ $FULL = 1 ] && check name_filter --only-pid-of 0
[ $FULL = 1 ] && check recorded
check classic --source "tracepoint ($ISA, exit->entry timing)"
[ $FULL = 1 ] && check intervals --intervals
[ $FULL = 1 ] && check high_rate
check count_only --count-only --source "tp_btf ($ISA, counting only)"
[ $FULL = 1 ] && check overflow
[ $FULL = 1 ] && check by_reason --by-reason
check both --with-stats --source "tp_btf ($ISA, exit->entry timing) + KVM vCPU stats (KVM's categories, not hardware exit reasons; 40 counters); from the first reading on"
[ $FULL = 1 ] && check both_ended --with-stats
# (bpfprogs shows the kernel's names, cut to 15 characters)
isa=$(echo "$ISA" | tr A-Z a-z)
line=$(grep '^exit program:' "$script.out")
if grep -q 'rdonly_cast: [1-9]' <<<"$line"; then want="kvm_exit_${isa}_ca"; else want="kvm_exit_$isa"; fi
if [ "$line" = "exit program: $want rdonly_cast: ${line##* }" ]; then
	echo "ok - the exit reason read by $want (${line##*: } bpf_rdonly_cast in the kernel)"
else
	echo "not ok - the exit reason read by $want: $line"
	fail=1
fi
[ $FULL = 1 ] && check held_elsewhere --with-stats --held 2
grep '^# kvmexitstat exit' "$script.out" | sort | uniq -c | sed 's/^/# /'
exit $fail
