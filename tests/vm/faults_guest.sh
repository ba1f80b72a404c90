# Guest side of tests/vm/test_faults.sh: RESULT lines for the host to check.
T=/sys/kernel/tracing
B() { bpfprogs | tail -1; }
cost() { kvmexitgen --json --cpuid 20000 | sed 's/.*"wall_ns":\([0-9]*\).*/\1/'; }
echo "RESULT bpf_before $(B)"
echo "RESULT cost_before $(cost)"
kvmexitstat -o csv >/dev/null 2>/tmp/k.err & K=$!
sleep 2
echo "RESULT bpf_attached $(B)"
kvmexitgen --timeout 0 --cpuid 1000000000 >/dev/null 2>&1 & G=$!
sleep 1
kill -KILL $K; wait $K 2>/dev/null
echo "RESULT bpf_after_kill $(B)"
sleep 1
kill -0 $G && echo "RESULT guest_alive yes"
kill $G; wait $G 2>/dev/null
echo "RESULT cost_after $(cost)"
# the kvm module under it
kvmexitstat -o csv >/tmp/l.csv 2>/tmp/l.err & K=$!
sleep 2
kvmexitgen --json --cpuid 300 >/tmp/g1.json
rmmod kvm_amd; echo "RESULT rmmod_kvm_amd $?"
rmmod kvm 2>/tmp/rmmod.err; echo "RESULT rmmod_kvm_attached $? $(cat /tmp/rmmod.err)"
sleep 1.5
kill -INT $K; wait $K; echo "RESULT kvmexitstat_exit $?"
echo "RESULT cpuid_counted $(grep ',cpuid,' /tmp/l.csv | grep '^total' | cut -d, -f11) want 300"
cat /tmp/l.err | sed 's/^/ERR /'
rmmod kvm; echo "RESULT rmmod_kvm_after $?"
insmod /lib/modules/kvm.ko && insmod /lib/modules/kvm-amd.ko; echo "RESULT reload $?"
# tracefs unmounted under it, and before it
kvmexitstat -o csv >/tmp/l.csv 2>/tmp/l.err & K=$!
sleep 2
umount $T; echo "RESULT umount $?"
kvmexitgen --json --cpuid 300 >/tmp/g1.json
kill -INT $K; wait $K; echo "RESULT unmounted_exit $?"
echo "RESULT unmounted_cpuid $(grep ',cpuid,' /tmp/l.csv | grep '^total' | cut -d, -f11) want 300"
kvmexitstat -o csv 0.5 1 >/tmp/l.csv 2>/tmp/l.err; echo "RESULT start_without_tracefs $? $(tail -1 /tmp/l.err)"
kvmexitstat --bpf classic -o csv 0.5 1 >/tmp/l.csv 2>/tmp/l.err; echo "RESULT classic_without_tracefs $? $(tail -1 /tmp/l.err)"
mount -t tracefs nodev $T
