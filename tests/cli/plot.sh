#!/usr/bin/env bash
# kvmexitstat plot: the SVG parses as XML and holds one series per top
# reason (the rest as "other"), each with a point per interval, from a
# record store and straight from a trace; a sliver of an interval (the
# leftover at Ctrl-C) is drawn with the one before, long names are cut to
# fit, series that coincide say so; every chart passes svg_check.py (the
# PNG, text inside the canvas, a style per series, no rate over a sliver);
# bad input gets a message.
. "$(dirname "$0")/tap.bash"
T=tests/data/traces/trace_mkrause_nested_esxi_cr0wp.txt
"$KVMEXITSTAT" record -o "$TMP/t.db" --from-trace "$T" 0.00002 2>/dev/null
run "plot a store" 0 "$KVMEXITSTAT" plot --top 3 --latency -o "$TMP/t.svg" "$TMP/t.db"
"$KVMEXITSTAT" report -o csv "$T" >"$TMP/report.csv"
run "plot a trace (stdout)" 0 "$KVMEXITSTAT" plot "$T"
cp "$TMP/out" "$TMP/trace.svg"
sqlite3 -separator ' ' "$TMP/t.db" 'SELECT start_ns, end_ns FROM intervals ORDER BY start_ns' >"$TMP/intervals"
TAP_START=$_n python3 - "$TMP" >"$TMP/check" <<'PY'
import csv, sys, xml.etree.ElementTree as ET
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d = sys.argv[1]
# a point per stored interval, and where intervals without exits were left
# out, points at 0 from the end of the first missing one to the next start
iv = [tuple(map(int, l.split())) for l in open(f"{d}/intervals")]
nint = len(iv)
for (s0, e0), (s1, e1) in zip(iv, iv[1:]):
    if s1 > e0 + (e1 - s1) // 100:
        nint += 1 + (e0 + (e1 - s1) < s1)
NS = "{http://www.w3.org/2000/svg}"
def series(path):
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(NS + "g"):
        if g.get("class") == "series":
            pts = [p for pl in g.iter(NS + "polyline") for p in pl.get("points").split()]
            xs = [float(p.split(",")[0]) for p in pts]
            out[g.get("data-name")] = (len(pts), xs == sorted(xs))
    return root, out
rows = sorted(csv.DictReader(open(f"{d}/report.csv")), key=lambda r: -int(r["count"]))
try:
    root, s = series(f"{d}/t.svg")
    check("the store's SVG parses as XML", True)
except ET.ParseError as e:
    check("the store's SVG parses as XML", False, str(e)); done()
want = [r["reason"] for r in rows[:3]] + [f"other ({len(rows) - 3})"]
rate = [k for k in s if "handling time" not in k]
check("one series per top reason, the rest as other, in order of count", rate == want, f"{rate} vs {want}")
check(f"a point per interval, gaps at 0 ({nint}), in each rate series, left to right",
      nint > 5 and all(s[k] == (nint, True) for k in rate), str(s))
check("a latency panel with p50 and p99", {"p50 handling time", "p99 handling time"} <= set(s), str(list(s)))
texts = " ".join(t.text or "" for t in root.iter(NS + "text"))
check("axes with units and a title", "exits per second" in texts and "(µs)" in texts and "VM exits per second" in texts,
      texts[:300])
try:
    _, s2 = series(f"{d}/trace.svg")
    pts = {k: v for k, v in s2.items() if "handling" not in k}
    check("a trace plotted directly: the same points in every series, more than the intervals with exits",
          pts and len({v for v in pts.values()}) == 1 and next(iter(pts.values()))[0] > 13, str(s2))
