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

# the exit reasons of each operation: (SVM exit codes, VMX basic reasons).
# VMX MMIO: the first access is an EPT violation, the next ones EPT
# misconfigurations (the page is then an MMIO one)
REASON = {
    "cpuid": ({0x72}, {10}), "io-out": ({0x7B}, {30}), "io-in": ({0x7B}, {30}),
    "msr-read": ({0x7C}, {31}), "msr-write": ({0x7C}, {32}), "hlt": ({0x78}, {12}),
    "vmcall": ({0x81}, {18}), "cr8-write": ({0x18}, {28}),
    "mmio-read": ({0x400}, {48, 49}), "mmio-write": ({0x400}, {48, 49}),
}
# MMIO: a first access may fault twice at the same instruction (the page
# is made an MMIO one): at least the guest's count there
AT_LEAST = {"mmio-read", "mmio-write"}


def expected(vcpus, isa):
    """(vCPU id, reason codes) -> {rip: (count, op names)}"""
    out = {}
    for v in vcpus:
        for op, d in v["ops"].items():
            if op not in REASON or not d.get("rip") or not d["guest"]:
                continue
            codes = frozenset(REASON[op][0 if isa == "svm" else 1])
            cnt, names = out.setdefault((v["id"], codes), {}).get(d["rip"], (0, set()))
            out[(v["id"], codes)][d["rip"]] = (cnt + d["guest"], names | {op})
    return out


def rip_ok(where, shown, rip, cnt, ops, isa):
    """shown: the RIP's rows, each {rip, ring, symbol, count}"""
    total = sum(r["count"] for r in shown)
    least = bool(ops & AT_LEAST)
    check(f"{where}: RIP {rip:#x} ({', '.join(sorted(ops))}) counted {'at least ' if least else ''}{cnt} times",
          total >= cnt if least else total == cnt, f"shown {total}: {shown}")
    sym = "guest_rip_" + sorted(ops)[0].replace("-", "_")
    check(f"{where}: RIP {rip:#x} named {sym}", shown and all(r.get("symbol") == sym for r in shown), shown)
    ring = "kernel" if isa == "svm" else "unknown"
    check(f"{where}: RIP {rip:#x} in ring '{ring}'", shown and all(r.get("ring") == ring for r in shown), shown)


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
    for (vcpu, codes), want in sorted(expected(gen["vcpu"], isa).items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]))):
        mine = [r for r in rows if r.get("pid") == gen["pid"] and r.get("vcpu") == vcpu and r["code"] & 0xFFFF in codes]
        where = f"{case}: vCPU {vcpu} reason {'/'.join(hex(c) for c in sorted(codes))}"
        check(f"{where}: its rows", len(mine) >= 1, json.dumps(rows)[:2000])
        # each row's RIP lists: the row's own, or (with details) each detail's
        lists = []
        for row in mine:
            if not with_detail or not row.get("details"):
                lists.append((row, row.get("rips", [])))
            else:
                lists += [(d, d.get("rips", [])) for d in row["details"]]
        for owner, rips in lists:
            check(f"{where}: {owner.get('detail', 'the reason')}: its RIP rows sum to its count",
                  not rips or sum(r["count"] for r in rips) == owner["count"], owner)
        got = {}
        for _, rips in lists:
            for r in rips:
                if "rip" in r:
                    got.setdefault(int(r["rip"], 16), []).append(r)
        for rip, (cnt, ops) in sorted(want.items()):
            rip_ok(where, got.get(rip, []), rip, cnt, ops, isa)
        # one row without details: the guest's RIPs are its top ones
        if len(lists) == 1:
            top = {int(r["rip"], 16) for r in lists[0][1][: len(want)] if "rip" in r}
            check(f"{where}: the guest's RIPs are its top {len(want)}", top == set(want), lists[0][1])


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
