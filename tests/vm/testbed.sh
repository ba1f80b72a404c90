#!/usr/bin/env bash
# The nested-SVM testbed: Debian's kernel under QEMU TCG with emulated AMD
# SVM, kvm-amd loaded, so that guests of that kernel make real hardware-style
# VM exits (kvm:kvm_exit fires), whatever KVM the host has.
#
#   tests/vm/testbed.sh build
#       build the initramfs: busybox, kvm/kvm-amd modules, static kvmexitgen,
#       kvmexitstat and the test helper deny (from $O/static)
#   tests/vm/testbed.sh run SCRIPT [TIMEOUT_S]
#       boot, run SCRIPT (sh) as root inside, print what it printed, exit
#       with its exit status. A guest that hangs fails after TIMEOUT_S
#       (default 120) with exit 124, one that panics with exit 3; both print
#       the end of the console log and where the whole log is.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
VMDIR=$O/vm
KVER=${KVER:-$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)}
KERNEL=/boot/vmlinuz-$KVER
SMP=${TESTBED_SMP:-2}
# TESTBED_QEMU_ARGS: more QEMU options (the cost benchmark adds -icount);
# TESTBED_EXTRA_CPIO: one more archive to append to the image (such as perf).
QEMU_ARGS=${TESTBED_QEMU_ARGS:-}
EXTRA_CPIO=${TESTBED_EXTRA_CPIO:-}

die() { echo "testbed: $*" >&2; exit 3; }

build() {
	[ -n "$KVER" ] && [ -r "$KERNEL" ] || die "no Debian kernel (linux-image-amd64) in /boot; run tests/deps.sh"
	[ -x /bin/busybox ] && /bin/busybox --list | grep -qx insmod || die "no busybox-static; run tests/deps.sh"
	local root=$VMDIR/root mods=/lib/modules/$KVER/kernel
	rm -rf "$root"
	mkdir -p "$root"/{bin,usr/bin,lib/modules,proc,sys,dev,tmp}
	cp /bin/busybox "$root/bin/busybox"
	cp tests/vm/init "$root/init"
	chmod 755 "$root/init"
	for m in virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd; do
		local f=$mods/$m.ko
		[ -r "$f" ] || die "missing module $f"
		# strip debug info: the modules load faster and the image stays small
		strip --strip-debug -o "$root/lib/modules/$(basename "$f")" "$f"
	done
	for b in kvmexitgen kvmexitstat helpers/deny; do
		[ -x "$O/static/$b" ] || die "missing $O/static/$b (make static)"
		cp "$O/static/$b" "$root/usr/bin/$(basename "$b")"
	done
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$VMDIR/base.cpio"
	echo "$KVER" >"$VMDIR/kernel-version"
}

run() {
	local script=$1 timeout=${2:-120}
	[ -r "$script" ] || die "no such script: $script"
	[ -r "$VMDIR/base.cpio" ] || die "no image: run '$0 build' first"
	local name work
	name=$(basename "$script" .sh)
	work=$(mktemp -d "$VMDIR/run-$name.XXXXXX")
	# the script rides in a second cpio archive appended to the image
	mkdir -p "$work/root"
	cp "$script" "$work/root/test.sh"
	(cd "$work/root" && echo test.sh | cpio -o -H newc --quiet) >"$work/test.cpio"
	cat "$VMDIR/base.cpio" $EXTRA_CPIO "$work/test.cpio" >"$work/initrd.cpio"
	local log=$work/console.log rc=0
	# shellcheck disable=SC2086 # QEMU_ARGS is a list of options
	timeout -k 5 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp "$SMP" $QEMU_ARGS \
		-nodefaults -no-user-config -display none -serial "file:$log" -no-reboot \
		-kernel "$KERNEL" -initrd "$work/initrd.cpio" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1" </dev/null >"$work/qemu.out" 2>&1 || rc=$?
	tr -d '\r' <"$log" >"$log.txt"
	if grep -q '^KVMEXITSTAT-TESTBED-END rc=' "$log.txt"; then
		sed -n '/^KVMEXITSTAT-TESTBED-BEGIN$/,/^KVMEXITSTAT-TESTBED-END rc=/p' "$log.txt" | sed '1d;$d'
		local status
		status=$(sed -n 's/^KVMEXITSTAT-TESTBED-END rc=\([0-9]*\)$/\1/p' "$log.txt" | tail -1)
		rm -rf "$work"
		return "$status"
	fi
	if grep -q 'Kernel panic' "$log.txt"; then
		echo "testbed: the guest kernel panicked: $(grep -m1 'Kernel panic' "$log.txt")" >&2
		rc=3
	elif [ "$rc" -eq 124 ]; then
		echo "testbed: the guest did not finish within ${timeout} s" >&2
	else
		echo "testbed: the guest stopped without a result (qemu exit $rc: $(head -c 300 "$work/qemu.out"))" >&2
		rc=3
	fi
	echo "testbed: last console lines (whole log: $log.txt):" >&2
	tail -n 25 "$log.txt" | sed 's/^/  | /' >&2
	return "$rc"
}

case "${1:-}" in
build) build ;;
run) shift; run "$@" ;;
*) echo "usage: $0 build | run SCRIPT [TIMEOUT_S]" >&2; exit 2 ;;
esac
