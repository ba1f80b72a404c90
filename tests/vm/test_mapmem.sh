#!/usr/bin/env bash
# BPF map memory on a big host: the testbed booted with 256 possible CPUs
# (2 present; the kernel's possible_cpus=256, since QEMU's TCG cannot give
# more than 255 without an x2APIC it lacks). kvmexitstat's maps, as the kernel charges
# them (bpftool's memlock), must stay within 64 MiB at the default settings,
# and the highest rate of exits the testbed makes is still counted exactly.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<'GUEST'
echo "RESULT possible $(cat /sys/devices/system/cpu/possible)"
for flavour in btf classic; do
	begin "high_rate_256_$flavour" --bpf $flavour
	kvmexitgen --timeout 60 --json --vcpus 2 --cpuid 30000 >/tmp/gen1.json
	bpfprogs maps >/tmp/maps
	end
	sed "s/^/RESULT $flavour /" /tmp/maps
done
GUEST
TESTBED_APPEND=possible_cpus=256 run_in_testbed "$script" 300 "$script.out"
fail=0
TAP_PREFIX="map memory: " python3 - "$script.out" <<'PY' || fail=1
import re, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
lines = open(sys.argv[1], errors="replace").read().splitlines()
possible = [l.split()[2] for l in lines if l.startswith("RESULT possible ")]
check("the testbed has 256 possible CPUs", possible == ["0-255"], possible)
for flavour in ("btf", "classic"):
    maps = [l.split()[2:] for l in lines if l.startswith(f"RESULT {flavour} map ")]
    total = [int(l.split()[-1]) for l in lines if l.startswith(f"RESULT {flavour} total ")]
    mib = total[0] / 2**20 if total else 0
    biggest = sorted(maps, key=lambda m: -int(m[-1]))[:3]
    print(f"# {flavour}: {len(maps)} maps, {mib:.1f} MiB; largest: " +
          ", ".join(f"{m[3]} {int(m[-1]) / 2**20:.1f} MiB" for m in biggest))
    check(f"{flavour}: kvmexitstat's maps take at most 64 MiB with 256 possible CPUs ({mib:.1f} MiB)",
          total and 0 < total[0] <= 64 * 2**20, total)
done()
PY
for flavour in btf classic; do
	live_check "$script.out" "high_rate_256_$flavour" || fail=1
done
exit $fail
