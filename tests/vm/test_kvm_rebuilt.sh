#!/usr/bin/env bash
# KVM's modules rebuilt from Debian's linux-source (kernel/build.sh), stock
# and with the patch series of kernel/patches, load in the testbed
# and run guests. Built against 6.1's headers they have no BTF, so the live
# collector must fall back to the classic tracepoint, whose record layout
# it reads from the format file, and still count exactly; 6.12's headers
# carry vmlinux, so its rebuilt modules have BTF and tp_btf must work.
# TESTBED_ISA=vmx: kvm-intel in the VMX testbed (the series' VMX half).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
O=${O:-build}
# TESTBED_KERNEL=6.12: 6.12's modules (kernel/patches/6.12) in its testbed
KDIR=$O/kernel
SERIES=kernel/patches/series
if [ "${TESTBED_KERNEL:-6.1}" != 6.1 ]; then
	KDIR=$O/kernel/$TESTBED_KERNEL
	SERIES=kernel/patches/$TESTBED_KERNEL/series
fi
ISA=${TESTBED_ISA:-svm}
fail=0
# the CPUID leaves (patch 0002), as the guest reads them after its mix:
# CPUID, IO, MSR (read, write), HLT, VMCALL/VMMCALL, undefined reasons
if [ "$ISA" = vmx ]; then
	MOD=kvm-intel
	LEAF_REASONS="0xa 0x1e 0x1f 0x20 0xc 0x12 0x999 0x23" # 35: no VMX exit reason
	TIMEOUT=900 # (Bochs: about a tenth of QEMU TCG's speed)
else
	MOD=kvm-amd
	# 0x80000001: a VMGEXIT sub-code (SVM_VMGEXIT_MMIO_READ), named in
	# SVM_EXIT_REASONS, yet no exit code
	LEAF_REASONS="0x72 0x7b 0x7c 0x78 0x81 0x999 0x80000001"
	TIMEOUT=180
