#!/usr/bin/env bash
# The testbed itself: a script's output and exit status come back; a guest
# that hangs fails at the time limit, one that panics fails at once; both
# with a clear message, the script's output and the kernel's messages.
set -u
cd "$(dirname "$0")/../.."
. tests/cli/tap.bash

printf 'echo hello from the testbed\ngrep -q svm /proc/cpuinfo && echo svm\ntest -c /dev/kvm && echo kvm\nexit 7\n' >"$TMP/status.sh"
run "a script's exit status comes back" 7 tests/vm/testbed.sh run "$TMP/status.sh" 90
expect_in "its output comes back" "$TMP/out" "hello from the testbed"
expect_in "the guest CPU has SVM" "$TMP/out" "svm"
expect_in "kvm-amd loaded: /dev/kvm exists" "$TMP/out" "kvm"

printf 'echo sleeping; sleep 600\n' >"$TMP/hang.sh"
run "a hanging guest fails at the time limit" 124 tests/vm/testbed.sh run "$TMP/hang.sh" 45
expect_in "hang: says so" "$TMP/err" "did not finish within 45 s"
expect_in "hang: shows the script's output" "$TMP/err" "sleeping"
expect_in "hang: shows the kernel's dump of every CPU" "$TMP/err" "backtrace of all active CPUs"
expect_in "hang: shows where the emulator's vCPUs are" "$TMP/err" "RIP="

printf 'echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger; sleep 60\n' >"$TMP/panic.sh"
run "a panicking guest fails at once" 3 tests/vm/testbed.sh run "$TMP/panic.sh" 90
expect_in "panic: says so" "$TMP/err" "the guest kernel panicked"
