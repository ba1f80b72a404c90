#!/usr/bin/env bash
# How big a record store grows: kvmexitstat record at 1 s intervals for
# DURATION seconds (default 600) while 2 kvmexitgen VMs exit all the time
# (a CPUID loop each, at idle priority; only they are recorded, -p); prints the store's bytes, rows and
# intervals, and the bytes per hour they make. The baseline is the same
# store's size after its first interval, in the same run.
#
#   bench/record_size.sh            DURATION=600
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
DURATION=${DURATION:-600}
make --no-print-directory -s "$O/kvmexitstat" "$O/kvmexitgen" O="$O"
dir=$(mktemp -d)
trap 'kill $G1 $G2 $R 2>/dev/null; rm -rf "$dir"' EXIT
nice -n 19 "$O/kvmexitgen" --timeout 0 --cpuid 2000000000 >/dev/null 2>&1 & G1=$!
nice -n 19 "$O/kvmexitgen" --timeout 0 --cpuid 2000000000 >/dev/null 2>&1 & G2=$!
sleep 0.5
"$O/kvmexitstat" record -p $G1 -p $G2 -o "$dir/r.db" 1 2>"$dir/err" & R=$!
sleep 1.5
first=$(du -b "$dir/r.db" | cut -f1)
sleep "$DURATION"
kill -INT $R; wait $R || { cat "$dir/err"; exit 1; }
kill $G1 $G2 2>/dev/null; wait $G1 $G2 2>/dev/null || true
bytes=$(du -b "$dir/r.db" | cut -f1) # the WAL is checkpointed into it when record ends
read -r intervals rows vms <<<"$(sqlite3 -separator ' ' "$dir/r.db" \
	"SELECT (SELECT count(*) FROM intervals), (SELECT count(*) FROM exits), (SELECT count(DISTINCT pid) FROM exits)")"
echo "record store after ${DURATION} s at 1 s intervals, $vms VMs exiting all the time"
echo "source: $(sqlite3 "$dir/r.db" "SELECT source FROM runs")"
printf '%-28s %12s\n' "bytes" "$bytes" "bytes after the 1st interval" "$first" "intervals" "$intervals" \
	"rows" "$rows" "rows per interval" "$((rows / intervals))" "bytes per row" "$((bytes / rows))" \
	"bytes per hour" "$((bytes * 3600 / DURATION))"
