#!/usr/bin/env bash
# A real Linux guest for the testbeds: Debian's QEMU (the binary, the
# libraries ldd lists, the loader, the microvm firmware) and an L2 guest
# (Debian's kernel, an initramfs whose init idles and powers off), in one
# cpio archive to append to a testbed image (TESTBED_EXTRA_CPIO).
#
#   tests/vm/l2guest.sh build     writes $O/vm/l2guest.cpio
#   tests/vm/l2guest.sh boots N [IDLE_S] [KVM_AMD_PARAMS]
#       boot the guest N times in the SVM testbed (each idling IDLE_S,
#       default 8) and say how many froze: a boot that does not reach the
#       end of its idle time within 40 s. For each frozen boot it prints the
#       end of the L2 console and the exit reasons of its last second.
#
# Inside L1, /opt/l2/boot [IDLE_S] boots the guest under KVM and waits for
# it to power off; its console (the L2 kernel's serial port) is on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/kernels.bash
O=${O:-build}
KVER=${KVER:-$(kernel_version "${TESTBED_KERNEL:-6.1}")}
OUT=$O/vm/l2guest.cpio

build() {
	local root
	root=$(mktemp -d)
	trap 'rm -rf "$root"' RETURN
	mkdir -p "$root/opt/l2/share" "$root/opt/l2/init/bin"
	cp /usr/bin/qemu-system-x86_64 "$root/opt/l2/qemu"
	for f in $(ldd /usr/bin/qemu-system-x86_64 | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
	cp /usr/share/qemu/bios-microvm.bin /usr/share/qemu/linuxboot_dma.bin "$root/opt/l2/share/"
	cp "/boot/vmlinuz-$KVER" "$root/opt/l2/vmlinuz"
	# the L2 guest's init: idle for the time the kernel line says, then off
	cp /bin/busybox "$root/opt/l2/init/bin/busybox"
	cat >"$root/opt/l2/init/init" <<-'INIT'
	#!/bin/busybox sh
	/bin/busybox mkdir -p /proc
	/bin/busybox mount -t proc proc /proc
	idle=$(/bin/busybox sed -n 's/.*l2idle=\([0-9]*\).*/\1/p' /proc/cmdline)
	echo "L2: init reached"
	/bin/busybox sleep "${idle:-0}"
	echo "L2: idle done, powering off"
	/bin/busybox poweroff -f
	INIT
	chmod +x "$root/opt/l2/init/init"
	mkdir -p "$root/opt/l2/init/dev"
	mknod "$root/opt/l2/init/dev/console" c 5 1
	(cd "$root/opt/l2/init" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$root/opt/l2/initrd"
	rm -rf "$root/opt/l2/init"
	cat >"$root/opt/l2/boot" <<-'BOOT'
	#!/bin/sh
	# boot the L2 guest: microvm without PIT, PIC or PCI (the exits they
	# would add drown the kernel's own), the quiet kernel, serial console
	exec /opt/l2/qemu -L /opt/l2/share -accel kvm -M microvm,pit=off,pic=off,rtc=on -cpu host \
		-m 256M -smp 1 -nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-kernel /opt/l2/vmlinuz -initrd /opt/l2/initrd \
		-append "console=ttyS0 panic=-1 quiet pci=off l2idle=${1:-0}"
	BOOT
	chmod +x "$root/opt/l2/boot"
	mkdir -p "$(dirname "$OUT")"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	echo "l2guest: $OUT ($(du -h "$OUT" | cut -f1))"
}

boots() {
	local n=${1:?boots N}; local idle=${2:-8} params=${3:-} script
	[ -r "$OUT" ] || build
	script=$(mktemp)
	cat >"$script" <<-GUEST
	[ -n "$params" ] && { rmmod kvm_amd && insmod /lib/modules/kvm-amd.ko $params || echo "kvm-amd $params: failed"; }
	ok=0 froze=0
	for i in \$(seq 1 $n); do
		kvmexitstat -o csv 1 >/tmp/live.csv 2>/dev/null & K=\$!
		timeout 40 /opt/l2/boot $idle >/tmp/l2.out 2>&1
		kill -INT \$K; wait \$K
		if grep -q 'idle done' /tmp/l2.out; then ok=\$((ok + 1)); continue; fi
		froze=\$((froze + 1))
		echo "# boot \$i froze; its console ends:"; tail -n 3 /tmp/l2.out | sed 's/^/#   /'
		last=\$(grep -v '^time,\\|^total,' /tmp/live.csv | tail -n 1 | cut -d, -f1)
		echo "# exits of its last second: \$(grep "^\$last," /tmp/live.csv | cut -d, -f9,11 | tr '\\n' ' ')"
	done
	echo "RESULT boots=$n idle=$idle params='$params' reached_the_end=\$ok froze=\$froze"
	GUEST
	TESTBED_EXTRA_CPIO=$OUT TESTBED_QEMU_ARGS="-m 2G" tests/vm/testbed.sh run "$script" $((n * 45 + 60))
	local rc=$?
	rm -f "$script"
	return $rc
}

case "${1:-}" in
build) build ;;
boots) shift; boots "$@" ;;
*) echo "usage: $0 build | boots N [IDLE_S] [KVM_AMD_PARAMS]" >&2; exit 2 ;;
esac
