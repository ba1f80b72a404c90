"""TAP lines from the Python checks inside the CLI and testbed tests:
numbering goes on from the shell's counter (TAP_START), each name after
TAP_PREFIX, check() prints one line, done() exits 1 if any failed. Import
with sys.path holding tests/cli."""
import os
import sys

_n = int(os.environ.get("TAP_START", "0"))
_fails = 0
_prefix = os.environ.get("TAP_PREFIX", "")


def check(name, good, detail=""):
    global _n, _fails
    _n += 1
    _fails += not good
    print(("ok" if good else "not ok") + f" {_n} - {_prefix}{name}" + ("" if good else f"\n#   {detail}"))


def done():
    sys.exit(1 if _fails else 0)
