#!/usr/bin/env bash
# test_kvm_rebuilt.sh in the VMX testbed: kvm-intel rebuilt stock and with
# the series' VMX half (its CPUID leaves, its kernel log report)
TESTBED_ISA=vmx exec bash "$(dirname "$0")/test_kvm_rebuilt.sh"
