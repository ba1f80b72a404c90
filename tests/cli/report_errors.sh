#!/usr/bin/env bash
# kvmexitstat report and reasons on bad input and wrong options: a clear
# one-line message, the right exit status, nothing lost.
. "$(dirname "$0")/tap.bash"
T=tests/data/traces
MK=$T/trace_mkrause_nested_esxi_cr0wp.txt

run "missing file" 1 "$KVMEXITSTAT" report /nonexistent/trace.txt
expect_in "missing file: names the file and the cause" "$TMP/err" "/nonexistent/trace.txt: cannot open: No such file or directory"

: >"$TMP/empty"
run "empty file" 1 "$KVMEXITSTAT" report "$TMP/empty"
expect_in "empty file: says so" "$TMP/err" "empty: empty input"

head -c 65536 /dev/urandom >"$TMP/garbage"
printf '\0' >>"$TMP/garbage"
run "binary garbage" 1 "$KVMEXITSTAT" report "$TMP/garbage"
expect_in "binary garbage: says so" "$TMP/err" "not a text trace"

# (real trace-cmd data files: tests/vm/test_trace_dat.sh)
printf '\027\010\104tracing6\0\0\0' >"$TMP/trace.dat"
run "trace-cmd .dat file cut in its header" 1 "$KVMEXITSTAT" report "$TMP/trace.dat"
expect_in "trace-cmd .dat file cut in its header: says so" "$TMP/err" "trace.dat: a trace-cmd data file that cannot be read: truncated or damaged"
run "trace-cmd .dat file on stdin" 1 sh -c "'$KVMEXITSTAT' report - <'$TMP/trace.dat'"
expect_in "trace-cmd .dat file on stdin: tells what to do" "$TMP/err" "a trace-cmd data file: give its path"

printf 'hello\nworld\n' >"$TMP/prose"
run "text without KVM events" 1 "$KVMEXITSTAT" report "$TMP/prose"
expect_in "text without KVM events: says so" "$TMP/err" "no kvm_exit, kvm_entry or CMPE283 lines in 2 lines"

# A readable input and a missing one: the report of the first, exit 1 for the second.
run "one good, one missing" 1 "$KVMEXITSTAT" report "$MK" /nonexistent/x
expect_in "one good, one missing: the good one is reported" "$TMP/out" "13 exits in 119 lines"

# Cut in the middle of a kvm_exit line: the whole lines count, the cut one is reported.
cut_at=$(grep -bo -m1 'reason MSR_READ' "$MK" | cut -d: -f1)
head -c $((cut_at + 12)) "$MK" >"$TMP/cut"
# exit 3: a report, but not of every line
run "trace cut mid-line" 3 "$KVMEXITSTAT" report -o csv "$TMP/cut"
expect_in "trace cut mid-line: cut line reported with its number" "$TMP/err" "cut:43: cannot decode: unknown exit reason name (line cut short?)"
expect_in "trace cut mid-line: earlier exits intact" "$TMP/out" "trace,,,,,vmx,EXTERNAL_INTERRUPT,1,3,"
expect_in "trace cut mid-line: summary counts it" "$TMP/err" "1 exit line could not be decoded"
expect_in "trace cut mid-line: CSV row of what was not counted, and where" "$TMP/out" "total,,undecodable,,,,,,$TMP/cut:43,,1,,"
run "trace cut mid-line, table" 3 "$KVMEXITSTAT" report "$TMP/cut"
expect_in "trace cut mid-line: the table ends saying so" "$TMP/out" "1 line could not be decoded and is not counted; the first at $TMP/cut:43"
run "trace cut mid-line, JSON" 3 "$KVMEXITSTAT" report -o json "$TMP/cut"
expect_in "trace cut mid-line: JSON says where" "$TMP/out" "\"unparsed\":1,\"unpaired_at_capture_end\":0,\"lost_events\":0,\"first_undecodable\":{\"input\":\"$TMP/cut\",\"line\":43}"

# kvm_exit lines none of which decode: never an empty report that succeeded
printf ' q-1 [000] 1.0: kvm_exit: vcpu 0 reason NOSUCH rip 0x0 info 0 0\n q-1 [000] 2.0: kvm_exit: vcpu 0 reason HL' >"$TMP/nonedec"
run "no line decodes" 1 "$KVMEXITSTAT" report "$TMP/nonedec"
expect_in "no line decodes: says so" "$TMP/err" "none of the 2 exit lines could be decoded"
expect_in "no line decodes: the table says where the first is" "$TMP/out" "2 lines could not be decoded and are not counted; the first at $TMP/nonedec:1"
run "trace cut mid-line, --strict" 1 "$KVMEXITSTAT" report --strict "$TMP/cut"
expect_in "--strict names the line" "$TMP/err" "cut:43: cannot decode"

