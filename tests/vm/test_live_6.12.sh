#!/usr/bin/env bash
# test_live.sh with Debian 12's 6.12 kernel in the testbed (its verifier,
# its kvm_exit record and its .ko.xz modules)
TESTBED_KERNEL=6.12 exec bash "$(dirname "$0")/test_live.sh"
