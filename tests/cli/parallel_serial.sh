#!/usr/bin/env bash
# The parallel reader equals one pass, for every input we keep: the fuzz
# corpora and the bundled traces, read serially and in forced small parts
# (KVMEXITSTAT_SPLIT_MIN, a knob for tests), in every format and grouping:
# the same report, the same messages, the same exit status.
. "$(dirname "$0")/tap.bash"

# fuzz_klog's inputs are kernel-log lines without their "CMPE283: " prefix
mkdir "$TMP/klog"
for f in tests/fuzz/corpus/fuzz_klog/* tests/fuzz/regressions/fuzz_klog/*; do
	[ -f "$f" ] && sed 's/^/CMPE283: /' "$f" >"$TMP/klog/$(basename "$f")"
done
inputs=(tests/fuzz/corpus/fuzz_trace/* tests/fuzz/regressions/fuzz_trace/* "$TMP"/klog/* tests/data/traces/*.txt)
splits=("2 37" "3 101" "8 37" "16 37" "4 65536")
for f in "${inputs[@]}"; do
	[ -f "$f" ] || continue
	diffs=0 split_any=0 detail=
	for fmt in table json csv; do
		for by in reason vcpu; do
			"$KVMEXITSTAT" report -j 1 -o $fmt -b $by "$f" >"$TMP/one" 2>"$TMP/one.err"
			want=$?
			for s in "${splits[@]}"; do
				set -- $s
				KVMEXITSTAT_SPLIT_MIN=$2 "$KVMEXITSTAT" report -j $1 -o $fmt -b $by "$f" \
					>"$TMP/many" 2>"$TMP/many.err"
				got=$?
				grep -q ": read in [2-9][0-9]* parts$" "$TMP/many.err" && split_any=1
				grep -v ': read in [0-9]* parts\?$' "$TMP/many.err" >"$TMP/many.err2"
				if [ $got != $want ] || ! cmp -s "$TMP/one" "$TMP/many" ||
					! cmp -s "$TMP/one.err" "$TMP/many.err2"; then
					diffs=$((diffs + 1))
					[ -n "$detail" ] || detail="-j $1, parts of $2 B, -o $fmt -b $by: exit $got vs $want; $(diff "$TMP/one" "$TMP/many" | head -4) $(diff "$TMP/one.err" "$TMP/many.err2" | head -4)"
				fi
			done
		done
	done
	if [ $diffs = 0 ]; then
		ok "$(basename "$f"): parallel parts equal one pass (30 ways)"
	else
		not_ok "$(basename "$f"): parallel parts differ from one pass in $diffs of 30 ways" "$detail"
	fi
	# a file of more than a few lines with events must have been split
	# at least once (parts begin at an event line or a kernel-log header);
	# not quoted-printable mail, nor a file refused as binary: one stream
	if [ "$(wc -l <"$f")" -ge 4 ] && grep -qE 'kvm_(exit|entry):|Exit Stats' "$f" && [ $split_any = 0 ] &&
		! grep -qE '=3D|=A0|^.{60,}=.?$' "$f" && ! grep -q "binary data at byte" "$TMP/one.err"; then
		not_ok "$(basename "$f"): was never read in parts" ""
	fi
done
