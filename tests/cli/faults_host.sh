#!/usr/bin/env bash
# Faults on this host: a watched VM killed with SIGKILL, the record store's
# disk full or read-only, and the live commands run without root. Each says
# what happened in one line and loses nothing it had.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}

# a trace of 4000 exits, each in its own millisecond: 4000 intervals
python3 - >"$TMP/long.trace" <<'PY'
for i in range(4000):
    t = 100 + i / 1000
    print(f" qemu-7-7 [000] d..2. {t:.6f}: kvm_exit: vcpu 0 reason CPUID rip 0x1 info1 0x0 info2 0x0 intr_info 0x0 error_code 0x0")
    print(f" qemu-7-7 [000] d..2. {t + 0.0000021:.6f}: kvm_entry: vcpu 0, rip 0x3")
PY
# disk full: a 400 KiB tmpfs in a mount namespace of its own (the store
# and its write-ahead log, where the last intervals are)
mkdir -p "$TMP/small"
run "record into a full disk" 1 unshare -m sh -c "mount -t tmpfs -o size=400k none '$TMP/small' &&
	'$KVMEXITSTAT' record -o '$TMP/small/r.db' --from-trace '$TMP/long.trace' 0.001;
	st=\$?; cp '$TMP/small/r.db' '$TMP/full.db'; cp '$TMP/small/r.db-wal' '$TMP/full.db-wal' 2>/dev/null; exit \$st"
expect_in "disk full: says the disk is full and names the store" "$TMP/err" "$TMP/small/r.db: cannot write the interval: database or disk is full"
integ=$(sqlite3 "$TMP/full.db" "PRAGMA integrity_check" 2>&1)
n=$(sqlite3 "$TMP/full.db" "SELECT count(*) FROM intervals" 2>&1)
c=$(sqlite3 "$TMP/full.db" "SELECT sum(count) FROM exits" 2>&1)
# the first n milliseconds of the trace, each with its one exit
last=$(sqlite3 "$TMP/full.db" "SELECT max(start_ns) FROM intervals" 2>&1)
if [ "$integ" = ok ] && [ "$n" -gt 10 ] && [ "$n" -lt 4000 ] && [ "$c" = "$n" ] && [ "$last" = $((100000000000 + (n - 1) * 1000000)) ]; then
	ok "disk full: what was recorded is intact (the first $n intervals, one exit each, integrity_check ok)"
else not_ok "disk full: integrity '$integ', $n intervals, $c exits, last start $last"; fi
run "report of the store the disk filled" 0 "$KVMEXITSTAT" report "$TMP/full.db"

# read-only: a new store, and an existing one, on a read-only mount
"$KVMEXITSTAT" record -o "$TMP/ro.db" --from-trace tests/data/traces/trace_mkrause_nested_esxi_cr0wp.txt 2>/dev/null
mkdir -p "$TMP/ro"
run "record into a read-only directory" 1 unshare -m sh -c "mount -t tmpfs none '$TMP/ro' && cp '$TMP/ro.db' '$TMP/ro/' &&
	mount -o remount,ro '$TMP/ro' && '$KVMEXITSTAT' record -o '$TMP/ro/new.db' --from-trace '$TMP/long.trace'"
expect_in "read-only directory: says it cannot write the store" "$TMP/err" "$TMP/ro/new.db: cannot write the store: Read-only file system"
run "record onto a read-only store" 1 unshare -m sh -c "mount -t tmpfs none '$TMP/ro' && cp '$TMP/ro.db' '$TMP/ro/' &&
	mount -o remount,ro '$TMP/ro' && '$KVMEXITSTAT' record -o '$TMP/ro/ro.db' --from-trace '$TMP/long.trace';
	st=\$?; '$KVMEXITSTAT' report '$TMP/ro/ro.db' >'$TMP/ro.report' 2>&1 || st=9; exit \$st"
expect_in "read-only store: says the file system is read-only" "$TMP/err" "$TMP/ro/ro.db: cannot write the store: Read-only file system"
expect_in "read-only store: it still reads back" "$TMP/ro.report" "Recorded: 1 interval"

# what needs root says so
for c in live record top serve; do
	args=()
	[ $c = live ] || args=("$c")
	[ $c = record ] && args+=(-o "$TMP/u.db")
	run "kvmexitstat $c as a user" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" "${args[@]}"
	expect_in "kvmexitstat $c as a user: says it needs root" "$TMP/err" "run as root"
