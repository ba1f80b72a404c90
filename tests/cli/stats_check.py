#!/usr/bin/env python3
"""Check kvmexitstat --source stats against the KVM statistics kvmexitgen read from
its own vCPUs (KVM_GET_STATS_FD) while it holds its VM.

Usage: stats_check.py LIVE.csv GEN.json... ; prints TAP lines (numbered from
$TAP_START), exits 1 on a mismatch. LIVE.csv is kvmexitstat -o csv --by vcpu."""
import csv
import json
import os
import sys

n = int(os.environ.get("TAP_START", "0"))
fails = 0


def check(name, ok, detail=""):
    global n, fails
    n += 1
    print(("ok" if ok else "not ok") + f" {n} - {name}" + ("" if ok else f"\n#   {detail}"))
    fails += not ok


rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["time"] == "total"]
live = {}
for r in rows:
    live[(int(r["pid"]), int(r["vcpu"]), r["reason"])] = int(r["count"])
check("every row is one of KVM's statistics", all(r["isa"] == "kvm" for r in rows), str(rows[:2]))
gens = [json.load(open(f)) for f in sys.argv[2:]]
for g in gens:
    pid = g["pid"]
    for v in g["vcpu"]:
        stats = v["stats"]
        mine = {name: c for (p, i, name), c in live.items() if p == pid and i == v["id"]}
        differ = {k: (c, stats.get(k)) for k, c in mine.items() if stats.get(k) != c}
        check(f"VM {pid} vCPU {v['id']}: {len(mine)} counters, each as kvmexitgen read it", mine and not differ,
              f"(kvmexitstat, kvmexitgen: {differ})")
        core = ["exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits", "insn_emulation", "hypercalls"]
        missing = [k for k in core if stats.get(k, 0) and k not in mine]
        check(f"VM {pid} vCPU {v['id']}: no counter kvmexitgen saw rise is missing", not missing, str(missing))
        ops = v["ops"]
        # CPUID counts where it exits on this host (CPUID_EXITS, tap.bash's exits_per)
        cpuid = ops.get("cpuid", {}).get("guest", 0) * int(os.environ["CPUID_EXITS"])
        want = cpuid + ops.get("io-out", {}).get("guest", 0) + ops.get("io-in", {}).get("guest", 0)
        check(f"VM {pid} vCPU {v['id']}: exits at least the guest's I/O and the CPUIDs that exit here",
              mine.get("exits", 0) >= want,
              f"(exits {mine.get('exits')}, guest {want})")
pids = {p for (p, _, _) in live}
check("only the held VMs shown", pids <= {g["pid"] for g in gens} | {0}, f"({sorted(pids)})")
sys.exit(1 if fails else 0)
