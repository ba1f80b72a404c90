#!/usr/bin/env python3
"""Check the patched KVM's kernel log report (kvm.exit_stats_log_every=N)
against the kvm_exit events ftrace recorded in the same run.

Usage: klog_check.py CASE N KVMEXITSTAT [svm|vmx] < testbed output
A case's section holds kvmexitgen's JSON (-- gen), for each vCPU thread the
per-reason counts of its first k*N exits as ftrace saw them (-- prefix:
"tid vcpu total name=count..."), ftrace's buffer header (-- lost) and the
kernel log's CMPE283 lines (-- klog). Every report must be due (its total a
multiple of N), equal the trace's counts at that exit exactly, name the VM
and the vCPU, and account for the reports before it that the kernel skipped;
kvmexitstat report must read the same series back."""
import csv
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cmpe283 import parse_reports  # noqa: E402

case, every, kvmexitstat = sys.argv[1], int(sys.argv[2]), sys.argv[3]
isa = sys.argv[4] if len(sys.argv) > 4 else "svm"
text = sys.stdin.read()
fails = 0


def check(name, good, detail=""):
    global fails
    fails += not good
    print(("ok" if good else "not ok") + f" - {case}: {name}" + ("" if good else f" {detail}"))


if f"== case {case} ==" not in text:
    check("section present", False, text[-500:])
    sys.exit(1)
body = text.split(f"== case {case} ==", 1)[1].split(f"== end {case} ==", 1)[0]
parts = re.split(r"^-- (\S+)$", body, flags=re.M)
sec = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}
gen = json.loads(next(l for l in sec["gen"].splitlines() if l.startswith("{")))
tid_of = {v["id"]: v["tid"] for v in gen["vcpu"]}

# exit code -> the name the kvm_exit tracepoint prints
names = {int(r["code"], 0): r["name"] for r in
         csv.DictReader(io.StringIO(subprocess.check_output([kvmexitstat, "reasons", "-o", "csv", isa], text=True)))}

m = re.search(r"entries-in-buffer/entries-written: (\d+)/(\d+)", sec["lost"])
check("ftrace kept every kvm_exit event", m and m.group(1) == m.group(2), sec["lost"])

prefix = {}  # (tid, total) -> {name: count}
ended = {}   # tid -> (total, {name: count}) at the thread's last exit
for line in sec["prefix"].splitlines():
    f = line.split()
    if len(f) >= 4 and f[0] == "end":
        ended[int(f[1])] = (int(f[3]), {k: int(v) for k, v in (x.split("=") for x in f[4:])})
    elif len(f) >= 3:
        prefix[(int(f[0]), int(f[2]))] = {k: int(v) for k, v in (x.split("=") for x in f[3:])}

reports = parse_reports(sec["klog"].splitlines(), isa)  # [header dict, {code: count}]
check("the kernel log has reports", len(reports) > 0, sec["klog"][:300])

printed = {}   # vCPU -> due reports printed
finals = {}    # vCPU -> its final report's header
blocks = {}    # vCPU -> blocks in the log, final included
for h, counts in reports:
    v, tot = h["vcpu"], h["total"]
    blocks[v] = blocks.get(v, 0) + 1
    if h["final"]:
        # the vCPU ended with reports skipped: its counts at its end, and
        # how many due reports were not printed
        what = f"vCPU {v} final report (total={tot})"
        check(f"{what}: the only one", v not in finals, str(h))
        finals[v] = h
        end = ended.get(tid_of.get(v))
        got = {names.get(c, c if c == "unknown" else hex(c)): n for c, n in counts.items()}
        check(f"{what}: the vCPU's whole run, reason by reason, as ftrace saw it",
              end is not None and end[0] == tot and end[1] == got, f"report {got} trace {end}")
        check(f"{what}: names kvmexitgen's VM (pid {gen['pid']})", h["pid"] == gen["pid"], str(h))
        continue
    printed[v] = printed.get(v, 0) + 1
    what = f"vCPU {v} report at total={tot}"
    check(f"{what}: names kvmexitgen's VM (pid {gen['pid']})", h["pid"] == gen["pid"], str(h))
    check(f"{what}: due (a multiple of {every})", tot % every == 0 and tot > 0)
    check(f"{what}: the reasons sum to the total", sum(counts.values()) == tot, str(counts))
    check(f"{what}: {tot // every - printed[v]} earlier reports skipped, as the header says",
          h["skipped"] == tot // every - printed[v], str(h))
    want = prefix.get((tid_of.get(v), tot))
    got = {names.get(c, c if c == "unknown" else hex(c)): n for c, n in counts.items()}
    check(f"{what}: each reason's count equals ftrace's at that exit", want == got, f"report {got} trace {want}")

# every due report is accounted for: printed, or counted as skipped in the
# vCPU's final report, which it prints when any were skipped
for v, tid in tid_of.items():
    due = ended.get(tid, (0, {}))[0] // every
    n = printed.get(v, 0)
    if n == due:
        check(f"vCPU {v}: all {due} due reports printed, so no final report", v not in finals)
    else:
        f = finals.get(v)
        check(f"vCPU {v}: {due} due reports = {n} printed + {due - n} skipped, as its final report says",
              f is not None and f["skipped"] == due - n, str(f))

# kvmexitstat report reads the same series back: one per vCPU, last block
klog = "\n".join(l for l in sec["klog"].splitlines() if "CMPE283" in l) + "\n"
out = subprocess.run([kvmexitstat, "report", "-o", "json", "-"], input=klog, capture_output=True, text=True)
check("kvmexitstat report reads the kernel log", out.returncode == 0, out.stderr)
if out.returncode == 0:
    series = {s["vcpu"]: s for s in json.loads(out.stdout)["kernel_log"]}
    check("kvmexitstat report: one series per vCPU that reported", sorted(series) == sorted(blocks),
          f"{sorted(series)} vs {sorted(blocks)}")
    for h, counts in reports:
        s = series.get(h["vcpu"])
        if s is None or s["reports"][-1]["total"] != h["total"]:
            continue  # not the vCPU's last report
        check(f"kvmexitstat report: vCPU {h['vcpu']}'s last report, reason by reason",
              {r["code"]: r["count"] for r in s["last"]} == counts and s["pid"] == h["pid"]
              and len(s["reports"]) == blocks[h["vcpu"]] and s["final"] == h["final"], f"{s} vs {counts}")
sys.exit(1 if fails else 0)
