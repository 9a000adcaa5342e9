# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop.propagate() at depth 50 against the same C call
(sp_propagate_table_fill, tests/bench_propagate_table.c): both medians and
their ratio, for the default model and a finite-T pre-LN GELU model.
Never fails on time."""
import os
import subprocess
import time

import sigprop

REPS = 2001
CASES = [
    {},
    {"norm": "pre", "attention-stats": "finite", "tokens": "211", "activation": "gelu"},
]


def python_median(model):
    sigprop.propagate(model)  # builds the tables once
    t = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        sigprop.propagate(model)
        t.append(time.perf_counter() - t0)
    t.sort()
    return t[len(t) // 2]


for case in CASES:
    opts = dict(case, depth="50")
    args = [os.environ["SIGPROP_BENCH_C"], str(REPS)]
    for k, v in opts.items():
        args += [k, v]
    c = float(subprocess.run(args, stdout=subprocess.PIPE, check=True).stdout)
    py = python_median(sigprop.Model(**{k.replace("-", "_"): v for k, v in opts.items()}))
    label = " ".join("--%s %s" % kv for kv in opts.items())
    print("propagate %s: C %.2f us, Python %.2f us, ratio %.2f (median of %d)"
          % (label, c * 1e6, py * 1e6, py / c, REPS))
