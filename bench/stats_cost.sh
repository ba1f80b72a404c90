#!/usr/bin/env bash
# CPU time of one reading of the stats source: every vCPU of VMS concurrent
# kvmexitgen VMs (held open), against the same with no VM, in one run.
# The reading's cost is (CPU of 1+R readings - CPU of 1 reading) / R, so
# that start-up (learning the layout, loading the iterator) is left out.
#   bench/stats_cost.sh          (make bench)   VMS=50 R=200
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
VMS=${VMS:-50}
R=${R:-200}
[ -c /dev/kvm ] || { echo "bench: no /dev/kvm" >&2; exit 1; }
make --no-print-directory -s "$O/kvmexitstat" "$O/kvmexitgen"

cpu_per_reading() { # CPU ms per reading, median of 5
	python3 - "$O/kvmexitstat" "$R" <<'PY'
import resource, statistics, subprocess, sys
exe, r = sys.argv[1], int(sys.argv[2])
def cpu(n):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([exe, "-s", "stats", "-o", "csv", "0.01", str(n)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
runs = [(cpu(1 + r) - cpu(1)) / r * 1000 for _ in range(5)]
print(f"{statistics.median(runs):.3f} {min(runs):.3f} {max(runs):.3f}")
PY
}

pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
read -r base bmin bmax < <(cpu_per_reading)
for _ in $(seq "$VMS"); do
	"$O/kvmexitgen" --hold --cpuid 100 --io-out 10 >/dev/null 2>"$O/stats_cost.err" &
	pids+=($!)
done
sleep 2 # all holding
held=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c 'anon_inode:kvm-vcpu:' || true)
read -r with wmin wmax < <(cpu_per_reading)
echo "stats source: CPU per reading of every vCPU on the host (median of 5; min-max), $R readings"
printf '%-34s %10s %16s\n' "host" "ms/reading" "range"
printf '%-34s %10s %16s\n' "no VM" "$base" "$bmin-$bmax"
printf '%-34s %10s %16s\n' "$VMS VMs held open ($held vCPU files)" "$with" "$wmin-$wmax"
python3 -c "import sys; b, w = float(sys.argv[1]), float(sys.argv[2]); print(f'ratio {w / b:.2f} x the empty host; goal: under 10 ms with $VMS VMs')" "$base" "$with"
