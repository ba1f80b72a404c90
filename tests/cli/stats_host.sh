#!/usr/bin/env bash
# The vCPU stats source on this host's KVM: kvmexitgen makes known exits,
# holds its VM, and kvmexitstat --source stats must report exactly the counters
# kvmexitgen read from its own vCPUs (KVM_GET_STATS_FD) at that moment.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
if [ ! -c /dev/kvm ]; then
	echo "ok - the stats source on this host # SKIP no /dev/kvm on this machine"
	exit 0
fi

# start_gen OUT ARGS...: kvmexitgen --hold --json ARGS, held back until
# go_gen so that its pid (GEN_PID) is known before its VM exists
start_gen() {
	GEN_OUT=$1
	shift
	rm -f "$TMP/go"
	sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done; shift; exec "$@"' sh "$TMP/go" \
		"$GEN" --hold --json "$@" >"$GEN_OUT" 2>"$GEN_OUT.err" &
	GEN_PID=$!
	GEN_ARGS="$*"
	HELD="$HELD $GEN_PID"
}
go_gen() { # and wait until it holds its VM, its exits made (make check runs
	# the VMX testbed beside this: up to 30 s on a loaded machine)
	touch "$TMP/go"
	for _ in $(seq 300); do
		grep -q "holding the VM open" "$GEN_OUT.err" 2>/dev/null && break
		kill -0 "$GEN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -s "$GEN_OUT" ]; then ok "kvmexitgen $GEN_ARGS holds its VM"
	else
		local state=exited
		kill -0 "$GEN_PID" 2>/dev/null && state="still running after 30 s"
		not_ok "kvmexitgen $GEN_ARGS did not start ($state)" "$(cat "$GEN_OUT.err")"
	fi
}
hold() { start_gen "$@"; go_gen; }
release() {
	# shellcheck disable=SC2086
	kill -TERM $HELD 2>/dev/null
	wait $HELD 2>/dev/null
	HELD=
}
# watch NAME ARGS...: kvmexitstat --source stats -o csv --by vcpu ARGS counting in
# the background until compare stops it. Started before the VMs it is to
# count: the VMs running when it starts are its baseline.
watch() {
	WATCH_NAME=$1
	shift
	"$KVMEXITSTAT" --source stats -o csv --by vcpu "$@" >"$TMP/$WATCH_NAME.csv" 2>"$TMP/$WATCH_NAME.err" &
	WATCH=$!
	for _ in $(seq 100); do grep -q "counting VM exits" "$TMP/$WATCH_NAME.err" 2>/dev/null && break; sleep 0.05; done
}
stop_watch() {
	sleep 0.1
	kill -INT $WATCH
	wait $WATCH
	local st=$?
	[ $st -eq 0 ] && ok "$WATCH_NAME: kvmexitstat --source stats counted and ended (exit 0)" ||
		not_ok "$WATCH_NAME: kvmexitstat exit $st" "$(cat "$TMP/$WATCH_NAME.err")"
}
compare() { # gen JSON files...: the watch's totals against each VM's own counters
	stop_watch
	CPUID_EXITS=$cpuid_exits TAP_START=$_n python3 "$(dirname "$0")/stats_check.py" "$TMP/$WATCH_NAME.csv" "$@" >"$TMP/check"
	cat "$TMP/check"
	_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
}
json_pid() { sed 's/^{"pid":\([0-9]*\).*/\1/' "$1"; }

HELD=
cpuid_exits=$(exits_per cpuid)
watch one_vcpu
hold "$TMP/a.json" --cpuid 1000 --io-out 50 --io-in 20
compare "$TMP/a.json"
expect_in "one_vcpu: the source is named" "$TMP/one_vcpu.err" "counting VM exits with KVM vCPU stats"
release

watch two_vcpus
hold "$TMP/b.json" --vcpus 2 --cpuid 700 --io-out 30 --mmio-read 10
compare "$TMP/b.json"
release

