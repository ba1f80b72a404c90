#!/usr/bin/env bash
# tests/vm/tool_cpio.sh OUT PROGRAM...: an initramfs archive holding host
# programs (perf, trace-cmd) and the shared libraries they load, to append
# to a testbed image (TESTBED_EXTRA_CPIO). Written aside and moved in.
set -euo pipefail
out=$1
shift
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin"
for prog in "$@"; do
	path=$(command -v "$prog") || { echo "tool_cpio: no $prog on this host" >&2; exit 1; }
	cp "$path" "$root/usr/bin/$prog"
	ldd "$path" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
