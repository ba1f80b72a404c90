#!/usr/bin/env bash
# A real Linux guest for the testbeds: Debian's QEMU (the binary, the
# libraries ldd lists, the loader, the microvm firmware) and an L2 guest
# (Debian's kernel, an initramfs whose init idles and powers off), in one
# cpio archive to append to a testbed image (TESTBED_EXTRA_CPIO).
#
#   tests/vm/l2guest.sh build     writes $O/vm/l2guest.cpio (and $O/vm/l2/:
#       the boot script and the initramfs alone)
#   tests/vm/l2guest.sh boots N [IDLE_S] [KVM_AMD_PARAMS]
#       boot the guest N times in the SVM testbed (each idling IDLE_S,
#       default 8) and say how many froze: a boot that does not reach the
#       end of its idle time within IDLE_S + 32 s (+ 40 with L2_LOG=1).
#       For each boot it prints its exits and how many came during an
#       event's delivery; for a frozen one the end of its console, its last
#       second's exits and tests/vm/l2diag.sh's diagnosis.
#       L2_LOG, L2_CPU, L2_APPEND: as for /opt/l2/boot (below); L2_KVM=patched:
#       the patched KVM (make kernel). TESTBED_SMP=1: one testbed CPU, with
#       which no boot froze (docs/testbeds.md).
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
	# one build at a time (runs in parallel share it); up to date: newer
	# than this script
	mkdir -p "$O/vm"
	exec 9>"$O/vm/l2guest.lock"
	flock 9
	if [ "$OUT" -nt tests/vm/l2guest.sh ] && [ "$O/vm/l2/initrd" -nt tests/vm/l2guest.sh ]; then
		exec 9>&-
		return
	fi
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
	# would add drown the kernel's own), serial console. L2_LOG=1: the
	# kernel's boot log on that console (not quiet); L2_CPU: -cpu (host);
	# L2_APPEND: more kernel parameters.
	quiet=quiet
	[ "${L2_LOG:-0}" = 1 ] && quiet=
	# (L2_QEMU, L2_SHARE, L2_KERNEL, L2_INITRD: where they are elsewhere)
	exec "${L2_QEMU:-/opt/l2/qemu}" -L "${L2_SHARE:-/opt/l2/share}" -accel kvm -M microvm,pit=off,pic=off,rtc=on \
		-cpu "${L2_CPU:-host}" -m 256M -smp 1 -nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-kernel "${L2_KERNEL:-/opt/l2/vmlinuz}" -initrd "${L2_INITRD:-/opt/l2/initrd}" \
		-append "console=ttyS0 panic=-1 $quiet pci=off nokaslr l2idle=${1:-0} ${L2_APPEND:-}"
	BOOT
	chmod +x "$root/opt/l2/boot"
	# the boot script and the initramfs also on their own, for a host with
	# VMX or SVM (scripts/run-live.sh)
	mkdir -p "$O/vm/l2"
	cp "$root/opt/l2/boot" "$root/opt/l2/initrd" "$O/vm/l2/"
	mkdir -p "$(dirname "$OUT")"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	exec 9>&-
	echo "l2guest: $OUT ($(du -h "$OUT" | cut -f1))"
}

boots() {
	local n=${1:?boots N}; local idle=${2:-8} params=${3:-} script
	build
	local tmo=$((idle + 32 + ${L2_LOG:-0} * 40)) # (the boot log: ~20 s more)
	script=$(mktemp)
	cat tests/vm/l2diag.sh >"$script"
	cat >>"$script" <<-GUEST
	[ -n "$params" ] && { rmmod kvm_amd && insmod /lib/modules/kvm-amd.ko $params || echo "kvm-amd $params: failed"; }
	export L2_LOG=${L2_LOG:-0} L2_CPU=${L2_CPU:-host} L2_APPEND="${L2_APPEND:-}"
	ok=0 froze=0
	# every exit in ftrace's buffer too: the exits that interrupted the
	# delivery of an event (exit_int_info valid, "intr_info 0x8...")
	TR=/sys/kernel/tracing
	echo 65536 >\$TR/buffer_size_kb; echo 1 >\$TR/events/kvm/kvm_exit/enable
	for i in \$(seq 1 $n); do
		echo >\$TR/trace
		kvmexitstat -o csv 1 >/tmp/live.csv 2>/dev/null & K=\$!
		timeout $tmo /opt/l2/boot $idle >/tmp/l2.out 2>&1
		kill -INT \$K; wait \$K
		during=\$(grep -c 'intr_info 0x8' \$TR/trace)
		echo "# boot \$i: \$(grep -c kvm_exit: \$TR/trace) exits, \$during during an event's delivery (\$(grep 'intr_info 0x8' \$TR/trace | sed 's/.* reason \\([^ ]*\\) .*intr_info \\(0x[0-9a-f]*\\).*/\\1:\\2/' | sort | uniq -c | tr -s ' \\n' ' '))"
		if grep -q 'idle done' /tmp/l2.out; then ok=\$((ok + 1)); continue; fi
		froze=\$((froze + 1))
		echo "# boot \$i froze; its console ends:"; tail -n 3 /tmp/l2.out | sed 's/^/#   /'
		last=\$(grep -v '^time,\\|^total,' /tmp/live.csv | tail -n 1 | cut -d, -f1)
		echo "# exits of its last second: \$(grep "^\$last," /tmp/live.csv | cut -d, -f9,11 | tr '\\n' ' ')"
		l2_frozen
	done
	echo "RESULT boots=$n idle=$idle params='$params' L2_LOG=\$L2_LOG L2_CPU=\$L2_CPU L2_APPEND='\$L2_APPEND' reached_the_end=\$ok froze=\$froze"
	GUEST
	# L2_KVM=patched: KVM's modules with the patch series (make kernel)
	local mods=
	[ "${L2_KVM:-stock}" = patched ] && mods=$O/kernel/patched/modules.cpio
	TESTBED_EXTRA_CPIO="$mods $OUT" TESTBED_QEMU_ARGS="-m 2G" tests/vm/testbed.sh run "$script" $((n * (tmo + 5) + 60))
	local rc=$?
	rm -f "$script"
	return $rc
}

case "${1:-}" in
build) build ;;
boots) shift; boots "$@" ;;
*) echo "usage: $0 build | boots N [IDLE_S] [KVM_AMD_PARAMS]" >&2; exit 2 ;;
esac
