#!/usr/bin/env bash
# Names are data, never markup: VMs whose names hold quotes, backslash,
# newline (a forged row), ESC (terminal colours), bytes that are not UTF-8,
# 200 bytes of multi-byte characters and XML, and one whose process name
# holds ESC and BEL, go through every output (table, CSV, JSON, the record
# store and its report, the SVG plot, serve's exposition, top), and each
# output is validated as its readers would (strict UTF-8 and JSON, Python's
# csv, an XML parser, promtool, the terminal's screen).
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
if [ ! -c /dev/kvm ]; then
	echo "ok - hostile VM names # SKIP no /dev/kvm on this machine"
	exit 0
fi
for t in promtool curl tmux sqlite3; do
	command -v $t >/dev/null || { echo "not ok - $t is not installed (tests/deps.sh)"; exit 1; }
done
N1='q"uo'"'"'te\back\slash'
N2=$'evil\n18:00:00  forged/1 0 exits kvm 99999'
N3=$'\e[31mred\e[0m\a'
N4=$'bad\xff\xfeutf8\xc3'
N5=$(printf 'é%.0s' $(seq 100))
N6='</text><script>x&y</script>'
COMM=$'g,\e]0;t\a'
cp "$GEN" "$TMP/$COMM"
HELD=
hold_all() {
	local i=0
	for n in "$N1" "$N2" "$N3" "$N4" "$N5" "$N6"; do
		i=$((i + 1))
		"$GEN" -name "$n" --hold --io-out $((100 * i)) >/dev/null 2>"$TMP/h$i.err" &
		HELD="$HELD $!"
	done
	"$TMP/$COMM" --hold --io-out 700 >/dev/null 2>"$TMP/h7.err" &
	HELD="$HELD $!"
	for i in 1 2 3 4 5 6 7; do
		for _ in $(seq 100); do grep -q "holding the VM open" "$TMP/h$i.err" 2>/dev/null && break; sleep 0.05; done
	done
}
release() { kill $HELD 2>/dev/null; wait $HELD 2>/dev/null; HELD=; }
trap 'kill $HELD 2>/dev/null; tmux kill-session -t names-$$ 2>/dev/null; rm -rf "$TMP"' EXIT

# live (JSON, CSV, table) and record, each started before the VMs
"$KVMEXITSTAT" --source stats --by vm -o json >"$TMP/live.json" 2>/dev/null &
W1=$!
"$KVMEXITSTAT" --source stats --by vm -o csv >"$TMP/live.csv" 2>/dev/null &
W2=$!
"$KVMEXITSTAT" --source stats --by vm >"$TMP/live.txt" 2>/dev/null &
W3=$!
"$KVMEXITSTAT" record --source stats -o "$TMP/rec.db" 0.2 >/dev/null 2>"$TMP/rec.err" &
W4=$!
sleep 0.5
hold_all
sleep 0.6
kill -INT $W1 $W2 $W3 $W4
wait $W1 $W2 $W3 $W4
"$KVMEXITSTAT" report -o json --by vm "$TMP/rec.db" >"$TMP/report.json" 2>"$TMP/report.err"
pid3=$(echo $HELD | cut -d' ' -f3)
pid6=$(echo $HELD | cut -d' ' -f6)
"$KVMEXITSTAT" plot -p "$pid6" "$TMP/rec.db" -o "$TMP/p6.svg" 2>"$TMP/plot.err"
"$KVMEXITSTAT" plot -p "$pid3" "$TMP/rec.db" -o "$TMP/p3.svg" 2>>"$TMP/plot.err"

# serve and top see the VMs held now
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$KVMEXITSTAT" serve --listen "127.0.0.1:$port" 0.2 2>"$TMP/serve.err" &
S=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/metrics" && grep -q 'vm="q' "$TMP/metrics" && break; sleep 0.1; done
kill -INT $S; wait $S
if promtool check metrics <"$TMP/metrics" >"$TMP/lint" 2>&1; then ok "serve: promtool accepts the exposition"
else not_ok "serve: promtool check metrics" "$(head -3 "$TMP/lint")"; fi
tmux new-session -d -s names-$$ -x 100 -y 24 "LANG=C.UTF-8 TERM=xterm $KVMEXITSTAT top 0.3 2>$TMP/top.err"
for _ in $(seq 50); do tmux capture-pane -p -t names-$$ >"$TMP/screen"; grep -q 'kvmexitgen\|q"uo' "$TMP/screen" && break; sleep 0.1; done
sleep 0.5
tmux capture-pane -p -t names-$$ >"$TMP/screen"
tmux send-keys -t names-$$ q
release

