# SPDX-License-Identifier: GPL-3.0-or-later
"""A small TAP writer for the Python tests (the plan is printed at the end)."""
import sys
import traceback

_n = 0
_failed = 0


def ok(cond, name):
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _n, name), flush=True)
    return cond


def diag(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


def run(name, fn, *args):
    """Run one group of checks; an exception is one failed check."""
    try:
        fn(*args)
    except Exception:  # pylint: disable=broad-except
        diag(traceback.format_exc())
        ok(False, name + ": raised")


def done():
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)
