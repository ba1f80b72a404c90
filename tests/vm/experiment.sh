#!/usr/bin/env bash
# The classic exit-count study, end to end (make experiment): in each
# testbed, the patched KVM prints its per-reason counts to the kernel log
# every 10,000 exits (kvm.exit_stats_log_every, the study's N) while a Linux
# guest (tests/vm/l2guest.sh) boots, idles and powers off; kvmexitstat
# records the same run, and the kernel's own hist trigger counts it too.
# tests/vm/experiment.py checks every number against the kernel's and
# writes the report: $O/experiment/report.md (one section per ISA), the
# plots $O/experiment/ISA.svg and the recordings $O/experiment/ISA.db.
#
#   tests/vm/experiment.sh [svm] [vmx]     (default: both)
#
# EXPERIMENT_IDLE: the guest's idle time in seconds (default 10);
# EXPERIMENT_LOG: 1 (the default) boots with the kernel's log on the serial
# console as a booting Linux prints it, 0 boots quiet; EXPERIMENT_TRIES:
# boots to try when one freezes (default 3). A frozen boot (the guest does
# not power off in time) is reported with the end of its console and its
# last exits, then tried again. EXPERIMENT_OUT: where the report goes.
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
export O
OUT=${EXPERIMENT_OUT:-$O/experiment}
IDLE=${EXPERIMENT_IDLE:-10}
LOG=${EXPERIMENT_LOG:-1}
TRIES=${EXPERIMENT_TRIES:-3}
# one testbed CPU: with two, the guest froze in 6 of 24 boots of the SVM
# testbed, with one in none of 24 (docs/testbeds.md)
SMP=${EXPERIMENT_SMP:-1}
MODS=$O/kernel/patched/modules.cpio
ISAS=${*:-svm vmx}
[ -r "$MODS" ] || { echo "experiment: no patched KVM modules ($MODS): make kernel" >&2; exit 2; }
tests/vm/l2guest.sh build >/dev/null || exit
mkdir -p "$OUT"

