#!/usr/bin/env bash
# What the in-kernel exit counters (kernel/patches) cost a CPUID exit,
# against the stock modules and the naive counter (kernel/naive: global
# atomics and a printk loop every 10,000 exits in the exit path). The
# testbed boots with QEMU's instruction-count clock (-icount shift=0), so
# kvmexitgen's wall time is the instructions its run took in the L1 kernel.
# In one boot, in interleaved rounds, the KVM modules are swapped and a
# CPUID loop of N exits runs with each:
#   stock        KVM rebuilt from linux-source-6.1, no patch
#   patched      the series: per-vCPU counters on, CPUID leaves off, no log
#   patched_log  the series with kvm.exit_stats_log_every=10000
#   naive        kernel/naive
#
#   bench/kernel_cost.sh          (make bench-kernel)   N=50000 ROUNDS=5
#   PHASES=latency MODES="stock naive" bench/kernel_cost.sh     a subset
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
N=${N:-50000}
ROUNDS=${ROUNDS:-5}
MODES=${MODES:-stock patched patched_log naive}
PHASES=${PHASES:-cost latency}
VMDIR=$O/vm

make --no-print-directory -s static vm-image kernel O="$O"
make --no-print-directory -s -C kernel naive O="$(realpath "$O")"
# the three builds' modules as lib/modules/VARIANT/*.ko in one more archive
root=$(mktemp -d)
trap 'rm -rf "$root" "$script"' EXIT
for v in stock patched naive; do
	mkdir -p "$root/lib/modules/$v"
	cp "$O/kernel/$v/root/lib/modules/"*.ko "$root/lib/modules/$v/"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$VMDIR/kernel-variants.cpio"

# one guest script for both boots: PHASE=cost runs kvmexitgen alone and
# prints its time, PHASE=latency times each CPUID exit with kvmexitstat
guest() { # PHASE
	cat <<GUEST
rmmod kvm_amd kvm || exit 1
for r in \$(seq $ROUNDS); do
	for m in $MODES; do
		v=\${m%_log}
		insmod /lib/modules/\$v/kvm.ko && insmod /lib/modules/\$v/kvm-amd.ko || exit 1
		[ \$m = patched_log ] && echo 10000 >/sys/module/kvm/parameters/exit_stats_log_every
		if [ $1 = cost ]; then
			ns=\$(kvmexitgen --json --cpuid $N | sed 's/.*"wall_ns":\([0-9]*\).*/\1/')
			echo "RESULT \$m \$r \$ns"
		else
			# classic tracepoint (the rebuilt modules have no BTF), exit to entry
			kvmexitstat -o csv --by reason >/tmp/live.csv 2>/dev/null & P=\$!
			sleep 2
			# real-time priority: whatever the kernel defers to a
			# worker runs when the vCPU lets it, not inside its exits
			fifo kvmexitgen --cpuid $N >/dev/null
			kill -TERM \$P; wait \$P
			echo "LATENCY \$m \$r \$(grep ',cpuid,' /tmp/live.csv | tail -1)"
		fi
		rmmod kvm_amd kvm
	done
done
echo "kernel log lines: CMPE283 \$(dmesg | grep -c CMPE283)"
GUEST
}
script=$(mktemp)
trap 'rm -rf "$root" "$script"' EXIT

if [[ " $PHASES " == *" cost "* ]]; then
echo "== instruction-count clock (-icount shift=0): guest nanoseconds are instructions"
guest cost >"$script"
TESTBED_SMP=1 TESTBED_QEMU_ARGS="-icount shift=0" TESTBED_EXTRA_CPIO="$VMDIR/kernel-variants.cpio" \
	O=$O tests/vm/testbed.sh run "$script" 1200 | tee "$VMDIR/kernel-cost-icount.txt" |
	python3 bench/cost_summary.py "$N" "instructions" "instructions" stock naive \
		"stock=stock KVM (rebuilt, no patch)" "patched=patched: counters on, leaves off" \
		"patched_log=patched, log report every 10000" "naive=naive: global atomics + printk loop"
grep -h "kernel log lines" "$VMDIR/kernel-cost-icount.txt" || true
echo
fi
if [[ " $PHASES " == *" latency "* ]]; then
# the slowest exits: the exit that prints (naive) or copies (patched_log),
# the vCPU at real-time priority (one CPU: no other for the work item)
echo "== the slowest exits (kvmexitgen at SCHED_FIFO), instruction-count clock"
guest latency >"$script"
TESTBED_SMP=1 TESTBED_QEMU_ARGS="-icount shift=0" TESTBED_EXTRA_CPIO="$VMDIR/kernel-variants.cpio" \
	O=$O tests/vm/testbed.sh run "$script" 1200 >"$VMDIR/kernel-latency-icount.txt"
python3 - "$VMDIR/kernel-latency-icount.txt" <<'PY'
import csv, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("LATENCY "):
        _, mode, _, rest = line.rstrip("\n").split(" ", 3)
        rows.setdefault(mode, []).append(rest)
# kvmexitstat -o csv, live
head = "time,interval_s,vm,pid,vcpu,isa,reason,code,count,rate,percent,timed,time_ns,min_ns,avg_ns,p50_ns,p90_ns,p99_ns,max_ns".split(",")
print("handling time of a CPUID exit (exit to entry, kvmexitstat attached), instructions, median over rounds")
print(f"{'mode':<14} {'p50':>8} {'p99':>8} {'max':>10}")
for mode, lines in rows.items():
    recs = [dict(zip(head, next(csv.reader([l])))) for l in lines if l.count(",") >= 18]
    if not recs:
        continue
    med = lambda k: statistics.median(int(r[k]) for r in recs)
    print(f"{mode:<14} {med('p50_ns'):8.0f} {med('p99_ns'):8.0f} {med('max_ns'):10.0f}")
PY
fi
