#!/usr/bin/env bash
# The main job: live VM exit statistics, 5 one-second reports then totals.
# With kvmexitgen as the workload when no other VM runs. On a host whose
# KVM never fires kvm:kvm_exit (no VMX/SVM, such as PVM), inside the
# nested-SVM testbed, where exits are real.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
WORKLOAD='while :; do kvmexitgen --vcpus 2 --cpuid 3000 --io-out 300 --io-in 200 --mmio-read 100 --mmio-write 50 --hlt 50 --msr-read 40 --msr-write 30 --vmcall 60 >/dev/null || break; done'

if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -c /dev/kvm ]; then
	export PATH=$PWD/$O:$PATH
	pid=
	if ! ls -l /proc/[0-9]*/fd 2>/dev/null | grep 'anon_inode:kvm-vm' >/dev/null; then
		echo "run-live: no VM running here: kvmexitgen is the workload"
		sh -c "$WORKLOAD" &
		pid=$!
	fi
	status=0
	kvmexitstat --latency 1 5 || status=$?
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	exit $status
fi

echo "run-live: this host's KVM runs guests without VMX/SVM (PVM?), so kvm:kvm_exit never fires here;"
echo "run-live: showing live statistics inside the nested-SVM testbed (QEMU TCG with emulated SVM),"
echo "run-live: with kvmexitgen as the workload"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
sh -c '$WORKLOAD' &
kvmexitstat --latency 1 5
GUEST
O=$O tests/vm/testbed.sh run "$script" 120
