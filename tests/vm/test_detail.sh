#!/usr/bin/env bash
# Exit details in the testbed (real SVM exits, or VMX with TESTBED_ISA=vmx):
# kvmexitgen's guest makes exits at chosen ports, MSRs, MMIO addresses and
# CR8; kvmexitstat --detail must show each detail of each vCPU exactly as
# often as the guest did it, live (tp_btf), recorded (record --detail, read
# back by report --detail) and from a trace of KVM's own events (report
# --detail), and each reason's count as the kernel's own kvm_exit histogram
# has it (detail_check.py).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
. tests/vm/detail_mix.bash # DMIX
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<GUEST
begin live -o json --detail=20
kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen1.json
end
begin table -o table --detail
kvmexitgen --timeout 60 --json --vcpus 1 $DMIX >/tmp/gen1.json
end
# record --detail: the store keeps each interval's details, report reads them
rm -f /tmp/rec.db*
kvmexitstat record --detail=20 -o /tmp/rec.db 0.2 2>/tmp/live.err & LP=\$!
attached
kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen1.json
kill -INT \$LP; wait \$LP; echo "# kvmexitstat record exit \$?"
kvmexitstat report --detail=20 -o json --by vcpu /tmp/rec.db >/tmp/live.csv 2>>/tmp/live.err
name=recorded; sections
# a trace of the exits and of what KVM said of them, read by report
E=/sys/kernel/tracing/events/kvm
echo > /sys/kernel/tracing/trace
echo 4096 > /sys/kernel/tracing/buffer_size_kb
echo 1 > /sys/kernel/tracing/options/record-tgid # (the VM of each thread)
EVENTS="kvm_exit kvm_entry kvm_pio kvm_msr kvm_cr kvm_page_fault kvm_mmio kvm_hypercall kvm_userspace_exit"
for e in \$EVENTS; do echo 1 > \$E/\$e/enable; done
kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen1.json
for e in \$EVENTS; do echo 0 > \$E/\$e/enable; done
cat /sys/kernel/tracing/trace > /tmp/trace.txt
echo "# trace: \$(wc -l < /tmp/trace.txt) lines, lost: \$(grep -c LOST /tmp/trace.txt)"
kvmexitstat report --detail=20 -o json --by vcpu /tmp/trace.txt >/tmp/live.csv 2>/tmp/live.err
echo "# report exit \$?"
name=trace; sections
GUEST
limit=240
[ "${TESTBED_ISA:-svm}" = vmx ] && limit=900
run_in_testbed "$script" $limit "$script.out"
fail=0
check_cases tests/vm/detail_check.py "$script.out" live recorded trace || fail=1
python3 tests/vm/detail_check.py --table table <"$script.out" || fail=1
exit $fail
