#!/usr/bin/env bash
# test_live.sh in the VMX testbed (Bochs emulating Intel VMX, kvm-intel):
# the VMX half of the BPF programs, both kinds, against the kernel's own
# histogram and kvmexitgen
TESTBED_ISA=vmx exec bash "$(dirname "$0")/test_live.sh"
