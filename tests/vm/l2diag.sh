# Guest-side (testbed) diagnosis of a frozen L2 boot, prepended to the
# scripts of tests/vm/l2guest.sh and tests/vm/experiment.sh: with kvm_exit
# in ftrace's buffer, l2_frozen prints the reasons of the last 500 exits and
# the last 12 exits with the guest kernel's function at each rip. The guest
# runs this testbed's own kernel and both boot with nokaslr, so this
# kernel's /proc/kallsyms names the guest's addresses.
l2_symbol() { # ADDRESS (0x...): the function it is in
	awk -v r="$(printf '%016x' "$1")" '$1 <= r && $1 > best { best = $1; name = $3 } END { print name }' /proc/kallsyms
}
l2_frozen() {
	t=/sys/kernel/tracing/trace
	echo "# the reasons of its last 500 exits:"
	grep kvm_exit: $t | tail -n 500 | sed 's/.* reason \(.*\) rip .*/\1/' | sort | uniq -c | sort -rn | sed 's/^ */#   /'
	echo "# its last 12 exits [the guest function at rip]:"
	grep kvm_exit: $t | tail -n 12 | while read -r line; do
		rip=$(echo "$line" | sed -n 's/.* rip \(0x[0-9a-f]*\).*/\1/p')
		echo "#   ${line#*kvm_exit: } [$(l2_symbol "$rip")]"
	done
}
