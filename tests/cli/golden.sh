#!/usr/bin/env bash
# Golden tests: kvmexitstat's numbers for the bundled real traces against the
# rows in tests/golden/*.expected, which were worked out by reading the traces.
. "$(dirname "$0")/tap.bash"

compare() { # name expected-rows actual-rows
	if diff -u "$2" "$3" >"$TMP/diff"; then ok "$1"; else not_ok "$1" "$(cat "$TMP/diff")"; fi
}

# CSV columns wanted, by name, from a report (handles RFC 4180 quoting).
columns() {
	python3 -c '
import csv, sys
want = sys.argv[1].split(",")
rows = list(csv.DictReader(sys.stdin))
for r in rows:
    if r["source"] == "trace":
        print(",".join(r[c] for c in want))
' "$1" | LC_ALL=C sort
}

for exp in tests/golden/*.expected; do
	name=$(basename "$exp" .expected)
	trace=tests/data/traces/$name.txt
	grep -v '^#' "$exp" | tail -n +2 | LC_ALL=C sort >"$TMP/want"
	run "$name: report --by vcpu" 0 "$KVMEXITSTAT" report --by vcpu -o csv "$trace"
	columns pid,vcpu,isa,reason,count,timed,time_ns <"$TMP/out" >"$TMP/got"
	compare "$name: per vCPU counts and handling times" "$TMP/want" "$TMP/got"

	# --by reason equals the sums of the expected rows per reason
	awk -F, '{ c[$3","$4] += $5; t[$3","$4] += $6; s[$3","$4] += $7 }
		END { for (k in c) printf "%s,%d,%d,%.0f\n", k, c[k], t[k], s[k] }' "$TMP/want" |
		LC_ALL=C sort >"$TMP/want_reason"
	run "$name: report --by reason" 0 "$KVMEXITSTAT" report -o csv "$trace"
	columns isa,reason,count,timed,time_ns <"$TMP/out" >"$TMP/got_reason"
	compare "$name: per reason sums" "$TMP/want_reason" "$TMP/got_reason"
	expect_not_in "$name: nothing undecodable" "$TMP/err" "cannot decode"
done

# All at once: each VM keeps its own rows.
run "all traces together" 0 "$KVMEXITSTAT" report --by vcpu -o csv tests/data/traces/*.txt
columns pid,vcpu,isa,reason,count,timed,time_ns <"$TMP/out" >"$TMP/got"
grep -hv '^#' tests/golden/*.expected | grep -v '^pid,' | LC_ALL=C sort >"$TMP/want"
compare "all traces together: same rows as one by one" "$TMP/want" "$TMP/got"
