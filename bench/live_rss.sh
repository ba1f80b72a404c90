#!/usr/bin/env bash
# Peak memory of a long live run: two kvmexitstat processes (--by reason,
# the default, and --by vcpu) report every 0.2 s for DURATION seconds in the
# testbed while kvmexitgen VMs come and go (each a new VM process: new keys,
# ended VMs retired); prints their peak RSS (VmHWM) every 10 s.
#   bench/live_rss.sh           (part of make bench-live)   DURATION=120
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
DURATION=${DURATION:-120}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
echo 0 >/tmp/vms
sh -c 'n=0; while :; do kvmexitgen --vcpus 2 --cpuid 2000 --io-out 200 --hlt 20 --msr-read 20 >/dev/null || break; n=\$((n + 1)); echo \$n >/tmp/vms; done' &
W=\$!
kvmexitstat -o csv 0.2 >/dev/null 2>&1 &
P=\$!
kvmexitstat --by vcpu -o csv 0.2 >/dev/null 2>&1 &
Q=\$!
hwm() { awk '/VmHWM/ {print \$2}' /proc/\$1/status; }
echo "seconds  VMs-ended  peak-RSS-kB(--by reason)  peak-RSS-kB(--by vcpu)"
for t in \$(seq 10 10 $DURATION); do
	sleep 10
	printf '%7s  %9s  %24s  %22s\n' \$t \$(cat /tmp/vms) \$(hwm \$P) \$(hwm \$Q)
done
kill \$W
kill -TERM \$P \$Q; wait \$P \$Q
GUEST
make --no-print-directory -s static vm-image O="$O"
O=$O tests/vm/testbed.sh run "$script" $((DURATION + 120))
