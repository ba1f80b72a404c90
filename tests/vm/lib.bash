# For testbed tests: run_in_testbed SCRIPT TIMEOUT_S OUT runs SCRIPT in the
# testbed into OUT, says how long boot to result took, and on failure prints
# "not ok" with the end of the output and exits the test with status 1.
run_in_testbed() {
	local script=$1 timeout=$2 out=$3 start rc
	start=$(date +%s)
	tests/vm/testbed.sh run "$script" "$timeout" >"$out" 2>&1
	rc=$?
	echo "# testbed boot to result: $(($(date +%s) - start)) s"
	if [ $rc -ne 0 ]; then
		echo "not ok - testbed run failed (exit $rc)"
		sed 's/^/#   /' "$out" | tail -40
		exit 1
	fi
}