except ET.ParseError as e:
    check("a trace plotted directly parses", False, str(e))
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
# a store whose last interval is a sliver: 1 µs, a twentieth of the one before,
# with that interval's exits again (a rate 20 times as high if drawn)
cp "$TMP/t.db" "$TMP/sliver.db"
sqlite3 "$TMP/sliver.db" "INSERT INTO intervals(run, start_ns, end_ns) SELECT run, end_ns, end_ns + 1000 FROM intervals
	ORDER BY end_ns DESC LIMIT 1; INSERT INTO exits SELECT (SELECT max(id) FROM intervals), pid, vcpu, tid, isa, code,
	count, timed, time_ns, min_ns, max_ns, hist, start FROM exits WHERE interval = (SELECT max(id) - 1 FROM intervals)"
run "plot a store ending in a sliver" 0 "$KVMEXITSTAT" plot -o "$TMP/sliver.svg" "$TMP/sliver.db"
"$KVMEXITSTAT" plot -o "$TMP/nosliver.svg" "$TMP/t.db"
pts() { grep -o '<polyline points="[^"]*"' "$1" | head -1 | wc -w; }
if [ "$(pts "$TMP/sliver.svg")" = "$(pts "$TMP/nosliver.svg")" ] && grep -q '(+1 under a tenth of the one before, drawn with it)' "$TMP/sliver.svg"
then ok "the sliver is drawn with the interval before it, and the subtitle says so"
else not_ok "the sliver is drawn with the interval before it" "$(pts "$TMP/sliver.svg") vs $(pts "$TMP/nosliver.svg") points"; fi
# a VM name too long for the title, and two reasons with the same counts
# in every interval (as KVM's overlapping categories can be)
cp "$TMP/t.db" "$TMP/long.db"
long=$(printf 'a-VM-name-of-a-cloud-tenant-%.0s' 1 2 3 4)
pid=$(sqlite3 "$TMP/long.db" "SELECT pid FROM exits LIMIT 1")
sqlite3 "$TMP/long.db" "INSERT OR REPLACE INTO vms(run, pid, start, name) SELECT DISTINCT 1, pid, start, '$long' FROM exits
	WHERE pid = $pid; UPDATE runs SET host = 'a-host-with-a-long-name-$long', source = 'tracepoint (VMX)';
	INSERT INTO exits SELECT interval, pid, vcpu, tid, isa, 99999, count, timed, time_ns, min_ns, max_ns, hist, start
	FROM exits WHERE code = (SELECT code FROM exits GROUP BY code ORDER BY sum(count) DESC LIMIT 1)" 2>"$TMP/sql.err"
run "plot a VM of a long name on a host of a long name" 0 "$KVMEXITSTAT" plot -p "$pid" --top 8 -o "$TMP/long.svg" "$TMP/long.db"
if grep -q '(= ' "$TMP/long.svg" && grep -q '…</text>' "$TMP/long.svg"
then ok "a series equal to another says so in the legend; the long title is cut with an ellipsis"
else not_ok "coinciding series and long names" "$(grep -o 'class="title">[^<]*' "$TMP/long.svg") $(cat "$TMP/sql.err")"; fi
# every chart of this test, as a person would see it
TAP_START=$_n python3 tests/cli/svg_check.py plot "$TMP"/*.svg >"$TMP/svgcheck"
cat "$TMP/svgcheck"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/svgcheck")))
run "plot -p a VM that is not in the store" 1 "$KVMEXITSTAT" plot -p 4242 -o "$TMP/x.svg" "$TMP/t.db"
expect_in "plot -p absent VM: says so" "$TMP/err" "no exits of that VM"
run "plot a missing file" 1 "$KVMEXITSTAT" plot /nonexistent.db
expect_in "plot a missing file: names it" "$TMP/err" "/nonexistent.db: cannot open"
run "plot --top 0" 2 "$KVMEXITSTAT" plot --top 0 "$TMP/t.db"
run "plot a file without events" 1 "$KVMEXITSTAT" plot "$0"
run "plot to an unwritable path" 1 "$KVMEXITSTAT" plot -o /proc/nope.svg "$TMP/t.db"
expect_in "plot to an unwritable path: names it" "$TMP/err" "/proc/nope.svg"
