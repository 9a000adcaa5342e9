# SPDX-License-Identifier: GPL-3.0-or-later
"""Running the program on the same inputs as the package."""
import csv
import io
import json
import os
import subprocess

import numpy as np

SIGPROP = os.environ["SIGPROP"]


def cli_args(options):
    """The program's model options for a dict of keyword options."""
    args = []
    for key, value in options.items():
        name = "--" + key.replace("_", "-")
        if value is True:
            args.append(name)
        elif value is False:
            args.append("--no-" + key.replace("_", "-"))
        else:
            args += [name, value if isinstance(value, str) else float.__repr__(float(value))
                     if isinstance(value, float) else str(value)]
    return args


def run(args, check=True):
    """The program's standard output (bytes) and its exit status."""
    p = subprocess.run([SIGPROP] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=False)
    if check and p.returncode:
        raise RuntimeError("sigprop %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout, p.returncode, p.stderr.decode()


def error_of(args):
    """The program's error message, without "sigprop: ", and its status."""
    _, code, err = run(args, check=False)
    line = err.strip().splitlines()[-1] if err.strip() else ""
    return (line[len("sigprop: "):] if line.startswith("sigprop: ") else line), code


def table(args):
    """The CSV table the program prints: {column: float64 array} (empty
    cells NaN), in the program's column order."""
    out, _, _ = run(args)
    lines = [l for l in out.decode().splitlines() if l and not l.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    head, body = rows[0], rows[1:]
    cols = {}
    for j, name in enumerate(head):
        cols[name] = np.array([float(r[j]) if r[j] != "" else np.nan for r in body])
    return cols


def report(args):
    """The JSON the program writes to standard output."""
    out, _, _ = run(args)
    return json.loads(out.decode())


def same(a, b):
    """Equal to the last bit, NaN where NaN."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def same_json(a, b, digits=17, path=""):
    """The same tree, every number equal when printed to `digits` digits
    (17: the program's JSON reals read back to the same double); a list of
    differences."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return ["%s: keys %s != %s" % (path, list(a), list(b))]
        out = []
        for k in a:
            out += same_json(a[k], b[k], digits, path + "/" + k)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return ["%s: lengths" % path]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += same_json(x, y, digits, "%s[%d]" % (path, i))
        return out
    if isinstance(a, float) and isinstance(b, float):
        return [] if "%.*g" % (digits, a) == "%.*g" % (digits, b) else ["%s: %r != %r" % (path, a, b)]
    return [] if (type(a), a) == (type(b), b) else ["%s: %r != %r" % (path, a, b)]


def answer(args):
    """The last line of the program's output (critical's answer)."""
    out, _, _ = run(args)
    return out.decode().strip().splitlines()[-1]
