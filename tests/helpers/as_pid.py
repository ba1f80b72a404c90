#!/usr/bin/env python3
"""as_pid.py PID CMD [ARG]...: run CMD as process PID, which must be free,
by setting the kernel's ns_last_pid just before forking (root); another
process forking meanwhile takes the pid first, so it tries again. Waits
for CMD and exits with its status; 3 when the pid could not be had."""
import os
import sys

want = int(sys.argv[1])
for _ in range(200):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(want - 1))
    pid = os.fork()
    if pid == 0:
        if os.getpid() != want:
            os._exit(99)
        os.execvp(sys.argv[2], sys.argv[2:])
    if pid == want:
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    os.waitpid(pid, 0)
print(f"as_pid.py: could not run as pid {want}", file=sys.stderr)
sys.exit(3)
