#!/usr/bin/env bash
# test_halt.sh with Debian 12's 6.12 kernel in the testbed
TESTBED_KERNEL=6.12 exec bash "$(dirname "$0")/test_halt.sh"
