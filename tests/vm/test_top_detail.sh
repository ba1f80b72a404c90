#!/usr/bin/env bash
# top --detail in the testbed (real SVM exits, or VMX with TESTBED_ISA=vmx):
# on a pseudo-terminal, Enter drills from the VM to its vCPU, the reason
# filter picks the I/O reason, and Enter on it shows its details, whose
# TOTALs must be the guest's own counts of its OUTs to each port; Esc goes
# back to the reasons. top writes its screen to a file after each draw
# (KVMEXITSTAT_TOP_SCREEN); pty types the keys at set times (PTY_KEYS).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<'GUEST'
# top first: it counts the exits made after its start
# (busybox's date has no %N: seconds since boot, to 10 ms)
t0=$(cut -d' ' -f1 /proc/uptime)
at() { sleep "$(awk -v t0="$t0" -v t="$1" -v now="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { d = t0 + t - now; printf "%.2f", (d > 0 ? d : 0) }')"; }
KVMEXITSTAT_TOP_SCREEN=/tmp/screen PTY_KEYS='12=\r 13=\r 14=f 14.5=io\r 16=\r 20=\e' TERM=xterm \
	pty 24 kvmexitstat top --detail 0.5 >/tmp/top.out 2>/tmp/top.err & P=$!
# (the guest once top draws: its programs are attached by then)
for i in $(seq 100); do [ -s /tmp/screen ] && break; sleep 0.1; done
echo "RESULT top drew after $i"
kvmexitgen --timeout 60 --json --hold --vcpus 1 --io-out 100@0x3f8 --io-out 20@0x80 --cpuid 50 \
	>/tmp/gen.json 2>/tmp/gen.err & G=$!
for i in $(seq 300); do grep -q holding /tmp/gen.err && break; sleep 0.1; done
echo "RESULT holding after $i"
# (the keys come while it holds: nothing changes between the screens read)
at 13.5; cp /tmp/screen /tmp/screen.vcpus
at 18.5; cp /tmp/screen /tmp/screen.details
at 22.5; cp /tmp/screen /tmp/screen.back
wait $P
echo "RESULT top exit $?"
kill -INT $G; wait $G
for s in vcpus details back; do echo "== screen $s"; cat /tmp/screen.$s; done
echo "== gen"; cat /tmp/gen.json; echo
echo "== top err"; cat /tmp/top.err
echo "== end"
GUEST
run_in_testbed "$script" 300 "$script.out"
TAP_PREFIX="top --detail: " python3 - "$script.out" <<'PY'
import json, re, sys
text = open(sys.argv[1], errors="replace").read()
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
def section(name):
    m = re.search(rf"^== {name}\n(.*?)^== ", text, re.M | re.S)
    return m.group(1) if m else ""
m = re.search(r"^RESULT top exit (\d+)", text, re.M)
check("top ended by q, exit 0", m and m.group(1) == "0", section("top err")[-400:])
try:
    gen = json.loads(section("gen"))
except ValueError:
    gen = {}
check("kvmexitgen's ground truth", gen.get("vcpu"), section("gen")[-400:])
pid = gen.get("pid", -1)
ops = gen.get("vcpu", [{}])[0].get("ops", {})
vcpus, details, back = section("screen vcpus"), section("screen details"), section("screen back")
check("Enter on the VM and its vCPU: the vCPU's reasons, the I/O one first with the guest's 120",
      re.search(rf"^reasons: kvmexitgen \(pid {pid}\), vCPU 0 \|", vcpus, re.M)
      and re.search(r"^REASON.*\n(io|IO_INSTRUCTION)\s+\S+\s+\d+\s+120\s", vcpus, re.M | re.I), vcpus)
# every line within the 80 columns: none wraps over the next
check("the details' screen fits 80 columns (nothing wrapped)",
      re.search(r"^details: .*\n\s*\nDETAIL\s.*P99\s*\nout 0x3f8.*us\s*\nout 0x80.*us\s*\n", details, re.M),
      details)
# the I/O reason is "io" on SVM and "IO_INSTRUCTION" on VMX: the filter "io" finds both
head = re.search(rf"^details: kvmexitgen \(pid {pid}\), vCPU 0, (\S+), reasons \"io\" \|", details, re.M)
check("Enter on the I/O reason: its details, with the VM, vCPU and reason in the header",
      head and head.group(1).lower() in ("io", "io_instruction"), details)
# "out 0x3f8/1 COM1 data, to VMM    0    100  83.3% ..."
rows = {}
for line in details.splitlines():
    r = re.match(r"^(out 0x[0-9a-f]+)\S*.*?\s(\d+)\s+(\d+)\s+([\d.]+)%", line)
    if r:
        rows[r.group(1)] = int(r.group(3))
want = ops.get("io-out", {}).get("guest")
check("two detail rows, one per port", set(rows) == {"out 0x3f8", "out 0x80"}, details)
check("the COM1 data port's row counts the guest's 100 OUTs there", rows.get("out 0x3f8") == 100, details)
check("the POST port's row counts its 20", rows.get("out 0x80") == 20, details)
check("and they are all the guest's OUTs", want == 120 and sum(rows.values()) == want, f"{want} vs {rows}")
check("its rows are named (COM1, POST)", "COM1" in details and "POST" in details, details)
check("Esc: back to the reasons of the vCPU", re.search(rf"^reasons: kvmexitgen \(pid {pid}\), vCPU 0, reasons \"io\"", back, re.M), back)
done()
PY
