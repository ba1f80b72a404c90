#!/usr/bin/env bash
# The vCPU stats source on this host's KVM: kvmexitgen makes known exits,
# holds its VM, and kvmexitstat -s stats must report exactly the counters
# kvmexitgen read from its own vCPUs (KVM_GET_STATS_FD) at that moment.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
if [ ! -c /dev/kvm ]; then
	echo "ok - the stats source on this host # SKIP no /dev/kvm on this machine"
	exit 0
fi

# hold VM: start kvmexitgen --hold with ARGS, wait until it holds; sets HELD
hold() {
	local out=$1
	shift
	"$GEN" --hold --json "$@" >"$out" 2>"$out.err" &
	local pid=$!
	for _ in $(seq 100); do
		grep -q "holding the VM open" "$out.err" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -s "$out" ]; then ok "kvmexitgen $* holds its VM"; else not_ok "kvmexitgen $* did not start" "$(cat "$out.err")"; fi
	HELD="$HELD $pid"
}
release() {
	# shellcheck disable=SC2086
	kill -TERM $HELD 2>/dev/null
	wait 2>/dev/null
	HELD=
}
compare() { # name, gen JSON files...
	local name=$1
	shift
	run "$name: kvmexitstat -s stats" 0 "$KVMEXITSTAT" -s stats -o csv --by vcpu -p "$(json_pid "$1")" \
		$(for f in "${@:2}"; do printf -- '-p %s ' "$(json_pid "$f")"; done) 0.2 1
	cp "$TMP/out" "$TMP/$name.csv"
	CPUID_EXITS=$cpuid_exits TAP_START=$_n python3 "$(dirname "$0")/stats_check.py" "$TMP/$name.csv" "$@" >"$TMP/check"
	cat "$TMP/check"
	_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
}
json_pid() { sed 's/^{"pid":\([0-9]*\).*/\1/' "$1"; }

HELD=
cpuid_exits=$(exits_per cpuid)
hold "$TMP/a.json" --cpuid 1000 --io-out 50 --io-in 20
compare one_vcpu "$TMP/a.json"
expect_in "one_vcpu: the source is named" "$TMP/err" "counting VM exits with KVM vCPU stats"
release

hold "$TMP/b.json" --vcpus 2 --cpuid 700 --io-out 30 --mmio-read 10
compare two_vcpus "$TMP/b.json"
release

hold "$TMP/c.json" --vcpus 2 --cpuid 300 --io-in 40
hold "$TMP/d.json" --cpuid 900 --io-out 5 --mmio-write 4
compare two_vms "$TMP/c.json" "$TMP/d.json"
# without -p: every VM of the host, these two among them
run "two_vms: without -p" 0 "$KVMEXITSTAT" -s stats -o csv --by vm 0.2 1
expect_in "two_vms: without -p, the first VM shown" "$TMP/out" ",$(json_pid "$TMP/c.json"),"
expect_in "two_vms: without -p, the second VM shown" "$TMP/out" ",$(json_pid "$TMP/d.json"),"
# -n: by process name
run "-n kvmexitgen" 0 "$KVMEXITSTAT" -s stats -o csv --by vm -n kvmexitgen 0.2 1
expect_in "-n kvmexitgen: its VMs shown" "$TMP/out" "kvmexitgen,$(json_pid "$TMP/d.json"),"
run "-n other" 0 "$KVMEXITSTAT" -s stats -o csv --by vm -n other 0.2 1
expect_not_in "-n other: no VM shown" "$TMP/out" "kvmexitgen"
release

# A file is a vCPU by what it is, not by its name: a user (not root) who
# holds FIFOs named kvm-vcpu:0..3 open must not have them read as vCPUs
# (that read kernel memory behind the FIFO and showed it as counters), and
# the real VM beside them is still counted exactly.
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
run "forged: kvmexitstat -s stats beside them" 0 "$KVMEXITSTAT" -s stats -o csv --by vcpu 0.2 1
cp "$TMP/out" "$TMP/forged.csv"
expect_not_in "forged: the FIFOs' holder is not shown as a VM" "$TMP/forged.csv" ",$FORGER,"
grep -v ",$FORGER," "$TMP/forged.csv" | grep -E "^(time|total)," | grep -E "^time|,$(json_pid "$TMP/e.json")," >"$TMP/real.csv"
CPUID_EXITS=$cpuid_exits TAP_START=$_n python3 "$(dirname "$0")/stats_check.py" "$TMP/real.csv" "$TMP/e.json" >"$TMP/check"
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
kill $FORGER 2>/dev/null
rm -rf "$FORGE"
release

# Errors: each says why and what to do.
DENY=$(dirname "$KVMEXITSTAT")/helpers/deny
run "-s stats without /dev/kvm" 1 unshare -m sh -c "mount -t tmpfs none /dev && exec '$KVMEXITSTAT' -s stats 0.1 1"
expect_in "-s stats without /dev/kvm: says what it needs" "$TMP/err" "the stats source needs /dev/kvm"
run "-s stats, BPF refused" 1 "$DENY" syscall 321 1 "$KVMEXITSTAT" -s stats 0.1 1
expect_in "-s stats, BPF refused: says so" "$TMP/err" "the kernel refused the stats iterator"
run "-s stats, no vCPU can be made" 1 "$DENY" ioctl ae41 1 "$KVMEXITSTAT" -s stats 0.1 1
expect_in "-s stats, no vCPU can be made: says so" "$TMP/err" "cannot make a vCPU to learn KVM's statistics"
run "-s stats without BTF" 1 unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$KVMEXITSTAT' -s stats 0.1 1"
expect_in "-s stats without BTF: says what it needs" "$TMP/err" "needs the kernel's BTF"
run "-s stats, not root" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMEXITSTAT" -s stats 0.1 1
expect_in "-s stats, not root: says what to do" "$TMP/err" "run as root"

# Live: a VM that starts during the run appears, its exits rise interval by
# interval at the rate kvmexitgen reports, and once it ended it is gone.
"$KVMEXITSTAT" -s stats --by vm -o json 0.25 >"$TMP/live.json" 2>"$TMP/live.err" &
L=$!
sleep 0.6
"$GEN" --json --io-out 100000 >"$TMP/long.json" 2>/dev/null
sleep 1.2
kill -INT $L
wait $L
st=$?
if [ $st -eq 0 ]; then ok "live: kvmexitstat -s stats ran and ended (exit 0)"; else not_ok "live: exit $st" "$(cat "$TMP/live.err")"; fi
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
exact = "not its last moments" not in ivs[0]["source"]
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
