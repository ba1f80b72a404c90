#!/usr/bin/env bash
# kvmexitgen on this host's own KVM: exact ground truth, the vCPUs' KVM
# statistics, --hold, --bench, and every error it reports.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
DENY=$(dirname "$KVMEXITSTAT")/helpers/deny

# Usage errors need no KVM.
run "bad count" 2 "$GEN" --cpuid abc
expect_in "bad count: names the value" "$TMP/err" "'abc' is not a count"
run "negative count" 2 "$GEN" --cpuid -1
run "count too large for 64 bits" 2 "$GEN" --cpuid 99999999999999999999
run "--vcpus 0" 2 "$GEN" --vcpus 0 --cpuid 1
run "--vcpus 65" 2 "$GEN" --vcpus 65 --cpuid 1
run "bad --mode" 2 "$GEN" --mode kernel --cpuid 1
run "nothing to do" 2 "$GEN"
expect_in "nothing to do: says so" "$TMP/err" "nothing to do"
run "unknown option" 2 "$GEN" --cpuidd 1
run "stray argument" 2 "$GEN" --cpuid 1 extra
expect_in "stray argument: names it" "$TMP/err" "unexpected argument 'extra'"

if [ ! -c /dev/kvm ]; then
	echo "ok - kvmexitgen on this host # SKIP no /dev/kvm on this machine"
	exit 0
fi

# /dev/kvm missing, not permitted, KVM_CREATE_VM refused
run "no /dev/kvm" 1 unshare -m sh -c "mount -t tmpfs none /dev && exec '$GEN' --cpuid 1"
expect_in "no /dev/kvm: says what to do" "$TMP/err" "no /dev/kvm: is KVM enabled?"
run "not root" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$GEN" --cpuid 1
expect_in "not root: says what to do" "$TMP/err" "cannot open /dev/kvm: Permission denied (run as root, or join the kvm group)"
run "KVM_CREATE_VM refused" 1 "$DENY" ioctl ae01 1 "$GEN" --cpuid 1
expect_in "KVM_CREATE_VM refused: names the ioctl" "$TMP/err" "KVM_CREATE_VM failed: Operation not permitted"

# A vCPU that exits in an unexpected way: reason, rip, registers, failure.
# User mode has no IDT: the invalid opcode ends in a triple fault (shutdown).
run "unexpected exit" 1 "$GEN" --mode user --cpuid 3 --ud2 1
expect_in "unexpected exit: reason" "$TMP/err" "vCPU 0: unexpected KVM_EXIT_SHUTDOWN"
expect_in "unexpected exit: registers" "$TMP/err" "rip 0x"
# Supervisor mode's IDT reports the exception itself, with its rip.
run "guest exception" 1 "$GEN" --mode supervisor --cpuid 3 --ud2 1
expect_in "guest exception: vector and rip" "$TMP/err" "vCPU 0: guest exception vector 6 #UD at rip 0x"

# Operations the mode cannot do
run "hlt in user mode" 2 "$GEN" --mode user --hlt 1
expect_in "hlt in user mode: says why" "$TMP/err" "--hlt needs supervisor mode"
run "msr in user mode" 2 "$GEN" --mode user --msr-read 1

hw=$(grep -cwE 'vmx|svm' /proc/cpuinfo)
if [ "$hw" -eq 0 ]; then
	run "vmcall in supervisor mode without VMX/SVM" 2 "$GEN" --mode supervisor --vmcall 1
	expect_in "vmcall in supervisor mode: says why" "$TMP/err" "needs VMX or SVM"
fi

# The mix: the guest's own count and the exits that reached the VMM equal
# the request, on 1 and 2 vCPUs; the vCPU stats move as this KVM makes them.
# whether CPUID exits here (Intel PVM: yes; AMD PVM: no; VMX/SVM: yes)
cpuid_exits=$(exits_per cpuid)
MIX="--cpuid 500 --io-out 40 --io-in 30 --mmio-read 20 --mmio-write 10 --vmcall 11 --cpuid 7"
for k in 1 2; do
	run "mix on $k vCPU(s)" 0 "$GEN" --json --vcpus $k $MIX
	if python3 - "$TMP/out" $k "$hw" "$cpuid_exits" >"$TMP/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k, hw, cpuid_exits = int(sys.argv[2]), int(sys.argv[3]) > 0, int(sys.argv[4])
