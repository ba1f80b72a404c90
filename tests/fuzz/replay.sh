#!/usr/bin/env bash
# Replays every fuzz target's seeds (tests/fuzz/corpus/TARGET) and the
# inputs that once crashed it (tests/fuzz/regressions/TARGET) through the
# libFuzzer binaries in $O/fuzz: TAP, one line per target.
O=${O:-build}
fail=0
for t in ${*:-fuzz_trace fuzz_klog fuzz_store fuzz_numparse fuzz_http}; do
	bin=$O/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "not ok - $t: no $bin (make $bin)"
		fail=1
		continue
	fi
	dirs=(tests/fuzz/corpus/$t)
	[ -d tests/fuzz/regressions/$t ] && dirs+=(tests/fuzz/regressions/$t)
	n=$(find "${dirs[@]}" -type f | wc -l)
	if "$bin" -runs=0 "${dirs[@]}" >"$O/fuzz/$t.replay.log" 2>&1; then
		echo "ok - $t: $n seed and regression inputs replay without a crash"
	else
		echo "not ok - $t: an input crashed it (log: $O/fuzz/$t.replay.log)"
		grep -m3 -E "ERROR|SUMMARY|Test unit written" "$O/fuzz/$t.replay.log" | sed 's/^/#   /'
		fail=1
	fi
done
exit $fail
