# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python package against the program on the same inputs: every number
identical to the last bit, every error the program's message."""
import json
import math
import os
import random
import struct
import tempfile
import threading

import numpy as np

import sigprop
import tap
from common import answer, cli_args, error_of, report, same, same_json, table

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


def raises_as_program(what, call, args):
    """One check: call() raises sigprop.Error with the message the program
    prints for `sigprop ARGS` (`what` names the case)."""
    want, code = error_of(args)
    try:
        call()
        tap.ok(False, "%s raises" % what)
    except sigprop.Error as e:
        tap.ok(e.message == want, "%s: %r (program: %r, exit %d)" % (what, e.message, want, code))


def check_errors():
    for kw in BAD:
        want, code = error_of(["propagate"] + cli_args(kw))
        try:
            sigprop.Model(**kw)
            tap.ok(False, "Model(%s) raises" % kw)
        except sigprop.Error as e:
            tap.ok(e.message == want and str(e) == want and e.status > 0,
                   "Model(%s): %r (program: %r, exit %d)" % (kw, e.message, want, code))
    with tempfile.TemporaryDirectory() as folder:
        for name, text in [("truncated.json", '{"model_type": "gpt2", "n_embd": 7'),
                           ("wrong.json", '{"model_type": "gpt2", "n_embd": "wide"}'),
                           ("t5.json", '{"model_type": "t5", "d_model": 512}')]:
            path = os.path.join(folder, name)
            with open(path, "w") as f:
                f.write(text)
            raises_as_program("Model(config=%s)" % name,
                              lambda: sigprop.Model(config=path, depth=13),
                              ["propagate", "--config", path])
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
        diff = same_json(got, want)
        tap.ok(not diff, "recommend %s %s: the program's report (%s)" % (kw, opts, diff[:3]))
    m = sigprop.Model(**RECOMMEND[0][0])
    for opts, args in [(dict(margin=12.5), ["--margin", "12.5"]),
                       (dict(rho_max=1.25), ["--rho-max", "1.25"]),
                       (dict(gain="gamma"), ["--gain", "gamma"]),
                       (dict(margin=math.nan), ["--margin", "nan"])]:
        raises_as_program("recommend %s" % opts, lambda: sigprop.recommend(m, **opts),
                          ["recommend"] + args)


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
        raises_as_program("simulate %s" % opts, lambda: sigprop.simulate(m, **opts),
                          ["simulate", "--depth", "3", "--tokens", "11"] + args)


def check_attention():
    for kw, args in [(dict(lambda_=(0.113, 3.71, 23), tokens=(7, 331)),
                      ["--lambda", "0.113:3.71:23", "--tokens", "7,331"]),
                     (dict(lambda_=(1.17, 1.61, 5), tokens=[97], causal=True),
                      ["--lambda", "1.17:1.61:5", "--tokens", "97", "--causal"])]:
        got = sigprop.attention(**kw)
        want = table(["attention"] + args)
        tap.ok(list(got.dtype.names) == list(want), "attention %s: the program's columns" % kw)
        tap.ok(all(same(got[c], want[c]) for c in want), "attention %s: identical numbers" % kw)
    for kw, args in [(dict(lambda_=(1.5, 0.5, 3)), ["--lambda", "1.5:0.5:3"]),
                     (dict(lambda_=(0.5, 70.5, 3)), ["--lambda", "0.5:70.5:3"]),
                     (dict(lambda_=(0.5, 1.5, 1)), ["--lambda", "0.5:1.5:1"]),
                     (dict(tokens=[1]), ["--tokens", "1"])]:
        raises_as_program("attention %s" % kw, lambda: sigprop.attention(**kw),
                          ["attention"] + args)


CRITICAL = [
    (dict(depth=23, beta=0.6131), ("alpha-sa",), dict(rho_final=0.8713),
     ["alpha-sa", "--where", "rho-final=0.8713"]),
    (dict(depth=37, attention_stats="finite", tokens=97), ("alpha-sa",),
     dict(rho_final=0.7919, range=(0.113, 6.17)),
     ["alpha-sa", "--where", "rho-final=0.7919", "--range", "0.113:6.17"]),
    (dict(beta=0.817, rho0=0.0413), ("depth",), dict(rho_final=0.6173),
     ["depth", "--where", "rho-final=0.6173"]),
    (dict(norm="pre", rho0=0.0713, q0=1.317), (), dict(beta_c=True), ["--where", "beta-c"]),
    (dict(activation="tanh", var_b=0.0513), ("var-w",), dict(chi1=1.0),
     ["var-w", "--where", "chi1=1.0"]),
]


def check_critical():
    for kw, pos, opts, args in CRITICAL:
        got = sigprop.critical(sigprop.Model(**kw), *pos, **opts)
        want = answer(["critical"] + args + cli_args(kw))
        tap.ok(repr(got) == want or float(want) == got and type(got) is float,
               "critical %s %s: %r (program: %s)" % (pos, opts, got, want))
    m = sigprop.Model(depth=19)
    for pos, opts, args in [(("alpha-sa",), dict(rho_final=1.5), ["alpha-sa", "--where",
                                                                  "rho-final=1.5"]),
                            (("tokens",), dict(rho_final=0.5), ["tokens", "--where",
                                                                "rho-final=0.5"]),
                            (("alpha-sa",), dict(rho_final=0.9, range=(0, 1e-9)),
                             ["alpha-sa", "--where", "rho-final=0.9", "--range", "0:1e-09"]),
                            (("alpha-sa",), {}, ["alpha-sa"]),
                            (("var-b",), dict(chi1=1.0, range=(-1.0, 2.0)),
                             ["var-b", "--where", "chi1=1.0", "--range", "-1.0:2.0"])]:
        raises_as_program("critical %s %s" % (pos, opts),
                          lambda: sigprop.critical(m, *pos, **opts),
                          ["critical", "--depth", "19"] + args)


