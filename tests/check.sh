#!/usr/bin/env bash
# make check: every stage runs even when one before it failed (the ASan
# build and its tests, then everything else), and one summary of all of
# them ends the output. A stage that fails without a summary of its own (a
# build error) counts as one failure.
set -u
MAKE=${MAKE:-make}
pass=0 fail=0 skip=0 failures=
# The VMX testbed's tests take the longest (Bochs, one core): what they need
# is built first, and they start now, beside the ASan stage and the rest;
# make test counts them at its end.
export VMX_OUT=$(mktemp -d)
trap 'rm -rf "$VMX_OUT"' EXIT
t0=$SECONDS
if $MAKE --no-print-directory O="${O:-build}" test-prereqs 2>&1; then
	O="${O:-build}" RUN_VM=vmx-start SUITE=tests tests/run.sh &
else
	fail=$((fail + 1))
	echo "not ok - make test-prereqs failed: the VMX testbed's tests did not run"
	touch "$VMX_OUT/done"
fi
echo "# make test-prereqs took $((SECONDS - t0)) s"
for stage in check-asan test; do
	log=$(mktemp) t0=$SECONDS
	$MAKE --no-print-directory O="${O:-build}" "$stage" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
	# each failure with the test file it came from, again at the end, where
	# a reader of the output's tail sees it
	failures+=$(awk -v stage="$stage" '/^# [a-z]+: [^ ]+$/ { file = $3 }
		/^not ok/ && n++ < 40 { print stage ": " file ": " $0 }' "$log")$'\n'
	rm -f "$log"
	echo "# make $stage took $((SECONDS - t0)) s"
	if [ -n "$line" ]; then
		read -r p f s <<<"$(echo "$line" | sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/')"
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && fail=$((fail + 1)) && echo "not ok - make $stage exited $rc"
	elif [ "$rc" -ne 0 ]; then
		fail=$((fail + 1))
		echo "not ok - make $stage exited $rc before its tests ran"
	fi
done
if [ "$fail" -gt 0 ]; then
	echo "# the failures:"
	printf '%s' "$failures" | grep -v '^$' | cut -c1-300
fi
echo "all: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
