#!/usr/bin/env bash
# In the VMX testbed (Bochs emulating Intel VMX, kvm-intel): the kernel's own
# kvm_exit histogram, keyed by vCPU and basic exit reason (and by the exit
# qualification of IO_INSTRUCTION exits, to tell IN from OUT and the port),
# must count exactly what kvmexitgen's guest did, on 1 and on 2 vCPUs; MMIO
# is EPT_MISCONFIG, or EPT_VIOLATION at the MMIO address for a page's first
# access (kvm_page_fault, once per EPT violation, gives the address).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
export TESTBED_ISA=vmx
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11 --cpuid 5"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
H1='hist:keys=vcpu_id,exit_reason:vals=hitcount'
H2='hist:keys=vcpu_id,exit_reason,info1.hex:vals=hitcount if exit_reason == 30'
H3='hist:keys=vcpu_id,fault_address.hex:vals=hitcount if fault_address >= 0xf0000000'
cat >"$script" <<GUEST
T=/sys/kernel/tracing/events/kvm
echo "vendor: \$(grep -m1 -o -w vmx /proc/cpuinfo) ept=\$(cat /sys/module/kvm_intel/parameters/ept) unrestricted_guest=\$(cat /sys/module/kvm_intel/parameters/unrestricted_guest)"
run_case() { # name, kvmexitgen arguments
	echo '$H1' >>\$T/kvm_exit/trigger
	echo '$H2' >>\$T/kvm_exit/trigger
	echo '$H3' >>\$T/kvm_page_fault/trigger
	echo "== case \$1 =="
	shift
	echo "-- kvmexitgen"
	kvmexitgen --timeout 120 --json "\$@" || echo "kvmexitgen failed: \$?"
	echo "-- hist"
	cat \$T/kvm_exit/hist \$T/kvm_page_fault/hist
	echo "== end \$name =="
	echo '!$H1' >>\$T/kvm_exit/trigger
	echo '!$H2' >>\$T/kvm_exit/trigger
	echo '!$H3' >>\$T/kvm_page_fault/trigger
}
name=one_vcpu; run_case one_vcpu --vcpus 1 $MIX
name=two_vcpus; run_case two_vcpus --vcpus 2 $MIX
GUEST
run_in_testbed "$script" 600 "$script.out"
fail=0
if grep -q '^vendor: vmx ept=Y unrestricted_guest=Y$' "$script.out"; then
	echo "ok - the VMX testbed: kvm-intel loaded with EPT and unrestricted guest"
else
	echo "not ok - the VMX testbed: kvm-intel loaded with EPT and unrestricted guest: $(grep '^vendor' "$script.out")"
	fail=1
fi
for c in one_vcpu two_vcpus; do
	if ! python3 tests/vm/hist.py $c vmx <"$script.out"; then
		fail=1
		sed -n "/== case $c ==/,/== end $c ==/p" "$script.out" | sed 's/^/#   /' | head -60
	fi
done
exit $fail