# two VMs; -p picks the one asked for, and only it
start_gen "$TMP/c.json" --vcpus 2 --cpuid 300 --io-in 40
watch two_vms -p "$GEN_PID"
go_gen
hold "$TMP/d.json" --cpuid 900 --io-out 5 --mmio-write 4
compare "$TMP/c.json"
expect_not_in "two_vms: -p, the other VM not shown" "$TMP/two_vms.csv" ",$(json_pid "$TMP/d.json"),"
release
# without -p: every VM of the host
watch all_vms
hold "$TMP/c.json" --vcpus 2 --cpuid 300 --io-in 40
hold "$TMP/d.json" --cpuid 900 --io-out 5 --mmio-write 4
compare "$TMP/c.json" "$TMP/d.json"
release
# -p with a comma list (perf's spelling): the VMs asked for, and only they
start_gen "$TMP/c.json" --vcpus 2 --cpuid 300 --io-in 40
pc=$GEN_PID
start_gen "$TMP/d.json" --cpuid 900 --io-out 5 --mmio-write 4
watch p_list -p "$pc,$GEN_PID"
go_gen
GEN_OUT=$TMP/c.json GEN_PID=$pc GEN_ARGS="--vcpus 2 --cpuid 300 --io-in 40" go_gen
hold "$TMP/e.json" --cpuid 100 --io-out 7
compare "$TMP/c.json" "$TMP/d.json"
expect_not_in "p_list: -p A,B, a third VM not shown" "$TMP/p_list.csv" ",$(json_pid "$TMP/e.json"),"
release
# --vcpu N (perf kvm stat's): that vCPU of each VM, exactly, and no other
watch vcpu_one --vcpu 1
hold "$TMP/b.json" --vcpus 2 --cpuid 700 --io-out 30 --mmio-read 10
python3 -c 'import json, sys; g = json.load(open(sys.argv[1])); g["vcpu"] = [v for v in g["vcpu"] if v["id"] == 1]
json.dump(g, open(sys.argv[2], "w"))' "$TMP/b.json" "$TMP/b1.json"
compare "$TMP/b1.json"
if awk -F, 'NR > 1 && $6 != 1 { bad = 1 } END { exit bad }' "$TMP/vcpu_one.csv" && [ "$(wc -l <"$TMP/vcpu_one.csv")" -gt 1 ]
then ok "vcpu_one: --vcpu 1, every row is vCPU 1's"; else not_ok "vcpu_one: rows of other vCPUs" "$(head "$TMP/vcpu_one.csv")"; fi
release
# the old spellings still work, with a note: -s SOURCE (now --source), -S (now -s)
run "old -s stats: still the source" 0 "$KVMEXITSTAT" -s stats -S count 0.1 1
expect_in "old -s stats: a note says the new spelling" "$TMP/err" "note: -s SOURCE is now --source SOURCE (-s sorts)"
expect_in "old -S: a note says the new spelling" "$TMP/err" "note: -S is now -s"
expect_in "old -s stats: counted with the stats source" "$TMP/err" "counting VM exits with KVM vCPU stats"
# JSON and CSV times: the date, the time of day and the zone (ISO 8601)
iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$'
"$GEN" --timeout 60 --io-out 2000000 >/dev/null 2>&1 & # exits in every interval below
busy=$!
"$KVMEXITSTAT" --source stats -o json 0.2 2 2>/dev/null | sed -n 2p | sed -n 's/^{"time":"\([^"]*\)".*/\1/p' >"$TMP/t.json"
"$KVMEXITSTAT" --source stats -o csv 0.2 2 2>/dev/null | grep -v '^time,\|^total,' | tail -1 | cut -d, -f1 >"$TMP/t.csv"
kill $busy 2>/dev/null; wait $busy 2>/dev/null
if grep -qE "$iso" "$TMP/t.json" && grep -qE "$iso" "$TMP/t.csv"; then
	ok "JSON and CSV times are ISO 8601 with the zone ($(cat "$TMP/t.json"))"
