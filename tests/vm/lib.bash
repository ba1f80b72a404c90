# For testbed tests: run_in_testbed SCRIPT TIMEOUT_S OUT runs SCRIPT in the
# testbed into OUT, says how long boot to result took, and on failure prints
# "not ok" with the end of the output and exits the test with status 1.
#
# A guest that stops making progress (no output, no lockup report; one
# vCPU spinning at one address with interrupts off) is run once more: it
# happened 3 times in about 220 attach/detach cycles of the BPF programs
# in the emulated (TCG) testbed, at attach, not in the programs (which the
# verifier proved to terminate). The first run's diagnosis (the kernel's
# task dump, where each vCPU was, with symbols) stays in the test's output.
run_in_testbed() {
	local script=$1 timeout=$2 out=$3 start rc
	start=$(date +%s)
	tests/vm/testbed.sh run "$script" "$timeout" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 124 ]; then
		echo "# the testbed hung; its diagnosis, then one more run:"
		sed 's/^/#   /' "$out" | grep -A200 'testbed: the guest did not finish'
		start=$(date +%s)
		tests/vm/testbed.sh run "$script" "$timeout" >"$out" 2>&1
		rc=$?
	fi
	echo "# testbed boot to result: $(($(date +%s) - start)) s"
	if [ $rc -ne 0 ]; then
		echo "not ok - testbed run failed (exit $rc)"
		sed 's/^/#   /' "$out" | tail -40
		exit 1
	fi
}
