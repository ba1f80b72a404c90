#!/usr/bin/env bash
# kvmexitstat serve on this host's KVM (the stats source): a real Prometheus
# server (Debian's package, started here on loopback) scrapes it, and its
# HTTP API must return each held kvmexitgen VM's exits exactly as its vCPU
# counted them; promtool accepts the exposition; only GET of /metrics is
# served; bad options and a busy port get a message.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
for t in prometheus promtool curl; do
	command -v $t >/dev/null || { echo "not ok - $t is not installed (tests/deps.sh)"; exit 1; }
done
run "serve --listen without a port" 2 "$KVMEXITSTAT" serve --listen 127.0.0.1
expect_in "serve --listen without a port: says what it wants" "$TMP/err" "expected ADDR:PORT"
run "serve --listen with a name, not an address" 2 "$KVMEXITSTAT" serve --listen localhost:9
expect_in "serve --listen with a name: says so" "$TMP/err" "not a host name"
run "serve -o (not for metrics)" 2 "$KVMEXITSTAT" serve -o csv
run "live --listen (serve only)" 2 "$KVMEXITSTAT" --listen :9 1 1
if [ ! -c /dev/kvm ]; then
	echo "ok - serve with VMs # SKIP no /dev/kvm on this machine"
	exit 0
fi
port() { # a free loopback port
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
P1=$(port)
"$KVMEXITSTAT" serve --listen "127.0.0.1:$P1" 0.5 2>"$TMP/serve.err" &
S=$!
hold() { # NAME ARGS: kvmexitgen --hold until it holds its VM
	local out=$TMP/$1.json
	shift
	"$GEN" --hold --json "$@" >"$out" 2>"$out.err" &
	HELD="$HELD $!"
	for _ in $(seq 100); do grep -q "holding the VM open" "$out.err" 2>/dev/null && break; sleep 0.1; done
}
HELD=
hold a --cpuid 40000 --io-out 1000
hold b --cpuid 25000
sleep 1
run "busy port" 1 "$KVMEXITSTAT" serve --listen "127.0.0.1:$P1"
expect_in "busy port: says it cannot listen" "$TMP/err" "cannot listen on 127.0.0.1 port $P1"
curl -s "http://127.0.0.1:$P1/metrics" >"$TMP/metrics"
if promtool check metrics <"$TMP/metrics" >"$TMP/lint" 2>&1; then ok "promtool check metrics accepts the exposition"
else not_ok "promtool check metrics" "$(head -5 "$TMP/lint")"; fi
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
c=$(code "http://127.0.0.1:$P1/"); [ "$c" = 404 ] && ok "GET / is refused (404)" || not_ok "GET /: $c"
c=$(code -X POST -d x "http://127.0.0.1:$P1/metrics"); [ "$c" = 405 ] && ok "POST /metrics is refused (405)" || not_ok "POST: $c"
c=$(code -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$P1/metrics")
case $c in 4*) ok "an oversized request is refused ($c)" ;; *) not_ok "oversized request: $c" ;; esac
c=$(code "http://127.0.0.1:$P1/metrics"); [ "$c" = 200 ] && ok "still serving /metrics after them" || not_ok "after: $c"

# a real Prometheus scrapes it
P2=$(port)
cat >"$TMP/prom.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs: [{job_name: kvmexitstat, static_configs: [{targets: ["127.0.0.1:$P1"]}]}]
YML
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$P2" \
	>"$TMP/prom.log" 2>&1 &
PR=$!
q() { curl -s "http://127.0.0.1:$P2/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 60); do
	q 'count(kvm_exits_total)' | grep -q '"value":\[[0-9.]*,"[1-9]' && break
	sleep 0.5
done
sleep 1.5
q 'kvm_exits_total' >"$TMP/q.json"
q 'up{job="kvmexitstat"}' >"$TMP/up.json"
# a VM that restarts is a new series (new pid and vm_start): none goes down
kill -TERM ${HELD%% *} 2>/dev/null
hold a2 --cpuid 5000
sleep 3
q 'sum(resets(kvm_exits_total[1m]))' >"$TMP/resets.json"
TAP_START=$_n python3 - "$TMP" >"$TMP/check" <<'PY'
import json, os, sys
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
d = sys.argv[1]
def result(f):
    try:
        return json.load(open(f"{d}/{f}"))["data"]["result"]
    except (ValueError, KeyError):
        return None
up = result("up.json")
check("Prometheus scrapes kvmexitstat (up == 1)", up and up[0]["value"][1] == "1", str(up))
res = result("q.json") or []
got = {int(r["metric"]["pid"]): (r["metric"], int(r["value"][1])) for r in res}
for k in "ab":
    g = json.load(open(f"{d}/{k}.json"))
    want = g["vcpu"][0]["stats"]["exits"]
    m, v = got.get(g["pid"], ({}, None))
    check(f"kvm_exits_total of VM {k} (pid {g['pid']}) from Prometheus's API equals its vCPU's exits ({want})",
          v == want, f"got {v}: {res}")
    check(f"VM {k}'s series is named and tells its run apart", m.get("vm") == "kvmexitgen" and
          m.get("vm_start", "0") != "0" and m.get("isa") == "kvm" and m.get("reason") == "all", str(m))
r = result("resets.json")
check("no kvm_exits_total series ever went down, a VM restarted meanwhile", r is not None and
      all(float(x["value"][1]) == 0 for x in r), str(r))
done()
PY
cat "$TMP/check"
_n=$((_n + $(grep -c '^\(not \)\?ok' "$TMP/check")))
kill $PR; wait $PR 2>/dev/null
# shellcheck disable=SC2086
kill -TERM $HELD 2>/dev/null; wait $HELD 2>/dev/null
kill -INT $S; wait $S
st=$?
[ $st = 0 ] && ok "serve stops on SIGINT (exit 0)" || not_ok "serve exit $st" "$(cat "$TMP/serve.err")"
expect_in "serve says where it listens" "$TMP/serve.err" "at http://127.0.0.1:$P1/metrics"
# loopback by default
"$KVMEXITSTAT" serve 2>"$TMP/d.err" &
S=$!
sleep 1
if ss -ltn | grep -q '127.0.0.1:9541 '; then ok "serve listens on loopback (127.0.0.1:9541) by default"
else not_ok "serve's default listen address" "$(ss -ltn | grep 9541) $(cat "$TMP/d.err")"; fi
kill -INT $S; wait $S
exit 0