fi
MODNAME=${MOD//-/_}
Q=
for r in $LEAF_REASONS; do Q="$Q --cpuid-query 0x4ffffffd:$r"; done
Q="$Q --cpuid-query 0x4ffffffc --cpuid-query 0x4ffffffe --cpuid-query 0x4fffffff:${LEAF_REASONS%% *}"
# stock KVM's answers to the same leaves: what the patched one must give while off
STOCK_Q=$(mktemp)
trap 'rm -f "$STOCK_Q"' EXIT
for variant in stock patched; do
MODS=$KDIR/$variant/modules.cpio
KO=$KDIR/$variant/$MOD.ko
if [ "$variant" = stock ] && [ "$KDIR" != "$O/kernel" ]; then
	# beyond 6.1, stock KVM is the image's own (Debian's modules): one
	# kernel build less
	MODS=/dev/null
	KO=$(mktemp)
	xz -dc "/lib/modules/$(. scripts/kernels.bash; kernel_version "$TESTBED_KERNEL")/kernel/arch/x86/kvm/$MOD.ko.xz" >"$KO"
fi
if [ "$variant" = patched ] && ! grep -qv '^\s*\(#\|$\)' "$SERIES" 2>/dev/null; then
	echo "ok - patched modules # SKIP $SERIES is empty"
	continue
fi
if [ ! -r "$MODS" ]; then
	echo "not ok - no rebuilt KVM modules ($MODS): make kernel"
	fail=1
	continue
fi
MIX="--cpuid 300 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --hlt 7 --msr-read 12 --msr-write 9 --vmcall 11"
script=$(mktemp)
trap 'rm -f "$script" "$script.out" "$script.rl" "$STOCK_Q"' EXIT
cat tests/vm/live_guest.sh >"$script"
cat >>"$script" <<GUEST
echo "$MODNAME BTF: \$(test -e /sys/kernel/btf/$MODNAME && echo yes || echo no)"
kvmexitstat --source stats 0.1 1 >/dev/null 2>/tmp/stats.err; echo "stats source without BTF: exit \$? \$(cat /tmp/stats.err)"
kvmexitstat --bpf btf 0.1 1 >/dev/null 2>/tmp/btf.err; echo "tp_btf without BTF: exit \$? \$(cat /tmp/btf.err)"
kvmexitstat 0.1 1 >/dev/null 2>/tmp/auto.err; echo "default without BTF: exit \$? \$(head -1 /tmp/auto.err)"
begin $variant
kvmexitgen --timeout 60 --json --vcpus 2 $MIX >/tmp/gen1.json
end
GUEST
if [ "$variant" = stock ]; then
	cat >>"$script" <<GUEST
echo "stock leaves: \$(kvmexitgen --timeout 60 --json $MIX $Q)"
GUEST
fi
if [ "$variant" = patched ]; then
	cat >>"$script" <<GUEST
begin leaves_off
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json
end
echo 1 >/sys/module/kvm/parameters/exit_stats_cpuid
begin leaves_on
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json
end
GUEST
	# (under Bochs, a tenth of QEMU TCG's speed, the VMX testbed leaves out
	# what is common code of both ISAs: two VMs' leaves and the rate limit)
	[ "$ISA" = svm ] && cat >>"$script" <<GUEST
begin leaves_two_vms
kvmexitgen --timeout 60 --json $MIX $Q >/tmp/gen1.json & G1=\$!
kvmexitgen --timeout 60 --json --cpuid 500 --io-out 77 --hlt 3 $Q >/tmp/gen2.json & G2=\$!
wait \$G1 \$G2
end
GUEST
	# the kernel log report (patch 0003), against ftrace's kvm_exit events
	cat >>"$script" <<'GUEST'
TR=/sys/kernel/tracing
echo "CMPE283 lines while the report is off: $(dmesg | grep -c CMPE283)"
klog_case() { # name N kvmexitgen-arguments...
	name=$1; n=$2; shift 2
	dmesg -c >/dev/null
	echo 0 >$TR/tracing_on; echo >$TR/trace; echo 16384 >$TR/buffer_size_kb
	echo 1 >$TR/events/kvm/kvm_exit/enable; echo 1 >$TR/tracing_on
	echo $n >/sys/module/kvm/parameters/exit_stats_log_every
	kvmexitgen --timeout 60 --json "$@" >/tmp/gen1.json
	echo 0 >/sys/module/kvm/parameters/exit_stats_log_every
	echo 0 >$TR/events/kvm/kvm_exit/enable
	sleep 1 # the last report is printed by a work item
	echo "== case $name =="
	echo "-- gen"; cat /tmp/gen1.json
	echo "-- lost"; grep entries-in-buffer $TR/trace
	# each vCPU thread's per-reason counts at its every N-th exit, and
	# at its end ("end tid vcpu total ...")
	echo "-- prefix"; awk -v N=$n '
	function counts(tid, line) {
		for (k in c) { split(k, a, ","); if (a[1] == tid) line = line " " a[2] "=" c[k] }
		return line
	}
	{
		for (i = 1; i <= NF; i++) if ($i == "kvm_exit:") {
			tid = $1; sub(/.*-/, "", tid); r = $(i + 4)
			t[tid]++; c[tid "," r]++; v[tid] = $(i + 2)
			if (t[tid] % N == 0)
				print counts(tid, tid " " v[tid] " " t[tid])
			break
		} }
	END { for (tid in t) print counts(tid, "end " tid " " v[tid] " " t[tid]) }' $TR/trace
	echo "-- klog"; dmesg | grep CMPE283
	echo "== end $name =="
}
klog_case klog_every_500 500 --vcpus 2 --cpuid 1500 --io-out 300 --msr-read 200 --hlt 20 --vmcall 100
GUEST
	[ "$ISA" = svm ] && echo 'klog_case klog_rate_limited 20 --cpuid 30000 --io-out 100' >>"$script"
fi
TESTBED_EXTRA_CPIO="$MODS" run_in_testbed "$script" $TIMEOUT "$script.out"
[ "$variant" = stock ] && sed -n 's/^stock leaves: //p' "$script.out" >"$STOCK_Q"
expect_line() { # description, the line's start as grep -F reads it
	if grep -qF "$2" "$script.out"; then
		echo "ok - $variant: $1"
	else
		echo "not ok - $variant: $1: want '$2', got: $(grep -F "${2%%:*}" "$script.out" | head -1)"
		fail=1
	fi
}
# what the build made: with BTF or without (the module's .BTF section)
if readelf -S "$KO" | grep -q ' \.BTF '; then
	expect_line "the $MOD loaded has its BTF" "$MODNAME BTF: yes"
	live_check "$script.out" $variant --source "tp_btf (${ISA^^}, exit->entry timing)" || fail=1
	expect_line "the stats source works on it" "stats source without BTF: exit 0"
	expect_line "--bpf btf works on it" "tp_btf without BTF: exit 0 kvmexitstat: counting VM exits with tp_btf (${ISA^^}"
	expect_line "the default takes tp_btf" "default without BTF: exit 0 kvmexitstat: counting VM exits with tp_btf (${ISA^^}"
else
	expect_line "the rebuilt $MOD is loaded, without BTF" "$MODNAME BTF: no"
	live_check "$script.out" $variant --source "tracepoint (${ISA^^}, exit->entry timing)" || fail=1
	expect_line "the stats source says it needs the kvm module's BTF" \
		"stats source without BTF: exit 1 kvmexitstat: the stats source needs the kvm module's BTF"
	# tp_btf cannot work on a module without BTF: said as such, with the way out
	expect_line "--bpf btf says $MODNAME has no BTF and what works" \
		"tp_btf without BTF: exit 1 kvmexitstat: tp_btf needs the BTF of $MODNAME, and this $MODNAME has none (no /sys/kernel/btf/$MODNAME: a module built without BTF); --bpf classic, or the default, works"
	expect_line "the default says why it uses the classic programs" \
		"default without BTF: exit 0 kvmexitstat: using the classic tracepoint programs, not tp_btf: $MODNAME has no BTF (no /sys/kernel/btf/$MODNAME)"
fi
if [ "$variant" = patched ]; then
	# the other ISA's module cannot load in this testbed: that it was
	# built with the series, warning-free (build.sh fails on a warning)
	other=svm
	[ "$ISA" = svm ] && other=vmx
	other_ko=$KDIR/patched/kvm-intel.ko
	[ "$ISA" = svm ] || other_ko=$KDIR/patched/kvm-amd.ko
	if nm "$other_ko" | grep -q " ${other}_exit_counter_reason\$" &&
		nm "$other_ko" | grep -q " ${other}_exit_counter_slot\$" &&
		! grep -q 'warning:' "$KDIR/patched/build.log"; then
		echo "ok - patched: $(basename "$other_ko") built with the ${other^^} part of the series, no warning"
	else
		echo "not ok - patched: $(basename "$other_ko") built with the ${other^^} part of the series, no warning"
		fail=1
	fi
	cases="leaves_off:off leaves_on:on"
	[ "$ISA" = svm ] && cases="$cases leaves_two_vms:on"
	for c in $cases; do
		python3 tests/vm/leaves_check.py "${c%%:*}" "${c##*:}" "$STOCK_Q" "$ISA" <"$script.out" || fail=1
	done
	if grep -q "CMPE283 lines while the report is off: 0$" "$script.out"; then
		echo "ok - patched: no kernel log report while kvm.exit_stats_log_every=0"
	else
		echo "not ok - patched: no kernel log report while kvm.exit_stats_log_every=0: $(grep 'while the report is off' "$script.out")"
		fail=1
	fi
	python3 tests/vm/klog_check.py klog_every_500 500 "$O/kvmexitstat" "$ISA" <"$script.out" || fail=1
	[ "$ISA" = svm ] || continue
	python3 tests/vm/klog_check.py klog_rate_limited 20 "$O/kvmexitstat" "$ISA" <"$script.out" > "$script.rl" || fail=1
	cat "$script.rl"
	# the rate limit: most of the ~1500 due reports were skipped, and said so
	if python3 -c 'import sys,re; t=sys.stdin.read(); n=len(re.findall(r"vCPU 0 report at total=\d+: due", t)); sys.exit(not 0 < n < 1500)' <"$script.rl"; then
		echo "ok - patched: the rate limit printed fewer reports than were due"
	else
		echo "not ok - patched: the rate limit printed fewer reports than were due"
		fail=1
	fi
fi
done
exit $fail
