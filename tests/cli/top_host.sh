#!/usr/bin/env bash
# kvmexitstat top, driven in an 80x24 tmux window on this host's KVM (the
# stats source): the screen shows each held VM with its exact total, and
# reacts to the keys, kvm_stat's where both have the action (filters of
# VMs and of reasons, clear, drill into vCPUs and reasons, back, all
# reasons, sort, interval, pause, reset, help, quit); the header's rate is
# the exits', never KVM's overlapping categories added up.
. "$(dirname "$0")/tap.bash"
GEN=${KVMEXITGEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen}
command -v tmux >/dev/null || { echo "not ok - tmux is not installed (tests/deps.sh)"; exit 1; }
run "top -o (not for top)" 2 "$KVMEXITSTAT" top -o csv
if [ ! -c /dev/kvm ]; then
	echo "ok - top with VMs # SKIP no /dev/kvm on this machine"
	exit 0
fi
hold() { # NAME BINARY ARGS
	local out=$TMP/$1.json bin=$2
	shift 2
	"$bin" --hold --json "$@" >"$out" 2>"$out.err" &
	HELD="$HELD $!"
	for _ in $(seq 100); do grep -q "holding the VM open" "$out.err" 2>/dev/null && break; sleep 0.1; done
}
cp "$GEN" "$TMP/othergen"
HELD=
hold a "$GEN" --cpuid 40000
hold b "$TMP/othergen" --cpuid 10000
S=kvmexitstat-top-$$
trap 'tmux kill-session -t $S 2>/dev/null; kill $HELD 2>/dev/null; rm -rf "$TMP"' EXIT
tmux new-session -d -s "$S" -x 80 -y 24 "TERM=xterm $KVMEXITSTAT top 0.5 2>$TMP/top.err"
screen() { tmux capture-pane -p -t "$S"; }
# wait_for TEXT: until the screen shows it (5 s at most); the screen in $TMP/screen
wait_for() {
	for _ in $(seq 50); do
		screen >"$TMP/screen" 2>/dev/null
		grep -qF -- "$1" "$TMP/screen" && return 0
		sleep 0.1
	done
	return 1
}
key() { tmux send-keys -t "$S" "$@"; sleep 0.3; }
pa=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/a.json")
pb=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/b.json")
ea=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vcpu"][0]["stats"]["exits"])' "$TMP/a.json")
eb=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vcpu"][0]["stats"]["exits"])' "$TMP/b.json")
row() { grep -E "^$1 +$2 +[0-9]+ +$3 " "$TMP/screen"; }
if wait_for "othergen" && row kvmexitgen "$pa" "$ea" >/dev/null && row othergen "$pb" "$eb" >/dev/null; then
	ok "the VMs' rows: name, pid and total exits as each vCPU counted them ($ea, $eb)"
else not_ok "the VMs' rows" "$(cat "$TMP/screen" "$TMP/top.err")"; fi
la=$(grep -n "^kvmexitgen  *$pa " "$TMP/screen" | cut -d: -f1)
lb=$(grep -n "^othergen  *$pb " "$TMP/screen" | cut -d: -f1)
if [ -n "$la" ] && [ -n "$lb" ] && [ "$la" -lt "$lb" ]; then ok "sorted: of two idle VMs, the one with more exits first"
else not_ok "sort order" "$(cat "$TMP/screen")"; fi
if [ "$(awk '{ if (length($0) > 80) n++ } END { print n + 0 }' "$TMP/screen")" = 0 ] && grep -q "q:quit" "$TMP/screen"
then ok "fits 80x24 (the key line shows)"; else not_ok "fits 80x24" "$(cat "$TMP/screen")"; fi
key p
key o t h e r Enter
if wait_for 'matching "other"' && ! grep -q "^kvmexitgen" "$TMP/screen" && grep -q "^othergen" "$TMP/screen"
then ok "p filters the VMs by name"; else not_ok "filter" "$(cat "$TMP/screen")"; fi
key c
if wait_for "VMs: all VMs |" && grep -q "^kvmexitgen" "$TMP/screen"; then ok "c clears the filter"
else not_ok "clear" "$(cat "$TMP/screen")"; fi
# from here on only VM a (other VMs on the host would change the sums)
key p
key $(echo "$pa" | sed 's/./& /g') Enter
wait_for "matching \"$pa\"" >/dev/null
key Enter
if wait_for "vCPUs: kvmexitgen (pid $pa)" && grep -qE "^vCPU 0 +[0-9]+ +$ea" "$TMP/screen"
then ok "Enter goes into the VM: its vCPU with its exits"; else not_ok "drill into vCPUs" "$(cat "$TMP/screen")"; fi
key Enter
if wait_for "reasons: kvmexitgen (pid $pa), vCPU 0" && grep -qE "^insn_emulation +kvm" "$TMP/screen" &&
	grep -qE "^exits +kvm +[0-9]+ +$ea " "$TMP/screen"
