# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop.diagram against `sigprop diagram` on the same inputs: the grid
and the curves identical to the last bit, the figure the same picture,
every error the program's message."""
import csv
import io
import os
import re
import struct
import tempfile
import zlib

import numpy as np

import sigprop
import tap
from common import cli_args, error_of, run, same

# High-entropy cases: (model options, diagram keywords, the program's options
# before and after the model's).
# depth= comes after the model's options (a preset's depth gives way to it).
CASES = [
    (dict(), dict(x="beta:0.13:3.71:23", y="alpha-sa:0.07:2.93:17"),
     ["--x", "beta:0.13:3.71:23", "--y", "alpha-sa:0.07:2.93:17"], []),
    (dict(preset="gpt2-small", rho0=0.0613),
     dict(x="beta:0.11:2.87:19:log", y="alpha-sa:0.21:3.13:13", depth=37, rho_max=0.8713,
          overlay_gradient=0.0137, overlay_lambda_g=True, threads=2),
     ["--x", "beta:0.11:2.87:19:log", "--y", "alpha-sa:0.21:3.13:13",
      "--rho-max", "0.8713", "--overlay-gradient", "0.0137", "--overlay-lambda-g",
      "--threads", "2"], ["--depth", "37"]),
    (dict(norm="pre", attention_stats="finite", tokens=137, causal=True, activation="gelu"),
     dict(x="rho0:0.0031:0.4129:14", y="depth:3:41:11", y2_max=0.6173, threads=1),
     ["--x", "rho0:0.0031:0.4129:14", "--y", "depth:3:41:11", "--y2-max", "0.6173",
      "--threads", "1"], []),
]


def read_csv(text):
    """{column: list of strings} of a CSV with '#' metadata lines."""
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return {name: [r[j] for r in rows[1:]] for j, name in enumerate(rows[0])}


def numbers(col):
    return np.array([float(v) if v != "" else np.nan for v in col])


def same_table(got, want, text_cols):
    if list(got) != list(want):
        return "columns %s != %s" % (list(got), list(want))
    for name in want:
        if name in text_cols:
            if list(got[name]) != want[name]:
                return "column %s differs" % name
        elif not same(got[name], numbers(want[name])):
            return "column %s differs" % name
    return ""


def check_tables():
    with tempfile.TemporaryDirectory() as folder:
        for model, kw, args, tail in CASES:
            curves = os.path.join(folder, "curves.csv")
            out, _, _ = run(["diagram", "--quiet", "-o", "-", "--curves", curves] + args
                            + cli_args(model) + tail)
            d = sigprop.diagram(sigprop.Model(**model), **kw)
            why = same_table(d.grid, read_csv(out.decode()), ("class",))
            tap.ok(not why, "diagram %s: the program's grid, bit for bit %s" % (args, why))
            with open(curves) as f:
                want = read_csv(f.read())
            why = same_table(d.curves, want, ("curve",))
            tap.ok(not why and len(want["x"]) > 0,
                   "diagram %s: the program's %d curve vertices, bit for bit %s"
                   % (args, len(want["x"]), why))
            tap.ok(sum(d.counts.values()) == len(d.grid["x"]),
                   "diagram %s: the class counts add up" % args)


def png_pixels(path):
    """IHDR and the inflated image data of a PNG (its metadata left out)."""
    with open(path, "rb") as f:
        b = f.read()
    i, head, data = 8, b"", b""
    while i < len(b):
        n, kind = struct.unpack(">I4s", b[i:i + 8])
        if kind == b"IHDR":
            head = b[i + 8:i + 8 + n]
        elif kind == b"IDAT":
            data += b[i + 8:i + 8 + n]
        i += 12 + n
    return head, zlib.decompress(data)