else not_ok "times: '$(cat "$TMP/t.json")', '$(cat "$TMP/t.csv")'"; fi
# -n: by process name
watch n_match -n kvmexitgen
hold "$TMP/d.json" --io-out 5
stop_watch
expect_in "-n kvmexitgen: its VM shown" "$TMP/n_match.csv" "kvmexitgen,$(json_pid "$TMP/d.json"),"
release
watch n_other -n other
hold "$TMP/d.json" --io-out 5
stop_watch
expect_not_in "-n other: no VM shown" "$TMP/n_other.csv" "kvmexitgen"
release

# A file is a vCPU by what it is, not by its name: a user (not root) who
# holds FIFOs named kvm-vcpu:0..3 open must not have them read as vCPUs
# (that read kernel memory behind the FIFO and showed it as counters), and
# the real VM beside them is still counted exactly.
# (the FIFOs come after kvmexitstat started, not into its baseline)
watch forged
FORGE=$(mktemp -d /tmp/kvmexitstat-forge.XXXXXX) && chmod 777 "$FORGE"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '
	cd "$1" && for i in 0 1 2 3; do mkfifo "kvm-vcpu:$i"; done
	exec 3<>kvm-vcpu:0 4<>kvm-vcpu:1 5<>kvm-vcpu:2 6<>kvm-vcpu:3; echo ready >ready; exec sleep 60' sh "$FORGE" &
FORGER=$!
for _ in $(seq 50); do [ -e "$FORGE/ready" ] && break; sleep 0.1; done
n=$(ls -l /proc/$FORGER/fd 2>/dev/null | grep -c 'kvm-vcpu:')
[ "$n" -eq 4 ] && ok "forged: an unprivileged process holds 4 FIFOs named kvm-vcpu:N" ||
	not_ok "forged: $n FIFOs open"
hold "$TMP/e.json" --cpuid 200 --io-out 60
stop_watch
expect_not_in "forged: the FIFOs' holder is not shown as a VM" "$TMP/forged.csv" ",$FORGER,"
grep -v ",$FORGER," "$TMP/forged.csv" | grep -E "^(time|total)," | grep -E "^time|,$(json_pid "$TMP/e.json")," >"$TMP/real.csv"
CPUID_EXITS=$cpuid_exits TAP_START=$_n python3 "$(dirname "$0")/stats_check.py" "$TMP/real.csv" "$TMP/e.json" >"$TMP/check"
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
kill $FORGER 2>/dev/null
rm -rf "$FORGE"
release

# A VM already running when kvmexitstat starts: its history is the
# baseline, no interval's rate; what it does afterwards is counted. The
# held VM below made 3000 port I/O exits, then idles; -p picks it alone.
hold "$TMP/f.json" --io-out 3000
run "baseline: kvmexitstat --source stats on a VM already running" 0 "$KVMEXITSTAT" --source stats -o json --by vm \
	-p "$(json_pid "$TMP/f.json")" 0.2 3
python3 - "$TMP/out" "$(json_pid "$TMP/f.json")" <<'PY' >"$TMP/check"
import json, sys
ivs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
pid = int(sys.argv[2])
ex = [sum(r["count"] for r in iv["rows"] if r.get("pid") == pid and r["reason"] == "exits") for iv in ivs]
print(ex, ivs[0]["collector"])
sys.exit(0 if len(ex) == 4 and max(ex) < 100 and "from the first reading on" in ivs[0]["collector"] else 1)
PY
[ $? -eq 0 ] && ok "baseline: its 3000 earlier exits are in no interval nor the totals ($(cat "$TMP/check"))" ||
	not_ok "baseline: a VM's history shown as counted" "$(cat "$TMP/check")"
release

