#!/usr/bin/env bash
# Guest RIP hot spots in the testbed (real SVM exits, or VMX with
# TESTBED_ISA=vmx): kvmexitgen's guest makes its exits each at one known
# instruction and writes those as a symbol file; kvmexitstat --rip
# --guest-symbols must show, per vCPU and reason (and detail), those RIPs
# on top with exactly the guest's counts, named from the file, in the
# guest kernel where the ISA says the privilege (rip_check.py).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
. tests/vm/detail_mix.bash # DMIX
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<GUEST
# (the symbol file first: kvmexitstat reads it when it starts)
kvmexitgen --timeout 60 --vcpus 1 --cpuid 1 --symbols /tmp/gen.map >/dev/null
# a top 16: on VMX an MMIO page's first access is an EPT violation, one
# among that reason's page faults of one exit each, which a top 4 could
# fold into "(other)"; the table case below checks a small top
begin live -o json --rip=16 --guest-symbols /tmp/gen.map
kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen1.json
end
begin detail -o json --detail=20 --rip=4 --guest-symbols /tmp/gen.map
kvmexitgen --timeout 60 --json --vcpus 2 $DMIX >/tmp/gen1.json
end
BY="--by vm" begin table -o table --rip=2 --guest-symbols /tmp/gen.map
kvmexitgen --timeout 60 --json --vcpus 1 $DMIX >/tmp/gen1.json
end
GUEST
limit=240
[ "${TESTBED_ISA:-svm}" = vmx ] && limit=900
run_in_testbed "$script" $limit "$script.out"
fail=0
check_cases tests/vm/rip_check.py "$script.out" live detail table || fail=1
exit $fail
