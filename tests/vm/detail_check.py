#!/usr/bin/env python3
"""Check kvmexitstat's exit details from a testbed run (test_detail.sh)
against what kvmexitgen's guest did (its program is DMIX there) and each
reason's count against the kernel's own kvm_exit histogram.

Usage: detail_check.py CASE < testbed output        (JSON: live, trace)
       detail_check.py --table CASE < testbed output (the table of --detail)
A case's sections are live_guest.sh's: '-- gen' (kvmexitgen JSON), '-- live'
(kvmexitstat's output), '-- hist' (kvm_exit hist by thread and reason).
Prints TAP; exits 1 on a mismatch.
"""
import json
import re
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from live_check import check, hist, results, sections  # noqa: E402

# What each vCPU of DMIX does: (kind, fields) -> count; to_vmm: whether
# each of those exits goes on to kvmexitgen.
EXPECTED = [
    (("io", 0x3F8, False), 100, True),   # --io-out 100@0x3f8
    (("io", 0x71, True), 30, True),      # --io-in 30@0x71
    (("io", 0x80, False), 20, True),     # --io-out 20@0x80
    (("io", 0xE4, False), 1, True),      # the guest's "done" report
    # --msr-read 12@0x10, --msr-write 9@0x10, denied by the filter: to the VMM.
    # Live, the MSR is the guest's RCX at the exit; a trace has no kvm_msr
    # line for an MSR that user space handles, only KVM_EXIT_X86_RDMSR/WRMSR.
    (("msr", 0x10, False), 12, True),
    (("msr", 0x10, True), 9, True),
    (("cr", 8, True), 25, False),        # --cr8-write 25
    (("hypercall", 0x7E57), 11, False),  # --vmcall 11
    (("vmm", 5), 5, None),               # --hlt 5: KVM_EXIT_HLT, nothing else said
]
# MMIO: the page of each address, all accesses to the VMM
MMIO = {0xFEE00000: 15, 0xF0000000: 7}  # --mmio-read 15@0xfee00030, --mmio-write 7 (0xf0000000 + 8 * vCPU)
IO_REASON = {"svm": 0x7B, "vmx": 30}

def ident(d):
    k = d["kind"]
    if k == "io":
        return ("io", d["port"], d["in"])
    if k == "msr":
        return ("msr", d["msr"], d["write"])
    if k == "cr":
        return ("cr", d["cr"], d["write"])
    if k == "hypercall":
        return ("hypercall", d["hypercall"])
    if k == "vmm":
        return ("vmm", d["kvm_exit"])
    if k == "gpa":
        return ("gpa", d["gpa"])
    return (k,)


