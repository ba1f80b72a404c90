#!/usr/bin/env python3
"""Summarize bench/live_cost.sh: 'RESULT MODE ROUND NS' lines on stdin ->
cost per exit of each mode, what it adds over nothing attached, and that
as a fraction of what perf kvm stat record adds.
Usage: live_cost_summary.py N LABEL UNIT"""
import statistics
import sys

n, label, unit = int(sys.argv[1]), sys.argv[2], sys.argv[3]
res = {}
for line in sys.stdin:
    w = line.split()
    if len(w) == 4 and w[0] == "RESULT" and w[3].isdigit():
        res.setdefault(w[1], []).append(int(w[3]) / n)
if "none" not in res:
    sys.exit("bench: no results")
base = statistics.median(res["none"])
print(f"{label}: {unit} per CPUID exit, median of {len(res['none'])} interleaved rounds of {n} exits")
print(f"{'mode':<36} {'per exit':>10} {'added':>10} {'vs perf':>8}  spread")
names = {"none": "nothing attached", "count": "kvmexitstat --count-only", "time": "kvmexitstat (with handling time)",
         "perf": "perf kvm stat record", "tracefs": "tracefs text (kvm_exit+kvm_entry)"}
perf_add = statistics.median(res["perf"]) - base if "perf" in res else 0
for m in ("none", "count", "time", "perf", "tracefs"):
    if m not in res:
        continue
    med = statistics.median(res[m])
    add = med - base
    vs = f"{add / perf_add:8.3f}" if m != "none" and perf_add > 0 else ""
    spread = (max(res[m]) - min(res[m])) / med * 100
    print(f"{names[m]:<36} {med:10.0f} {add:10.0f} {vs:>8}  {spread:.2f}%")
