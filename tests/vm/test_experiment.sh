#!/usr/bin/env bash
# make experiment's SVM half (tests/vm/experiment.sh): a Linux guest boots
# with its log on the serial console, idles and powers off under the patched
# KVM; kvmexitstat's counts of the boot, the idle phase and the recording
# equal the kernel's hist trigger, each CMPE283 report the tracepoint's
# counts at its exit (experiment.py's lines), and the report is written.
cd "$(dirname "$0")/../.."
O=${O:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
EXPERIMENT_OUT=$out tests/vm/experiment.sh svm
rc=$?
if grep -q '^## SVM' "$out/report.md" 2>/dev/null && grep -q '^| 1 | ' "$out/svm.md" && [ -s "$out/svm.svg" ]; then
	echo "ok - the report: its SVM section with the tables, and the plot"
else
	echo "not ok - the report: its SVM section with the tables, and the plot: $(ls "$out")"
	rc=1
fi
# the run's chart, as a person would see it
python3 tests/cli/svg_check.py experiment "$out/svm.svg" || rc=1
exit $rc
