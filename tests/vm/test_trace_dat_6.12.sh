#!/usr/bin/env bash
# test_trace_dat.sh with Debian 12's 6.12 kernel in the testbed (its kvm_exit
# and kvm_entry records, as trace-cmd writes them there): the recording
# checked against the hist trigger; the file-format cases run on 6.1
FULL=0 TESTBED_KERNEL=6.12 exec bash "$(dirname "$0")/test_trace_dat.sh"
