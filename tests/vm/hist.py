#!/usr/bin/env python3
"""Read the kernel's hist-trigger output and kvmexitgen's --json from a
testbed run's output, and compare the kernel's own kvm_exit counts with
what kvmexitgen says its guest did.

Usage: hist.py CASE_NAME [vmx] < output-of-the-guest-script
The output holds, per case, lines between '== case NAME ==' and
'== end NAME ==': after '-- kvmexitgen' its JSON line, after '-- hist'
the kvm_exit 'hist' file with its three histograms. Prints TAP lines; exits 1 on a mismatch.
"""
import json
import re
import sys

SVM = {"cpuid": 0x72, "io": 0x7B, "msr": 0x7C, "hlt": 0x78, "hypercall": 0x81, "npf": 0x400,
       "interrupt": 0x60, "nmi": 0x61, "vintr": 0x64, "pause": 0x77}
# VMX basic exit reasons (arch/x86/include/uapi/asm/vmx.h)
VMX = {"exception": 0, "interrupt": 1, "cpuid": 10, "hlt": 12, "vmcall": 18, "io": 30, "rdmsr": 31, "wrmsr": 32,
       "ept_violation": 48, "ept_misconfig": 49, "preemption_timer": 52}
PORT_OP, PORT_DONE = 0xE0, 0xE4
GUEST_MEM_SIZE, GUEST_MMIO = 0x400000, 0xF0000000


def parse_hists(lines):
    """The histograms of one 'hist' file, by their key list:
    {"vcpu_id,exit_reason": {(k1, k2): hitcount}, ...}. Keys with the .hex
    modifier are printed in hex without 0x."""
    hists, cur, hexkeys = {}, None, set()
    for line in lines:
        m = re.match(r"# trigger info: hist:keys=([^:]+):", line)
        if m:
            names = m.group(1).split(",")
            hexkeys = {n.split(".")[0] for n in names if n.endswith(".hex")}
            cur = hists.setdefault(",".join(n.split(".")[0] for n in names), {})
            continue
        m = re.match(r"\{(.*)\}\s+hitcount:\s+(\d+)", line.strip())
        if not m or cur is None:
            continue
        key = tuple(int(v, 16 if k in hexkeys else 10) for k, v in re.findall(r"(\w+):\s*([0-9a-fA-F]+)", m.group(1)))
        cur[key] = cur.get(key, 0) + int(m.group(2))
    return hists


def retried_faults(stats):
    """Page faults KVM handed back to the guest to run again (RET_PF_RETRY,
    e.g. when another vCPU was installing the same page's mapping): they are
    counted in pf_taken but in none of fixed/emulate/spurious. A retried
    fault at an MMIO address is one exit more than the guest's accesses."""
    if not stats or "pf_taken" not in stats:
        return 0
    return max(0, stats["pf_taken"] - sum(stats.get(k, 0) for k in ("pf_fixed", "pf_emulate", "pf_spurious")))


def sections(text, case):
    body = text.split(f"== case {case} ==", 1)[1].split(f"== end {case} ==", 1)[0]
    parts = re.split(r"^-- (\S+)$", body, flags=re.M)
    return {parts[i]: parts[i + 1].splitlines() for i in range(1, len(parts), 2)}


