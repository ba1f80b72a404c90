# Guest-side helpers of the live tests (prepended to their testbed scripts):
# begin NAME ARGS... starts kvmexitstat -o csv (--by vcpu unless $BY says
# otherwise); end stops it and prints the case's sections for live_check.py.
T=/sys/kernel/tracing/events/kvm/kvm_exit
# One histogram for the whole boot, keyed by thread: each case's vCPU threads
# are new, so a case reads its own rows. (Removing and re-adding the trigger
# between cases, after the classic BPF program detached, soft-locked Debian's
# 6.1 guest kernel now and then.)
echo 'hist:keys=common_pid,exit_reason:vals=hitcount:size=8192' >>$T/trigger
# attached: until kvmexitstat says it counts (its first reading, the
# baseline of KVM's counters, is taken by then); under Bochs loading the
# programs takes seconds, and a VM that ran before would be the baseline's
attached() {
	for i in $(seq 900); do
		grep -q '^kvmexitstat: \(counting\|recording\)' /tmp/live.err && return
		kill -0 $LP 2>/dev/null || return
		sleep 0.1
	done
}
begin() { # case name, kvmexitstat arguments...
	name=$1; shift
	kvmexitstat -o csv ${BY:---by vcpu} "$@" >/tmp/live.csv 2>/tmp/live.err &
	LP=$!
	attached
}
end() {
	kill -INT $LP; wait $LP; echo "# kvmexitstat exit $?"; cat /tmp/live.err
	sections
}
# record_begin NAME ARGS... / record_end: the same with kvmexitstat record,
# the case's numbers read back with kvmexitstat report FILE.db (as rows of
# the totals, for live_check.py)
record_begin() {
	name=$1; shift
	rm -f /tmp/rec.db*
	kvmexitstat record -o /tmp/rec.db 0.2 "$@" 2>/tmp/live.err &
	LP=$!
	attached
}
record_end() {
	kill -INT $LP; wait $LP; echo "# kvmexitstat record exit $?"; cat /tmp/live.err
	kvmexitstat report -o csv --by vcpu /tmp/rec.db 2>>/tmp/live.err >/tmp/live.csv
	sections
}
sections() {
	echo "== case $name =="
	echo "-- gen"; cat /tmp/gen*.json; rm -f /tmp/gen*.json
	echo "-- live"; cat /tmp/live.csv
	echo "-- hist"; cat $T/hist
	echo "-- err"; cat /tmp/live.err
	echo "== end $name =="
}
