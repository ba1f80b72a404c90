#!/usr/bin/env bash
# test_rip.sh in the VMX testbed (Bochs): the RIP from the classic kvm_exit
# program's VMREAD, handed to the tp_btf one
TESTBED_ISA=vmx exec bash "$(dirname "$0")/test_rip.sh"
