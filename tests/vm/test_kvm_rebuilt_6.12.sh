#!/usr/bin/env bash
# test_kvm_rebuilt.sh with Debian 12's 6.12: its KVM rebuilt from
# linux-source-6.12, stock and with kernel/patches/6.12, in its testbed
TESTBED_KERNEL=6.12 exec bash "$(dirname "$0")/test_kvm_rebuilt.sh"
