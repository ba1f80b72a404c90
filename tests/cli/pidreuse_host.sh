#!/usr/bin/env bash
# A VM is its process, not its pid: VM "alpha" ends and VM "beta" starts
# with the same pid (forced with ns_last_pid). Live totals, -n, the record
# store and serve (scraped by a real Prometheus) must keep them apart:
# each with its own name and exactly its own exits, -n alpha never counting
# beta, and no Prometheus series going down or taking another's labels.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
if [ ! -c /dev/kvm ]; then
	echo "ok - pid reuse # SKIP no /dev/kvm on this machine"
	exit 0
fi
for t in prometheus curl; do
	command -v $t >/dev/null || { echo "not ok - $t is not installed (tests/deps.sh)"; exit 1; }
done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(port) P2=$(port)
cat >"$TMP/prom.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs: [{job_name: kvmexitstat, static_configs: [{targets: ["127.0.0.1:$P1"]}]}]
YML
PIDS=
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
"$KVMEXITSTAT" --source stats --by vm -o json 0.3 >"$TMP/live.json" 2>"$TMP/live.err" & PIDS="$PIDS $!"; W1=$!
"$KVMEXITSTAT" --source stats --by vm -o json -n alpha 0.3 >"$TMP/alpha.json" 2>"$TMP/alpha.err" & PIDS="$PIDS $!"; W2=$!
"$KVMEXITSTAT" record --source stats -o "$TMP/rec.db" 0.3 2>"$TMP/rec.err" & PIDS="$PIDS $!"; W3=$!
"$KVMEXITSTAT" serve --source stats --listen "127.0.0.1:$P1" 0.3 2>"$TMP/serve.err" & PIDS="$PIDS $!"; W4=$!
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$P2" \
	>"$TMP/prom.log" 2>&1 & PIDS="$PIDS $!"; PR=$!
q() { curl -s "http://127.0.0.1:$P2/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 60); do q 'up' | grep -q '"value":\[[0-9.]*,"1"' && break; sleep 0.5; done
held() { for _ in $(seq 100); do grep -q "holding the VM open" "$1" 2>/dev/null && return; sleep 0.05; done; }

"$GEN" -name alpha --hold --json --io-out 3000 >"$TMP/a.json" 2>"$TMP/a.err" &
A=$!
held "$TMP/a.err"
sleep 2.5 # a few readings and scrapes
kill -TERM $A; wait $A
# beta takes alpha's pid
python3 tests/helpers/as_pid.py $A "$GEN" -name beta --hold --json --io-out 1000 >"$TMP/b.json" 2>"$TMP/b.err" &
B=$!
held "$TMP/b.err"
bpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/b.json" 2>/dev/null)
[ "$bpid" = "$A" ] && ok "beta runs with alpha's pid ($A)" || not_ok "beta's pid is $bpid, not alpha's $A" "$(cat "$TMP/b.err")"
sleep 2.5
q 'kvm_exits_total' >"$TMP/series.json"
q 'last_over_time(kvm_exits_total[5m])' >"$TMP/last.json"
q 'sum(resets(kvm_exits_total[5m]))' >"$TMP/resets.json"
kill -INT $W1 $W2 $W3 $W4; wait $W1 $W2 $W3 $W4
kill -TERM $(pgrep -P $B) 2>/dev/null; wait $B
kill $PR; wait $PR 2>/dev/null
"$KVMEXITSTAT" report -o json --by vm "$TMP/rec.db" >"$TMP/report.json" 2>"$TMP/report.err"

TAP_START=$_n python3 - "$TMP" "$A" <<'PY' >"$TMP/check"
import json, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d, pid = sys.argv[1], int(sys.argv[2])
want = {n: json.load(open(f"{d}/{f}.json"))["vcpu"][0]["stats"]["exits"] for n, f in (("alpha", "a"), ("beta", "b"))}
def totals(path):
    ivs = [json.loads(l) for l in open(path) if l.startswith("{")]
    tot = [iv for iv in ivs if iv["time"] == "total"]
    out = {}
    for r in (tot[0]["rows"] if tot else []):
        if r.get("pid") == pid and r["reason"] == "exits":
            out[r["vm"]] = out.get(r["vm"], 0) + r["count"]
    return out
got = totals(f"{d}/live.json")
check(f"live: alpha and beta apart, each with exactly its exits ({want})", got == want, f"got {got}")
got = totals(f"{d}/alpha.json")
check(f"-n alpha: alpha's exits and none of beta's ({want['alpha']})", got == {"alpha": want["alpha"]}, f"got {got}")
rep = json.load(open(f"{d}/report.json"))
got = {}
for r in rep.get("rows", []):
    if r.get("pid") == pid and r["reason"] == "exits":
        got[r["vm"]] = got.get(r["vm"], 0) + r["count"]
check(f"record: the store keeps them apart ({got})", got == want, f"got {got}")
def result(f):
    try:
        return json.load(open(f"{d}/{f}"))["data"]["result"]
    except (ValueError, KeyError):
        return []
last = {(r["metric"].get("vm"), r["metric"].get("vm_start")): int(float(r["value"][1]))
        for r in result("last.json") if r["metric"].get("pid") == str(pid)}
names = sorted(n for n, _ in last)
check(f"serve: a series each, by name and start ({sorted(last)})", names == ["alpha", "beta"] and
      len({s for _, s in last}) == 2 and "0" not in {s for _, s in last}, str(last))
check("serve: the last value of each VM's series is its final count",
      {n: v for (n, _), v in last.items()} == want, f"{last} vs {want}")
r = result("resets.json")
check("serve: no series went down (resets() is 0)", r and all(float(x["value"][1]) == 0 for x in r), str(r))
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
