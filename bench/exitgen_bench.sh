#!/usr/bin/env bash
# kvmexitgen --bench on this host's KVM and in the nested-SVM testbed.
#   bench/exitgen_bench.sh        (via `make bench`)
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
echo "== this host ($(grep -qwE 'vmx|svm' /proc/cpuinfo && echo 'VMX/SVM' || echo 'no VMX/SVM: PVM'))"
if [ -c /dev/kvm ]; then
	"$O/kvmexitgen" --bench
else
	echo "skipped: no /dev/kvm"
fi
echo "== nested-SVM testbed (QEMU TCG)"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
printf 'kvmexitgen --bench --bench-exits 2000 --rounds 5\n' >"$script"
O=$O tests/vm/testbed.sh run "$script" 300