# Errors: each says why and what to do.
DENY=$(dirname "$KVMEXITSTAT")/helpers/deny
run "--source stats without /dev/kvm" 1 unshare -m sh -c "mount -t tmpfs none /dev && exec '$KVMEXITSTAT' --source stats 0.1 1"
expect_in "--source stats without /dev/kvm: says what it needs" "$TMP/err" "the stats source needs /dev/kvm"
run "--source stats, BPF refused" 1 "$DENY" syscall 321 1 "$KVMEXITSTAT" --source stats 0.1 1
expect_in "--source stats, BPF refused: says so" "$TMP/err" "the kernel refused the stats iterator"
run "--source stats, no vCPU can be made" 1 "$DENY" ioctl ae41 1 "$KVMEXITSTAT" --source stats 0.1 1
expect_in "--source stats, no vCPU can be made: says so" "$TMP/err" "cannot make a vCPU to learn KVM's statistics"
run "--source stats without BTF" 1 unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$KVMEXITSTAT' --source stats 0.1 1"
expect_in "--source stats without BTF: says what it needs" "$TMP/err" "needs the kernel's BTF"
run "--source stats, not root" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" --source stats 0.1 1
expect_in "--source stats, not root: says what to do" "$TMP/err" "run as root"

# Live: a VM that starts during the run appears, its exits rise interval by
# interval at the rate kvmexitgen reports, and once it ended it is gone.
"$KVMEXITSTAT" --source stats --by vm -o json 0.25 >"$TMP/live.json" 2>"$TMP/live.err" &
L=$!
sleep 0.6
"$GEN" --json --io-out 100000 >"$TMP/long.json" 2>/dev/null
sleep 1.2
kill -INT $L
wait $L
st=$?
if [ $st -eq 0 ]; then ok "live: kvmexitstat --source stats ran and ended (exit 0)"; else not_ok "live: exit $st" "$(cat "$TMP/live.err")"; fi
TAP_START=$_n python3 - "$TMP/live.json" "$TMP/long.json" >"$TMP/check" <<'PY'
import json, os, statistics, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
def check_live(name, good, detail=""):
    check(f"live: {name}", good, detail)
ivs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
gen = json.load(open(sys.argv[2]))
pid = gen["pid"]
def exits(iv):
    return sum(r["count"] for r in iv["rows"] if r.get("pid") == pid and r["reason"] == "exits")
per = [exits(iv) for iv in ivs if iv["time"] != "total"]
rates = [exits(iv) / iv["interval_s"] for iv in ivs if iv["time"] != "total" and exits(iv)]
check_live("the VM is absent before it started", per and per[0] == 0, str(per))
busy = [i for i, c in enumerate(per) if c]
check_live("its exits rise over several intervals", len(busy) >= 3, str(per))
want = gen["vcpu"][0]["ops"]["io-out"]["guest"] / (gen["wall_ns"] / 1e9)  # port I/O exits on every host
inner = rates[1:-1] or rates
got = statistics.median(inner) if inner else 0
check_live(f"at the rate kvmexitgen reports ({want:.0f}/s), within 25 %", abs(got - want) <= 0.25 * want,
      f"(median rate of full intervals {got:.0f}/s)")
check_live("gone after it ended", busy and all(c == 0 for c in per[busy[-1] + 1:]) and len(per) > busy[-1] + 1, str(per))
total = [iv for iv in ivs if iv["time"] == "total"]
t = exits(total[0]) if total else 0
exact = "not a VM's last moments" not in ivs[0]["collector"]
gexits = gen["vcpu"][0]["stats"]["exits"]
if exact:
    check_live("the totals hold all its exits (the release hook)", t == gexits, f"({t} vs {gexits})")
else:
    # without the release hook, the exits after the last reading before the
    # VM ended are not seen: at most one reading period (0.25 s) of them,
    # with as much again for the reading's own delay
    check_live("the totals hold its exits but those of its last moments (at most 0.5 s of them)",
          gexits - 0.5 * want <= t <= gexits, f"({t} vs {gexits}, {want:.0f} exits/s)")
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
