# SPDX-License-Identifier: GPL-3.0-or-later
"""TAP test of sigprop.torch: describe, measure and apply_ against the
binding, the program (sigprop recommend / inspect, $SIGPROP) and direct
computations.  Run by meson (suite python) on the build's package; a skip
when PyTorch is not installed."""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile

try:
    import torch
    from torch import nn
except ImportError:
    print("1..0 # SKIP PyTorch (python3-torch) is not installed")
    sys.exit(0)

import sigprop
import sigprop.torch as st
from tap import ok, run, done

SP = os.environ["SIGPROP"]


def close(a, b, rel, what):
    good = a is not None and b is not None and abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)
    ok(good, "%s: %r vs %r (rel %g)" % (what, a, b, rel))


def raises(fn, pattern, what):
    try:
        fn()
    except ValueError as e:
        ok(pattern in str(e), "%s: raises '%s'" % (what, e))
        return
    except Exception as e:  # the wrong kind
        ok(False, "%s: raised %s: %s" % (what, type(e).__name__, e))
        return
    ok(False, "%s: did not raise" % what)


from common import cli_args


def sigprop_json(*args):
    r = subprocess.run([SP] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("sigprop %s: %s" % (" ".join(args), r.stderr.strip()))
    return json.loads(r.stdout)


def recommend(options, gain=None):
    """The binding's report; the program's must be the same."""
    rep = sigprop.recommend(sigprop.Model(**options), gain=gain)
    cli = sigprop_json("recommend", *cli_args(options), *(["--gain", gain] if gain else []),
                       "-o", "-")
    diff = differences(dict(rep, command=None), dict(cli, command=None))
    ok(not diff, "the binding's recommend report is the program's, number for number "
       "for %s%s" % (" ".join(cli_args(options))[:50], "; differ: %s" % diff[:3] if diff else ""))
    return rep


def differences(a, b, path=""):
    """Where two reports differ (numbers compared exactly: the program's JSON
    reals read back to the same double)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [] if set(a) == set(b) else [path + ": keys"]
        for k in set(a) & set(b):
            out += differences(a[k], b[k], path + "." + k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for x, y in zip(a, b) for d in differences(x, y, path + "[]")]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if a == b else [path]
    return [] if a == b else [path]


def np_std(t):
    x = t.detach().double().flatten().tolist()
    m = math.fsum(x) / len(x)
    return math.sqrt(math.fsum((v - m) ** 2 for v in x) / len(x))


# ---- describe on nn.TransformerEncoder --------------------------------------

def encoder(norm_first, d=96, heads=6, dff=212, layers=7, act="relu", seed=9137):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(d, heads, dff, dropout=0.0, activation=act,
                                       norm_first=norm_first)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def hand_stds(enc):
    """Per-kind RMS over the layers of the direct std of each matrix."""
    acc = {}
    for l in enc.layers:
        d = l.self_attn.embed_dim
        w = l.self_attn.in_proj_weight
        mats = {"q": w[:d], "k": w[d:2 * d], "v": w[2 * d:], "o": l.self_attn.out_proj.weight,
                "ff_in": l.linear1.weight, "ff_out": l.linear2.weight}
        for k, m in mats.items():
            acc.setdefault(k, []).append(np_std(m))
    return {k: math.sqrt(math.fsum(s * s for s in v) / len(v)) for k, v in acc.items()}


def test_describe_encoder(norm_first):
    tag = "norm_first %s" % norm_first
    enc = encoder(norm_first)
    d = st.describe(enc, tokens=301)
    ok(d.norm == ("pre" if norm_first else "post"), "%s: norm %s" % (tag, d.norm))
    ok((d.depth, d.d_model, d.heads, d.d_ff) == (7, 96, 6, 212),
       "%s: depth, d_model, heads, d_ff %s" % (tag, (d.depth, d.d_model, d.heads, d.d_ff)))
    ok(d.activation == "relu" and d.causal is False and d.kind == "torch-encoder",
       "%s: relu encoder" % tag)
    ok(d.copies == [1, 2, 3, 4, 5, 6], "%s: blocks 1 to 6 are copies of block 0 (%s)"
       % (tag, d.copies))
    hand = hand_stds(enc)
    for k in ("q", "k", "v", "o", "ff_in", "ff_out"):
        close(d.stds[k], hand[k], 1e-12, "%s: std of %s as measured directly" % (tag, k))
    # PyTorch's own initialisers: xavier_uniform on the [3d, d] in_proj,
    # kaiming_uniform(a = sqrt 5) = U(+-1/sqrt(fan_in)) on out_proj and the
    # Linear layers.  Every layer is a deep copy of the first, so the
    # sample is one layer's: s.e. of a std from n entries <= std/sqrt(2 n).
    dm, dff = 96, 212
    expect = {"q": math.sqrt(2.0 / (4 * dm)), "o": 1 / math.sqrt(3 * dm),
              "ff_in": 1 / math.sqrt(3 * dm), "ff_out": 1 / math.sqrt(3 * dff)}
    sizes = {"q": dm * dm, "o": dm * dm, "ff_in": dm * dff, "ff_out": dm * dff}
    for k, s in expect.items():
        se = s / math.sqrt(2 * sizes[k])
        ok(abs(d.stds[k] - s) < 4 * se, "%s: std of %s %.6g within 4 s.e. (%.2g) of PyTorch's "
           "init %.6g" % (tag, k, d.stds[k], se, s))
    # The same model as the options typed by hand (the CLI's conversion, theory.md §11).
    bias = [l.linear1.bias for l in enc.layers] + [l.linear2.bias for l in enc.layers]
    var_b = sum(float((b.double() ** 2).mean()) for b in bias) / len(bias)
    close(d.var_b, var_b, 1e-12, "%s: var_b, the mean squared MLP bias" % tag)
    ok(d.var_vb == 0.0, "%s: var_vb 0 (PyTorch zeroes in_proj_bias and out_proj.bias)" % tag)
    by_hand = ["--norm", "pre" if norm_first else "post", "--depth", "7", "--tokens", "301",
               "--d-model", "96", "--heads", "6", "--d-ff", "212", "--attention-stats", "finite",
               "--no-causal", "--var-b", repr(var_b), "--var-vb", "0"]
    for k in ("q", "k", "v", "o", "ff_in", "ff_out"):
        by_hand += ["--std-" + k.replace("_", "-"), repr(hand[k])]
    a, b = recommend(d.options), sigprop_json("recommend", *by_hand, "-o", "-")
    for key in ("norm", "beta", "var_v", "var_w_in", "var_w_out", "var_b", "var_vb", "depth",
                "tokens"):
        va, vb = a["model"][key], b["model"][key]
        good = va == vb if isinstance(va, str) else abs(va - vb) <= 1e-12 * abs(vb)
        ok(good, "%s: model %s %r, by hand %r" % (tag, key, va, vb))
    ok(a["phase"] == b["phase"], "%s: phase %s, by hand %s" % (tag, a["phase"], b["phase"]))
    return enc, d


def test_describe_decoder():
    torch.manual_seed(5209)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(80, 5, 150, activation="gelu",
                                                           norm_first=True), 3)
    d = st.describe(dec, tokens=77)
    ok(d.kind == "torch-decoder" and d.causal is True and "causal" in d.assumed,
       "decoder: causal, assumed (the mask is an argument of forward)")
    ok(d.norm == "pre" and d.activation == "gelu" and (d.depth, d.d_model, d.heads, d.d_ff)
       == (3, 80, 5, 150), "decoder: pre-LN, gelu, 3 blocks of 80, 5 heads, d_ff 150")
    w = dec.layers[2].self_attn.in_proj_weight
    close(d.layers[2]["v"], np_std(w[160:]), 1e-12, "decoder: block 2's W_V from self_attn")
    cross = sorted(d.unmodelled)
    ok(len(cross) == 12 and all(".multihead_attn." in n for n in cross),
       "decoder: the cross-attention's 12 matrices listed as unmodelled")
    close(d.unmodelled["layers.1.multihead_attn.out_proj.weight"],
          np_std(dec.layers[1].multihead_attn.out_proj.weight), 1e-12,
          "decoder: the cross-attention's W_O std")
    ok(d.options["causal"] is True and d.options["activation"] == "gelu",
       "decoder: the options say causal and gelu")


# ---- measure ------------------------------------------------------------------

def direct_q0_rho0(x):
    """x [B, T, d]: the mean over every pair of distinct tokens, pair by pair."""
    x = x.double()
    b, t, dm = x.shape
    q = math.fsum(float((x[i, j] ** 2).sum()) / dm for i in range(b) for j in range(t)) / (b * t)
    rho = []
    for i in range(b):
        cs = [float(torch.dot(x[i, s], x[i, r]) / (x[i, s].norm() * x[i, r].norm()))
              for s in range(t) for r in range(t) if s != r]
        rho.append(math.fsum(cs) / len(cs))
    return q, math.fsum(rho) / b


def test_measure():
    enc = encoder(False)
    g = torch.Generator().manual_seed(4421)
    x = torch.randn(19, 3, 96, generator=g) * 0.7 + torch.randn(96, generator=g) * 0.3
    m = st.measure(enc, x)
    q, r = direct_q0_rho0(x.transpose(0, 1))
    close(m["q0"], q, 1e-12, "measure: q0 against the direct mean")
    close(m["rho0"], r, 1e-10, "measure: rho0 against the mean cosine over pairs")
    ok(m["tokens"] == 19 and m["sequences"] == 3, "measure: [T, B, d] read as T 19, B 3")
    ok(0.1 < m["rho0"] < 0.3, "measure: a shared component gives rho0 %.4g" % m["rho0"])
    emb = nn.Embedding(53, 96)
    ids = torch.randint(0, 53, (23, 2), generator=g)
    me = st.measure(enc, ids, embedding=emb)
    q, r = direct_q0_rho0(emb(ids).detach().transpose(0, 1))
    close(me["q0"], q, 1e-12, "measure: ids through embedding=, q0")
    close(me["rho0"], r, 1e-10, "measure: ids through embedding=, rho0")
    d = st.describe(enc, inputs=x)
    ok(d.tokens == 19 and d.options["q0"] == m["q0"] and d.options["rho0"] == m["rho0"],
       "describe(inputs=): T, q0 and rho0 of measure in the options")
    d2 = st.describe(enc, inputs=x[:, 1])
    m2 = st.measure(enc, x[:, 1])
    ok(d2.tokens == 19 and m2["tokens"] == 19 and m2["sequences"] == 1
       and d2.options["rho0"] == m2["rho0"], "describe(inputs=[T, d]): T 19 (%d), one sequence"
       % d2.tokens)
    bf = nn.TransformerEncoder(nn.TransformerEncoderLayer(96, 6, 212, batch_first=True), 2,
                               enable_nested_tensor=False)
    mb = st.measure(bf, x.transpose(0, 1))
    ok(mb["q0"] == m["q0"] and mb["rho0"] == m["rho0"], "measure: batch_first layout")


# ---- apply_ -------------------------------------------------------------------

def test_apply(enc, d, tag):
    rep = recommend(d.options, **d.recommend_options)
    rec = rep["recommendation"]
    ok(rec["form"] == "initialisation", "%s: the recommendation is initialisation-only (%s)"
       % (tag, rec["form"]))
    changed = st.apply_(enc, rep, seed=77031)
    d2 = st.describe(enc, tokens=301)
    n = {"q": 96 * 96, "k": 96 * 96, "v": 96 * 96, "o": 96 * 96, "ff_in": 96 * 212,
         "ff_out": 96 * 212}
    for k, entries in n.items():
        want = rec["stds"][k]
        se = want / math.sqrt(2 * entries * d2.depth)
        ok(abs(d2.stds[k] - want) < 4 * se, "%s: after apply_, std of %s %.6g, recommended "
           "%.6g (4 s.e. %.2g)" % (tag, k, d2.stds[k], want, 4 * se))
    ok(len([k for k in changed if k.endswith("]") or k.endswith("weight")]) == 6 * 7,
       "%s: apply_ reports the 6 matrices of 7 blocks (%d entries)" % (tag, len(changed)))
    w0 = enc.layers[0].linear1.weight
    w1 = enc.layers[1].linear1.weight
    ok(not torch.equal(w0, w1) and d2.copies == [],
       "%s: blocks drawn independently (no longer copies)" % tag)
    g = rec["stds"]["ff_out"] / d.stds["ff_out"]
    if abs(g - 1) > 1e-9:
        bname = "layers.3.linear2.bias"
        old, new = changed.get(bname, (None, None))
        close(new / old if old else None, g, 1e-6, "%s: linear2.bias scaled with the branch "
              "gain" % tag)
    again = st.describe(enc, tokens=301)
    ok(again.stds == d2.stds, "%s: describe does not change the module" % tag)
    e2 = encoder(bool(d.norm == "pre"))
    st.apply_(e2, rep, seed=77031)
    ok(all(torch.equal(a, b) for a, b in zip(enc.parameters(), e2.parameters())),
       "%s: the same seed draws the same weights" % tag)


def test_errors(enc, d):
    rep = recommend(d.options)
    code = dict(rep["recommendation"])
    code.update(skip_sa=1.1834, skip_mlp=1.0, form="code-change")
    raises(lambda: st.apply_(enc, code), "needs a code change, a skip multiplier skip_sa = 1.1834",
           "apply_ of a skip gain")
    wrong = dict(rep, d_model=128)
    raises(lambda: st.apply_(enc, wrong), "d_model 128 differs from the module's 96",
           "apply_ for another width")
    raises(lambda: st.apply_(enc, [1, 2]), "expected the dict", "apply_ of a list")
    nostd = dict(rep["recommendation"])
    nostd["stds"] = dict(nostd["stds"], o=None)
    raises(lambda: st.apply_(enc, nostd), "the std of o is None", "apply_ without W_O's std")
    raises(lambda: st.describe(nn.Linear(3, 4)), "neither an nn.TransformerEncoder",
           "describe of a Linear")
    raises(lambda: st.describe(nn.Transformer(48, 4, 1, 1, 64)), "describe its .encoder",
           "describe of nn.Transformer")
    raises(lambda: st.describe("bert"), "expected a torch.nn.Module", "describe of a string")
    act = nn.TransformerEncoder(nn.TransformerEncoderLayer(48, 4, 64, activation=torch.sigmoid),
                                2, enable_nested_tensor=False)
    raises(lambda: st.describe(act), "is not one sigprop models", "describe of sigmoid")
    bad = encoder(False, layers=2)
    with torch.no_grad():
        bad.layers[1].linear2.weight[3, 5] = float("nan")
    raises(lambda: st.describe(bad), "layers.1.linear2.weight: holds NaN", "describe of a NaN")
    raises(lambda: st.measure(enc), "has no embedding of its own", "measure without tokens")
    raises(lambda: st.measure(enc, torch.randn(9, 2, 95)), "width 95 differs",
           "measure of the wrong width")
    raises(lambda: st.measure(enc, torch.randn(1, 96)), "T >= 2", "measure of one token")
    raises(lambda: st.describe(enc, tokens=1), "at least 2", "describe with T = 1")


# ---- Hugging Face-named modules against sigprop inspect ----------------------

class Tree(nn.Module):
    """A module whose parameters have the given dotted names."""


def tree(shapes, gen, std=0.02):
    root = Tree()
    for name, shape in shapes.items():
        *path, leaf = name.split(".")
        node = root
        for p in path:
            if p not in node._modules:
                node.add_module(p, Tree())
            node = node._modules[p]
        t = torch.randn(*shape, generator=gen) * std
        if leaf == "bias":
            t = torch.zeros(*shape)
        if "LayerNorm.weight" in name:
            t = 1 + 0.1 * torch.randn(*shape, generator=gen)
        node.register_parameter(leaf, nn.Parameter(t))
    return root


def write_safetensors(module, path):
    header, blobs, off = {}, [], 0
    for name, p in module.named_parameters():
        data = p.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(p.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def hf_shapes(family, d, dff, layers, vocab, pos):
    s = {}
    if family in ("bert", "electra", "roberta"):
        e = 40 if family == "electra" else d
        pre = family + "."
        s.update({pre + "embeddings.word_embeddings.weight": (vocab, e),
                  pre + "embeddings.position_embeddings.weight": (pos, e),
                  pre + "embeddings.token_type_embeddings.weight": (2, e),
                  pre + "embeddings.LayerNorm.weight": (e,),
                  pre + "embeddings.LayerNorm.bias": (e,)})
        if family == "electra":
            s.update({pre + "embeddings_project.weight": (d, e),
                      pre + "embeddings_project.bias": (d,)})
        for l in range(layers):
            b = pre + "encoder.layer.%d." % l
            for n in ("attention.self.query", "attention.self.key", "attention.self.value",
                      "attention.output.dense"):
                s.update({b + n + ".weight": (d, d), b + n + ".bias": (d,)})
            s.update({b + "intermediate.dense.weight": (dff, d),
                      b + "intermediate.dense.bias": (dff,),
                      b + "output.dense.weight": (d, dff), b + "output.dense.bias": (d,)})
    elif family == "gpt2":
        s.update({"transformer.wte.weight": (vocab, d), "transformer.wpe.weight": (pos, d)})
        for l in range(layers):
            b = "transformer.h.%d." % l
            s.update({b + "attn.c_attn.weight": (d, 3 * d), b + "attn.c_attn.bias": (3 * d,),
                      b + "attn.c_proj.weight": (d, d), b + "mlp.c_fc.weight": (d, dff),
                      b + "mlp.c_proj.weight": (dff, d)})
    elif family in ("llama", "qwen2"):
        s["model.embed_tokens.weight"] = (vocab, d)
        for l in range(layers):
            b = "model.layers.%d." % l
            s.update({b + "self_attn.q_proj.weight": (d, d), b + "self_attn.k_proj.weight": (d, d),
                      b + "self_attn.v_proj.weight": (d, d), b + "self_attn.o_proj.weight": (d, d),
                      b + "mlp.gate_proj.weight": (dff, d), b + "mlp.up_proj.weight": (dff, d),
                      b + "mlp.down_proj.weight": (d, dff)})
            if family == "qwen2":
                s.update({b + "self_attn.%s_proj.bias" % x: (d,) for x in "qkv"})
    elif family == "vit":
        s.update({"vit.embeddings.cls_token": (1, 1, d),
                  "vit.embeddings.position_embeddings": (1, 17, d),
                  "vit.embeddings.patch_embeddings.projection.weight": (d, 3, 4, 4),
                  "vit.embeddings.patch_embeddings.projection.bias": (d,)})
        for l in range(layers):
            b = "vit.encoder.layer.%d." % l
            for n in ("attention.attention.query", "attention.attention.key",
                      "attention.attention.value", "attention.output.dense"):
                s.update({b + n + ".weight": (d, d), b + n + ".bias": (d,)})
            s.update({b + "intermediate.dense.weight": (dff, d),
                      b + "output.dense.weight": (d, dff)})
    elif family == "gpt_neox":
        s["gpt_neox.embed_in.weight"] = (vocab, d)
        for l in range(layers):
            b = "gpt_neox.layers.%d." % l
            s.update({b + "attention.query_key_value.weight": (3 * d, d),
                      b + "attention.dense.weight": (d, d),
                      b + "mlp.dense_h_to_4h.weight": (dff, d),
                      b + "mlp.dense_4h_to_h.weight": (d, dff)})
    return s


def skew(module, gen):
    """Give each kind of matrix its own std, so that a swapped part shows."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "c_attn.weight" in name:
                p[:, : p.shape[1] // 3] *= 1.7
                p[:, p.shape[1] // 3: 2 * p.shape[1] // 3] *= 0.6
            elif "query_key_value.weight" in name:
                h = p.view(4, 3, -1, p.shape[1])
                h[:, 0] *= 1.9
                h[:, 2] *= 0.45
            elif name.endswith(("query.weight", "q_proj.weight")):
                p *= 1.3
            elif name.endswith(("dense_4h_to_h.weight", "c_proj.weight", "down_proj.weight",
                                "output.dense.weight")) and "attention" not in name:
                p *= 0.37


def test_hf(family, tmp):
    gen = torch.Generator().manual_seed({"bert": 611, "electra": 613, "gpt2": 617,
                                         "llama": 619, "gpt_neox": 621, "roberta": 631,
                                         "qwen2": 641, "vit": 643}[family])
    d, dff, layers, vocab, pos = 52, 116, 3, 97, 41
    if family == "roberta":
        pos = 43  # T = 43 - pad_token_id - 1 = 41
    m = tree(hf_shapes(family, d, dff, layers, vocab, pos), gen)
    skew(m, gen)
    path = os.path.join(tmp, family + ".safetensors")
    write_safetensors(m, path)
    args = ["inspect", path, "--format", "json", "--seed", "5"]
    kw = {}
    if family in ("llama", "gpt_neox"):
        cfg = {"model_type": family, "hidden_size": d, "num_attention_heads": 4,
               "num_hidden_layers": layers, "intermediate_size": dff,
               "max_position_embeddings": 37, "vocab_size": vocab}
        with open(os.path.join(tmp, family + ".json"), "w") as f:
            json.dump(cfg, f)
        args += ["--config", os.path.join(tmp, family + ".json")]
        kw["config"] = cfg
    ref = sigprop_json(*args)
    mine = st.describe(m, seed=5, **kw)
    fam = family
    ok(mine.family == ref["checkpoint"]["family"] == fam, "%s: family %s, inspect %s"
       % (family, mine.family, ref["checkpoint"]["family"]))
    ok(mine.prefix == ref["checkpoint"]["prefix"], "%s: prefix '%s'" % (family, mine.prefix))
    gated = family in ("llama", "qwen2")
    for k in ("q", "k", "v", "o", "ff_in", "ff_out") + (("ff_gate",) if gated else ()):
        close(mine.stds[k], ref["stds"][k], 1e-9, "%s: std of %s as inspect's" % (family, k))
    close(mine.stds["emb"], ref["checkpoint"]["std_emb"], 1e-9, "%s: std of the embedding" % family)
    ok(mine.tokens == ref["tokens"], "%s: T %d, inspect %d" % (family, mine.tokens, ref["tokens"]))
    close(mine.q0, ref["q0"], 1e-9, "%s: q0 as inspect measures it" % family)
    close(mine.rho0, ref["rho0"], 1e-7, "%s: rho0 as inspect measures it" % family)
    ours = recommend(mine.options, **mine.recommend_options)
    for key in ("norm", "activation", "causal", "beta", "var_v", "var_w_in", "var_w_out",
                "depth", "tokens"):
        va, vb = ours["model"][key], ref["model"][key]
        good = va == vb if isinstance(va, (str, bool)) else abs(va - vb) <= 1e-9 * abs(vb)
        ok(good, "%s: model %s %r, inspect %r" % (family, key, va, vb))
    ok(ours["phase"] == ref["phase"], "%s: phase %s, inspect %s" % (family, ours["phase"],
                                                                     ref["phase"]))
    return m, mine, ours


def test_hf_apply(m, mine, rep):
    family = mine.family
    changed = st.apply_(m, rep, seed=3301)
    again = st.describe(m, seed=5, config={"model_type": family, "num_attention_heads": 4}
                        if family == "gpt_neox" else None)
    gated = family in ("llama", "qwen2")
    kinds = ("q", "k", "v", "o", "ff_out") + (("ff_gate",) if gated else ("ff_in",))
    for k in kinds:
        want = rep["recommendation"]["stds"]["ff_in" if k == "ff_gate" else k]
        n = 52 * (116 if k.startswith("ff") else 52) * 3
        se = want / math.sqrt(2 * n)
        ok(abs(again.stds[k] - want) < 4 * se, "%s: apply_, std of %s %.5g, recommended %.5g"
           % (family, k, again.stds[k], want))
    ok(len(changed) >= len(kinds) * 3, "%s: %d tensors changed" % (family, len(changed)))
    if gated:
        close(again.stds["ff_in"], mine.stds["ff_in"], 1e-12, "%s: up_proj left as it was" % family)


def test_lazy():
    import importlib
    ok(importlib.import_module("sigprop").torch is st, "sigprop.torch as an attribute")
    try:
        sigprop.no_such_name
        ok(False, "sigprop.no_such_name: no AttributeError")
    except AttributeError as e:
        ok("no attribute 'no_such_name'" in str(e), "sigprop.no_such_name: %s" % e)


def test_hf_errors():
    gen = torch.Generator().manual_seed(8081)
    bert = tree(hf_shapes("bert", 20, 36, 2, 31, 9), gen)
    raises(lambda: st.describe(bert, family="t5"), "family 't5' is not supported",
           "describe as an unknown family")
    raises(lambda: st.describe(bert, family="gpt2"), "not a gpt2 module",
           "describe as the wrong family")
    raises(lambda: st.measure(bert, torch.tensor([0, 31])), "ids outside [0, 31)",
           "measure of an id outside the vocabulary")
    raises(lambda: st.measure(bert, torch.randn(5, 20)), "expected a tensor of token ids",
           "measure of floats for a text module")
    raises(lambda: st.measure(bert, torch.zeros(1, 10, dtype=torch.long)), "does not fit the "
           "position table", "measure of more tokens than positions")
    neox = tree(hf_shapes("gpt_neox", 20, 36, 2, 31, 9), gen)
    raises(lambda: st.describe(neox), "needs its number of heads", "gpt_neox without heads")
    raises(lambda: st.describe(neox, heads=3), "3 heads do not divide the width 20",
           "gpt_neox with heads not dividing d")
    ok(st.describe(neox, heads=4).heads == 4, "gpt_neox with heads=4")
    vit = tree(hf_shapes("vit", 20, 36, 2, 31, 9), gen)
    raises(lambda: st.measure(vit, torch.tensor([1, 2])), "takes pixels [B, C, H, W]",
           "measure of ids for vit")
    m = st.measure(vit, torch.randn(2, 3, 8, 8, generator=gen))
    ok(m["tokens"] == 5 and m["sequences"] == 2, "vit: 2 images of 8x8 in patches of 4: T 5")
    with torch.no_grad():
        bert.bert.embeddings.word_embeddings.weight[3, 2] = float("inf")
    raises(lambda: st.describe(bert), "holds NaN or infinite entries", "an infinite embedding")


def main():
    test_lazy()
    enc_post, d_post = test_describe_encoder(False)
    enc_pre, d_pre = test_describe_encoder(True)
    run("decoder", test_describe_decoder)
    run("measure", test_measure)
    run("apply_ post-LN", test_apply, enc_post, d_post, "post-LN")
    run("apply_ pre-LN", test_apply, enc_pre, d_pre, "pre-LN")
    run("errors", test_errors, encoder(False), d_post)
    with tempfile.TemporaryDirectory() as tmp:
        for fam in ("bert", "roberta", "electra", "gpt2", "llama", "qwen2", "vit", "gpt_neox"):
            m, mine, rep = test_hf(fam, tmp)
            run(fam + " apply_", test_hf_apply, m, mine, rep)
    run("errors of Hugging Face-named modules", test_hf_errors)
    done()


if __name__ == "__main__":
    main()
