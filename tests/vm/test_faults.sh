#!/usr/bin/env bash
# Faults in the testbed (real SVM exits, the instruction-count clock so
# that a guest's speed is exact): kvmexitstat killed with SIGKILL leaves no
# BPF program or link behind and the guest runs as fast as before it; the
# kvm modules taken away under it (kvm_amd goes, kvm is held while BPF is
# attached; kvmexitstat ends normally and its counts are exact); tracefs
# unmounted under it (counts still exact) and before it (a clear message).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.bash
out=$(mktemp)
trap 'rm -f "$out"' EXIT
TESTBED_SMP=1 TESTBED_QEMU_ARGS="-icount shift=0" run_in_testbed tests/vm/faults_guest.sh 300 "$out"
python3 - "$out" <<'PY'
import re, sys
r = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"RESULT (\S+) ?(.*)", line.strip())
    if m:
        r[m.group(1)] = m.group(2)
fails = 0
def check(name, good, detail=""):
    global fails
    fails += not good
    print(("ok" if good else "not ok") + f" - faults: {name}" + ("" if good else f" ({detail})"))
check("BPF programs and links while kvmexitstat runs", r.get("bpf_attached", "").startswith("total 3 programs 3 links"),
      r.get("bpf_attached"))
check("after SIGKILL, as many BPF programs and links as before it started (none)",
      r.get("bpf_after_kill") == r.get("bpf_before") == "total 0 programs 0 links", f'{r.get("bpf_before")} / {r.get("bpf_after_kill")}')
check("the guest running at the SIGKILL went on", r.get("guest_alive") == "yes")
try:
    a, b = int(r["cost_before"]), int(r["cost_after"])
    check(f"and a guest runs as fast after it as before (20000 exits: {b} vs {a} instructions, {100 * (b - a) / a:+.2f} %)",
          abs(b - a) <= 0.005 * a)
except (KeyError, ValueError) as e:
    check("guest speed before and after", False, str(e))
check("kvm_amd unloads while kvmexitstat runs", r.get("rmmod_kvm_amd") == "0", r.get("rmmod_kvm_amd"))
check("kvm is held while kvmexitstat's programs are attached to its tracepoints",
      r.get("rmmod_kvm_attached", "").startswith("1 "), r.get("rmmod_kvm_attached"))
check("kvmexitstat ends normally with its module gone (exit 0)", r.get("kvmexitstat_exit") == "0", r.get("kvmexitstat_exit"))
check("and counted the VM's exits before it exactly (cpuid 300)", r.get("cpuid_counted") == "300 want 300", r.get("cpuid_counted"))
check("kvm unloads once kvmexitstat has ended", r.get("rmmod_kvm_after") == "0" and r.get("reload") == "0")
check("tracefs unmounted under it: kvmexitstat ends normally", r.get("umount") == "0" and r.get("unmounted_exit") == "0",
      f'{r.get("umount")} {r.get("unmounted_exit")}')
check("tracefs unmounted under it: the counts stay exact (cpuid 300)", r.get("unmounted_cpuid") == "300 want 300",
      r.get("unmounted_cpuid"))
for k in ("start_without_tracefs", "classic_without_tracefs"):
    check(f"{k.replace('_', ' ')}: exit 1 and says to mount it",
          r.get(k, "").startswith("1 kvmexitstat: no tracefs: mount it"), r.get(k))
sys.exit(1 if fails else 0)
PY