def check_mlp():
    for kw in [dict(activation="tanh", var_w=1.7137, var_b=0.0513),
               dict(activation="gelu", var_w=3.117, var_b=0.1013),
               dict(activation="erf", erf_scale=1.317, var_w=2.213, var_b=0.0217)]:
        got = sigprop.mlp(**kw)
        want = table(["mlp"] + cli_args(kw))
        tap.ok(list(got.dtype.names) == list(want) and all(same(got[c], want[c]) for c in want),
               "mlp %s: identical numbers" % kw)
    for kw, args in [(dict(x=("var-w", 0.113, 4.17, 13), y=("var-b", 0.0, 0.317, 7),
                           activation="tanh"),
                      ["--x", "var-w:0.113:4.17:13", "--y", "var-b:0.0:0.317:7",
                       "--activation", "tanh"]),
                     (dict(x=("var-b", 0.0113, 0.317, 5, "log"), y=("var-w", 0.513, 3.17, 6),
                           activation="silu"),
                      ["--x", "var-b:0.0113:0.317:5:log", "--y", "var-w:0.513:3.17:6",
                       "--activation", "silu"])]:
        got = sigprop.mlp(**kw)
        want = table(["mlp"] + args)
        tap.ok(list(got.dtype.names) == list(want) and all(same(got[c], want[c]) for c in want),
               "mlp grid %s: identical numbers" % args)
    for kw, args in [(dict(var_w=-1.25), ["--var-w", "-1.25"]),
                     (dict(activation="cosine"), ["--activation", "cosine"]),
                     (dict(x=("var-w", 0.1, 4.0, 13)), ["--x", "var-w:0.1:4.0:13"]),
                     (dict(x=("var-q", 0.0, 1.0, 3), y=("var-b", 0.0, 1.0, 3)),
                      ["--x", "var-q:0.0:1.0:3", "--y", "var-b:0.0:1.0:3"]),
                     (dict(x=("var-w", 0.0, 1.0, 3, "log"), y=("var-b", 0.0, 1.0, 3)),
                      ["--x", "var-w:0.0:1.0:3:log", "--y", "var-b:0.0:1.0:3"]),
                     (dict(x=("var-w", 0.5, 1.0, 3000), y=("var-b", 0.0, 1.0, 3)),
                      ["--x", "var-w:0.5:1.0:3000", "--y", "var-b:0.0:1.0:3"])]:
        raises_as_program("mlp %s" % kw, lambda: sigprop.mlp(**kw), ["mlp"] + args)


def write_checkpoint(folder):
    """A two-block BERT-like checkpoint (F32) and its config, in `folder`."""
    rng = random.Random(20261207 + 17)
    d, ff, vocab, pos = 24, 96, 89, 21
    names = [("bert.embeddings.word_embeddings.weight", [vocab, d], 0.0213),
             ("bert.embeddings.position_embeddings.weight", [pos, d], 0.0187),
             ("bert.embeddings.token_type_embeddings.weight", [2, d], 0.0201)]
    for l in range(2):
        p = "bert.encoder.layer.%d." % l
        names += [(p + "attention.self.query.weight", [d, d], 0.0331),
                  (p + "attention.self.key.weight", [d, d], 0.0267),
                  (p + "attention.self.value.weight", [d, d], 0.0213),
                  (p + "attention.output.dense.weight", [d, d], 0.0191),
                  (p + "intermediate.dense.weight", [ff, d], 0.0219),
                  (p + "output.dense.weight", [d, ff], 0.0173)]
    header, blobs, off = {}, [], 0
    for name, shape, sd in names:
        n = shape[0] * shape[1]
        b = struct.pack("<%df" % n, *[rng.gauss(0.0, sd) for _ in range(n)])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    path = os.path.join(folder, "model.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    cfg = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 4,
           "num_hidden_layers": 2, "intermediate_size": ff, "max_position_embeddings": pos,
           "vocab_size": vocab, "initializer_range": 0.02, "type_vocab_size": 2,
           "hidden_act": "gelu", "layer_norm_eps": 1e-12}
    config = os.path.join(folder, "config.json")
    with open(config, "w") as f:
        json.dump(cfg, f)
    return path, config


def check_inspect():
    with tempfile.TemporaryDirectory() as folder:
        path, config = write_checkpoint(folder)
        for kw, args in [({}, []),
                         (dict(config=config, tokens=17, seed=7, margin=0.317),
                          ["--config", config, "--tokens", "17", "--seed", "7", "--margin",
                           "0.317"])]:
            got = sigprop.inspect(path, **kw)
            want = report(["inspect", path, "--format", "json"] + args)
            tap.ok(got.pop("command") is None and want.pop("command"), "inspect %s: command" % kw)
            diff = same_json(got, want, digits=17)
            tap.ok(not diff, "inspect %s: the program's report, every real to 17 digits (%s)"
                   % (args, diff[:3]))
        for kw, args in [(dict(path=os.path.join(folder, "none.safetensors")),
                          [os.path.join(folder, "none.safetensors")]),
                         (dict(path=path, tokens=1), [path, "--tokens", "1"]),
                         (dict(path=path, config=os.path.join(folder, "none.json")),
                          [path, "--config", os.path.join(folder, "none.json")]),
                         (dict(path=config), [config])]:
            raises_as_program("inspect %s" % args[1:], lambda: sigprop.inspect(**kw),
                              ["inspect"] + args)


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
tap.run("attention", check_attention)
tap.run("critical", check_critical)
tap.run("mlp", check_mlp)
tap.run("inspect", check_inspect)
tap.run("threads", check_threads)
tap.done()
