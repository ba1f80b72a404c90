#!/usr/bin/env bash
# KVM's modules (kvm.ko, kvm-amd.ko, kvm-intel.ko) from Debian's
# linux-source-6.1 or -6.12 with a patch series applied, built out of tree
# against the headers of the kernel the testbed runs; also an initramfs
# archive of them for the testbed (lib/modules/kvm*.ko).
#
#   kernel/build.sh OUT [SERIES]   SERIES: a quilt series file (default
#                                  kernel/patches/series for 6.1,
#                                  kernel/patches/6.12/series for 6.12;
#                                  /dev/null: stock KVM), naming patches
#                                  next to it
# KERNEL: 6.1 (the default) or 6.12 (scripts/kernels.bash); KVER: a version.
# (also as make -C kernel, or make kernel from the top)
set -euo pipefail
OUT=$(realpath -m "$1")
KERNEL=${KERNEL:-6.1}
default_series=$(dirname "$0")/patches/series
[ "$KERNEL" = 6.1 ] || default_series=$(dirname "$0")/patches/$KERNEL/series
SERIES=$(realpath -m "${2:-$default_series}")
cd "$(dirname "$0")/.."
. scripts/kernels.bash
KVER=${KVER:-$(kernel_version "$KERNEL")}
die() { echo "kernel/build.sh: $*" >&2; exit 1; }
[ -n "$KVER" ] || die "no Debian $KERNEL kernel in /lib/modules (tests/deps.sh installs it)"
# the source package of the kernel's series: linux-source-6.1, -6.12
lsrc=linux-source-$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$KVER")

# the source and the headers of exactly the kernel's Debian version
ver=$(dpkg-query -W -f='${Version}' "linux-image-$KVER" 2>/dev/null) || die "linux-image-$KVER is not installed"
need=()
[ "$(dpkg-query -W -f='${Version}' "$lsrc" 2>/dev/null)" = "$ver" ] || need+=("$lsrc=$ver")
[ -d "/lib/modules/$KVER/build" ] || need+=("linux-headers-$KVER=$ver")
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing ${need[*]}: run as root or install them"
	echo "kernel/build.sh: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
		apt-get update -qq
		apt-get install -y -qq "${need[@]}" >/dev/null
	} || die "cannot install ${need[*]} (the mirror must still carry version $ver)"
fi

# the patches, in series order; the build is redone only when they change
patches=()
if [ -s "$SERIES" ]; then
	while read -r p _; do
		case $p in '' | '#'*) continue ;; esac
		[ -r "$(dirname "$SERIES")/$p" ] || die "$SERIES names $p, which is not next to it"
		patches+=("$(dirname "$SERIES")/$p")
	done <"$SERIES"
fi
stamp=$( (echo "$KVER $ver"; cat kernel/build.sh ${patches[@]+"${patches[@]}"}) | sha256sum | cut -c1-16)
if [ -r "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ]; then
	exit 0
fi
rm -rf "$OUT"
src=$OUT/src
mkdir -p "$src"
echo "  KVM      $OUT ($lsrc $ver, ${#patches[@]} patches)"
tar -xJf "/usr/src/$lsrc.tar.xz" -C "$src" --strip-components=1 \
	"$lsrc/arch/x86/kvm" "$lsrc/virt/kvm" "$lsrc/include/linux/kvm_host.h" \
	"$lsrc/arch/x86/include/asm/kvm_host.h" "$lsrc/arch/x86/include/asm/kvm-x86-ops.h"
for p in ${patches[@]+"${patches[@]}"}; do
	patch -s -p1 -d "$src" <"$p" || die "$p does not apply to $lsrc $ver"
done
# Out of tree, kvm's Makefile needs four changes, made here rather than in
# the series (which stays a patch against the kernel tree): the two KVM
# headers above (which a patch may change) found before the installed ones,
# its own directory for KVM's private headers, virt/kvm found next to it,
# and trace.h's TRACE_INCLUDE_PATH (../../arch/x86/kvm, relative to
# include/trace).
mkdir -p "$src/include/trace"
sed -i -e 's#^ccflags-y += -I \$(srctree)/arch/x86/kvm$#LINUXINCLUDE := -I $(src)/../include -I $(src)/../../../include $(LINUXINCLUDE)\nccflags-y += -I $(src) -I $(src)/../../../include/trace#' \
	-e 's#^include \$(srctree)/virt/kvm/Makefile.kvm$#include $(src)/../../../virt/kvm/Makefile.kvm#' \
	"$src/arch/x86/kvm/Makefile"
grep -q 'include/trace$' "$src/arch/x86/kvm/Makefile" || die "kvm's Makefile changed: cannot build it out of tree"
# (not with our make's variables: O is the kernel's output directory too)
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u O \
	make -s -C "/lib/modules/$KVER/build" M="$(realpath "$src/arch/x86/kvm")" -j"$(nproc)" modules \
	>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; die "building KVM failed (log: $OUT/build.log)"; }
if grep -E 'warning:' "$OUT/build.log" >&2; then
	die "the build has warnings (log: $OUT/build.log)"
fi
mkdir -p "$OUT/root/lib/modules"
for m in kvm kvm-amd kvm-intel; do
	cp "$src/arch/x86/kvm/$m.ko" "$OUT/$m.ko"
	strip --strip-debug -o "$OUT/root/lib/modules/$m.ko" "$src/arch/x86/kvm/$m.ko"
done
(cd "$OUT/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT/modules.cpio"
echo "$stamp" >"$OUT/stamp"
