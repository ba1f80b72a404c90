# For testbed tests: run_in_testbed SCRIPT TIMEOUT_S OUT runs SCRIPT in the
# testbed into OUT, says how long boot to result took, and on failure prints
# "not ok" with the end of the output and exits the test with status 1.
run_in_testbed() {
	local script=$1 timeout=$2 out=$3 start rc
	start=$(date +%s)
	tests/vm/testbed.sh run "$script" "$timeout" >"$out" 2>&1
	rc=$?
	# (TESTBED_KEEP=FILE: a copy of the run's output, for the docs' examples)
	[ -n "${TESTBED_KEEP:-}" ] && cp "$out" "$TESTBED_KEEP"
	echo "# testbed boot to result: $(($(date +%s) - start)) s"
	if [ $rc -ne 0 ]; then
		echo "not ok - testbed run failed (exit $rc)"
		sed 's/^/#   /' "$out" | tail -40
		exit 1
	fi
}

# live_check OUT CASE ARGS...: tests/vm/live_check.py on a case of a testbed
# run's output; on failure also prints the case's sections.
live_check() {
	local out=$1
	shift
	if ! python3 tests/vm/live_check.py "$@" <"$out"; then
		sed -n "/== case $1 ==/,/== end $1 ==/p" "$out" | sed 's/^/#   /' | head -80
		return 1
	fi
}

# check_cases CHECKER OUT CASE...: CHECKER CASE < OUT for each case, and the
# failing cases' sections after their TAP lines; non-zero if any failed
check_cases() {
	local checker=$1 out=$2 c fail=0
	shift 2
	for c in "$@"; do
		if ! python3 "$checker" "$c" <"$out"; then
			fail=1
			sed -n "/== case $c ==/,/== end $c ==/p" "$out" | sed 's/^/#   /' | head -80
		fi
	done
	return $fail
}
