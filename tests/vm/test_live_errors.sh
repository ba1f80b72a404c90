#!/usr/bin/env bash
# The live collector's errors, in the testbed (where it could otherwise run):
# BPF refused, no tracefs, no KVM loaded (not root: tests/cli/live_host.sh). Each is one line
# that says why and what to do, and exit status 1.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat >"$script" <<'GUEST'
try() { # name, command...
	name=$1; shift
	"$@" >/tmp/out 2>/tmp/err
	echo "== $name rc=$? =="
	cat /tmp/err
}

try bpf_refused deny syscall 321 1 kvmexitstat 1 1
umount /sys/kernel/tracing
try no_tracefs kvmexitstat 1 1
mount -t tracefs nodev /sys/kernel/tracing
rmmod kvm_amd kvm
try no_kvm kvmexitstat 1 1
GUEST
run_in_testbed "$script" 120 "$script.out"
expect() { # name, status, text
	local block
	block=$(sed -n "/^== $1 rc=/,/^== /p" "$script.out")
	if grep -q "^== $1 rc=$2 ==" <<<"$block" && grep -qF -- "$3" <<<"$block"; then
		echo "ok - $1: exit $2, '$3'"
	else
		echo "not ok - $1: want exit $2 and '$3'"
		sed 's/^/#   /' <<<"$block"
	fi
}
expect bpf_refused 1 "loading BPF programs was refused (Operation not permitted)"
expect no_tracefs 1 "no tracefs: mount it (mount -t tracefs nodev /sys/kernel/tracing)"
expect no_kvm 1 "KVM is not loaded (no kvm module): modprobe kvm-intel or kvm-amd"
