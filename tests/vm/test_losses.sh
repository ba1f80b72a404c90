#!/usr/bin/env bash
# Nothing lost silently, in every mode: in the testbed (real SVM exits)
# each loss is forced by making a BPF map small (KVMEXITSTAT_MAP_ENTRIES, a
# knob for tests) and must be said while it happens and counted exactly:
# live (a line on stderr at the reading, the JSON interval's "health"),
# record (kept with the interval, said by report), top (a LOST line on the
# screen). serve exports the same counts (its exposition: test_prom; the
# testbed's static build has no serve).
#   exits_lost   a key map of 2 keys and 1 slot per CPU, 2 VMs x 2 vCPUs:
#                counted + lost = every exit the kernel saw
#   pairs_lost   the classic programs with a pairing map of 1 thread
#   filter_full  -n with a filter map of 1 process and 2 VMs
#   unnamed_vms  a process-name map of 1 and VMs gone before a reading
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<'GUEST'
T=/sys/kernel/tracing/events/kvm/kvm_exit
# every exit the kernel sees: its own histogram, read before and after a case
echo 'hist:keys=common_pid:vals=hitcount:size=8192' >>$T/trigger
kernel_total() { awk '/hitcount:/ { s += $NF } END { print s + 0 }' $T/hist; }
MIX="--cpuid 300 --io-out 40 --msr-read 12 --vmcall 11 --hlt 7"
live_case() { # name, knobs, kvmexitstat arguments, then the VMs run by vms()
	name=$1 knobs=$2; shift 2
	before=$(kernel_total)
	env $knobs kvmexitstat -o json "$@" >/tmp/$name.json 2>/tmp/$name.err &
	L=$!
	sleep 2
	vms
	sleep 1.5 # a reading or two after the VMs ended
	kill -INT $L; wait $L; rc=$?
	echo "RESULT $name exit $rc"
	echo "RESULT $name kernel $(($(kernel_total) - before))"
	echo "== $name json"; cat /tmp/$name.json
	echo "== $name err"; cat /tmp/$name.err
	echo "== $name end"
}
vms() {
	kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G1=$!
	kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G2=$!
	wait $G1 $G2
}
live_case exits_lost "KVMEXITSTAT_CPU_SLOTS=1 KVMEXITSTAT_MAP_ENTRIES=exits=2" --by vcpu 0.5
live_case pairs_lost "KVMEXITSTAT_MAP_ENTRIES=pending_tid=1" --bpf classic --by vcpu 0.5
live_case filter_full "KVMEXITSTAT_MAP_ENTRIES=allowed_tgids=1" -n kvmexitgen --by vcpu 0.5
vms() { # three short VMs, gone before the next reading (every second)
	for i in 1 2 3; do kvmexitgen --timeout 60 --cpuid 20 >/dev/null; done
}
live_case unnamed_vms "KVMEXITSTAT_MAP_ENTRIES=vm_comms=1" --by vm 5

# record: the losses kept with the intervals, said by report
KVMEXITSTAT_CPU_SLOTS=1 KVMEXITSTAT_MAP_ENTRIES=exits=2 kvmexitstat record -o /tmp/rec.db 0.5 2>/tmp/rec.err &
L=$!
sleep 2
kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G1=$!
kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G2=$!
wait $G1 $G2
sleep 1
kill -INT $L; wait $L
echo "RESULT record exit $?"
kvmexitstat report -o json /tmp/rec.db >/tmp/report.json 2>/tmp/report.err
echo "RESULT report exit $?"
echo "== report json"; cat /tmp/report.json; echo
echo "== report err"; cat /tmp/report.err
echo "== report end"

# top, on a pseudo-terminal, while VMs lose exits (a burst, then idle: the
# testbed's emulated CPUs leave top little time while guests run)
KVMEXITSTAT_CPU_SLOTS=1 KVMEXITSTAT_MAP_ENTRIES=exits=2 TERM=xterm pty 12 kvmexitstat top 0.5 >/tmp/top.out 2>&1 &
P=$!
sleep 4
kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G1=$!
kvmexitgen --timeout 60 --vcpus 2 $MIX >/dev/null & G2=$!
wait $G1 $G2
wait $P
echo "RESULT top exit $?"
echo "RESULT top_lost_line $(grep -c 'LOST: ' /tmp/top.out)"
echo "RESULT top_lost_text $(grep -o 'LOST: [0-9]* exits not counted' /tmp/top.out | tail -1)"
echo "== top out"; tail -c 800 /tmp/top.out | od -c | tail -50; echo "== top end"
GUEST
run_in_testbed "$script" 300 "$script.out"
TAP_PREFIX="losses: " python3 - "$script.out" <<'PY'
import json, re, sys
text = open(sys.argv[1], errors="replace").read()
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
def result(key):
    m = re.search(rf"^RESULT {key} (.*)$", text, re.M)
    return m.group(1) if m else None
