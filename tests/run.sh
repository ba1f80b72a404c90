#!/usr/bin/env bash
# Run every test (cmocka unit tests in TAP mode, then the CLI and golden
# scripts) and end with one summary line: "N passed, N failed, N skipped".
set -u
O=${O:-build}
SUITE=${SUITE:-tests}
export KVMEXITSTAT="$O/kvmexitstat"
export CMOCKA_MESSAGE_OUTPUT=TAP
pass=0 fail=0 skip=0
log=$(mktemp)

count() { # reads TAP on stdin, echoes it, updates the counters via the log
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok"*) echo F >>"$log" ;;
		"ok "*"# SKIP"* | "ok "*"# skip"*) echo S >>"$log" ;;
		"ok "*) echo P >>"$log" ;;
		esac
	done
}

# RUN_VM: unset, the unit and CLI tests; 1, those and the testbed's; only, the testbed's;
# vmx-start, only the VMX testbed's into VMX_OUT, for a later run to count.
vm_tests= vmx_tests=
[ -n "${RUN_VM:-}" ] && vm_tests=$(ls tests/vm/test_*.sh | grep -v '_vmx\.sh$') &&
	vmx_tests=$(ls tests/vm/test_*_vmx.sh)
# The VMX testbed's tests (Bochs: one core, minutes each) run one after the
# other beside the other tests; their output is counted when the rest is
# done. With VMX_OUT set, another process (make check's) started them there
# before, and they are counted once it has written VMX_OUT/done.
run_vmx() { # directory
	for t in $vmx_tests; do
		t0=$SECONDS
		bash "$t" >"$1/$(basename "$t").out" 2>&1
		echo $? >"$1/$(basename "$t").rc"
		echo "# $SUITE: $t took $((SECONDS - t0)) s" >>"$1/$(basename "$t").out"
	done
	touch "$1/done"
}
if [ "${RUN_VM:-}" = vmx-start ]; then
	vmx_tests=$(ls tests/vm/test_*_vmx.sh)
	run_vmx "$VMX_OUT"
	rm -f "$log"
	exit 0
fi
vmx_out=${VMX_OUT:-}
if [ -z "$vmx_out" ]; then
	vmx_out=$(mktemp -d)
	trap 'rm -f "$log"; rm -rf "$vmx_out"' EXIT
	[ -n "$vmx_tests" ] && run_vmx "$vmx_out" &
else
	trap 'rm -f "$log"' EXIT
fi
unit_and_cli=1
[ "${RUN_VM:-}" = only ] && unit_and_cli=0
for t in "$O"/tests/test_*; do
	[ $unit_and_cli = 1 ] || break
	[ -x "$t" ] || continue
	echo "# $SUITE: $(basename "$t")"
	before=$(grep -c F "$log")
	"$t" 2>&1 | count
	rc=${PIPESTATUS[0]}
	# A crash (no "not ok" line of its own) must still count as a failure.
	[ "$rc" -ne 0 ] && [ "$(grep -c F "$log")" -eq "$before" ] &&
		echo "not ok - $(basename "$t") exited $rc" | count
done
# the fuzz targets' seeds and past crashes (make test builds them)
[ -n "${FUZZ_REPLAY:-}" ] && [ $unit_and_cli = 1 ] && vm_tests="tests/fuzz/replay.sh $vm_tests"
cli_tests=
[ $unit_and_cli = 1 ] && cli_tests=$(ls tests/cli/*.sh)
for t in $cli_tests $vm_tests; do
	echo "# $SUITE: $t"
	before=$(grep -c F "$log") t0=$SECONDS
	bash "$t" 2>&1 | count
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 0 ] && [ "$(grep -c F "$log")" -eq "$before" ] && echo "not ok - $t exited $rc" | count
	echo "# $SUITE: $t took $((SECONDS - t0)) s"
done
if [ -n "$vmx_tests" ]; then
	while [ ! -e "$vmx_out/done" ]; do sleep 2; done
	for t in $vmx_tests; do
		echo "# $SUITE: $t"
		before=$(grep -c F "$log")
		count <"$vmx_out/$(basename "$t").out"
		rc=$(cat "$vmx_out/$(basename "$t").rc" 2>/dev/null || echo 1)
		[ "$rc" -ne 0 ] && [ "$(grep -c F "$log")" -eq "$before" ] && echo "not ok - $t exited $rc" | count
	done
fi
pass=$(grep -c P "$log"); fail=$(grep -c F "$log"); skip=$(grep -c S "$log")
echo "$SUITE: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
