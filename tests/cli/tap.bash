# TAP helpers for the command-line tests. Source it; $KVMEXITSTAT is the binary.
: "${KVMEXITSTAT:=build/kvmexitstat}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
_n=0

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# run NAME WANT_STATUS CMD...: runs CMD, keeps stdout in $TMP/out, stderr in $TMP/err
run() {
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$name (exit $got)"
	else
		not_ok "$name: exit $got, want $want" "stderr: $(head -c 400 "$TMP/err")"
	fi
}

# expect_in NAME FILE TEXT: FILE contains TEXT (fixed string)
expect_in() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1: '$3' not in $(basename "$2")" "$(head -c 600 "$2")"; fi
}

expect_not_in() {
	if grep -qF -- "$3" "$2"; then not_ok "$1: '$3' in $(basename "$2")"; else ok "$1"; fi
}

# expect_lines NAME FILE N: FILE has exactly N lines
expect_lines() {
	local n
	n=$(wc -l <"$2")
	if [ "$n" -eq "$3" ]; then ok "$1"; else not_ok "$1: $n lines, want $3" "$(head -c 600 "$2")"; fi
}

# exits_per OP: 1 when one OP of kvmexitgen's guest exits to KVM on this host,
# 0 when it does not, found now from KVM's own "exits" counter over 2000 more
# of them (a CPL3 CPUID exits on an Intel PVM host and not on an AMD one; port
# I/O and MMIO exit on both, and everything exits under VMX or SVM).
exits_per() {
	local gen=${GEN:-$(dirname "$KVMEXITSTAT")/kvmexitgen} a b
	a=$("$gen" --json --"$1" 1 | python3 -c 'import json,sys; print(sum(v["stats"]["exits"] for v in json.load(sys.stdin)["vcpu"]))')
	b=$("$gen" --json --"$1" 2001 | python3 -c 'import json,sys; print(sum(v["stats"]["exits"] for v in json.load(sys.stdin)["vcpu"]))')
	if [ $((b - a)) -ge 1800 ]; then echo 1
	elif [ $((b - a)) -le 200 ]; then echo 0
	else echo "exits_per $1: 2000 more made $((b - a)) more exits, neither all nor none" >&2; echo 0; fi
}