def section(name, part):
    m = re.search(rf"^== {name} {part}\n(.*?)^== {name} ", text, re.M | re.S)
    return m.group(1) if m else ""
def intervals(name):
    return [json.loads(l) for l in section(name, "json").splitlines() if l.startswith("{")]

for case, key in (("exits_lost", "exits_lost"), ("pairs_lost", "pairs_lost"), ("filter_full", "filter_full"),
                  ("unnamed_vms", "unnamed_vms")):
    ivs = intervals(case)
    err = section(case, "err")
    tot = [iv for iv in ivs if iv["time"] == "total"]
    per = [iv["health"][key] for iv in ivs if iv["time"] != "total"]
    total = tot[0]["health"][key] if tot else 0
    check(f"{case}: forced (totals' health {key} = {total})", total > 0, section(case, "err")[-400:])
    if case != "unnamed_vms":
        check(f"{case}: the intervals' {key} add up to the totals' ({per})", sum(per) == total, f"{sum(per)} vs {total}")
    said = re.findall(r"^kvmexitstat: \d\d:\d\d:\d\d: .*", err, re.M)
    check(f"{case}: said on stderr at the reading, not only at the end ({len(said)} lines)", said, err[-400:])
    check(f"{case}: and in the end's summary", "in all, the collector lost:" in err, err[-300:])
    want_rc = "1" if case == "exits_lost" else "0"
    check(f"{case}: exit status {want_rc}", result(f"{case} exit") == want_rc, result(f"{case} exit"))

# exits_lost: counted + lost = every exit the kernel saw in the case
ivs = intervals("exits_lost")
tot = [iv for iv in ivs if iv["time"] == "total"][0]
counted, lost = tot["total"]["count"], tot["health"]["exits_lost"]
kernel = int(result("exits_lost kernel") or 0)
check(f"exits_lost: counted {counted} + lost {lost} = the kernel's {kernel}", counted + lost == kernel)
# pairs and filter verdicts lost: still every exit counted
for case in ("pairs_lost", "filter_full"):
    tot = [iv for iv in intervals(case) if iv["time"] == "total"][0]
    kernel = int(result(f"{case} kernel") or 0)
    check(f"{case}: every exit still counted ({tot['total']['count']} of the kernel's {kernel})",
          tot["total"]["count"] == kernel)
tot = [iv for iv in intervals("unnamed_vms") if iv["time"] == "total"][0]
ended = sum(1 for r in tot["rows"] if r.get("vm") == "(ended)" and r["reason"] == "TOTAL" or r.get("vm") == "(ended)")
check(f"unnamed_vms: as many as the VMs shown as (ended)",
      tot["health"]["unnamed_vms"] == len({r["pid"] for r in tot["rows"] if r.get("vm") == "(ended)"}),
      json.dumps(tot)[:400])

# record: kept with the intervals, said by report
rep = section("report", "json")
try:
    r = json.loads(rep)
    stored = r["recorded"]["health"]["exits_lost"]
except (ValueError, KeyError) as e:
    stored = 0
check(f"record: the store keeps the lost exits ({stored})", stored > 0, rep[:300])
check("record: report says so", "while recording, the collector lost:" in section("report", "err"),
      section("report", "err")[:300])
check("record: exit status 0, report 0", result("record exit") == "0" and result("report exit") == "0",
      f'{result("record exit")} {result("report exit")}')
# top: a LOST line on the screen
check(f"top: the screen says LOST ({result('top_lost_text')})", int(result("top_lost_line") or 0) > 0,
      "what it drew last:\n" + section("top", "out"))
check("top: quits with q (exit 0)", result("top exit") == "0", result("top exit"))
done()
PY