def svg_body(path):
    """An SVG without its description and metadata (the program's command
    line and model), the numbers of its image and surface ids left out
    (Cairo counts the surfaces of a process: the second figure of a
    process has other numbers)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"(<desc>.*?</desc>|<metadata>.*?</metadata>)\n?", "", text, flags=re.S)
    return re.sub(r"\b(image|surface)[0-9]+\b", r"\1", text)


def check_plot():
    cases = [(CASES[0], [], {}),
             (CASES[1], ["--mark", "1.37,1.91", "--colormap", "magma", "--range", "-0.13:0.97",
                         "--title", "a diagram"],
              dict(mark=(1.37, 1.91), colormap="magma", range=(-0.13, 0.97), title="a diagram"))]
    with tempfile.TemporaryDirectory() as folder:
        for (model, kw, args, tail), fargs, fkw in cases:
            cli = [os.path.join(folder, "cli." + e) for e in ("png", "svg", "pdf")]
            py = [os.path.join(folder, "py." + e) for e in ("png", "svg", "pdf")]
            run(["diagram", "--quiet", "-o", cli[0], "-o", cli[1], "-o", cli[2]] + args + fargs
                + cli_args(model) + tail)
            d = sigprop.diagram(sigprop.Model(**model), **kw)
            for path in py:
                d.plot(path, **fkw)
            tap.ok(png_pixels(py[0]) == png_pixels(cli[0]),
                   "plot %s: the program's PNG, pixel for pixel" % (args + fargs))
            tap.ok(svg_body(py[1]) == svg_body(cli[1]),
                   "plot %s: the program's SVG but for its metadata" % (args + fargs))
            with open(py[2], "rb") as f:
                tap.ok(f.read(5) == b"%PDF-", "plot %s: a PDF" % (args + fargs))
        bad = os.path.join(folder, "no", "such", "d.png")
        want, _ = error_of(["diagram", "--quiet", "--depth", "3", "--x", "beta:0.3:1.7:3", "--y",
                            "alpha-sa:0.2:1.9:3", "-o", bad])
        try:
            d.plot(bad)
            tap.ok(False, "plot into a missing folder raises")
        except sigprop.Error as e:
            tap.ok(e.message == want, "plot into a missing folder: %r (program: %r)"
                   % (e.message, want))
        try:
            d.plot(os.path.join(folder, "py.csv"))
            tap.ok(False, "plot to .csv raises")
        except sigprop.Error as e:
            tap.ok("png" in e.message, "plot to .csv: %r" % e.message)


def check_defaults():
    """Without depth, the program's depth 60 (unless the model gave one)."""
    out, _, _ = run(["diagram", "--quiet", "-o", "-", "--x", "beta:0.3:2.9:7", "--y",
                     "alpha-sa:0.4:2.2:5", "--rho0", "0.0417"])
    d = sigprop.diagram(sigprop.Model(rho0=0.0417), x="beta:0.3:2.9:7", y="alpha-sa:0.4:2.2:5")
    why = same_table(d.grid, read_csv(out.decode()), ("class",))
    tap.ok(not why, "diagram of a model without depth: the program's (depth 60) %s" % why)
    calls = []
    sigprop.diagram(sigprop.Model(depth=13), x="beta:0.3:2.9:7", y=("alpha-sa", 0.4, 2.2, 5),
                    progress=lambda done, total: calls.append((done, total)))
    tap.ok(len(calls) == 5 and sorted(calls)[-1] == (5, 5) and all(t == 5 for _, t in calls),
           "progress: once per grid row, up to (5, 5) (%s)" % calls)


ERRORS = [
    (dict(x="beta:0:4"), ["--x", "beta:0:4"]),
    (dict(x="gamma:0:1:5"), ["--x", "gamma:0:1:5"]),
    (dict(y="alpha-sa:0:3:31:cubic"), ["--y", "alpha-sa:0:3:31:cubic"]),
    (dict(x="beta:0:3.7:5:log"), ["--x", "beta:0:3.7:5:log"]),
    (dict(x="beta:2.1:1.3:5"), ["--x", "beta:2.1:1.3:5"]),
    (dict(x="beta:0:3.1:1"), ["--x", "beta:0:3.1:1"]),
    (dict(x="beta:0:3.1:4.5"), ["--x", "beta:0:3.1:4.5"]),
    (dict(x="beta:0:3.1:x"), ["--x", "beta:0:3.1:x"]),
    (dict(x="rho0:-2:0.5:5"), ["--x", "rho0:-2:0.5:5"]),
    (dict(x="depth:2.5:9:5"), ["--x", "depth:2.5:9:5"]),
    (dict(x="var-w:0.1:0.7:5", y="var-w-in:0.2:0.9:5"),
     ["--x", "var-w:0.1:0.7:5", "--y", "var-w-in:0.2:0.9:5"]),
    (dict(x="beta:0.1:3:5", y="eta:0.2:1:5"), ["--x", "beta:0.1:3:5", "--y", "eta:0.2:1:5"]),
    (dict(rho_max=1.37), ["--rho-max", "1.37"]),
    (dict(y2_max=0), ["--y2-max", "0"]),
    (dict(overlay_gradient=1), ["--overlay-gradient", "1"]),
    (dict(threads=0), ["--threads", "0"]),
    (dict(x="beta:0:3:5000", y="alpha-sa:0:3:5000"),
     ["--x", "beta:0:3:5000", "--y", "alpha-sa:0:3:5000"]),
]


def check_errors():
    for kw, args in ERRORS:
        want, code = error_of(["diagram", "--quiet", "-o", "-"] + args)
        try:
            sigprop.diagram(sigprop.Model(depth=7), **kw)
            tap.ok(False, "diagram %s raises" % args)
        except sigprop.Error as e:
            tap.ok(code == 2 and e.message == want, "diagram %s: %r (program: %r)"
                   % (args, e.message, want))
    d = sigprop.diagram(sigprop.Model(depth=7), x="beta:0.3:2.9:5", y="alpha-sa:0.4:2.2:5")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.png")
        want, _ = error_of(["diagram", "--quiet", "--depth", "7", "--x", "beta:0.3:2.9:5", "--y",
                            "alpha-sa:0.4:2.2:5", "--mark", "3.5,1", "-o", path])
        try:
            d.plot(path, mark=(3.5, 1))
            tap.ok(False, "plot with a mark outside raises")
        except sigprop.Error as e:
            tap.ok(e.message == want and not os.path.exists(path),
                   "plot with a mark outside: %r (program: %r), no file" % (e.message, want))


tap.run("tables", check_tables)
tap.run("plot", check_plot)
tap.run("defaults", check_defaults)
tap.run("errors", check_errors)
tap.done()
