# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python package against the program on the same inputs: every number
identical to the last bit, every error the program's message."""
import math
import threading

import numpy as np

import sigprop
import tap
from common import cli_args, error_of, report, same, same_json, table

# High-entropy models: no round numbers, every switch exercised somewhere.
MODELS = [
    dict(beta=0.7310472, rho0=0.0371, depth=37, var_v=0.2137, var_w=0.3071),
    dict(norm="pre", attention_stats="finite", tokens=137, beta=0.8129, rho0=-0.00411,
         depth=23, causal=True, activation="gelu"),
    dict(preset="gpt2-small", depth=31, rho0=0.0613),
    dict(norm="none", attention="centred", alpha_sa=0.9137, alpha_mlp=0.8713, branch_sa=0.4117,
         branch_mlp=0.3719, depth=19, q0=1.3177, mean_removal=0.271),
    dict(d_model=384, heads=6, d_ff=1536, init_std=0.0237, tokens=211, depth=17,
         attention_stats="finite", activation="tanh"),
]


def check_propagate():
    for kw in MODELS:
        got = sigprop.propagate(sigprop.Model(**kw))
        want = table(["propagate"] + cli_args(kw))
        tap.ok(list(got.dtype.names) == list(want), "propagate %s: the program's columns" % kw)
        tap.ok(all(same(got[c], want[c]) for c in want), "propagate %s: identical numbers" % kw)


BAD = [
    dict(beta=math.nan),
    dict(var_v=-0.3172),
    dict(depth=12.5),
    dict(rho0=-0.41, tokens=97, attention_stats="finite"),
    dict(norm="sideways"),
    dict(attention_stats="exactish"),
    dict(config="/nonexistent/config.json"),
    dict(preset="no-such-preset"),
    dict(std_q=0.0213),
    dict(d_model=768, heads=7, d_ff=3072, init_std=0.0213),
    dict(tokens=1.5e10),
]


def check_errors():
    for kw in BAD:
        want, code = error_of(["propagate"] + cli_args(kw))
        try:
            sigprop.Model(**kw)
            tap.ok(False, "Model(%s) raises" % kw)
        except sigprop.Error as e:
            tap.ok(e.message == want and str(e) == want and e.status > 0,
                   "Model(%s): %r (program: %r, exit %d)" % (kw, e.message, want, code))
    try:
        sigprop.Model(beta=0.5, no_such_option=1.25)
        tap.ok(False, "an unknown option raises")
    except sigprop.Error as e:
        tap.ok(e.message == "--no-such-option: not a model option" and e.status == 1,
               "an unknown option: %r" % e.message)
    try:
        sigprop.Model(causal="yes")
        tap.ok(False, "a flag with a value raises")
    except sigprop.Error as e:
        tap.ok(e.message == error_of(["propagate", "--causal=yes"])[0],
               "a flag with a value: %r" % e.message)


RECOMMEND = [
    (dict(preset="gpt2-small", depth=37, rho0=0.0413), {}),
    (dict(norm="pre", causal=True, depth=29, d_model=1024, heads=16, d_ff=4096,
          init_std=0.0217), dict(margin=0.317, gain="branch")),
    (dict(beta=0.917, depth=41, alpha_sa=1.137, attention_stats="asymptotic"),
     dict(rho_max=0.8713)),
]


def check_recommend():
    for kw, opts in RECOMMEND:
        got = sigprop.recommend(sigprop.Model(**kw), **opts)
        args = ["recommend", "-o", "-"] + cli_args(kw)
        for k, v in opts.items():
            args += ["--" + k.replace("_", "-"), str(v)]
        want = report(args)
        tap.ok(got.pop("command") is None and want.pop("command"), "recommend %s: command" % kw)
        diff = same_json(got, want, digits=16)
        tap.ok(not diff, "recommend %s %s: the program's report (%s)" % (kw, opts, diff[:3]))
    m = sigprop.Model(**RECOMMEND[0][0])
    for opts, args in [(dict(margin=12.5), ["--margin", "12.5"]),
                       (dict(rho_max=1.25), ["--rho-max", "1.25"]),
                       (dict(gain="gamma"), ["--gain", "gamma"]),
                       (dict(margin=math.nan), ["--margin", "nan"])]:
        want, _ = error_of(["recommend"] + args)
        try:
            sigprop.recommend(m, **opts)
            tap.ok(False, "recommend %s raises" % opts)
        except sigprop.Error as e:
            tap.ok(e.message == want, "recommend %s: %r (program: %r)" % (opts, e.message, want))


SIMULATE = [
    (dict(depth=7, tokens=19, beta=0.6173, rho0=0.0531), dict(width=48, seeds=3, seed=17)),
    (dict(norm="pre", depth=5, tokens=13, activation="gelu", causal=True),
     dict(width=36, seeds=2, heads=3, gradient=True, jacobian=True, tokens_scale=211.5)),
]


def check_simulate():
    for kw, opts in SIMULATE:
        calls = []
        got = sigprop.simulate(sigprop.Model(**kw), threads=2,
                               progress=lambda d, t: calls.append((d, t)), **opts)
        args = ["simulate", "--threads", "1"] + cli_args(kw) + cli_args(opts)
        want = table(args)
        tap.ok(list(got.dtype.names) == list(want), "simulate %s: the program's columns" % opts)
        tap.ok(all(same(got[c], want[c]) for c in want),
               "simulate %s %s: identical numbers (2 threads against 1)" % (kw, opts))
        total = opts["seeds"] * kw["depth"]
        tap.ok(calls and calls[-1] == (total, total) and all(t == total for _, t in calls),
               "simulate: progress up to %d of %d (%d calls)" % (calls[-1][0], total, len(calls)))
    m = sigprop.Model(depth=3, tokens=11)
    for opts, args in [(dict(width=1, seeds=2), ["--width", "1", "--seeds", "2"]),
                       (dict(width=30, seeds=0), ["--width", "30", "--seeds", "0"]),
                       (dict(width=30, seeds=2, heads=4), ["--width", "30", "--seeds", "2",
                                                           "--heads", "4"]),
                       (dict(width=30.5, seeds=2), ["--width", "30.5", "--seeds", "2"])]:
        want, _ = error_of(["simulate", "--depth", "3", "--tokens", "11"] + args)
        try:
            sigprop.simulate(m, **opts)
            tap.ok(False, "simulate %s raises" % opts)
        except sigprop.Error as e:
            tap.ok(e.message == want, "simulate %s: %r (program: %r)" % (opts, e.message, want))


def check_threads():
    m = sigprop.Model(**MODELS[1])
    want = sigprop.propagate(m)
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(same(sigprop.propagate(m).view(np.float64),
                                    want.view(np.float64)))
                sigprop.Model(**MODELS[4])
        except Exception as e:  # pylint: disable=broad-except
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tap.ok(not errors and len(results) == 40 and all(results),
           "two threads sharing a model: 40 identical tables (%s)" % errors)


tap.run("propagate", check_propagate)
tap.run("errors", check_errors)
tap.run("recommend", check_recommend)
tap.run("simulate", check_simulate)
tap.run("threads", check_threads)
tap.done()
