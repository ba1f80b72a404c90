#!/usr/bin/env bash
# How long kvmexitstat takes to exit after Ctrl-C (SIGINT) following a
# 41,000-exit run, with each kind of BPF program, in a testbed (guest time
# from /proc/uptime, 10 ms steps; TESTBED_ISA=vmx for Bochs, whose clock
# follows its instruction count). Prints each round and the classic
# programs' median against tp_btf's, measured in the same boot.
#   O=build bench/stop_time.sh        (make bench-live runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
ROUNDS=${ROUNDS:-5}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
up() { cut -d' ' -f1 /proc/uptime | tr -d .; }
for r in \$(seq $ROUNDS); do
	for kind in classic btf; do
		kvmexitstat --bpf \$kind >/dev/null 2>/tmp/err & P=\$!
		sleep 2
		kvmexitgen --timeout 120 --cpuid 41000 >/dev/null
		t0=\$(up); kill -INT \$P; wait \$P; t1=\$(up)
		echo "stop \$kind \$(( (t1 - t0) * 10 ))"
	done
done
GUEST
O=$O tests/vm/testbed.sh run "$script" 900 | python3 -c '
import statistics, sys
ms = {}
for line in sys.stdin:
    w = line.split()
    if len(w) == 3 and w[0] == "stop":
        ms.setdefault(w[1], []).append(int(w[2]))
        print(f"round: {w[1]:8} {w[2]:>6} ms")
c, b = statistics.median(ms["classic"]), statistics.median(ms["btf"])
print(f"median stop: classic {c:.0f} ms, tp_btf {b:.0f} ms, classic / tp_btf {c / max(b, 10):.1f}")
'
