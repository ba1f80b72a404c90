#!/usr/bin/env bash
# The main job: live VM exit statistics, 5 one-second reports then totals.
# With kvmexitgen as the workload when no other VM runs. On a host whose
# KVM never fires kvm:kvm_exit (no VMX/SVM, such as PVM), inside the
# nested-SVM testbed, where exits are real.
#
# GUEST=linux (make run GUEST=linux): the workload is a Linux guest
# instead (tests/vm/l2guest.sh: Debian's kernel boots to a tiny init,
# idles 10 s and powers off), with a report every 2 s until it is off.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
GUEST=${GUEST:-kvmexitgen}
case $GUEST in
kvmexitgen | linux) ;;
*) echo "run-live: GUEST is kvmexitgen (the default) or linux, not '$GUEST'" >&2; exit 2 ;;
esac
# the Linux guest's run: kvmexitstat (its programs attached within 2 s)
# until the guest is off, then totals
LINUX_RUN='kvmexitstat --latency 2 & K=$!; sleep 2; $BOOT 10 >/dev/null 2>&1; kill -INT $K; wait $K'
WORKLOAD='while :; do kvmexitgen --vcpus 2 --cpuid 3000 --io-out 300 --io-in 200 --mmio-read 100 --mmio-write 50 --hlt 50 --msr-read 40 --msr-write 30 --vmcall 60 >/dev/null || break; done'

if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -c /dev/kvm ]; then
	export PATH=$PWD/$O:$PATH
	if [ "$GUEST" = linux ]; then
		tests/vm/l2guest.sh build >/dev/null
		echo "run-live: a Linux guest boots, idles 10 s and powers off"
		export L2_QEMU=qemu-system-x86_64 L2_SHARE=/usr/share/qemu L2_INITRD=$O/vm/l2/initrd
		export L2_KERNEL=/boot/vmlinuz-$(. scripts/kernels.bash; kernel_version 6.1)
		BOOT=$O/vm/l2/boot sh -c "$LINUX_RUN"
		exit
	fi
	status=0
	pid=
	if ! ls -l /proc/[0-9]*/fd 2>/dev/null | grep 'anon_inode:kvm-vm' >/dev/null; then
		echo "run-live: no VM running here: kvmexitgen is the workload"
		sh -c "$WORKLOAD" &
		pid=$!
	fi
	kvmexitstat --latency 1 5 || status=$?
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	exit $status
fi

echo "run-live: this host's KVM runs guests without VMX/SVM (PVM?), so kvm:kvm_exit never fires here;"
echo "run-live: showing live statistics inside the nested-SVM testbed (QEMU TCG with emulated SVM),"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
if [ "$GUEST" = linux ]; then
	echo "run-live: with a Linux guest as the workload: it boots, idles 10 s and powers off"
	tests/vm/l2guest.sh build >/dev/null
	echo "BOOT=/opt/l2/boot; $LINUX_RUN" >"$script"
	# (one testbed CPU: with two the guest now and then froze; docs/testbeds.md)
	O=$O TESTBED_SMP=1 TESTBED_EXTRA_CPIO=$O/vm/l2guest.cpio TESTBED_QEMU_ARGS="-m 2G" tests/vm/testbed.sh run "$script" 180
	exit
fi
echo "run-live: with kvmexitgen as the workload"
cat >"$script" <<GUEST
sh -c '$WORKLOAD' &
kvmexitstat --latency 1 5
GUEST
O=$O tests/vm/testbed.sh run "$script" 120
