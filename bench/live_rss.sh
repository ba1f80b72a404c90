#!/usr/bin/env bash
# Peak memory of a long live run: kvmexitstat reports every 0.2 s for
# DURATION seconds in the testbed while kvmexitgen VMs come and go (each a
# new VM process: new keys, ended VMs retired), and prints its peak RSS
# (VmHWM) after 10 s and at the end.
#   bench/live_rss.sh           (part of make bench-live)   DURATION=120
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
DURATION=${DURATION:-120}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
sh -c 'while :; do kvmexitgen --vcpus 2 --cpuid 2000 --io-out 200 --hlt 20 --msr-read 20 >/dev/null || break; done' &
W=\$!
kvmexitstat --by vcpu -o csv 0.2 >/dev/null 2>&1 &
P=\$!
sleep 10
echo "after 10 s: peak RSS \$(awk '/VmHWM/ {print \$2}' /proc/\$P/status) kB"
sleep $((DURATION - 10))
echo "after $DURATION s: peak RSS \$(awk '/VmHWM/ {print \$2}' /proc/\$P/status) kB, \$(grep -c . /proc/\$P/maps) mappings"
kill \$W
kill -TERM \$P; wait \$P
GUEST
make --no-print-directory -s static vm-image O="$O"
O=$O tests/vm/testbed.sh run "$script" $((DURATION + 120))