TAP_START=$_n python3 - "$TMP" "$N1" "$N5" "$N6" <<'PY' >"$TMP/check"
import csv, io, json, re, sys, unicodedata, xml.etree.ElementTree as ET
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d, n1, n5, n6 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def text(name):
    raw = open(f"{d}/{name}", "rb").read()
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return None
def printable(s):
    return not any(unicodedata.category(c) == "Cc" for c in s)
want = {n1, "evil\\x0a18:00:00  forged/1 0 exits kvm 99999",
        "\\x1b[31mred\\x1b[0m\\x07", "bad\\xff\\xfeutf8", "é" * 31, n6, "g,\\x1b]0;t\\x07"}
def check_names(what, names):
    names = set(names)
    check(f"{what}: every VM name is printable text", all(printable(n) for n in names), repr(names))
    check(f"{what}: the names, escaped and cut on a character boundary", want <= names,
          repr(sorted(want - names)) + " not in " + repr(sorted(names)))
# JSON: strict UTF-8, strict JSON
t = text("live.json")
check("JSON: valid UTF-8", t is not None)
objs = [json.loads(l) for l in (t or "").splitlines() if l.strip()]
check("JSON: every line parses", len(objs) >= 1)
check_names("JSON", [r["vm"] for o in objs for r in o["rows"] if "vm" in r and r.get("pid")])
# CSV: Python's reader, no forged row
t = text("live.csv")
check("CSV: valid UTF-8", t is not None)
rows = list(csv.reader(io.StringIO(t or "")))
hdr = rows[0] if rows else []
check("CSV: every row has the header's fields", rows and all(len(r) == len(hdr) for r in rows), repr(rows[:3]))
check("CSV: no forged row (every time is a time or total)",
      all(r[0] == "total" or re.fullmatch(r"\d\d:\d\d:\d\d", r[0]) for r in rows[1:]), repr([r[0] for r in rows[1:]]))
vm = hdr.index("vm") if "vm" in hdr else 1
check_names("CSV", [r[vm] for r in rows[1:] if r[vm] not in ("all",)])
# table: no control character, no forged line
t = text("live.txt")
check("table: valid UTF-8", t is not None)
lines = (t or "").splitlines()
check("table: no control character (ESC, BEL, ...)", all(printable(l) for l in lines), repr([l for l in lines if not printable(l)][:2]))
check("table: every line is a report line, a header or blank",
      all(not l or l.startswith(("#", "Total")) or re.match(r"\d\d:\d\d:\d\d  ", l) for l in lines) and
      not any(l.startswith("18:00:00  forged") for l in lines), repr(lines[:4]))
# the record store, read back
t = text("report.json")
check("record, report -o json: valid UTF-8 and JSON", t is not None and json.loads(t) is not None)
rep = json.loads(t) if t else {}
check_names("record store", [r["vm"] for r in rep.get("rows", []) if r.get("vm")])
# SVG: an XML parser reads it, the names as text
for f, name in (("p6.svg", n6), ("p3.svg", "\\x1b[31mred\\x1b[0m\\x07")):
    try:
        root = ET.parse(f"{d}/{f}").getroot()
        alltext = "".join(root.itertext())
        check(f"plot {f}: parses as XML, the VM's name in it as text", name in alltext, alltext[:200])
    except ET.ParseError as e:
        check(f"plot {f}: parses as XML", False, str(e))
# Prometheus: the names as label values
t = text("metrics")
check("serve: valid UTF-8", t is not None)
labels = set(re.findall(r'vm="((?:[^"\\]|\\.)*)"', t or ""))
unesc = {re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), l) for l in labels}
check_names("serve", unesc)
# top: the screen shows the escapes, nothing the terminal took as a command
t = text("screen")
check("top: the screen shows the escaped names (no colour, no title set)",
      t is not None and "\\x1b[31mred" in t and "q\"uo'te\\back" in t, (t or "")[:600])
check("top: no forged line on the screen", t is not None and "forged/1" not in t.split("evil\\x0a")[0], "")
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
# the charts of VMs with those names, as a person would see them
TAP_START=$_n python3 tests/cli/svg_check.py names "$TMP/p6.svg" "$TMP/p3.svg" >"$TMP/svgcheck"
cat "$TMP/svgcheck"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/svgcheck")))
# of KVM's counters, the chart draws those that count exits, not the
# others (fpu_reload, host_state_reload: work KVM did)
series=$(grep -o 'class="series" data-name="[^"]*"' "$TMP/p6.svg" | sed 's/.*data-name="\([^" ]*\).*/\1/' | tr '\n' ' ')
if [ -n "$series" ] && ! echo " $series" | grep -qvE '^( (exits|insn_emulation|hypercalls|pf_taken|[a-z_]+_exits))+ $'
then ok "plot of KVM's counters: the counters of exits only ($series)"
else not_ok "plot of KVM's counters: the counters of exits only" "$series"; fi
