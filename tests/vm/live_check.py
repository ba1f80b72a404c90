#!/usr/bin/env python3
"""Check kvmexitstat's live numbers from a testbed run against the ground
truth (kvmexitgen's JSON) and the kernel's own kvm_exit histogram (keyed by
thread and reason, independent of kvmexitstat).

Usage: live_check.py CASE [--only-pid-of N] [--intervals] [--count-only] [--by-reason] [--with-stats] [--held N] [--source S] < testbed output
A case's output lies between '== case NAME ==' and '== end NAME ==', in
sections: '-- gen' (kvmexitgen JSON, one line per VM), '-- live' (kvmexitstat
CSV), '-- hist' (the kvm_exit hist file). Prints TAP; exits 1 on a mismatch.
"""
import csv
import io
import json
import re
import sys

SVM = {"cpuid": 0x72, "io": 0x7B, "msr": 0x7C, "hlt": 0x78, "hypercall": 0x81, "npf": 0x400}
# VMX basic exit reasons: CPUID, IO_INSTRUCTION, RDMSR, WRMSR, HLT, VMCALL,
# EPT_VIOLATION, EPT_MISCONFIG
VMX = {"cpuid": 10, "io": 30, "rdmsr": 31, "wrmsr": 32, "hlt": 12, "hypercall": 18, "ept_violation": 48,
       "ept_misconfig": 49}


def guest_exits(isa, did):
    """The exits kvmexitgen's guest made as the ISA names them (io: +1, the
    guest's end report), and the reasons its MMIO accesses exit with."""
    if isa == "vmx":
        return ({VMX["cpuid"]: did("cpuid"), VMX["io"]: did("io-out") + did("io-in") + 1,
                 VMX["rdmsr"]: did("msr-read"), VMX["wrmsr"]: did("msr-write"), VMX["hlt"]: did("hlt"),
                 VMX["hypercall"]: did("vmcall")}, (VMX["ept_violation"], VMX["ept_misconfig"]))
    return ({SVM["cpuid"]: did("cpuid"), SVM["io"]: did("io-out") + did("io-in") + 1,
             SVM["msr"]: did("msr-read") + did("msr-write"), SVM["hlt"]: did("hlt"),
             SVM["hypercall"]: did("vmcall")}, (SVM["npf"],))


# TAP lines of the checkers that import it (detail_check.py, rip_check.py)
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} - {name}")
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print(f"#   {line}")


def sections(text, case):
    body = text.split(f"== case {case} ==", 1)[1].split(f"== end {case} ==", 1)[0]
    parts = re.split(r"^-- (\S+)$", body, flags=re.M)
    return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}


def hist(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"\{\s*common_pid:\s*(\d+),\s*exit_reason:\s*(\d+)\s*\}\s+hitcount:\s+(\d+)", line.strip())
        if m:
            key = (int(m.group(1)), int(m.group(2)))
            out[key] = out.get(key, 0) + int(m.group(3))
    return out


def intervals_seen(rows, key):
    """How many intervals the report printed: the most rows one key has
    outside the totals (the time column has whole seconds, and two
    0.5 s intervals may share one)."""
    seen = {}
    for r in rows:
        if r["time"] != "total":
            seen[key(r)] = seen.get(key(r), 0) + 1
    return max(seen.values(), default=0)


