#!/usr/bin/env python3
"""Check kvmexitstat --rip from a testbed run (test_rip.sh) against what
kvmexitgen's guest did: each operation's exits come from one instruction,
whose address kvmexitgen reports ("rip") and writes to its symbol file as
guest_rip_OPERATION. Per vCPU (per VM for the table) and reason, and under
each detail with --detail, the top RIPs must be exactly those, with the
guest's counts, named from the file, in the guest kernel on SVM (its CPL
is in the VMCB) and of unknown privilege on VMX.

Usage: rip_check.py CASE < testbed output. Prints TAP; exits 1 on a mismatch.
"""
import json
import re
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from live_check import check, results, sections  # noqa: E402

# the exit reason of each operation: (SVM exit code, VMX basic reason)
REASON = {
    "cpuid": (0x72, 10), "io-out": (0x7B, 30), "io-in": (0x7B, 30),
    "msr-read": (0x7C, 31), "msr-write": (0x7C, 32), "hlt": (0x78, 12),
    "vmcall": (0x81, 18), "cr8-write": (0x18, 28),
    "mmio-read": (0x400, 48), "mmio-write": (0x400, 48),
}
# MMIO: a first access may fault twice at the same instruction (the page
# is made an MMIO one): at least the guest's count there
AT_LEAST = {"mmio-read", "mmio-write"}

def expected(vcpus, isa):
    """(vCPU id, reason code) -> {rip: (count, op names)}"""
    out = {}
    for v in vcpus:
        for op, d in v["ops"].items():
            if op not in REASON or not d.get("rip") or not d["guest"]:
                continue
            code = REASON[op][0 if isa == "svm" else 1]
            cnt, names = out.setdefault((v["id"], code), {}).get(d["rip"], (0, set()))
            out[(v["id"], code)][d["rip"]] = (cnt + d["guest"], names | {op})
    return out


def rips_ok(where, rips, want, isa, table_names=None):
    """rips: [{rip, ring, symbol, count}...] as shown; want: {rip: (count, ops)}"""
    top = {r["rip"]: r for r in rips[: len(want)] if "rip" in r}
    for rip, (cnt, ops) in sorted(want.items()):
        r = top.get(rip)
        label = f"{where}: RIP {rip:#x} ({', '.join(sorted(ops))}) among the top {len(want)}"
        check(label, r is not None, json.dumps(rips))
        if r is None:
            continue
        ok = r["count"] >= cnt if ops & AT_LEAST else r["count"] == cnt
        check(f"{where}: RIP {rip:#x} counted {'at least ' if ops & AT_LEAST else ''}{cnt} times",
              ok, f"shown {r['count']}")
        sym = "guest_rip_" + sorted(ops)[0].replace("-", "_")
        if ops == {"vmcall"}:
            sym = "guest_rip_vmcall"
        check(f"{where}: RIP {rip:#x} named {sym}", r.get("symbol") == sym, r.get("symbol"))
        ring = "kernel" if isa == "svm" else "unknown"
        check(f"{where}: RIP {rip:#x} in ring '{ring}'", r.get("ring") == ring, r.get("ring"))


def json_case(case, text, with_detail):
    sec = sections(text, case)
    gen = json.loads(sec["gen"])
    rows = [json.loads(line) for line in sec["live"].splitlines() if line.startswith("{")]
    total = [r for r in rows if r.get("time") == "total"]
    check(f"{case}: a total", len(total) == 1, sec.get("err"))
    if not total:
        return
    rows = total[0]["rows"]
    isa = rows[0]["isa"] if rows else "?"
    ids = {v["id"]: v["tid"] for v in gen["vcpu"]}
    want = expected(gen["vcpu"], isa)
    for (vcpu, code), w in sorted(want.items()):
        row = [r for r in rows if r.get("pid") == gen["pid"] and r.get("vcpu") == vcpu and r["code"] & 0xFFFF == code]
        where = f"{case}: vCPU {vcpu} reason {code:#x}"
        check(f"{where}: one row", len(row) == 1, json.dumps(rows)[:2000])
        if len(row) != 1:
            continue
        row = row[0]
        if not with_detail or not row.get("details"):
            rips_ok(where, row.get("rips", []), w, isa)
            # the RIPs and "(other)" are all of the reason's exits
            check(f"{where}: its RIP rows sum to its count",
                  sum(r["count"] for r in row.get("rips", [])) == row["count"], row)
            continue
        # under each detail: its own RIPs; together, the reason's
        got = {}
        for d in row.get("details", []):
            for r in d.get("rips", []):
                if "rip" in r:
                    got.setdefault(r["rip"], []).append(r)
            check(f"{where}: detail {d['detail']}: its RIP rows sum to its count",
                  not d.get("rips") or sum(r["count"] for r in d["rips"]) == d["count"], d)
        for rip, (cnt, ops) in sorted(w.items()):
            shown = sum(r["count"] for r in got.get(rip, []))
            ok = shown >= cnt if ops & AT_LEAST else shown == cnt
            check(f"{where}: RIP {rip:#x} under its details {cnt} times", ok, f"shown {shown}: {got.get(rip)}")
    del ids


def table_case(case, text):
    sec = sections(text, case)
    gen = json.loads(sec["gen"])
    lines = sec["live"].splitlines()
    # "Total    vm/pid   0x10137 kernel guest_rip_hlt   5 ..."
    for op, d in sorted(gen["vcpu"][0]["ops"].items()):
        if op not in ("cpuid", "hlt", "cr8-write") or not d.get("rip"):
            continue
        pat = re.compile(rf"^Total\s.*\s0x{d['rip']:x}(\s\S+)?\s+guest_rip_{op.replace('-', '_')}\s+{d['guest']}\s")
        check(f"{case}: the total's table has {op}'s RIP, named, with its count",
              any(pat.search(line) for line in lines), "\n".join(lines[-40:]))


def main():
    case = sys.argv[1]
    text = sys.stdin.read()
    if case == "table":
        table_case(case, text)
    else:
        json_case(case, text, case == "detail")
    sys.exit(0 if results and all(results) else 1)


if __name__ == "__main__":
    main()
