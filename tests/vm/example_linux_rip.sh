#!/usr/bin/env bash
# The worked example of docs/rip.md: a Linux guest (tests/vm/l2guest.sh)
# boots, idles 10 s and powers off in the SVM testbed, under
#   kvmexitstat --detail=3 --rip=3 --guest-symbols /proc/kallsyms
# The guest runs the testbed's own kernel and both boot with nokaslr, so
# the testbed's /proc/kallsyms names the guest kernel's addresses. Prints
# the totals (not a test: make check does not run it).
#   O=build tests/vm/example_linux_rip.sh [KVMEXITSTAT OPTIONS]
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
opts=${*:---detail=3 --rip=3}
tests/vm/l2guest.sh build >/dev/null
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<GUEST
kvmexitstat $opts --guest-symbols /proc/kallsyms 3600 2>/tmp/k.err & K=\$!
for i in \$(seq 600); do grep -q '^kvmexitstat: counting' /tmp/k.err && break; sleep 0.1; done
/opt/l2/boot 10 >/dev/null 2>&1
kill -INT \$K; wait \$K
GUEST
# (one testbed CPU: with two the guest now and then froze; docs/testbeds.md)
O=$O TESTBED_SMP=1 TESTBED_EXTRA_CPIO=$O/vm/l2guest.cpio TESTBED_QEMU_ARGS="-m 2G" tests/vm/testbed.sh run "$script" 240
