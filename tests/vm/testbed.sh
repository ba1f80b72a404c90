#!/usr/bin/env bash
# The nested-SVM testbed: Debian's kernel under QEMU TCG with emulated AMD
# SVM, kvm-amd loaded, so that guests of that kernel make real hardware-style
# VM exits (kvm:kvm_exit fires), whatever KVM the host has.
#
#   tests/vm/testbed.sh build
#       build the initramfs: busybox, kvm-amd and the modules it needs, static
#       kvmexitgen, kvmexitstat and the test helpers (from $O/static)
#   tests/vm/testbed.sh run SCRIPT [TIMEOUT_S]
#       boot, run SCRIPT (sh) as root inside, print what it printed, exit
#       with its exit status. A guest that hangs fails after TIMEOUT_S
#       (default 120) with exit 124, one that panics with exit 3; both print
#       the end of the console log and where the whole log is.
#
# TESTBED_KERNEL: the guest's kernel, 6.1 (the default) or 6.12, both
# Debian 12's (scripts/kernels.bash), or a version as in /lib/modules; each
# has an image of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/kernels.bash
O=${O:-build}
VMDIR=$O/vm
KVER=${KVER:-$(kernel_version "${TESTBED_KERNEL:-6.1}")}
KERNEL=/boot/vmlinuz-$KVER
# TESTBED_ISA: svm (the default: QEMU TCG emulates AMD SVM, kvm-amd) or vmx
# (Bochs emulates Intel VMX, kvm-intel; tests/vm/bochs)
ISA=${TESTBED_ISA:-svm}
case $ISA in
svm) KVM_MODULE=kvm-amd IMAGE=$VMDIR/$KVER/base.cpio ;;
vmx) KVM_MODULE=kvm-intel IMAGE=$VMDIR/$KVER/base-vmx.cpio ;;
*) echo "testbed: TESTBED_ISA is svm or vmx, not '$ISA'" >&2; exit 2 ;;
esac
SMP=${TESTBED_SMP:-2}
APPEND=${TESTBED_APPEND:-} # more kernel parameters
# TESTBED_QEMU_ARGS: more QEMU options (the cost benchmark adds -icount);
# TESTBED_EXTRA_CPIO: one more archive to append to the image (such as perf).
QEMU_ARGS=${TESTBED_QEMU_ARGS:-}
EXTRA_CPIO=${TESTBED_EXTRA_CPIO:-}

die() { echo "testbed: $*" >&2; exit 3; }

build() {
	[ -n "$KVER" ] && [ -r "$KERNEL" ] || die "no Debian ${TESTBED_KERNEL:-6.1} kernel in /boot; run tests/deps.sh"
	# (grep reads the whole list: with -q it could exit first, and busybox
	# killed by SIGPIPE would fail the pipeline under pipefail)
	[ -x /bin/busybox ] && /bin/busybox --list | grep -x insmod >/dev/null || die "no busybox-static; run tests/deps.sh"
	local root=$VMDIR/root-$KVER-$ISA
	rm -rf "$root"
	mkdir -p "$root"/{bin,usr/bin,lib/modules,proc,sys,dev,tmp}
	cp /bin/busybox "$root/bin/busybox"
	cp tests/vm/init "$root/init"
	chmod 755 "$root/init"
	# the ISA's KVM module and what it needs, in the order modprobe would load them
	# (uncompressed: the guest's busybox insmod reads plain .ko files)
	local deps
	deps=$(modprobe -S "$KVER" --show-depends $KVM_MODULE) || die "modprobe cannot resolve $KVM_MODULE for $KVER"
	: >"$root/lib/modules/load"
	while read -r how f _; do
		[ "$how" = insmod ] || continue
		local m
		m=$(basename "$f")
		m=${m%.xz}
		m=${m%.zst}
		case $f in
		*.xz) xz -dc "$f" >"$root/lib/modules/$m.tmp" ;;
		*.zst) zstd -qdc "$f" >"$root/lib/modules/$m.tmp" ;;
		*) cp "$f" "$root/lib/modules/$m.tmp" ;;
		esac
		# strip debug info: the modules load faster and the image stays small
		strip --strip-debug -o "$root/lib/modules/$m" "$root/lib/modules/$m.tmp"
		rm "$root/lib/modules/$m.tmp"
		echo "${m%.ko}" >>"$root/lib/modules/load"
	done <<<"$deps"
	grep -qx $KVM_MODULE "$root/lib/modules/load" || die "no $KVM_MODULE module for $KVER"
	for b in kvmexitgen kvmexitstat helpers/deny helpers/fifo helpers/bpfprogs helpers/pty helpers/holdvcpu; do
		[ -x "$O/static/$b" ] || die "missing $O/static/$b (make static)"
		cp "$O/static/$b" "$root/usr/bin/$(basename "$b")"
	done
	# top's terminal (tests drive it on a pseudo-terminal with helpers/pty)
	mkdir -p "$root/lib/terminfo/x"
	cp /lib/terminfo/x/xterm "$root/lib/terminfo/x/xterm"
	mkdir -p "$(dirname "$IMAGE")"
	# (written aside and moved in: a test may be reading the image meanwhile)
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$IMAGE.tmp"
	mv "$IMAGE.tmp" "$IMAGE"
	if [ "$ISA" = vmx ]; then
		# the kernel unpacked for its PVH entry, and the stub that enters it
		[ -r "$VMDIR/$KVER/kernel.pvh" ] && [ "$VMDIR/$KVER/kernel.pvh" -nt "$KERNEL" ] ||
			python3 tests/vm/bochs/pvh-image.py "$KERNEL" "$VMDIR/$KVER/kernel.pvh" >/dev/null
		gcc -m32 -ffreestanding -fno-pic -fno-stack-protector -nostdlib -static -O2 -Wall -Wextra -Werror \
			--param=min-pagesize=0 -T tests/vm/bochs/pvh-stub.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
			-o "$VMDIR/pvh-stub.tmp" tests/vm/bochs/pvh-stub.S tests/vm/bochs/pvh-stub.c
		mv "$VMDIR/pvh-stub.tmp" "$VMDIR/pvh-stub"
	fi
}