# the guest side, for /bin/sh inside the testbed
guest_script() {
	cat tests/vm/l2diag.sh
	cat <<-GUEST
	IDLE=$IDLE
	export L2_LOG=$LOG
	GUEST
	cat <<-'GUEST'
	TR=/sys/kernel/tracing
	T=$TR/events/kvm/kvm_exit
	# the kernel's own count of the run, and every exit in order (for the
	# CMPE283 reports' counts at their exit)
	echo 'hist:keys=exit_reason:vals=hitcount:size=2048' >>$T/trigger
	# which MSRs the guest reads and writes (kvm_msr: one event per access)
	echo 'hist:keys=ecx.hex,write:vals=hitcount:size=2048' >>$TR/events/kvm/kvm_msr/trigger
	echo 0 >$TR/tracing_on; echo >$TR/trace; echo 32768 >$TR/buffer_size_kb
	echo 1 >$T/enable; echo 1 >$TR/tracing_on
	dmesg -c >/dev/null
	echo 10000 >/sys/module/kvm/parameters/exit_stats_log_every
	# collector NAME ARGS...: kvmexitstat ARGS in the background, until it counts
	collector() {
		name=$1; shift
		kvmexitstat "$@" >/tmp/$name.out 2>/tmp/$name.err &
		eval "P_$name=$!"
		for i in $(seq 900); do
			grep -q '^kvmexitstat: \(counting\|recording\)' /tmp/$name.err && return
			sleep 0.1
		done
	}
	stop() { eval "kill -INT \$P_$1; wait \$P_$1"; echo "# kvmexitstat $1 exit $?"; }
	start=$(date +%s)
	collector record record -o /tmp/exp.db 0.5
	collector boot -o csv
	/opt/l2/boot $IDLE >/tmp/l2.out 2>&1 &
	Q=$!
	# frozen: the guest still runs at the deadline
	froze=
	deadline=$(($(date +%s) + 120 + 40 * L2_LOG))
	until grep -q 'L2: init reached' /tmp/l2.out; do
		kill -0 $Q 2>/dev/null || break
		[ "$(date +%s)" -lt $deadline ] || { froze=boot; break; }
		sleep 0.05
	done
	if [ -z "$froze" ]; then
		# the boot ends here: the guest stops (its vCPU's last exit is
		# the signal's), each count is read, and the idle phase's
		# collector starts before the guest goes on
		kill -STOP $Q
		sleep 1
		stop boot
		cp $T/hist /tmp/hist.boot
		booted=$(($(date +%s) - start))
		collector idle -o csv
		kill -CONT $Q
		deadline=$(($(date +%s) + IDLE + 60))
		while kill -0 $Q 2>/dev/null; do
			[ "$(date +%s)" -lt $deadline ] || { froze=idle; break; }
			sleep 0.2
		done
	fi
	ran=$(($(date +%s) - start))
	if [ -n "$froze" ]; then
		kill -KILL $Q
		echo "FROZE in the $froze phase after $ran s; the guest's console ends:"
		tail -n 4 /tmp/l2.out | sed 's/^/#   /'
		l2_frozen
		exit 1
	fi
	wait $Q
	sleep 1 # (a last report is printed by a work item)
	stop idle
	stop record
	echo 0 >/sys/module/kvm/parameters/exit_stats_log_every
	echo 0 >$T/enable
	echo "== boot_s $booted"
	echo "== run_s $ran"
	echo "== console"; cat /tmp/l2.out
	echo "== hist_boot"; cat /tmp/hist.boot
	echo "== hist_end"; cat $T/hist
	echo "== hist_msr"; cat $TR/events/kvm/kvm_msr/hist
	echo "== live_boot"; cat /tmp/boot.out
	echo "== live_idle"; cat /tmp/idle.out
	echo "== errors"; cat /tmp/record.err /tmp/boot.err /tmp/idle.err
	echo "== lost"; grep entries-in-buffer $TR/trace
	# per vCPU thread: its per-reason counts at each 10,000th exit
	echo "== prefix"
	awk -v N=10000 '
	function counts(tid, line,   k, a) {
		for (k in c) { split(k, a, ","); if (a[1] == tid) line = line " " a[2] "=" c[k] }
		return line
	}
	match($0, /-[0-9]+ +\[[0-9]+\]/) {
		split(substr($0, RSTART + 1, RLENGTH - 1), a, " "); tid = a[1]
		for (i = 1; i <= NF; i++) if ($i == "kvm_exit:") {
			# (a name may have spaces, "UD excp": up to "rip", as "_")
			r = $(i + 4)
			for (j = i + 5; j <= NF && $j != "rip"; j++) r = r "_" $j
			t[tid]++; c[tid "," r]++
			if (t[tid] % N == 0) print counts(tid, tid " " t[tid])
			break
		} }
	END { for (tid in t) print counts(tid, "end " tid " " t[tid]) }' $TR/trace
	echo "== klog"; dmesg | grep CMPE283
	echo "== db"; base64 /tmp/exp.db
	echo "== end"
	GUEST
}

status=0
for isa in $ISAS; do
	case $isa in svm | vmx) ;; *) echo "experiment: an ISA is svm or vmx, not '$isa'" >&2; exit 2 ;; esac
	script=$(mktemp)
	guest_script >"$script"
	args="-m 2G"
	timeout=600
	[ "$isa" = vmx ] && args= timeout=3600
	ok=
	for try in $(seq "$TRIES"); do
		echo "experiment: $isa: boot $try of at most $TRIES ($(date +%T))"
		start=$(date +%s)
		TESTBED_ISA=$isa TESTBED_SMP=$SMP TESTBED_EXTRA_CPIO="$MODS $O/vm/l2guest.cpio" TESTBED_QEMU_ARGS=$args \
			tests/vm/testbed.sh run "$script" $timeout >"$OUT/$isa.out" 2>&1
		rc=$?
		echo "experiment: $isa: testbed exit $rc after $(($(date +%s) - start)) s"
		if [ $rc = 0 ]; then ok=1; break; fi
		grep -A20 '^FROZE' "$OUT/$isa.out" || tail -n 30 "$OUT/$isa.out"
		grep -q '^FROZE' "$OUT/$isa.out" || break # (not a freeze: no second try)
	done
	rm -f "$script"
	if [ -z "$ok" ]; then status=1; continue; fi
	python3 tests/vm/experiment.py "$isa" "$O/kvmexitstat" "$OUT" <"$OUT/$isa.out" || status=1
done
python3 tests/vm/experiment.py --join "$OUT" $ISAS
exit $status
