#!/usr/bin/env python3
"""Check the patched KVM's CPUID exit-statistics leaves, as kvmexitgen's guest
read them (--cpuid-query), against the exits kvmexitstat's tracepoint source
counted for the same VM.

Usage: leaves_check.py CASE on|off STOCK [svm|vmx] < testbed output (sections as live_check.py)
STOCK: kvmexitgen's --json of the same queries on stock KVM: with the leaves
off, every answer must be stock KVM's (zeros on AMD; on Intel, KVM answers a
leaf past the last with the last basic leaf's values).
Each VM has 1 vCPU. A reason's answer at query k must be the tracepoint's
count of that reason minus the exits that came at or after query k: the
CPUID exits of queries k.. (for cpuid) and the end report's io exit."""
import csv
import io
import json
import re
import sys

case, mode, stock_file = sys.argv[1], sys.argv[2], sys.argv[3]
isa = sys.argv[4] if len(sys.argv) > 4 else "svm"
text = sys.stdin.read()
body = text.split(f"== case {case} ==", 1)[1].split(f"== end {case} ==", 1)[0]
parts = re.split(r"^-- (\S+)$", body, flags=re.M)
sec = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}
gens = [json.loads(l) for l in sec["gen"].splitlines() if l.startswith("{")]
rows = [r for r in csv.DictReader(io.StringIO(sec["live"])) if r["time"] == "total"]
fails = 0


def check(name, good, detail=""):
    global fails
    fails += not good
    print(("ok" if good else "not ok") + f" - {case}: {name}" + ("" if good else f" {detail}"))


if isa == "vmx":
    CPUID, IO = 10, 30
    UNDEFINED = (0x999, 35)  # no VMX exit reason has these numbers
else:
    CPUID, IO = 0x72, 0x7B
    UNDEFINED = (0x999, 0x80000001)  # no SVM exit code; a VMGEXIT sub-code
check("kvmexitgen ran", len(gens) > 0, sec["gen"][:300])
for g in gens:
    pid, v = g["pid"], g["vcpu"][0]
    qs = v["queries"]
    traced = {int(r["code"]): int(r["count"]) for r in rows if int(r["pid"]) == pid}
    if mode == "off":
        def answers(queries):
            return [(q["leaf"], q["subleaf"], q["eax"], q["ebx"], q["ecx"], q["edx"]) for q in queries]
        stock = [json.loads(l) for l in open(stock_file) if l.startswith("{")]
        want = answers(stock[0]["vcpu"][0]["queries"]) if stock else None
        check(f"VM {pid}: leaves off, every answer as stock KVM's", want is not None and answers(qs) == want,
              f"patched {answers(qs)}, stock {want}")
        continue
    n = len(qs)
    for k, q in enumerate(qs):
        leaf, r = q["leaf"], q["subleaf"]
        if leaf == 0x4FFFFFFD and r not in UNDEFINED:
            after = (n - k) if r == CPUID else 1 if r == IO else 0
            want = traced.get(r, 0) - after
            # 64 bits: EAX the low half, EBX the high
            check(f"VM {pid}: exits of reason {r:#x} as the tracepoint counted them ({want})",
                  (q["ebx"] << 32 | q["eax"], q["ecx"], q["edx"]) == (want, 0, 0), f"(leaf says {q})")
        elif leaf == 0x4FFFFFFD:
            check(f"VM {pid}: an undefined reason ({r:#x}) answers EDX=0xffffffff", (q["eax"], q["ebx"], q["ecx"], q["edx"]) ==
                  (0, 0, 0, 0xFFFFFFFF), str(q))
        elif leaf == 0x4FFFFFFC:
            # every exit before this query: at most the tracepoint's total
            # less the queries from k on and the end report (interrupts may
            # also come after)
            most = sum(traced.values()) - (n - k) - 1
            total = q["ebx"] << 32 | q["eax"]
            check(f"VM {pid}: total exits ({total}) within the tracepoint's ({most}) less what came after",
                  most - 3 <= total <= most and q["edx"] == 0, str(q))
        elif leaf in (0x4FFFFFFE, 0x4FFFFFFF):
            cyc = (q["ebx"] << 32) | q["ecx"]
            check(f"VM {pid}: cycles of leaf {leaf:#x} reported ({cyc})", cyc > 0 and q["eax"] == 0, str(q))
sys.exit(1 if fails else 0)
