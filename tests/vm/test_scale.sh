#!/usr/bin/env bash
# 64 vCPUs across 8 VMs at once in the testbed: kvmexitstat's counts per
# VM, vCPU and reason must still equal kvmexitgen's and the kernel's own
# kvm_exit histogram.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
MIX="--cpuid 200 --io-out 20 --io-in 10 --msr-read 10 --vmcall 10"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<GUEST
begin scale_64
P=
for i in 1 2 3 4 5 6 7 8; do kvmexitgen --timeout 500 --json --vcpus 8 $MIX >/tmp/gen\$i.json & P="\$P \$!"; done
wait \$P # (not kvmexitstat, which runs until end)
end
GUEST
start=$(date +%s)
run_in_testbed "$script" 300 "$script.out"
fail=0
live_check "$script.out" scale_64 >"$script.check" || fail=1
cat "$script.check"
echo "# 8 VMs x 8 vCPUs: $(grep -c '^ok' "$script.check") checks passed, $(grep -c '^not ok' "$script.check") failed, $(($(date +%s) - start)) s"
rm -f "$script.check"
exit $fail