# The VMX testbed: Bochs (its CPU model with VMX, EPT and unrestricted
# guest) boots GRUB from a CD image made for the run, and GRUB the kernel
# through tests/vm/bochs/pvh-stub at its PVH entry (a bzImage's own
# decompressor would take ~90 s under Bochs); guest time follows the
# instruction count (clock: sync=none). Started in the background: $!.
start_bochs() {
	local work=$1 append=$2 iso=$1/iso
	mkdir -p "$iso/boot/grub"
	cp "$VMDIR/pvh-stub" "$iso/boot/pvh-stub"
	ln "$VMDIR/$KVER/kernel.pvh" "$iso/boot/kernel.pvh" 2>/dev/null || cp "$VMDIR/$KVER/kernel.pvh" "$iso/boot/kernel.pvh"
	mv "$work/initrd.cpio" "$iso/boot/initrd.cpio"
	cat >"$iso/boot/grub/grub.cfg" <<-CFG
	set timeout=0
	menuentry testbed {
		multiboot /boot/pvh-stub
		module /boot/kernel.pvh $append
		module /boot/initrd.cpio
		boot
	}
	CFG
	grub-mkrescue -o "$work/boot.iso" "$iso" >"$work/grub.out" 2>&1 || die "grub-mkrescue failed: $(tail -1 "$work/grub.out")"
	rm -rf "$iso"
	# Debian's Bochs has no display-less library: rfb that waits for no
	# viewer; its internal debugger is built in, so -rc says "continue"
	cat >"$work/bochsrc" <<-RC
	megs: 1024
	cpu: model=corei7_haswell_4770, count=$SMP, ips=100000000
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
	boot: cdrom
	display_library: rfb, options="timeout=0"
	com1: enabled=1, mode=file, dev=$work/console.log
	com2: enabled=1, mode=file, dev=$work/kernel.log
	clock: sync=none, time0=local
	log: $work/bochs.log
	panic: action=fatal
	error: action=report
	info: action=ignore
	debug: action=ignore
	mouse: enabled=0
	# no sound: where ALSA has no card, Bochs' mixer thread overran a buffer
	# and aborted before the BIOS ran
	sound: driver=dummy
	RC
	echo c >"$work/bochs.rc"
	bochs -q -f "$work/bochsrc" -rc "$work/bochs.rc" </dev/null >"$work/qemu.out" 2>&1 &
}

