#!/usr/bin/env bash
# test_detail.sh in the VMX testbed (Bochs)
TESTBED_ISA=vmx exec bash "$(dirname "$0")/test_detail.sh"