done
run "report as a user (needs nothing)" 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" report \
	tests/data/traces/trace_kiszka_nested_io_loop.txt

# nothing runs a shell or another program on the user's behalf
if grep -nE '\b(system|popen|execl|execlp|execle|execv|execvp|execvpe)\s*\(' src/*/*.c exitgen/*.c >"$TMP/shell"; then
	not_ok "no shell command or program is run from the sources" "$(cat "$TMP/shell")"
else ok "no shell command or program is run from the sources"; fi

if [ ! -c /dev/kvm ]; then
	echo "ok - a watched VM killed # SKIP no /dev/kvm on this machine"
	exit 0
fi
# top without a terminal: a message at once, not a spinning loop
start=$(date +%s%N)
run "top without a terminal" 1 timeout 5 "$KVMEXITSTAT" top </dev/null
took=$((($(date +%s%N) - start) / 1000000))
expect_in "top without a terminal: says it needs one" "$TMP/err" "needs a terminal"
[ $took -lt 1000 ] && ok "top without a terminal: ends at once (${took} ms)" || not_ok "top without a terminal took ${took} ms"

# A SIGINT while the programs are still loading ends the run (a shell
# starts a background job with SIGINT ignored: kvmexitstat must take it
# over before it loads anything). Sent as soon as it has begun: when its
# first KVM or BPF file is open (the stats source makes a vCPU, then loads
# its iterator), and a few milliseconds later.
for delay in 0 0.01 0.02; do
	"$KVMEXITSTAT" --source stats >"$TMP/early.out" 2>"$TMP/early.err" &
	E=$!
	for _ in $(seq 2000); do
		ls -l /proc/$E/fd 2>/dev/null | grep -q 'anon_inode:\(kvm-vm\|bpf\)' && break
		kill -0 $E 2>/dev/null || break
	done
	sleep $delay
	kill -INT $E
	for _ in $(seq 30); do kill -0 $E 2>/dev/null || break; sleep 0.1; done
	if kill -0 $E 2>/dev/null; then
		kill -KILL $E; wait $E 2>/dev/null
		not_ok "SIGINT ${delay} s after it began loading: still running 3 s later"
	else
		wait $E; st=$?
		[ $st -eq 0 ] && ok "SIGINT ${delay} s after it began loading: ends, status 0" ||
			not_ok "SIGINT ${delay} s after it began loading: status $st" "$(cat "$TMP/early.err")"
	fi
done

# a watched VM killed with SIGKILL
"$KVMEXITSTAT" --source stats --by vm -o json 0.25 >"$TMP/live.json" 2>"$TMP/live.err" &
L=$!
# (the VM starts once kvmexitstat counts: VMs running before are its baseline)
for _ in $(seq 100); do grep -q "counting VM exits" "$TMP/live.err" 2>/dev/null && break; sleep 0.05; done
"$GEN" --hold --json --io-out 20000 >"$TMP/g.json" 2>"$TMP/g.err" &
G=$!
for _ in $(seq 100); do grep -q "holding the VM open" "$TMP/g.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.6
kill -KILL $G
wait $G 2>/dev/null
sleep 0.8
kill -INT $L
wait $L
st=$?
[ $st = 0 ] && ok "live: a watched VM killed with SIGKILL, kvmexitstat goes on and ends (exit 0)" ||
	not_ok "live after the VM was killed: exit $st" "$(cat "$TMP/live.err")"
TAP_START=$_n python3 - "$TMP" >"$TMP/check" <<'PY'
import json, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d = sys.argv[1]
ivs = [json.loads(l) for l in open(f"{d}/live.json") if l.startswith("{")]
def exits(iv, pid):
    return sum(r["count"] for r in iv["rows"] if r.get("pid") == pid and r["reason"] == "exits")
pids = {json.load(open(f"{d}/g.json"))["pid"]}
per = [exits(iv, p) for iv in ivs if iv["time"] != "total" for p in pids]
total = [iv for iv in ivs if iv["time"] == "total"]
tot = sum(exits(total[0], p) for p in pids) if total else 0
check("the killed VM's exits are in the totals", tot >= 20000, f"{tot} exits, pids {pids}")
shown_after = [sum(exits(iv, p) for p in pids) for iv in ivs[-3:-1]]
check("and it is gone from the last intervals", all(x == 0 for x in shown_after), str(shown_after))
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
