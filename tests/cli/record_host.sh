#!/usr/bin/env bash
# kvmexitstat record and report FILE.db on this host's KVM (the stats
# source; the tracepoint source's recording is tested in the testbed):
# windows of a recording equal the exits of the VMs that ran in them, a
# recorder killed with SIGKILL leaves a readable store, --from-trace stores
# a trace so that its report equals the trace's, and bad input is refused
# with a message.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
command -v sqlite3 >/dev/null || { echo "not ok - sqlite3 is not installed (tests/deps.sh)"; exit 1; }
DB=$TMP/rec.db

# errors first: they need no KVM
run "record without -o" 2 "$KVMEXITSTAT" record 1 1
expect_in "record without -o: says so" "$TMP/err" "no store: give -o FILE.db"
run "record -o in a directory that does not exist" 1 "$KVMEXITSTAT" record --from-trace \
	tests/data/traces/trace_kiszka_nested_io_loop.txt -o "$TMP/no/such/dir.db"
expect_in "record -o unwritable: names the file" "$TMP/err" "$TMP/no/such/dir.db: cannot write the store"
run "record --by (not for a store)" 2 "$KVMEXITSTAT" record -o "$DB" --by vm
sqlite3 "$TMP/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
run "report of an SQLite file that is not a store" 1 "$KVMEXITSTAT" report "$TMP/other.db"
expect_in "report of a foreign SQLite file: says so" "$TMP/err" "not a kvmexitstat record store"
run "report --from with a trace" 1 "$KVMEXITSTAT" report --from 1 tests/data/traces/trace_kiszka_nested_io_loop.txt
expect_in "report --from with a trace: says it is for stores" "$TMP/err" "apply to record stores, not traces"
run "report --from with a bad time" 2 "$KVMEXITSTAT" report --from yesterday "$TMP/other.db"

# another application's database is refused before anything is written to
# it: byte for byte unchanged, no -wal/-shm left, no table added
T0=tests/data/traces/trace_kiszka_nested_io_loop.txt
sqlite3 "$TMP/app.db" "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES(1,'ann');"
sqlite3 "$TMP/meta.db" "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES('owner','app');"
for f in app meta; do
	cp "$TMP/$f.db" "$TMP/$f.orig"
	run "record -o another application's database ($f)" 1 "$KVMEXITSTAT" record -o "$TMP/$f.db" --from-trace "$T0"
	expect_in "record -o another application's database ($f): says so" "$TMP/err" "not a kvmexitstat record store"
	if cmp -s "$TMP/$f.db" "$TMP/$f.orig" && [ ! -e "$TMP/$f.db-wal" ]; then
		ok "record -o another application's database ($f): left byte for byte unchanged"
	else not_ok "record -o another application's database ($f): changed" "$(sqlite3 "$TMP/$f.db" .tables)"; fi
	run "report of another application's database ($f)" 1 "$KVMEXITSTAT" report "$TMP/$f.db"
done
# windows out of range: refused with a message, never every interval or none
for w in "--from 1e11" "--to 1e11" "--from @1e10" "--from -1"; do
	run "report $w (out of range)" 2 "$KVMEXITSTAT" report $w "$TMP/other.db"
	expect_in "report $w: says what range it takes" "$TMP/err" "expected"
done
run "report --from 20 --to 10" 2 "$KVMEXITSTAT" report --from 20 --to 10 "$TMP/other.db"
expect_in "report --from 20 --to 10: says the window ends before it starts" "$TMP/err" "ends before it starts"

