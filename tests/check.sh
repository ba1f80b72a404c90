#!/usr/bin/env bash
# make check: every stage runs even when one before it failed (the ASan
# build and its tests, then everything else), and one summary of all of
# them ends the output. A stage that fails without a summary of its own (a
# build error) counts as one failure.
set -u
MAKE=${MAKE:-make}
pass=0 fail=0 skip=0
for stage in check-asan test; do
	log=$(mktemp) t0=$SECONDS
	$MAKE --no-print-directory O="${O:-build}" "$stage" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
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
echo "all: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