def json_case(case, text):
    sec = sections(text, case)
    gen = [json.loads(line) for line in sec["gen"].splitlines() if line.startswith("{")]
    check(f"{case}: kvmexitgen ran", len(gen) == 1, sec["gen"])
    out = [json.loads(line) for line in sec["live"].splitlines() if line.startswith("{")]
    check(f"{case}: kvmexitstat printed its totals", len(out) >= 1, sec.get("err", "") + sec["live"][-500:])
    if len(gen) != 1 or not out:
        return
    g, total = gen[0], out[-1]
    h = hist(sec["hist"])
    if "health" in total:
        check(f"{case}: no exit lost", total["health"].get("exits_lost", 0) == 0, total["health"])
    for v in g["vcpu"]:
        # (a trace-cmd file knows threads, not their processes: its pid is the thread's)
        pid = v["tid"] if case == "dat" else g["pid"]
        rows = [r for r in total["rows"] if r.get("pid") == pid and r.get("vcpu") == v["id"]]
        label = f"{case}: vCPU {v['id']}"
        check(f"{label}: has rows", bool(rows), total["rows"][:3])
        if not rows:
            continue
        isa = rows[0]["isa"]
        if case not in ("trace", "dat"): # (a trace's VM is named by its thread)
            check(f"{label}: the VM by its name", {r["vm"] for r in rows} == {"kvmexitgen"}, {r["vm"] for r in rows})
        # each reason as the kernel counted it for the vCPU's thread
        want = {r: n for (tid, r), n in h.items() if tid == v["tid"]}
        got = {r["code"]: r["count"] for r in rows}
        check(f"{label}: every reason's count is the kernel's kvm_exit histogram's", got == want,
              f"kvmexitstat {got}\nkernel {want}")
        # a reason's details add up to it
        bad = [(r["reason"], r["count"], sum(d["count"] for d in r.get("details", [])))
               for r in rows if r.get("details") and sum(d["count"] for d in r["details"]) != r["count"]]
        check(f"{label}: each reason's details add up to its count", not bad, bad)
        details, to_vmm_n = {}, {}
        for r in rows:
            for d in r.get("details", []):
                check(f"{label}: {r['reason']}: no '(other)' with 20 shown", d["kind"] != "other", d)
                key = ident(d)
                n, vmm = details.get(key, (0, set()))
                details[key] = (n + d["count"], vmm | {bool(d.get("to_vmm"))})
                to_vmm_n[(key, bool(d.get("to_vmm")))] = to_vmm_n.get((key, bool(d.get("to_vmm"))), 0) + d["count"]
        for key, n, to_vmm in EXPECTED:
            if case in ("trace", "dat") and key[0] == "msr":
                key = ("vmm", 30 if key[2] else 29)
                to_vmm = None
            got_n, vmm = details.get(key, (0, set()))
            check(f"{label}: {key}: {n} exits", got_n == n, f"kvmexitstat {got_n}")
            if to_vmm is not None and got_n:
                check(f"{label}: {key}: {'to' if to_vmm else 'not to'} the VMM", vmm == {to_vmm}, vmm)
        # (the first access to an MMIO page may fault once more, before KVM
        # has made it an MMIO one: VMX's EPT violation, then misconfigs)
        for page, n in MMIO.items():
            vmm_n, other_n = to_vmm_n.get((("gpa", page), True), 0), to_vmm_n.get((("gpa", page), False), 0)
            check(f"{label}: gpa {page:#x}: {n} accesses, each to the VMM (and at most one first fault)",
                  vmm_n == n and other_n <= 1, f"kvmexitstat {vmm_n} to the VMM, {other_n} not")
        # the I/O exits are all explained: no '(no detail)' among them
        io = [r for r in rows if r["code"] == IO_REASON[isa]]
        none = sum(d["count"] for r in io for d in r.get("details", []) if d["kind"] == "none")
        check(f"{label}: every I/O exit has its port", io and none == 0 and io[0].get("details"), io)
        # VMX: each external interrupt with its vector (live: the BPF
        # programs read it; a trace's record has it in intr_info too)
        if isa == "vmx" and case in ("live", "recorded"):
            irq = [r for r in rows if r["code"] == 1]
            vec = sum(d["count"] for r in irq for d in r.get("details", []) if d["kind"] == "vector"
                      and d["vector"] >= 32)
            check(f"{label}: each external interrupt has its vector", vec == sum(r["count"] for r in irq), irq)
        # MSR, CR8 and hypercall details on the reasons of their ISA
        for kind, reasons in {"svm": {"msr": {0x7C}, "cr": {0x18}, "hypercall": {0x81}},
                              "vmx": {"msr": {31, 32}, "cr": {28}, "hypercall": {18}}}[isa].items():
            if case in ("trace", "dat") and kind == "msr":
                continue
            where = {r["code"] for r in rows for d in r.get("details", []) if d["kind"] == kind}
            check(f"{label}: {kind} details under {sorted(reasons)}", where == reasons, where)


def table_case(case, text):
    sec = sections(text, case)
    lines = sec["live"].splitlines()
    check(f"{case}: the table shows the port under its reason, with its name",
          any(re.search(r"\s{3}out 0x3f8/1 COM1 data, to VMM\s+100\s", ln) for ln in lines), sec["live"][-1500:])
    check(f"{case}: and the MSR by its name",
          any(re.search(r"\s{3}rdmsr 0x10 IA32_TIME_STAMP_COUNTER, to VMM\s+12\s", ln) for ln in lines),
          sec["live"][-1500:])


def main():
    text = sys.stdin.read()
    if sys.argv[1] == "--table":
        table_case(sys.argv[2], text)
    else:
        json_case(sys.argv[1], text)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