want = {"cpuid": 507, "io-out": 40, "io-in": 30, "mmio-read": 20, "mmio-write": 10, "vmcall": 11}
assert d["vcpus"] == k and len(d["vcpu"]) == k, d["vcpus"]
for v in d["vcpu"]:
    for op, n in want.items():
        o = v["ops"][op]
        assert o["requested"] == n and o["guest"] == n, (v["id"], op, o)
        if op.startswith(("io", "mmio")):
            assert o["vmm"] == n, (v["id"], op, o)
    s = v["stats"]
    io, mmio = want["io-out"] + want["io-in"], want["mmio-read"] + want["mmio-write"]
    cpuid = want["cpuid"] * cpuid_exits
    assert s["exits"] >= cpuid + io + mmio + 1, ("exits", s["exits"], "want at least", cpuid + io + mmio + 1)
    assert s["mmio_exits"] == mmio, ("mmio_exits", s["mmio_exits"], "want", mmio)
    if hw:   # VMX/SVM: port I/O counted as io_exits (+1: the guest's end report)
        assert s["io_exits"] == io + 1, ("io_exits", s["io_exits"], "want", io + 1)
        assert s["hypercalls"] == want["vmcall"], ("hypercalls", s["hypercalls"], "want", want["vmcall"])
    else:    # PVM (see docs/kvmexitgen.md): port I/O, MMIO and (where it exits) CPUID go
             # through the instruction emulator; io_exits stays 0; VMCALL does not exit
        assert s["insn_emulation"] == cpuid + io + mmio + 1, ("insn_emulation", s["insn_emulation"], "want", cpuid + io + mmio + 1, "cpuid exits" if cpuid_exits else "cpuid does not exit")
        assert s["io_exits"] == 0, ("io_exits", s["io_exits"], "want 0")
        assert s["hypercalls"] == 0, ("hypercalls", s["hypercalls"], "want 0")
print("checked", k, "vCPUs")
PY
	then ok "mix on $k vCPU(s): ground truth and KVM statistics as expected"
	else not_ok "mix on $k vCPU(s): ground truth or statistics" "$(cat "$TMP/check")"; fi
done

# The table carries the same numbers
run "table output" 0 "$GEN" --vcpus 2 --cpuid 5 --io-out 3
expect_in "table: vCPU 1 io-out" "$TMP/out" "1     io-out                 3            3            3"
expect_in "table: KVM statistics" "$TMP/out" "KVM statistics of each vCPU (KVM_GET_STATS_FD)"

# --hold keeps the VM and its vCPU files open until a signal
"$GEN" --hold --vcpus 2 --cpuid 10 >"$TMP/hold.out" 2>"$TMP/hold.err" &
pid=$!
for _ in $(seq 100); do grep -q holding "$TMP/hold.err" && break; sleep 0.1; done
expect_in "--hold: says it holds" "$TMP/hold.err" "holding the VM open (pid $pid)"
n=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c 'kvm-vcpu:')
if [ "$n" -eq 2 ]; then ok "--hold: both vCPU files still open"; else not_ok "--hold: $n vCPU files open"; fi
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 0 ]; then ok "--hold: SIGTERM ends it with status 0"; else not_ok "--hold: exit $rc"; fi

# --bench prints a cost for each operation this mode can do
run "--bench" 0 "$GEN" --bench --bench-exits 2000 --rounds 3 --json
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rounds"] == 3 and d["exits_per_round"] == 2000
for op in ("cpuid", "io-out", "io-in", "mmio-read", "mmio-write"):
    assert d["ops"][op]["ns_per_exit"] > 0 and d["ops"][op]["cycles_per_exit"] > 0, op
' "$TMP/out"; then ok "--bench: ns and cycles per exit for each operation"; else not_ok "--bench output" "$(head -c 400 "$TMP/out")"; fi

# --cpuid-query: the guest's own CPUID answers. Leaf 0 names the CPU's vendor.
run "bad --cpuid-query" 2 "$GEN" --cpuid-query 0x4ffffffd:x
expect_in "bad --cpuid-query: says what it wants" "$TMP/err" "is not LEAF[:ECX]"
run "--cpuid-query 0" 0 "$GEN" --json --cpuid 3 --cpuid-query 0 --cpuid-query 0x4ffffffd:0x72
vendor=$(python3 -c '
import json, struct, sys
q = json.load(open(sys.argv[1]))["vcpu"][0]["queries"][0]
print(struct.pack("<III", q["ebx"], q["edx"], q["ecx"]).decode())' "$TMP/out" 2>&1)
expect_in "--cpuid-query 0: the guest sees the host's vendor ($vendor)" /proc/cpuinfo "vendor_id	: $vendor"
expect_in "--cpuid-query: counted as done" "$TMP/out" '"cpuid-query":{"requested":2,"guest":2}'