then ok "Enter goes into the vCPU: its reasons"; else not_ok "drill into reasons" "$(cat "$TMP/screen")"; fi
key Escape
key Escape
if wait_for "VMs: all VMs matching"; then ok "Esc goes back up to the VMs"; else not_ok "back" "$(cat "$TMP/screen")"; fi
key x
if wait_for "reasons, every VM" && grep -qE "^exits +kvm +[0-9]+ +$ea " "$TMP/screen"
then ok "x: the reasons over every VM shown (the filter's: $ea exits)"; else not_ok "all reasons" "$(cat "$TMP/screen")"; fi
key f
key e x i t Enter
if wait_for 'reasons "exit"' && grep -qE "^exits +kvm" "$TMP/screen" && ! grep -qE "^insn_emulation" "$TMP/screen"
then ok "f filters the reasons by name"; else not_ok "reason filter" "$(cat "$TMP/screen")"; fi
key f
key Enter
key x
key o
if wait_for "sort total"; then ok "o changes the sort"; else not_ok "sort" "$(cat "$TMP/screen")"; fi
key Space
if wait_for "PAUSED"; then ok "Space pauses"; else not_ok "pause" "$(cat "$TMP/screen")"; fi
key Space
key r
if wait_for "kvmexitgen" && row kvmexitgen "$pa" 0 >/dev/null; then ok "r resets the totals to 0"
else not_ok "reset" "$(cat "$TMP/screen")"; fi
key h
if wait_for "kvmexitstat top: keys"; then ok "h shows the help"; else not_ok "help" "$(cat "$TMP/screen")"; fi
key Space
# a busy VM: in the reasons view the header's rate is its exits' rate
# (KVM's categories overlap: io_exits are among its exits), and s sets
# the interval of the readings
"$GEN" --timeout 60 --io-out 3000000 >"$TMP/busy.json" 2>/dev/null &
busy=$!
key c
key s
key 2 Enter
sleep 0.5
pbusy=$busy
key p
key $(echo "$pbusy" | sed 's/./& /g') Enter
key x
rates() { # the header's rate, the exits row's rate
	sed -n 's/.*rows | \([0-9]*\)\/s |.*/\1/p' "$TMP/screen" | head -1
	awk '$1 == "exits" && $2 == "kvm" { print $3 }' "$TMP/screen" | head -1
}
same=
for _ in $(seq 30); do
	sleep 0.3
	screen >"$TMP/screen"
	r=$(rates | tr '\n' ' ')
	set -- $r
	if [ $# -eq 2 ] && [ "$2" -gt 0 ] && [ "$1" = "$2" ]; then same=1; break; fi
done
if [ -n "$same" ]; then ok "the reasons view's header rate is the exits' rate ($1/s), not KVM's categories added up"
else not_ok "header rate: '$r' (header, exits row)" "$(cat "$TMP/screen")"; fi
# settled FILE: the screen once two captures 20 ms apart agree, so that a
# capture taken while top is still drawing is never taken for a reading
settled() {
	screen >"$1"
	for _ in $(seq 20); do
		sleep 0.02
		screen >"$1.again"
		cmp -s "$1" "$1.again" && return 0
		mv "$1.again" "$1"
	done
}
settled "$TMP/s1"
for _ in $(seq 60); do sleep 0.1; settled "$TMP/s2"; cmp -s "$TMP/s1" "$TMP/s2" || break; done
t2=$(date +%s.%N)
for _ in $(seq 60); do sleep 0.1; settled "$TMP/s3"; cmp -s "$TMP/s2" "$TMP/s3" || break; done
t3=$(date +%s.%N)
gap=$(python3 -c "print(round($t3 - $t2, 1))")
if python3 -c "import sys; sys.exit(0 if 1.5 <= $t3 - $t2 <= 3.0 else 1)"; then ok "s 2: a reading every 2 s (${gap} s between two)"
else not_ok "s 2: ${gap} s between two readings"; fi
kill $busy 2>/dev/null; wait $busy 2>/dev/null
key q
for _ in $(seq 20); do tmux has-session -t "$S" 2>/dev/null || break; sleep 0.1; done
if tmux has-session -t "$S" 2>/dev/null; then not_ok "q quits" "$(screen)"; else ok "q quits"; fi
exit 0
