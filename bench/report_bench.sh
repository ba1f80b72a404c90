#!/usr/bin/env bash
# Benchmark: `kvmexitstat report` against the pipeline users run today,
#   grep kvm_exit FILE | awk '{...print the word after "reason"...}' | sort | uniq -c
# on generated traces of 100 MB and 1 GB (real layouts, mixed VMX and SVM,
# kvm_entry pairs), in the same run. Prints the speed-up and peak memory.
#
#   bench/report_bench.sh            (via `make bench`)
#   BENCH_DIR=/somewhere SIZES="100 1000" RUNS=3 bench/report_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/kvmexitstat-bench}
SIZES=${SIZES:-"100 1000"}   # MB
RUNS=${RUNS:-3}
BIN=$O/kvmexitstat

if ! [ -x /usr/bin/time ] || ! command -v bc >/dev/null; then
	echo "bench: installing GNU time (peak memory) and bc"
	apt-get install -y -qq time bc >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time bc; }
fi
mkdir -p "$BENCH_DIR"
cc -O2 -Wall -Wextra -o "$O/gentrace" bench/gentrace.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The baseline runs with the fastest awk there is (mawk, Debian's default,
# when present) so that the ratio is not flattered by a slow awk.
AWK=$(command -v mawk || command -v awk)
pipeline() {
	grep kvm_exit "$1" | "$AWK" '{ for (i = 1; i <= NF; i++) if ($i == "reason") { print $(i + 1); break } }' |
		sort | uniq -c
}

echo "kvmexitstat $($BIN --version | cut -d' ' -f2), $(nproc) cores, baseline awk = $(readlink -f "$AWK")"
printf '%-8s %12s %12s %10s %12s %12s\n' size exits report_s pipeline_s speedup peak_rss_kB
declare -A rss
for mb in $SIZES; do
	f=$BENCH_DIR/trace_${mb}MB.txt
	"$O/gentrace" $((mb * 1000000)) 42 >"$f" 2>"$f.truth"
	exits=$(awk '$1 == "exits" { print $2 }' "$f.truth")

	# Check before timing: kvmexitstat's counts equal what the generator wrote.
	$BIN report -o csv "$f" | python3 -c '
import csv, sys
truth = {}
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] in ("vmx", "svm"):
        truth[(w[0], w[1])] = int(w[2])
got = {(r["isa"], r["reason"]): int(r["count"]) for r in csv.DictReader(sys.stdin)}
if got != truth:
    sys.exit("bench: kvmexitstat counts differ from the generator: %r != %r" % (got, truth))
' "$f.truth"

	rt=() pt=() mem=()
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %M' -o "$BENCH_DIR/time" $BIN report "$f" >/dev/null
		read -r s k <"$BENCH_DIR/time"
		rt+=("$s") mem+=("$k")
		s0=$(date +%s.%N)
		pipeline "$f" >/dev/null
		pt+=("$(echo "$(date +%s.%N) - $s0" | bc -l)")
	done
	r=$(printf '%s\n' "${rt[@]}" | median)
	p=$(printf '%s\n' "${pt[@]}" | median)
	m=$(printf '%s\n' "${mem[@]}" | median)
	rss[$mb]=$m
	printf '%-8s %12s %12.2f %10.2f %11.1fx %12s\n' "${mb}MB" "$exits" "$r" "$p" "$(echo "$p / $r" | bc -l)" "$m"
done
set -- $SIZES
if [ $# -ge 2 ]; then
	printf 'peak RSS %sMB / %sMB: %.3f\n' "$2" "$1" "$(echo "${rss[$2]} / ${rss[$1]}" | bc -l)"
fi
