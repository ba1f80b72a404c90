#!/usr/bin/env bash
# KVM's modules rebuilt from Debian's linux-source-6.1 (kernel/build.sh),
# stock and with the patch series of kernel/patches, load in the testbed
# and run guests; they have no BTF, so the live collector must fall back to
# the classic tracepoint, whose record layout it reads from the format
# file, and still count exactly.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
O=${O:-build}
fail=0
for variant in stock patched; do
MODS=$O/kernel/$variant/modules.cpio
if [ "$variant" = patched ] && ! grep -qv '^\s*\(#\|$\)' kernel/patches/series 2>/dev/null; then
	echo "ok - patched modules # SKIP kernel/patches/series is empty"
	continue
fi
if [ ! -r "$MODS" ]; then
	echo "not ok - no rebuilt KVM modules ($MODS): make kernel"
	fail=1
	continue
fi
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11"
script=$(mktemp)
trap 'rm -f "$script" "$script.out"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<GUEST
echo "kvm_amd BTF: \$(test -e /sys/kernel/btf/kvm_amd && echo yes || echo no)"
kvmexitstat -s stats 0.1 1 >/dev/null 2>/tmp/stats.err; echo "stats source without BTF: exit \$? \$(cat /tmp/stats.err)"
begin $variant
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
GUEST
if [ "$variant" = patched ]; then
	# the CPUID leaves (patch 0002), as the guest reads them after its mix
	Q="--cpuid-query 0x4ffffffd:0x72 --cpuid-query 0x4ffffffd:0x7b --cpuid-query 0x4ffffffd:0x7c"
	Q="$Q --cpuid-query 0x4ffffffd:0x78 --cpuid-query 0x4ffffffd:0x81 --cpuid-query 0x4ffffffd:0x999"
	Q="$Q --cpuid-query 0x4ffffffc --cpuid-query 0x4ffffffe --cpuid-query 0x4fffffff:0x72"
	cat >>"$script" <<GUEST
begin leaves_off
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json
end
echo 1 >/sys/module/kvm/parameters/exit_stats_cpuid
begin leaves_on
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json
end
begin leaves_two_vms
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json & G1=\$!
kvmexitgen --timeout 60 --json --cpuid 500 --io-out 77 --hlt 3 $Q >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
GUEST
fi
TESTBED_EXTRA_CPIO="$MODS" run_in_testbed "$script" 180 "$script.out"
if grep -q "kvm_amd BTF: no" "$script.out"; then
	echo "ok - $variant: the rebuilt kvm-amd is loaded, without BTF"
else
	echo "not ok - $variant: the rebuilt kvm-amd is loaded, without BTF: $(grep 'kvm_amd' "$script.out")"
	fail=1
fi
live_check "$script.out" $variant --source "tracepoint (SVM, exit->entry timing)" || fail=1
if grep -q "stats source without BTF: exit 1 kvmexitstat: the stats source needs the kvm module's BTF" "$script.out"; then
	echo "ok - $variant: the stats source says it needs the kvm module's BTF"
else
	echo "not ok - $variant: the stats source says it needs the kvm module's BTF: $(grep 'stats source without' "$script.out")"
	fail=1
fi
if [ "$variant" = patched ]; then
	for c in leaves_off:off leaves_on:on leaves_two_vms:on; do
		python3 tests/vm/leaves_check.py "${c%%:*}" "${c##*:}" <"$script.out" || fail=1
	done
fi
done
exit $fail
