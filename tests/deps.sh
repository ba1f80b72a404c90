#!/usr/bin/env bash
# Install the Debian packages the build and the tests need, when missing.
set -euo pipefail
#   tests/deps.sh build   what building needs
#   tests/deps.sh         that, and what the tests need: cmocka, clang (ASan),
#                         and the testbeds (tests/vm): QEMU, Bochs, GRUB,
#                         Debian's 6.1 and 6.12 kernels, busybox, cpio
pkgs=(gcc make binutils clang libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev libsqlite3-dev libmicrohttpd-dev libncurses-dev
	libtracecmd-dev libtraceevent-dev libtracefs-dev)
if [ "${1:-all}" != build ]; then
	pkgs+=(pkg-config libcmocka-dev python3 util-linux
		qemu-system-x86 linux-image-amd64 busybox-static cpio sqlite3 prometheus curl tmux librsvg2-bin trace-cmd)
fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq -o DPkg::Lock::Timeout=300)
# the testbeds' second kernel: Debian 12's 6.12, from its security suite
# (no meta-package names it: the version is that of linux-source-6.12)
if [ "${1:-all}" != build ]; then
	. "$(dirname "$0")/../scripts/kernels.bash"
	if [ -z "$(kernel_version 6.12)" ]; then
		k=$(kernel_package_612) || { [ "$(id -u)" -ne 0 ] || apt-get update -qq -o DPkg::Lock::Timeout=300; k=$(kernel_package_612); } ||
			{ echo "tests/deps.sh: the mirror has no linux-source-6.12, so no 6.12 kernel to test on" >&2; exit 1; }
		pkgs+=("$k")
	fi
	# (xz: its modules are .ko.xz)
	pkgs+=(xz-utils kmod)
	# the VMX testbed: Bochs, its BIOS, and GRUB on a CD image (tests/vm/bochs)
	pkgs+=(bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/deps.sh: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "tests/deps.sh: installing ${missing[*]}"
# another apt-get or dpkg may hold the lock (a machine's own updates at boot):
# apt_opts wait for it, up to 5 minutes, rather than fail
apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null 2>&1 || {
	apt-get update -qq -o DPkg::Lock::Timeout=300
	apt-get install "${apt_opts[@]}" "${missing[@]}"
}