def main():
    case = sys.argv[1]
    only = None
    if "--only-pid-of" in sys.argv:
        only = int(sys.argv[sys.argv.index("--only-pid-of") + 1])
    intervals = "--intervals" in sys.argv
    count_only = "--count-only" in sys.argv
    by_reason = "--by-reason" in sys.argv
    with_stats = "--with-stats" in sys.argv
    source = sys.argv[sys.argv.index("--source") + 1] if "--source" in sys.argv else None
    held = sys.argv[sys.argv.index("--held") + 1] if "--held" in sys.argv else None
    n_fail = 0

    def check(name, ok, detail=""):
        nonlocal n_fail
        print(("ok" if ok else "not ok") + f" - {case}: {name}" + ("" if ok else f" {detail}"))
        n_fail += not ok

    try:
        sec = sections(sys.stdin.read(), case)
        gens = [json.loads(l) for l in sec["gen"].splitlines() if l.startswith("{")]
        rows = list(csv.DictReader(io.StringIO(sec["live"])))
        kernel = hist(sec["hist"])
    except (IndexError, KeyError, ValueError) as e:
        print(f"not ok - {case}: testbed output incomplete ({e})")
        sys.exit(1)
    check("kvmexitgen ran", len(gens) > 0 and all(g["vcpu"] for g in gens), sec.get("gen", "")[:300])
    if source:
        check(f"the source is {source}", f"counting VM exits with {source}" in sec.get("err", ""), sec.get("err", ""))
    if held:
        check(f"another process held the VM's {held} vCPU files", f"holdvcpu: holding {held} vCPU files" in sec.get("err", ""),
              sec.get("err", ""))
    total = [r for r in rows if r["time"] == "total"]
    if by_reason:
        # --by reason: one row per reason over all VMs; the kernel's counts
        # of the case's vCPU threads, summed per reason, must equal them
        tids = {v["tid"] for g in gens for v in g["vcpu"]}
        want = {}
        for (t, r), c in kernel.items():
            if t in tids:
                want[r] = want.get(r, 0) + c
        got = {int(r["code"]): int(r["count"]) for r in total}
        check("per reason over all VMs, as the kernel's own histogram counted", got == want,
              f"(kvmexitstat {sorted(got.items())} kernel {sorted(want.items())})")
        check("rows are over all VMs and vCPUs", all(r["pid"] == "" and r["vcpu"] == "" for r in rows))
        sums = {}
        for r in rows:
            if r["time"] != "total":
                sums[int(r["code"])] = sums.get(int(r["code"]), 0) + int(r["count"])
        n_int = intervals_seen(rows, lambda r: int(r["code"]))
        check(f"intervals ({n_int}) sum to the totals", sums == got and n_int > 1, f"(sums {sorted(sums.items())})")
        sys.exit(1 if n_fail else 0)
    if with_stats:
        # --source tracepoint,stats: KVM's own counters (isa kvm) beside the
        # tracepoint's reasons; they must equal what kvmexitgen read from its
        # vCPUs, and KVM's "exits" the sum of the tracepoint's exits
        kvm = [r for r in total if r["isa"] == "kvm"]
        total = [r for r in total if r["isa"] != "kvm"]
        kvm_pids = {int(r["pid"]) for r in kvm}
        check("KVM's counters only for the VMs' processes", kvm_pids == {g["pid"] for g in gens},
              f"(pids {sorted(kvm_pids)})")
        for g in gens:
            for v in g["vcpu"]:
                pid, i = g["pid"], v["id"]
                mine = {r["reason"]: int(r["count"]) for r in kvm if int(r["pid"]) == pid and int(r["vcpu"]) == i}
                differ = {k: (c, v["stats"].get(k)) for k, c in mine.items() if v["stats"].get(k) != c}
                check(f"VM {pid} vCPU {i}: KVM's counters as kvmexitgen read them ({len(mine)})",
                      mine and not differ, f"(kvmexitstat, kvmexitgen: {differ})")
                traced = sum(int(r["count"]) for r in total if int(r["pid"]) == pid and int(r["vcpu"]) == i)
                check(f"VM {pid} vCPU {i}: KVM's exits equal the tracepoint's exits",
                      mine.get("exits") == traced, f"(stats {mine.get('exits')}, tracepoint {traced})")
    live = {}
    for r in total:
        key = (int(r["pid"]), int(r["vcpu"]), int(r["code"]))
        live[key] = {"count": int(r["count"]), "timed": int(r["timed"])}
    pids = {k[0] for k in live}
    if only is not None:
        want_pid = gens[only]["pid"]
        check(f"-p shows only the chosen VM (pid {want_pid})", pids == {want_pid}, f"(pids shown: {sorted(pids)})")
        gens = [gens[only]]
    else:
        check("every VM shown", pids == {g["pid"] for g in gens}, f"({sorted(pids)})")
    for g in gens:
        pid = g["pid"]
        names = {r["vm"] for r in total if int(r["pid"]) == pid}
        check(f"VM {pid} named from its process", names == {"kvmexitgen"}, f"({names})")
        for v in g["vcpu"]:
            i, tid, ops = v["id"], v["tid"], v["ops"]
            did = lambda op: ops.get(op, {}).get("guest", 0)
            mine = {k[2]: c for k, c in live.items() if k[0] == pid and k[1] == i}
            theirs = {r: c for (t, r), c in kernel.items() if t == tid}
            counts = {r: c["count"] for r, c in mine.items()}
            check(f"VM {pid} vCPU {i}: every reason as the kernel's own histogram counted",
                  counts == theirs, f"(kvmexitstat {sorted(counts.items())} kernel {sorted(theirs.items())})")
            isa = {r["isa"] for r in total if int(r["pid"]) == pid and r["isa"] != "kvm"}
            want, mmio = guest_exits("vmx" if isa == {"vmx"} else "svm", did)
            got = {r: counts.get(r, 0) for r in want}
            check(f"VM {pid} vCPU {i}: cpuid, io (+1 end report), msr, hlt, hypercall equal the guest's own counts ({'/'.join(sorted(isa))})",
                  got == want, f"(got {got} want {want})")
            check(f"VM {pid} vCPU {i}: nested page faults at least the MMIO accesses",
                  sum(counts.get(r, 0) for r in mmio) >= did("mmio-read") + did("mmio-write"))
            timed = sum(c["timed"] for c in mine.values())
            if count_only:
                check(f"VM {pid} vCPU {i}: counting only, no handling times", timed == 0, f"(timed {timed})")
            else:
                check(f"VM {pid} vCPU {i}: every exit but the last has a handling time",
                      timed == sum(counts.values()) - 1, f"(timed {timed}, exits {sum(counts.values())})")
    if intervals:
        sums = {}
        for r in rows:
            if r["time"] != "total" and r["isa"] != "kvm":
                key = (int(r["pid"]), int(r["vcpu"]), int(r["code"]))
                sums[key] = sums.get(key, 0) + int(r["count"])
        n_int = intervals_seen(rows, lambda r: (r["pid"], r["vcpu"], r["code"]))
        check(f"intervals ({n_int}) sum to the totals", sums == {k: v["count"] for k, v in live.items()} and n_int > 1,
              f"(sums {sorted(sums.items())[:5]}...)")
    sys.exit(1 if n_fail else 0)


if __name__ == "__main__":
    main()