# Numbers too large for 64 bits
cat >"$TMP/big" <<'T'
 q-1 [000] 1.000000: kvm_exit: vcpu 0 reason 0x1ffffffffffffffffffff rip 0x0 info 0 0
 q-1 [000] 1.000000: kvm_exit: vcpu 99999999999999999999999 reason HLT rip 0x0 info 0 0
 q-1 [000] 99999999999999999999.000000: kvm_exit: vcpu 0 reason HLT rip 0x0 info 0 0
[ 1.0] CMPE283: exit 10 count=99999999999999999999999
 q-1 [000] 2.000000: kvm_exit: vcpu 0 reason HLT rip 0x0 info 0 0
T
run "numbers too large" 3 "$KVMEXITSTAT" report -o csv "$TMP/big"
expect_in "reason out of range reported" "$TMP/err" "big:1: cannot decode: exit reason number out of range"
expect_in "vcpu out of range reported" "$TMP/err" "big:2: cannot decode: vcpu is not a number in range"
expect_in "count out of range reported" "$TMP/err" "big:4: cannot decode: kernel log count is not a number in range"
# line 3's timestamp does not parse: the exit still counts, without a time
expect_in "numbers too large: the decodable exits count" "$TMP/out" "trace,,,,,vmx,HLT,12,2,"

# CRLF line ends give the same numbers
sed 's/$/\r/' "$MK" >"$TMP/crlf"
"$KVMEXITSTAT" report -o csv "$MK" >"$TMP/lf.csv" 2>/dev/null
run "CRLF trace" 0 "$KVMEXITSTAT" report -o csv "$TMP/crlf"
if cmp -s "$TMP/lf.csv" "$TMP/out"; then ok "CRLF trace: same report as LF"; else not_ok "CRLF trace differs" "$(diff "$TMP/lf.csv" "$TMP/out" | head)"; fi

# stdin
run "stdin" 0 sh -c "'$KVMEXITSTAT' report -o csv - <'$MK'"
if cmp -s "$TMP/lf.csv" <(sed 's/^trace,/trace,/' "$TMP/out"); then ok "stdin: same numbers"; else not_ok "stdin differs"; fi

# Wrong options: usage errors exit 2 with a message
run "no input" 2 "$KVMEXITSTAT" report
expect_in "no input: says what to give" "$TMP/err" "no input"
run "bad -o" 2 "$KVMEXITSTAT" report -o xml "$MK"
expect_in "bad -o: names the value" "$TMP/err" "got 'xml'"
run "bad --by" 2 "$KVMEXITSTAT" report --by host "$MK"
run "bad --sort" 2 "$KVMEXITSTAT" report --sort size "$MK"
run "bad --isa" 2 "$KVMEXITSTAT" report --isa arm "$MK"
run "unknown option" 2 "$KVMEXITSTAT" report --frobnicate "$MK"
run "unknown command" 2 "$KVMEXITSTAT" frobnicate
run "reasons: bad isa" 2 "$KVMEXITSTAT" reasons arm
run "--version" 0 "$KVMEXITSTAT" --version
expect_in "--version prints it" "$TMP/out" "kvmexitstat "
run "--help" 0 "$KVMEXITSTAT" --help
expect_in "--help lists report" "$TMP/out" "report [OPTIONS] FILE"

# --isa decides numeric traces
printf ' q-1 [000] 1.0: kvm_exit: reason 48 rip 0x0 info 0 0\n q-1 [000] 1.1: kvm_exit: reason 0x7b rip 0x0 info 0 0\n' >"$TMP/num"
run "numeric reasons, --isa vmx" 0 "$KVMEXITSTAT" report --isa vmx -o csv "$TMP/num"
expect_in "48 is EPT_VIOLATION" "$TMP/out" ",vmx,EPT_VIOLATION,48,1,"
expect_in "0x7b is UNKNOWN(123) on VMX" "$TMP/out" ",vmx,UNKNOWN(123),123,1,"
run "numeric reasons, --isa svm" 0 "$KVMEXITSTAT" report --isa svm -o csv "$TMP/num"
expect_in "0x7b is io on SVM" "$TMP/out" ",svm,io,123,1,"
run "numeric reasons, no ISA" 0 "$KVMEXITSTAT" report -o csv "$TMP/num"
expect_in "no ISA: kept as unknown, not dropped" "$TMP/out" ",unknown,UNKNOWN(0x30),48,1,"
