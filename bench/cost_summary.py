#!/usr/bin/env python3
"""Summarize a cost benchmark's 'RESULT MODE ROUND NS' lines (stdin): the
cost per exit of each mode (median over the interleaved rounds), what it
adds over the baseline mode, that in percent of the baseline, and as a
fraction of what a reference mode adds.
Usage: cost_summary.py N LABEL UNIT BASELINE REFERENCE MODE=DESCRIPTION...
Environment: EXIT (what each exit is, "CPUID" by default); OVER=MODE adds a
column of what each mode costs over MODE."""
import os
import statistics
import sys

n, label, unit, base_mode, ref_mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
modes = [a.split("=", 1) for a in sys.argv[6:]]
res = {}
for line in sys.stdin:
    w = line.split()
    if len(w) == 4 and w[0] == "RESULT" and w[3].isdigit():
        res.setdefault(w[1], []).append(int(w[3]) / n)
if base_mode not in res:
    sys.exit("bench: no results")
base = statistics.median(res[base_mode])
ref_add = statistics.median(res[ref_mode]) - base if ref_mode in res else 0
over_mode = os.environ.get("OVER", "")
over = statistics.median(res[over_mode]) if over_mode in res else None
print(f"{label}: {unit} per {os.environ.get('EXIT', 'CPUID')} exit, median of {len(res[base_mode])} interleaved "
      f"rounds of {n} exits")
print(f"{'mode':<40} {'per exit':>10} {'added':>10} {'added %':>8} {'vs ' + ref_mode:>10}"
      + (f" {'over ' + over_mode:>11}" if over is not None else "") + "  spread")
for m, desc in modes:
    if m not in res:
        continue
    med = statistics.median(res[m])
    add = med - base
    vs = f"{add / ref_add:10.3f}" if m != base_mode and ref_add > 0 else ""
    spread = (max(res[m]) - min(res[m])) / med * 100
    extra = f" {med - over:11.0f}" if over is not None else ""
    print(f"{desc:<40} {med:10.0f} {add:10.0f} {add / base * 100:7.2f}% {vs:>10}{extra}  {spread:.2f}%")
