#!/usr/bin/env bash
# In the testbed (nested SVM): the kernel's own kvm_exit histogram, keyed by
# vCPU and reason (and exit_info_1/2 to tell apart IN from OUT, the ports,
# RDMSR from WRMSR and MMIO from RAM faults), must count exactly what
# kvmexitgen's guest did, on 1 and on 2 vCPUs.
#
# Extra exits that are not the mix, and how they are told apart:
#  - one io exit per vCPU on port 0xe4: the guest's "done" report;
#  - npf on RAM addresses (below 4 MiB): KVM maps guest pages on first touch;
#    MMIO npf are those at the vCPU's own MMIO address (0xf0000000 + 8 * id);
#  - interrupt (and rarely vintr/nmi/pause): the L1 host's own interrupts.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
O=${O:-build}
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11 --cpuid 5"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<GUEST
T=/sys/kernel/tracing/events/kvm/kvm_exit
run_case() { # name, kvmexitgen arguments
	echo 'hist:keys=vcpu_id,exit_reason:vals=hitcount' >>\$T/trigger
	echo 'hist:keys=vcpu_id,exit_reason,info1.hex:vals=hitcount if exit_reason == 123 || exit_reason == 124' >>\$T/trigger
	echo 'hist:keys=vcpu_id,info1.hex,info2.hex:vals=hitcount if exit_reason == 1024 && info2 >= 0xf0000000' >>\$T/trigger
	echo "== case \$1 =="
	shift
	echo "-- kvmexitgen"
	kvmexitgen --timeout 60 --json "\$@" || echo "kvmexitgen failed: \$?"
	echo "-- hist"
	cat \$T/hist
	echo "== end \$name =="
	echo '!hist:keys=vcpu_id,exit_reason:vals=hitcount' >>\$T/trigger
	echo '!hist:keys=vcpu_id,exit_reason,info1.hex:vals=hitcount if exit_reason == 123 || exit_reason == 124' >>\$T/trigger
	echo '!hist:keys=vcpu_id,info1.hex,info2.hex:vals=hitcount if exit_reason == 1024 && info2 >= 0xf0000000' >>\$T/trigger
}
name=one_vcpu; run_case one_vcpu --vcpus 1 $MIX
name=two_vcpus; run_case two_vcpus --vcpus 2 $MIX
GUEST
run_in_testbed "$script" 180 "$script.out"
fail=0
for c in one_vcpu two_vcpus; do
	if ! python3 tests/vm/hist.py $c <"$script.out"; then
		fail=1
		sed -n "/== case $c ==/,/== end $c ==/p" "$script.out" | sed 's/^/#   /' | head -60
	fi
done
exit $fail