run() {
	local script=$1 timeout=${2:-120}
	[ -r "$script" ] || die "no such script: $script"
	[ -r "$IMAGE" ] || die "no image for $KVER: run '$0 build' first"
	local name work
	name=$(basename "$script" .sh)
	work=$(mktemp -d "$VMDIR/run-$name.XXXXXX")
	# the script rides in a second cpio archive appended to the image
	mkdir -p "$work/root"
	cp "$script" "$work/root/test.sh"
	echo "$timeout" >"$work/root/test.timeout"
	(cd "$work/root" && printf 'test.sh\ntest.timeout\n' | cpio -o -H newc --quiet) >"$work/test.cpio"
	cat "$IMAGE" $EXTRA_CPIO "$work/test.cpio" >"$work/initrd.cpio"
	local log=$work/console.log klog=$work/kernel.log rc=0
	local append="console=ttyS1,115200 loglevel=7 panic=-1 nokaslr $APPEND"
	if [ "$ISA" = vmx ]; then
		start_bochs "$work" "$append"
	else
		# single-threaded TCG: with one thread per vCPU, a vCPU now and then kept
		# running int3 at a tracepoint site the kernel had live-patched
		# (text_poke_bp) to attach a BPF program, and the guest never recovered
		#
		# two serial ports: the script's output on the first (init writes to
		# it), the kernel's messages on the second, where they cannot mix with
		# the output the tests parse
		# shellcheck disable=SC2086 # QEMU_ARGS is a list of options
		qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 1G -smp "$SMP" $QEMU_ARGS \
			-nodefaults -no-user-config -display none -serial "file:$log" -serial "file:$klog" -no-reboot \
			-monitor "unix:$work/monitor,server=on,wait=off" \
			-kernel "$KERNEL" -initrd "$work/initrd.cpio" \
			-append "$append" </dev/null >"$work/qemu.out" 2>&1 &
	fi
	local qemu=$! waited=0
	while kill -0 "$qemu" 2>/dev/null && [ "$waited" -lt "$((timeout * 10))" ]; do
		sleep 0.1
		waited=$((waited + 1))
		# Bochs reboots a guest that panicked (it has no -no-reboot)
		if [ "$ISA" = vmx ] && [ $((waited % 10)) = 0 ] && grep -qa 'Kernel panic' "$klog" 2>/dev/null; then
			kill -KILL "$qemu" 2>/dev/null || true
		fi
	done
	if kill -0 "$qemu" 2>/dev/null && [ "$ISA" = vmx ]; then
		kill -KILL "$qemu" 2>/dev/null || true
		rc=124
	elif kill -0 "$qemu" 2>/dev/null; then
		# still running at the limit: where are its vCPUs? (twice, to tell
		# a guest that spins from an emulator that stopped)
		python3 - "$work/monitor" >"$work/cpus.txt" 2>&1 <<-'PY' || true
		import socket, sys, time
		s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
		def ask(cmd):
		    s.sendall(cmd.encode() + b"\n"); time.sleep(1); out = b""
		    try:
		        while True:
		            d = s.recv(65536)
		            if not d: break
		            out += d
		    except socket.timeout: pass
		    return out.decode(errors="replace")
		ask("")
		for i in range(2):
		    for line in ask("info registers -a").splitlines():
		        if line.startswith("CPU#") or line.startswith("RIP=") or line.startswith("EFL="):
		            print(line)
		PY
		kill -TERM "$qemu" 2>/dev/null || true
		sleep 1
		kill -KILL "$qemu" 2>/dev/null || true
		rc=124
	fi
	local st=0
	wait "$qemu" 2>/dev/null || st=$?
	[ "$rc" -ne 0 ] || rc=$st
	tr -d '\r' <"$log" >"$log.txt"
	tr -d '\r' <"$klog" >"$klog.txt"
	if grep -q '^KVMEXITSTAT-TESTBED-END rc=' "$log.txt"; then
		sed -n '/^KVMEXITSTAT-TESTBED-BEGIN$/,/^KVMEXITSTAT-TESTBED-END rc=/p' "$log.txt" | sed '1d;$d'
		local status
		status=$(sed -n 's/^KVMEXITSTAT-TESTBED-END rc=\([0-9]*\)$/\1/p' "$log.txt" | tail -1)
		rm -rf "$work"
		return "$status"
	fi
	if grep -q 'Kernel panic' "$klog.txt"; then
		echo "testbed: the guest kernel panicked: $(grep -m1 'Kernel panic' "$klog.txt")" >&2
		rc=3
	elif [ "$rc" -eq 124 ]; then
		echo "testbed: the guest did not finish within ${timeout} s" >&2
	else
		echo "testbed: the guest stopped without a result (qemu exit $rc: $(head -c 300 "$work/qemu.out"))" >&2
		rc=3
	fi
	echo "testbed: last output lines (whole output: $log.txt):" >&2
	tail -n 25 "$log.txt" | sed 's/^/  | /' >&2
	echo "testbed: last kernel messages (all: $klog.txt):" >&2
	tail -n 60 "$klog.txt" | sed 's/^/  | /' >&2
	if [ -s "$work/cpus.txt" ]; then
		echo "testbed: the emulator's vCPUs at the limit, twice a second apart:" >&2
		sed 's/^/  | /' "$work/cpus.txt" >&2
		symbolize "$work/cpus.txt" | sed 's/^/  | /' >&2
	fi
	return "$rc"
}

# The kernel symbols at the RIPs of a hung guest's vCPUs: with nokaslr the
# same kernel and modules sit at the same addresses in every boot, so a
# second boot can look them up in its /proc/kallsyms (Debian's System.map
# is a stub).
symbolize() {
	[ -z "${TESTBED_NO_SYMBOLS:-}" ] || return 0
	local rips
	rips=$(sed -n 's/^RIP=\([0-9a-f]*\).*/\1/p' "$1" | sort -u | tr '\n' ' ')
	[ -n "$rips" ] || return 0
	local sym
	sym=$(mktemp)
	cat >"$sym" <<-GUEST
	for r in $rips; do
		awk -v r=\$r '\$1 <= r && \$1 > best { best = \$1; name = \$3 " " \$4 } END { print "RIP " r " is in " name " (from " best ")" }' /proc/kallsyms
	done
	GUEST
	TESTBED_NO_SYMBOLS=1 run "$sym" 90 2>/dev/null || true
	rm -f "$sym"
}

case "${1:-}" in
build) build ;;
run) shift; run "$@" ;;
*) echo "usage: $0 build | run SCRIPT [TIMEOUT_S]" >&2; exit 2 ;;
esac
