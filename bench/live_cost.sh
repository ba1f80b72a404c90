#!/usr/bin/env bash
# What watching exits costs the guest, measured deterministically: the
# testbed boots with QEMU's instruction-count clock (-icount shift=0), so
# the L1 kernel's clock counts instructions (1 ns = 1 instruction) and
# kvmexitgen's wall time is the instructions its run took. In one boot, in
# interleaved rounds, a CPUID loop of N exits runs with nothing attached,
# with kvmexitstat counting only, with kvmexitstat timing too, with
# `perf kvm stat record`, and with tracefs text tracing of kvm_exit and
# kvm_entry read from trace_pipe. Prints instructions per exit and the
# instructions each tool adds per exit, and the same from a boot without
# -icount (wall clock) for reference.
#
#   bench/live_cost.sh            (make bench-live)   N=20000 ROUNDS=5
#   MODES="none count" bench/live_cost.sh     a subset of the modes
#   TESTBED_KERNEL=6.12 MODES="none count count_probe time time_probe perf" \
#       bench/live_cost.sh    6.12, where the exit reason is read by plain
#       loads; *_probe: the probe reads of older kernels, in the same boot
#   MODES="none time detail rip" WORKLOAD=--io-out bench/live_cost.sh
#       what --detail adds; WORKLOAD: the kvmexitgen operation that loops
#       (default --cpuid, which has no detail; --io-out has its port); rip:
#       what --rip adds (it counts as --detail does, by RIP too)
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-5}
MODES=${MODES:-none count time perf tracefs}
WORKLOAD=${WORKLOAD:---cpuid}
VMDIR=$O/vm

command -v perf >/dev/null || {
	echo "bench: installing linux-perf"
	apt-get install -y -qq linux-perf >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq linux-perf; }
}
# perf and its libraries, as one more initramfs archive
perf_cpio=$VMDIR/perf.cpio
[ -s "$perf_cpio" ] || tests/vm/tool_cpio.sh "$perf_cpio" perf

script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
T=/sys/kernel/tracing
mode_start() {
	case \$1 in
	none) P= ;;
	count) kvmexitstat --count-only -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	time) kvmexitstat -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	detail) kvmexitstat --detail -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	slow) kvmexitstat --slow 1s -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	rip) kvmexitstat --rip -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	count_probe) KVMEXITSTAT_NO_CAST=1 kvmexitstat --count-only -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	time_probe) KVMEXITSTAT_NO_CAST=1 kvmexitstat -o csv >/dev/null 2>/tmp/err & P=\$! ;;
	perf) perf kvm stat record -a -o /tmp/perf.data >/dev/null 2>/tmp/err & P=\$! ;;
	tracefs) echo 1 >\$T/events/kvm/kvm_exit/enable; echo 1 >\$T/events/kvm/kvm_entry/enable
		cat \$T/trace_pipe >/dev/null & P=\$! ;;
	esac
	# attached; and half-way between two of its once-a-second readings, which
	# would otherwise come as the workload starts and count in its time
	sleep 2.5
}
mode_stop() {
	# TERM: background commands of a script ignore SIGINT
	[ -n "\$P" ] && kill -TERM \$P && wait \$P
	if [ \$1 = tracefs ]; then
		echo 0 >\$T/events/kvm/kvm_exit/enable; echo 0 >\$T/events/kvm/kvm_entry/enable
	fi
	rm -f /tmp/perf.data*
}
echo "clocksource: \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for r in \$(seq $ROUNDS); do
	for m in $MODES; do
		mode_start \$m
		ns=\$(kvmexitgen --json $WORKLOAD $N | sed 's/.*"wall_ns":\([0-9]*\).*/\1/')
		echo "RESULT \$m \$r \$ns"
		mode_stop \$m
	done
done
rss_kb() { awk '/VmHWM/ {print \$2}' /proc/\$1/status; }
GUEST

summarize() { # label unit: the RESULT lines on stdin
	EXIT=$(echo "${WORKLOAD#--}" | tr a-z A-Z) python3 bench/cost_summary.py "$N" "$1" "$2" none perf "none=nothing attached" \
		"count=kvmexitstat --count-only" "time=kvmexitstat (with handling time)" \
		"detail=kvmexitstat --detail" "slow=kvmexitstat --slow 1s (none that slow)" "rip=kvmexitstat --rip" \
		"count_probe=--count-only, probe reads" "time_probe=handling time, probe reads" \
		"perf=perf kvm stat record" "tracefs=tracefs text (kvm_exit+kvm_entry)"
}

make --no-print-directory -s static vm-image O="$O"
echo "== instruction-count clock (-icount shift=0): guest nanoseconds are instructions"
TESTBED_SMP=1 TESTBED_QEMU_ARGS="-icount shift=0" TESTBED_EXTRA_CPIO=$perf_cpio \
	O=$O tests/vm/testbed.sh run "$script" 1200 | tee "$VMDIR/cost-icount.txt" | summarize "instructions" "instructions"
[ -n "${ICOUNT_ONLY:-}" ] && exit 0
echo
echo "== wall clock (no -icount), for reference"
TESTBED_SMP=1 TESTBED_EXTRA_CPIO=$perf_cpio \
	O=$O tests/vm/testbed.sh run "$script" 1200 | tee "$VMDIR/cost-wall.txt" | summarize "wall clock" "ns"
