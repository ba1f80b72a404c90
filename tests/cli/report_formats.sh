#!/usr/bin/env bash
# Report formats carry the same numbers; JSON parses; CSV is RFC 4180;
# the kernel log series; the reasons tables.
. "$(dirname "$0")/tap.bash"
T=tests/data/traces

"$KVMEXITSTAT" report -o json --by vcpu $T/*.txt >"$TMP/r.json" 2>"$TMP/err"
"$KVMEXITSTAT" report -o csv --by vcpu $T/*.txt >"$TMP/r.csv" 2>>"$TMP/err"
"$KVMEXITSTAT" report --by vcpu $T/*.txt >"$TMP/r.txt" 2>>"$TMP/err"
if python3 - "$TMP/r.json" "$TMP/r.csv" "$TMP/r.txt" >"$TMP/cmp" 2>&1 <<'PY'
import csv, json, re, sys
j = json.load(open(sys.argv[1]))
c = [r for r in csv.DictReader(open(sys.argv[2], newline="")) if r["source"] == "trace"]
jr = sorted((r["pid"], r["vcpu"], r["reason"], r["count"], r["timed"], r["time_ns"]) for r in j["rows"])
cr = sorted((int(r["pid"]), int(r["vcpu"]), r["reason"], int(r["count"]), int(r["timed"]), int(r["time_ns"])) for r in c)
assert jr == cr, (jr, cr)
# as many exits as the golden files, worked out by hand, list for these traces
import glob
want = sum(int(l.split(",")[4]) for f in glob.glob("tests/golden/*.expected")
           for l in open(f) if l[0].isdigit())
assert j["exits"] == sum(r[3] for r in jr) == j["total"]["count"] == want, (j["exits"], want)
# the table shows the same counts, reason by reason, section by section
# (the kernel-log sections some traces also hold have rows of their own)
t = "\n\n".join(b for b in open(sys.argv[3]).read().split("\n\n") if not b.startswith("Kernel log ("))
rows = re.findall(r"^(\S+(?: excp)?)\s+(vmx|svm)\s+(\d+)\s", t, re.M)
assert sorted((r, int(n)) for r, _, n in rows) == sorted((r[2], r[3]) for r in jr), rows
PY
then ok "JSON, CSV and table carry the same numbers"; else not_ok "formats disagree" "$(cat "$TMP/cmp")"; fi

# --vcpu N: that vCPU's rows of --by vcpu, and only they, with their totals
"$KVMEXITSTAT" report -o json --by vcpu --vcpu 1 $T/*.txt >"$TMP/v1.json" 2>"$TMP/err"
if python3 - "$TMP/r.json" "$TMP/v1.json" >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = sorted((r["pid"], r["reason"], r["count"], r["timed"]) for r in a["rows"] if r["vcpu"] == 1)
got = sorted((r["pid"], r["reason"], r["count"], r["timed"]) for r in b["rows"])
assert want and got == want and all(r["vcpu"] == 1 for r in b["rows"]), (got, want)
assert b["exits"] == sum(r[2] for r in want) and b["timed"] == sum(r[3] for r in want), b
PY
then ok "--vcpu 1: vCPU 1's rows and totals, no other"; else not_ok "--vcpu" "$(cat "$TMP/cmp")"; fi
run "--vcpu: not a number" 2 "$KVMEXITSTAT" report --vcpu one $T/trace_mkrause_nested_esxi_cr0wp.txt
expect_in "--vcpu: not a number: says what it expects" "$TMP/err" "--vcpu: expected a vCPU id"

# kernel log: three reports, growth between the first and the last
cat >"$TMP/dmesg" <<'K'
[    5.000000] kvm: loaded
[   10.000000] CMPE283: VMX Exit Stats (total=10000)
[   10.000001] CMPE283: exit 10 count=6000
[   10.000002] CMPE283: exit 30 count=4000
[   20.000000] CMPE283: VMX Exit Stats (total=20000)
[   20.000001] CMPE283: exit 10 count=11000
[   20.000002] CMPE283: exit 30 count=9000
[   30.000000] CMPE283: VMX Exit Stats (total=30000)
[   30.000001] CMPE283: exit 10 count=15000
[   30.000002] CMPE283: exit 30 count=12000
[   30.000003] CMPE283: exit 48 count=3000
K
run "kernel log report" 0 "$KVMEXITSTAT" report "$TMP/dmesg"
expect_in "kernel log: three reports, last total" "$TMP/out" "3 reports, last total=30000 at 30.000000 s"
expect_in "kernel log: CPUID last count and growth" "$TMP/out" "CPUID                        vmx         15000   50.00%         9000"
expect_in "kernel log: EPT_VIOLATION new since the first" "$TMP/out" "EPT_VIOLATION                vmx          3000   10.00%         3000"
expect_in "kernel log: rate" "$TMP/out" "20000 exits in 20.000 s, 1000.0 exits/s"
run "kernel log CSV" 0 "$KVMEXITSTAT" report -o csv "$TMP/dmesg"
expect_in "kernel log CSV row" "$TMP/out" "total,,kernel-log,,,,,vmx,IO_INSTRUCTION,30,12000,,40.0000,0,0,,,,,,,,8000"
run "kernel log JSON" 0 "$KVMEXITSTAT" report -o json "$TMP/dmesg"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["kernel_log"])==1; k=d["kernel_log"][0]; assert [r["total"] for r in k["reports"]]==[10000,20000,30000]; assert {r["reason"]:r["growth"] for r in k["last"]}=={"CPUID":9000,"IO_INSTRUCTION":8000,"EPT_VIOLATION":3000}' "$TMP/out"; then ok "kernel log JSON series"; else not_ok "kernel log JSON series" "$(head -c 500 "$TMP/out")"; fi
sed 's/^\[[^]]*\] //' "$TMP/dmesg" >"$TMP/noprefix"
run "kernel log without dmesg prefix" 0 "$KVMEXITSTAT" report "$TMP/noprefix"
expect_in "kernel log without prefix: same counts" "$TMP/out" "CPUID                        vmx         15000   50.00%         9000"
printf 'CMPE283: VMX Exit Stats (total=100)\nCMPE283: exit 10 count=60\n' >"$TMP/short"
run "kernel log block that does not add up" 0 "$KVMEXITSTAT" report "$TMP/short"
expect_in "kernel log mismatch noted" "$TMP/out" "exit lines sum to 60, its header says total=100"

# reasons
run "reasons vmx" 0 "$KVMEXITSTAT" reasons vmx
expect_in "reasons vmx: 48 EPT_VIOLATION" "$TMP/out" "48           EPT_VIOLATION"
expect_in "reasons vmx: 30 IO_INSTRUCTION" "$TMP/out" "30           IO_INSTRUCTION"
expect_not_in "reasons vmx: no SVM rows" "$TMP/out" "npf"
run "reasons svm" 0 "$KVMEXITSTAT" reasons svm
expect_in "reasons svm: npf" "$TMP/out" "0x400        npf                          NPF"
expect_in "reasons svm: -1" "$TMP/out" "-1           invalid_guest_state"
run "reasons csv" 0 "$KVMEXITSTAT" reasons -o csv
if python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); assert len(r) > 200; assert any(x["name"]=="GP excp" and x["hex"]=="0x4d" for x in r)' "$TMP/out"; then ok "reasons csv parses"; else not_ok "reasons csv"; fi
run "reasons json" 0 "$KVMEXITSTAT" reasons -o json
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert {x["isa"] for x in r}=={"vmx","svm"}' "$TMP/out"; then ok "reasons json parses"; else not_ok "reasons json"; fi

# --sort: by total handling time, by reason code
run "--sort time" 0 "$KVMEXITSTAT" report -o csv --sort time $T/trace_mkrause_nested_esxi_cr0wp.txt
order=$(tail -n +2 "$TMP/out" | cut -d, -f9 | head -3 | tr '\n' ' ')
if [ "$order" = "CR_ACCESS LDTR_TR EXTERNAL_INTERRUPT " ]; then ok "--sort time: 131us, 65us, 31us first"; else not_ok "--sort time order: $order"; fi
run "--sort reason" 0 "$KVMEXITSTAT" report -o csv --sort reason $T/trace_mkrause_nested_esxi_cr0wp.txt
order=$(tail -n +2 "$TMP/out" | cut -d, -f10 | tr '\n' ' ')
if [ "$order" = "1 2 10 28 31 32 47 " ]; then ok "--sort reason: by code"; else not_ok "--sort reason order: $order"; fi

# HLT's handling time stays out of the totals' by default (the guest idle
# with an in-kernel irqchip); --hlt-time counts it in
H=$T/trace_manali_amd_idlehlt_svm.txt
run "report of a trace with an HLT exit" 0 "$KVMEXITSTAT" report "$H"
expect_in "says HLT's time is left out, and how to count it" "$TMP/out" "HLT's handling time (with an in-kernel irqchip, mostly the guest idle) is left out of TIME% and the TOTAL row's times; --hlt-time counts it in"
if grep -qE '^hlt +svm +1 +20\.00% +- +0ns' "$TMP/out" && grep -qE '^TOTAL +5 +100\.00% +100\.00% +0ns +500ns' "$TMP/out"; then
	ok "HLT's row keeps its times, without a TIME%; the TOTAL's average leaves it out"
else not_ok "HLT apart" "$(cat "$TMP/out")"; fi
run "report --hlt-time" 0 "$KVMEXITSTAT" report --hlt-time "$H"
expect_not_in "--hlt-time: no such line" "$TMP/out" "is left out of TIME%"
if grep -qE '^hlt +svm +1 +20\.00% +0\.00% +0ns' "$TMP/out" && grep -qE '^TOTAL +5 +100\.00% +100\.00% +0ns +333ns' "$TMP/out"; then
	ok "--hlt-time: HLT in TIME% and in the TOTAL's average"
else not_ok "--hlt-time" "$(cat "$TMP/out")"; fi
run "report -o json" 0 "$KVMEXITSTAT" report -o json "$H"
if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
h = [r for r in j["rows"] if r["reason"] == "hlt"][0]
assert h.get("time_apart") is True and "time_percent" not in h and h["timed"] == 1, h
assert j["total"]["timed"] == 2 and j["total"]["count"] == 5, j["total"]
' "$TMP/out" 2>"$TMP/cmp"; then ok "JSON: HLT's row time_apart, the total timed without it"; else not_ok "JSON time_apart" "$(cat "$TMP/cmp")"; fi
