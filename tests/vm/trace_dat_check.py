#!/usr/bin/env python3
"""Check kvmexitstat's reading of the trace-cmd data files a testbed run
recorded (tests/vm/test_trace_dat.sh) against the kernel's hist triggers
of the same run. Prints TAP lines; exits 1 on any failure.

Usage: trace_dat_check.py KVMEXITSTAT WORKDIR [FULL] < output-of-the-guest-script
(FULL 0: the v7_two_vcpus case alone)
Per case, between '== case NAME ==' and '== end NAME ==': '-- exit_hist'
(kvm_exit keyed by common_pid, vcpu_id, exit_reason), '-- entry_hist' and
'-- dat', the file gzipped in base64."""
import base64
import binascii
import gzip
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hist import parse_hists, sections  # noqa: E402

exe, work = sys.argv[1], sys.argv[2]
all_cases = len(sys.argv) < 4 or sys.argv[3] != "0"
text = sys.stdin.read()
failed = 0


def check(cond, what, detail=""):
    global failed
    print(("ok" if cond else "not ok") + f" - {what}")
    if not cond:
        failed += 1
        if detail:
            print("#   " + str(detail)[:2000].replace("\n", "\n#   "))
    return cond


def run(args, stdin=None, timeout=60):
    """(exit status, stdout, stderr); a signal is a negative status, a hang -999."""
    try:
        p = subprocess.run([exe, *args], stdin=stdin, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return -999, "", "timed out"


def by_key(js):
    """{(pid, vcpu, code): count} and the timed total of a -b vcpu JSON report."""
    counts, timed = {}, 0
    for r in js["rows"]:
        k = (r["pid"], r["vcpu"], r["code"])
        counts[k] = counts.get(k, 0) + r["count"]
        timed += r["timed"]
    return counts, timed


def case(name):
    try:
        sec = sections(text, name)
        data = gzip.decompress(base64.b64decode("".join(sec["dat"]), validate=True))
    except (IndexError, KeyError, ValueError, binascii.Error, OSError) as e:
        check(False, f"{name}: the testbed output has the case and its file", e)
        return None, None
    path = os.path.join(work, name + ".dat")
    with open(path, "wb") as f:
        f.write(data)
    hists = parse_hists(sec.get("exit_hist", []))
    return path, hists.get("common_pid,vcpu_id,exit_reason", {})


def report_json(path):
    st, out, err = run(["report", "-o", "json", "-b", "vcpu", path])
    try:
        return st, json.loads(out), err
    except ValueError:
        return st, None, err


# ---- exact against the hist trigger, and against the file's own text ----
full = {}
for name in ("v7_two_vcpus", "v6_one_vcpu") if all_cases else ("v7_two_vcpus",):
    path, hist = case(name)
    if path is None:
        continue
    st, js, err = report_json(path)
    if not check(st == 0 and js is not None, f"{name}: report reads the file (exit {st})", err):
        continue
    counts, timed = by_key(js)
    check(hist and counts == hist, f"{name}: per thread, vCPU and reason, the counts are the hist trigger's "
          f"({sum(hist.values())} exits)", f"report {sorted(counts.items())}\nhist   {sorted(hist.items())}")
    threads = {k[0] for k in hist}
    check(timed == sum(hist.values()) - len(threads) and js["timed"] == timed,
          f"{name}: every exit a kvm_entry followed has its handling time ({timed} of {js['exits']}, "
          f"{len(threads)} threads)")
    check(js["lost_events"] == 0 and js["unparsed"] == 0, f"{name}: nothing lost, nothing undecodable")
    tc = subprocess.run(["trace-cmd", "report", path], capture_output=True)
    p = subprocess.run([exe, "report", "-o", "json", "-b", "vcpu", "-"], input=tc.stdout, capture_output=True)
    try:
        tcounts, ttimed = by_key(json.loads(p.stdout))
    except ValueError:
        tcounts, ttimed = None, None
    check(tcounts == counts and ttimed == timed,
          f"{name}: the same as the file's text (trace-cmd report | kvmexitstat report -)",
          f"text {tcounts} timed {ttimed}")
    full[name] = (path, counts)

# ---- record --from-trace stores the file in intervals ----
if "v7_two_vcpus" in full:
    path, counts = full["v7_two_vcpus"]
    store = os.path.join(work, "store.db")
    st, _, err = run(["record", "--from-trace", path, "-o", store, "0.01"])
    st2, js, err2 = report_json(store)
    got = by_key(js)[0] if js else None
    check(st == 0 and st2 == 0 and got == counts, "record --from-trace FILE: the store holds the same counts",
          f"{err}{err2}{got}")

# ---- plot draws the file's intervals straight from it ----
if "v7_two_vcpus" in full:
    path, counts = full["v7_two_vcpus"]
    svg = os.path.join(work, "plot.svg")
    st, _, err = run(["plot", "-o", svg, path])
    try:
        import xml.etree.ElementTree as ET
        root = ET.parse(svg).getroot()
        lines = [e for e in root.iter() if e.tag.endswith("polyline") or e.tag.endswith("path")]
    except (OSError, ET.ParseError) as e:
        root, lines = None, str(e)
    check(st == 0 and root is not None and lines, "plot FILE: an SVG chart of the file's exits", f"exit {st}: {err} {lines}")

# ---- what a user may hand it ----
if not all_cases:
    sys.exit(1 if failed else 0)
path, hist = case("lost")
if path is not None:
    st, js, err = report_json(path)
    exits = js["exits"] if js else -1
    check(st == 3 and "dropped" in err and js is not None and js["lost_events"] > 0
          and exits < sum(hist.values()),
          f"a file the kernel dropped events from: said, exit 3 ({exits} of {sum(hist.values())} exits kept, "
          f"{js['lost_events'] if js else '?'} said lost)", f"exit {st}: {err}")
path, _ = case("no_kvm")
if path is not None:
    st, out, err = run(["report", path])
    check(st == 1 and "without the kvm_exit and kvm_entry events" in err and len(err.splitlines()) == 2,
          "a file without KVM's events: said, exit 1", f"exit {st}: {err}")
if "v6_one_vcpu" in full:
    path, counts = full["v6_one_vcpu"]
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "rb") as f:
        st, _, err = run(["report", "-"], stdin=f)
    check(st == 1 and "give its path" in err, "a trace-cmd data file on standard input: said", err)
    # truncated: at 24 places, and in the last 16 bytes
    bad = []
    cut_path = os.path.join(work, "cut.dat")
    cuts = sorted(set([len(data) * i // 24 for i in range(1, 24)] + list(range(len(data) - 16, len(data)))))
    for n in cuts:
        with open(cut_path, "wb") as f:
            f.write(data[:n])
        st, js, err = report_json(cut_path)
        if st == 0 and js is not None and by_key(js)[0] == counts:
            continue  # (nothing of the records was cut)
        if st in (1, 2) and err.startswith("kvmexitstat") and js is None:
            continue
        bad.append(f"cut at {n}: exit {st}, {err.strip()[:200]}")
    check(not bad, f"truncated copies ({len(cuts)}): a message and a failure, or all the counts", "\n".join(bad))
    # damaged: bytes changed at random, in the headers and in the records
    rng = random.Random(283)
    bad = []
    for i in range(24):
        d = bytearray(data)
        lo = 0 if i % 2 else len(d) * 9 // 10
        for _ in range(8):
            d[rng.randrange(lo, len(d))] = rng.randrange(256)
        with open(cut_path, "wb") as f:
            f.write(d)
        st, out, err = run(["report", cut_path], timeout=30)
        if st < 0 or st > 3:
            bad.append(f"copy {i}: exit {st} {err.strip()[:200]}")
    check(not bad, "damaged copies (24): no crash, no hang", "\n".join(bad))
sys.exit(1 if failed else 0)