# --from-trace: the store's report equals the trace's, interval by interval
T=tests/data/traces/trace_mkrause_nested_esxi_cr0wp.txt
run "record --from-trace" 0 "$KVMEXITSTAT" record -o "$TMP/trace.db" --from-trace "$T" 0.0001
expect_in "record --from-trace: says what it stored" "$TMP/err" "intervals"
"$KVMEXITSTAT" report -o csv "$T" | cut -d, -f8-11,13-22 | sort >"$TMP/a"
"$KVMEXITSTAT" report -o csv "$TMP/trace.db" | cut -d, -f8-11,13-22 | sort >"$TMP/b"
if [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b"; then ok "--from-trace: the store reports what the trace does (counts, times, percentiles)"
else not_ok "--from-trace: the store reports what the trace does" "$(diff "$TMP/a" "$TMP/b" | head -5)"; fi
want=$(python3 - "$T" <<'PY'
import re, sys
b = set()
for l in open(sys.argv[1], errors="replace"):
    m = re.search(r"\s(\d+)\.(\d+):\s+kvm_(exit|entry):", l)
    if m:
        ns = int(m.group(1)) * 10**9 + int(m.group(2).ljust(9, "0")[:9])
        b.add(ns // 100000)
print(len(b))
PY
)
got=$(sqlite3 "$TMP/trace.db" "SELECT count(*) FROM intervals")
if [ "$got" = "$want" ] && [ "$got" -gt 1 ]; then ok "--from-trace: one interval per 100 us of the trace that has events ($got)"
else not_ok "--from-trace: $got intervals, want $want"; fi

if [ ! -c /dev/kvm ]; then
	echo "ok - live recording on this host # SKIP no /dev/kvm on this machine"
	exit 0
fi

# hold NAME ARGS: kvmexitgen --hold in the background until it holds its VM
hold() {
	local out=$TMP/$1.json
	shift
	"$GEN" --hold --json "$@" >"$out" 2>"$out.err" &
	HELD=$!
	for _ in $(seq 100); do
		grep -q "holding the VM open" "$out.err" 2>/dev/null && break
		sleep 0.1
	done
}
# Windows: VM a runs (and is held until the recorder has read its final
# counts), then VM b; the time between them splits the recording.
"$KVMEXITSTAT" record -o "$DB" 0.2 2>"$TMP/rec.err" &
R=$!
sleep 1
hold a --cpuid 30000 --io-out 2000
sleep 0.6
kill -TERM $HELD; wait $HELD
sleep 0.5
mark=$(date +%s.%N)
sleep 0.5
hold b --cpuid 45000 --io-in 1000
sleep 0.6
kill -TERM $HELD; wait $HELD
sleep 0.5
kill -INT $R
wait $R
st=$?
if [ $st -eq 0 ]; then ok "record ran and stopped on SIGINT (exit 0)"; else not_ok "record: exit $st" "$(cat "$TMP/rec.err")"; fi
for w in all:"" before:"--to @$mark" after:"--from @$mark"; do
	# shellcheck disable=SC2086
	"$KVMEXITSTAT" report -o json --by vm ${w#*:} "$DB" >"$TMP/${w%%:*}.json" 2>"$TMP/${w%%:*}.err"
done
TAP_START=$_n python3 - "$TMP" >"$TMP/check" <<'PY'
import json, os, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d = sys.argv[1]
gen = {}
for k in "ab":
    try:
        gen[k] = json.load(open(f"{d}/{k}.json"))
    except ValueError:
        check(f"kvmexitgen of VM {k} ran", False, open(f"{d}/{k}.json.err").read()[:300])
if len(gen) < 2:
    done()
def exits(rep, g):
    return sum(r["count"] for r in rep["rows"] if r.get("pid") == g["pid"] and r["reason"] == "exits")
want = {k: g["vcpu"][0]["stats"]["exits"] for k, g in gen.items()}
for w, has in (("all", "ab"), ("before", "a"), ("after", "b")):
    try:
        rep = json.load(open(f"{d}/{w}.json"))
    except ValueError:
        check(f"report window {w}", False, open(f"{d}/{w}.err").read()[:300]); continue
    for k in "ab":
        got = exits(rep, gen[k])
        if k in has:
            check(f"window {w}: VM {k}'s exits, exactly as its vCPU counted them ({want[k]})", got == want[k], f"got {got}")
        else:
            check(f"window {w}: none of VM {k}'s exits", got == 0, f"got {got}")
    if w == "all":
        check("the report says what was recorded", rep.get("recorded", {}).get("intervals", 0) >= 10 and
              rep["source"] == "record", str(rep.get("recorded")))
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
q=$(sqlite3 "$DB" "SELECT sum(count) FROM exits_named WHERE reason = 'exits' AND vm IS NOT NULL")
if [ -n "$q" ] && [ "$q" -gt 0 ]; then ok "sqlite3 can query the documented view exits_named ($q exits)"; else not_ok "sqlite3 on exits_named: '$q'"; fi

# SIGKILL: at random moments of a run; each time the store stays readable
# and loses at most the interval in progress
"$GEN" --cpuid 2000000 >/dev/null 2>&1 &
G=$!
bad=0
for i in $(seq 8); do
	rm -f "$TMP/k.db"*
	"$KVMEXITSTAT" record -o "$TMP/k.db" 0.1 2>/dev/null &
	R=$!
	# odd rounds kill while the store is being made, even ones mid-run
	if [ $((i % 2)) = 1 ]; then sleep "0.0$((RANDOM % 9 + 1))"; else sleep "0.$((RANDOM % 9 + 3))"; fi
	kill -KILL $R
	wait $R 2>/dev/null
	integ=$(sqlite3 "$TMP/k.db" "PRAGMA integrity_check" 2>&1)
	tables=$(sqlite3 "$TMP/k.db" "SELECT count(*) FROM sqlite_master" 2>&1)
	n=0
	[ "$tables" != 0 ] && n=$(sqlite3 "$TMP/k.db" "SELECT count(*) FROM intervals" 2>&1)
	"$KVMEXITSTAT" report "$TMP/k.db" >/dev/null 2>"$TMP/k.err"
	rep=$?
	# killed before the schema was in: an empty database, said so; before
	# the first interval ended: a store without intervals, said so
	if [ "$integ" != ok ] || { [ "$n" != 0 ] && [ $rep != 0 ]; } ||
		{ [ "$tables" = 0 ] && ! grep -Eq "an empty database|empty input" "$TMP/k.err"; } ||
		{ [ "$tables" != 0 ] && [ "$n" = 0 ] && ! grep -q "no recorded interval" "$TMP/k.err"; }; then
		bad=1
		echo "# kill $i: integrity '$integ', $n intervals: $(cat "$TMP/k.err")"
	fi
done
kill $G 2>/dev/null; wait $G 2>/dev/null
if [ $bad = 0 ]; then ok "record killed with SIGKILL 8 times: the store passes integrity_check and reads back"
else not_ok "record killed with SIGKILL: the store was damaged"; fi
# a truncated store is refused with a message, not a crash
head -c 3000 "$DB" >"$TMP/cut.db"
run "report of a truncated store" 1 "$KVMEXITSTAT" report "$TMP/cut.db"
expect_in "report of a truncated store: names the file" "$TMP/err" "$TMP/cut.db"
exit 0
