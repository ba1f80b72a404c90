#!/usr/bin/env bash
# HLT inside KVM, split by --detail into the halts the vCPU slept through
# (blocked: the guest idle) and those halt polling ended: the testbeds'
# Linux guest (an in-kernel irqchip) boots and idles while kvmexitstat
# --detail counts; each part must equal the kernel's own histogram of
# kvm_vcpu_wakeup for the vCPU's thread (waited or not), the HLT count the
# kvm_exit histogram's, and HLT's time must stay out of the totals'.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
O=${O:-build}
# (the guest is the 6.1 one whatever the testbed's kernel: one archive for both)
TESTBED_KERNEL=6.1 tests/vm/l2guest.sh build >/dev/null || { echo "not ok - the Linux guest's archive (tests/vm/l2guest.sh build)"; exit 1; }
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<'GUEST'
T=/sys/kernel/tracing/events/kvm
echo 'hist:keys=common_pid,waited:vals=hitcount' >>$T/kvm_vcpu_wakeup/trigger
echo 'hist:keys=common_pid,exit_reason:vals=hitcount:size=8192' >>$T/kvm_exit/trigger
kvmexitstat --detail=10 -o json --by vcpu >/tmp/k.json 2>/tmp/k.err & K=$!
for i in $(seq 600); do grep -q '^kvmexitstat: counting' /tmp/k.err && break; sleep 0.1; done
timeout 90 /opt/l2/boot 4 >/tmp/l2.out 2>&1
echo "# the guest: $(grep -c 'idle done' /tmp/l2.out) idle done"
kill -INT $K; wait $K
echo "-- live"; cat /tmp/k.json
echo "-- wakeup"; cat $T/kvm_vcpu_wakeup/hist
echo "-- hist"; cat $T/kvm_exit/hist
echo "-- err"; cat /tmp/k.err
GUEST
TESTBED_SMP=1 TESTBED_EXTRA_CPIO=$O/vm/l2guest.cpio TESTBED_QEMU_ARGS="-m 2G" run_in_testbed "$script" 300 "$script.out"
python3 - "$script.out" <<'PY'
import json, re, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done  # noqa: E402
text = open(sys.argv[1]).read()
sec = dict(re.findall(r"^-- (\w+)\n(.*?)(?=^-- |\Z)", text, re.S | re.M))
check("the guest booted and idled", "# the guest: 1 idle done" in text, text[-1500:])
rows = json.loads([l for l in sec["live"].splitlines() if l.startswith("{")][-1])["rows"]
exits = {(int(p), int(r)): int(n) for p, r, n in
         re.findall(r"common_pid:\s*(\d+), exit_reason:\s*(\d+) \}\s+hitcount:\s+(\d+)", sec["hist"])}
woke = {(int(p), int(w)): int(n) for p, w, n in
        re.findall(r"common_pid:\s*(\d+), waited:\s*(\d+) \}\s+hitcount:\s+(\d+)", sec["wakeup"])}
# the guest's vCPU thread: the one whose exits the kernel counted (one vCPU, one VM)
tids = {p for p, _ in exits}
check("one vCPU thread exited", len(tids) == 1, exits)
tid = tids.pop() if tids else 0
halt = [r for r in rows if (r["isa"], r["code"]) in (("svm", 0x78), ("vmx", 12))]
check("kvmexitstat has the HLT exits", len(halt) == 1, rows)
if halt:
    h = halt[0]
    check(f"HLT: {h['count']} exits, as the kernel's kvm_exit histogram", h["count"] == exits.get((tid, h["code"]), 0),
          exits)
    d = {x.get("blocked"): x["count"] for x in h.get("details", []) if x["kind"] == "halt"}
    none = sum(x["count"] for x in h.get("details", []) if x["kind"] == "none")
    check(f"blocked: {d.get(True, 0)}, as the kernel's kvm_vcpu_wakeup (waited)", d.get(True, 0) == woke.get((tid, 1), 0)
          and d.get(True, 0) > 0, (d, woke))
    check(f"polled: {d.get(False, 0)}, as kvm_vcpu_wakeup (not waited)", d.get(False, 0) == woke.get((tid, 0), 0),
          (d, woke))
    check("blocked, polled and the rest add up to HLT's count",
          d.get(True, 0) + d.get(False, 0) + none == h["count"], h.get("details"))
    check("HLT's time is apart from the totals'", h.get("time_apart") is True and "time_percent" not in h, h)
done()
PY