def main():
    case = sys.argv[1]
    text = sys.stdin.read()
    try:
        sec = sections(text, case)
        gen = json.loads("\n".join(sec["kvmexitgen"]).strip())
    except (IndexError, KeyError, ValueError) as e:
        print(f"not ok - {case}: no kvmexitgen result or histogram in the testbed output ({e})")
        sys.exit(1)
    hists = parse_hists(sec["hist"])
    if len(sys.argv) > 2 and sys.argv[2] == "vmx":
        sys.exit(check_vmx(case, gen, hists))
    by_reason = hists["vcpu_id,exit_reason"]           # (vcpu, reason) -> n
    by_info1 = hists["vcpu_id,exit_reason,info1"]      # (vcpu, reason, info1) -> n
    mmio = hists["vcpu_id,info1,info2"]                # (vcpu, info1, info2) -> n
    failures = 0
    n = 0

    def check(name, got, want, detail="", slack=0):
        nonlocal failures, n
        n += 1
        if got == want:
            print(f"ok - {case}: {name} = {want}")
        elif want < got <= want + slack:
            print(f"ok - {case}: {name} = {got} ({want} + {got - want} of {slack} retried faults)")
        else:
            failures += 1
            print(f"not ok - {case}: {name}: kernel counted {got}, kvmexitgen's guest did {want} {detail}")

    for v in gen["vcpu"]:
        i, ops = v["id"], v["ops"]
        did = {op: ops.get(op, {}).get("guest", 0) for op in
               ("cpuid", "io-out", "io-in", "mmio-read", "mmio-write", "hlt", "msr-read", "msr-write", "vmcall")}
        check(f"vCPU {i} cpuid exits", by_reason.get((i, SVM["cpuid"]), 0), did["cpuid"])
        check(f"vCPU {i} hlt exits", by_reason.get((i, SVM["hlt"]), 0), did["hlt"])
        check(f"vCPU {i} hypercall exits (vmcall)", by_reason.get((i, SVM["hypercall"]), 0), did["vmcall"])
        io = {k[2]: c for k, c in by_info1.items() if k[0] == i and k[1] == SVM["io"]}
        # SVM IOIO exit_info_1: port in bits 31:16, bit 0 set for IN
        check(f"vCPU {i} io exits OUT port 0xe0", sum(c for f, c in io.items() if f >> 16 == PORT_OP and not f & 1),
              did["io-out"])
        check(f"vCPU {i} io exits IN port 0xe0", sum(c for f, c in io.items() if f >> 16 == PORT_OP and f & 1),
              did["io-in"])
        check(f"vCPU {i} io exits OUT port 0xe4 (the guest's end report)",
              sum(c for f, c in io.items() if f >> 16 == PORT_DONE and not f & 1), 1)
        check(f"vCPU {i} io exits on other ports", sum(c for f, c in io.items() if f >> 16 not in (PORT_OP, PORT_DONE)), 0)
        msr = {k[2]: c for k, c in by_info1.items() if k[0] == i and k[1] == SVM["msr"]}
        # SVM MSR exit_info_1: 0 RDMSR, 1 WRMSR
        check(f"vCPU {i} msr exits RDMSR", msr.get(0, 0), did["msr-read"])
        check(f"vCPU {i} msr exits WRMSR", msr.get(1, 0), did["msr-write"])
        addr = GUEST_MMIO + 8 * i
        # NPF exit_info_1 is the page-fault error code: bit 1 set for a write
        check(f"vCPU {i} npf exits reading its MMIO address", sum(
            c for (vc, f, a), c in mmio.items() if vc == i and a == addr and not f & 2), did["mmio-read"],
            slack=retried_faults(v.get("stats")))
        check(f"vCPU {i} npf exits writing its MMIO address", sum(
            c for (vc, f, a), c in mmio.items() if vc == i and a == addr and f & 2), did["mmio-write"],
            slack=retried_faults(v.get("stats")))
        # Everything else must be an exit kvmexitgen's mix does not make:
        # npf on RAM (first touch of a page) and host interrupts.
        mix = {SVM[r] for r in ("cpuid", "io", "msr", "hlt", "hypercall", "npf")}
        extra = {r: c for (vc, r), c in by_reason.items() if vc == i and r not in mix}
        allowed = {SVM["interrupt"], SVM["nmi"], SVM["vintr"], SVM["pause"]}
        check(f"vCPU {i} other exit reasons are only interrupt/nmi/vintr/pause",
              sorted(r for r in extra if r not in allowed), [], f"(others: {extra})")
        npf_total = by_reason.get((i, SVM["npf"]), 0)
        npf_mmio = sum(c for (vc, f, a), c in mmio.items() if vc == i)
        check(f"vCPU {i} npf exits outside MMIO are RAM first touches (< {GUEST_MEM_SIZE // 4096} pages)",
              npf_total - npf_mmio <= GUEST_MEM_SIZE // 4096, True, f"({npf_total - npf_mmio})")
    sys.exit(1 if failures else 0)


def check_vmx(case, gen, hists):
    """The VMX testbed's histograms: kvm_exit by (vCPU, reason), IO exits
    by their exit qualification, and kvm_page_fault (one per EPT violation)
    at the guest's MMIO addresses."""
    by_reason = hists["vcpu_id,exit_reason"]
    io_qual = hists["vcpu_id,exit_reason,info1"]
    mmio_pf = hists.get("vcpu_id,fault_address", {})
    failures = 0

    def check(name, got, want, detail="", slack=0):
        nonlocal failures
        if got == want:
            print(f"ok - {case}: {name} = {want}")
        elif want < got <= want + slack:
            print(f"ok - {case}: {name} = {got} ({want} + {got - want} of {slack} retried faults)")
        else:
            failures += 1
            print(f"not ok - {case}: {name}: kernel counted {got}, kvmexitgen's guest did {want} {detail}")

    for v in gen["vcpu"]:
        i, ops = v["id"], v["ops"]
        did = {op: ops.get(op, {}).get("guest", 0) for op in
               ("cpuid", "io-out", "io-in", "mmio-read", "mmio-write", "hlt", "msr-read", "msr-write", "vmcall")}
        r = lambda name: by_reason.get((i, VMX[name]), 0)
        check(f"vCPU {i} CPUID (10) exits", r("cpuid"), did["cpuid"])
        check(f"vCPU {i} HLT (12) exits", r("hlt"), did["hlt"])
        check(f"vCPU {i} VMCALL (18) exits", r("vmcall"), did["vmcall"])
        check(f"vCPU {i} RDMSR (31) exits", r("rdmsr"), did["msr-read"])
        check(f"vCPU {i} WRMSR (32) exits", r("wrmsr"), did["msr-write"])
        io = {k[2]: c for k, c in io_qual.items() if k[0] == i and k[1] == VMX["io"]}
        # IO_INSTRUCTION exit qualification: port in bits 31:16, bit 3 set for IN
        check(f"vCPU {i} IO_INSTRUCTION (30) OUT port 0xe0",
              sum(c for f, c in io.items() if f >> 16 == PORT_OP and not f & 8), did["io-out"])
        check(f"vCPU {i} IO_INSTRUCTION (30) IN port 0xe0",
              sum(c for f, c in io.items() if f >> 16 == PORT_OP and f & 8), did["io-in"])
        check(f"vCPU {i} IO_INSTRUCTION (30) OUT port 0xe4 (the guest's end report)",
              sum(c for f, c in io.items() if f >> 16 == PORT_DONE and not f & 8), 1)
        check(f"vCPU {i} IO_INSTRUCTION (30) on other ports",
              sum(c for f, c in io.items() if f >> 16 not in (PORT_OP, PORT_DONE)), 0)
        # MMIO: the first access to the MMIO page is an EPT_VIOLATION (KVM
        # then marks the page), later ones EPT_MISCONFIG; a first touch
        # raced by the other vCPU is retried and exits once more
        addr = GUEST_MMIO + 8 * i
        violations = sum(c for (vc, a), c in mmio_pf.items() if vc == i and a == addr)
        check(f"vCPU {i} MMIO accesses: EPT_MISCONFIG (49) + EPT_VIOLATION (48) at its MMIO address",
              r("ept_misconfig") + violations, did["mmio-read"] + did["mmio-write"],
              f"(49: {r('ept_misconfig')}, 48 at MMIO: {violations})", slack=retried_faults(v.get("stats")))
        check(f"vCPU {i} EPT_VIOLATION (48) elsewhere are RAM first touches (< {GUEST_MEM_SIZE // 4096} pages)",
              r("ept_violation") - violations <= GUEST_MEM_SIZE // 4096, True, f"({r('ept_violation') - violations})")
        mix = {VMX[n] for n in ("cpuid", "hlt", "vmcall", "io", "rdmsr", "wrmsr", "ept_violation", "ept_misconfig")}
        allowed = {VMX["interrupt"], VMX["exception"], VMX["preemption_timer"]}
        extra = {rr: c for (vc, rr), c in by_reason.items() if vc == i and rr not in mix}
        check(f"vCPU {i} other exit reasons are only host interrupts, NMIs or the preemption timer",
              sorted(rr for rr in extra if rr not in allowed), [], f"(others: {extra})")
    return 1 if failures else 0


if __name__ == "__main__":
    main()
