#!/usr/bin/env bash
# A VM is its process, not its pid, with the tracepoint source too (both
# program kinds): VM "alpha" ends and VM "beta" starts with its pid (forced
# with ns_last_pid). kvmexitstat keeps them apart, each named and with
# exactly its own exits (as KVM counted them in each vCPU), and -n alpha,
# decided in the kernel by process, never counts beta.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<'GUEST'
cp /usr/bin/kvmexitgen /tmp/alpha
cp /usr/bin/kvmexitgen /tmp/beta
MIX="--cpuid 300 --io-out 40 --msr-read 12 --vmcall 11 --hlt 7"
for kind in btf classic; do
	for filter in all alpha; do
		case=${kind}_$filter
		args="--bpf $kind"
		[ $filter = alpha ] && args="$args -n alpha"
		kvmexitstat $args --by vm -o json >/tmp/$case.json 2>/tmp/$case.err &
		L=$!
		sleep 2
		/tmp/alpha --timeout 60 --json --vcpus 2 $MIX >/tmp/a.json
		A=$(sed 's/^{"pid":\([0-9]*\).*/\1/' /tmp/a.json)
		# beta with alpha's pid: the next fork takes ns_last_pid + 1
		for try in $(seq 50); do
			echo $((A - 1)) >/proc/sys/kernel/ns_last_pid
			/tmp/beta --timeout 60 --json --vcpus 2 --cpuid 500 --io-in 20 >/tmp/b.json &
			B=$!
			wait $B
			[ $B = $A ] && break
		done
		sleep 1.5
		kill -INT $L; wait $L
		echo "== $case"
		echo "RESULT pids $A $B"
		echo "-- a"; cat /tmp/a.json
		echo "-- b"; cat /tmp/b.json
		echo "-- live"; cat /tmp/$case.json
		echo "-- err"; cat /tmp/$case.err
		echo "== end"
	done
done
GUEST
run_in_testbed "$script" 300 "$script.out"
TAP_PREFIX="pid reuse: " python3 - "$script.out" <<'PY'
import json, re, sys
text = open(sys.argv[1], errors="replace").read()
sys.path.insert(0, "tests/cli")
from tapcheck import check, done
for kind in ("btf", "classic"):
    for flt in ("all", "alpha"):
        case = f"{kind}_{flt}"
        m = re.search(rf"^== {case}\n(.*?)^== end", text, re.M | re.S)
        if not m:
            check(f"{case}: ran", False, "no output")
            continue
        body = m.group(1)
        part = lambda p: re.search(rf"^-- {p}\n(.*?)(?=^-- |\Z)", body, re.M | re.S).group(1)
        a, b = json.loads(part("a")), json.loads(part("b"))
        check(f"{case}: beta ran with alpha's pid ({a['pid']})", a["pid"] == b["pid"], f"{a['pid']} {b['pid']}")
        want = {n: sum(v["stats"]["exits"] for v in g["vcpu"]) for n, g in (("alpha", a), ("beta", b))}
        if flt == "alpha":
            want = {"alpha": want["alpha"]}
        ivs = [json.loads(l) for l in part("live").splitlines() if l.startswith("{")]
        tot = [iv for iv in ivs if iv["time"] == "total"]
        got = {}
        for r in (tot[0]["rows"] if tot else []):
            if r.get("pid") == a["pid"]:
                got[r["vm"]] = got.get(r["vm"], 0) + r["count"]
        check(f"{case}: each VM named and with exactly its exits ({want})", got == want, f"got {got}; {part('err')[-300:]}")
done()
PY
