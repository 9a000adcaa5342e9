#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worked example of sigprop.torch: PyTorch's default initialisation of a
24-block post-LN nn.TransformerEncoder (d_model 512, 8 heads, d_ff 2048),
described, judged, re-initialised with the recommended stds and judged again;
rho_L of the new initialisation confirmed by sigprop.simulate (finite-width
networks drawn by sigprop) and by PyTorch's own forward pass.

    PYTHONPATH=build/src/python python3 figures/torch_example.py

(the build's copy of the package; or installed, without PYTHONPATH).  About
two minutes of processor time, most of it in the three forward passes.
"""

import copy

import torch
from torch import nn

import sigprop
import sigprop.torch as spt

D, HEADS, D_FF, L, T, VOCAB = 512, 8, 2048, 24, 512, 30011


def verdict(rep):
    v = rep["verdict"]
    return "%s: rho_L %.4f, q_L %.4g; flags %s" % (v["phase"], v["rho_final"], v["q_final"],
                                                   ", ".join(rep["flags"]) or "none")


def stds(s):
    return ", ".join("%s %.5f" % (k, v) for k, v in s.items() if v is not None)


def forward_rho(enc, x):
    """rho_L of PyTorch's forward pass: the mean cosine of the output tokens."""
    with torch.no_grad():
        return spt.measure(enc, enc(x))["rho0"]


torch.manual_seed(20261207)
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, D_FF), L,
                            enable_nested_tensor=False).eval()
emb = nn.Embedding(VOCAB, D)
ids = torch.randint(0, VOCAB, (T, 1))
x = emb(ids).detach()

# 1. describe -> recommend
before = spt.describe(enc, inputs=ids, embedding=emb)
rep = sigprop.recommend(sigprop.Model(**before.options), **before.recommend_options)
rec = rep["recommendation"]
print("PyTorch's default initialisation: %d post-LN blocks, d_model %d, %d heads, d_ff %d"
      % (L, D, HEADS, D_FF))
print("  stds       " + stds(before.stds))
print("  measured   q0 %.4f, rho0 %.5f (T %d); var_b %.3g; gains W_O/W_V %.4f, W_2/W_1 %.4f"
      % (before.q0, before.rho0, T, before.var_b, before.gains["sa"], before.gains["mlp"]))
print("  copies     %d of the %d blocks are copies of block 0" % (len(before.copies), L))
print("  verdict    " + verdict(rep))
print("recommend    %s form: %s gain %.4f (critical %.4f) -> %s, rho_L %.4f"
      % (rec["form"], rec["gain"], rec["gain_value"], rec["gain_critical"], rec["phase"],
         rec["rho_final"]))
print("             stds " + stds(rec["stds"]))

# PyTorch's forward pass at the default, with the copies and with every block
# drawn anew by PyTorch's own initialisers.
fresh = copy.deepcopy(enc)
for layer in fresh.layers:
    layer.self_attn._reset_parameters()
    layer.linear1.reset_parameters()
    layer.linear2.reset_parameters()
print("  forward    rho_L %.4f (copies), %.4f (independent blocks, same default init)"
      % (forward_rho(enc, x), forward_rho(fresh, x)))

# 2. apply_ -> describe -> recommend
changed = spt.apply_(enc, rep, seed=4099)
print("apply_       %d tensors drawn anew, e.g. %s" % (len(changed), ", ".join(
    "%s %.5f -> %.5f" % ((k,) + changed[k]) for k in ("layers.0.self_attn.out_proj.weight",
                                                      "layers.0.linear2.weight"))))
after = spt.describe(enc, inputs=ids, embedding=emb)
rep2 = sigprop.recommend(sigprop.Model(**after.options), **after.recommend_options)
print("after        stds " + stds(after.stds))
print("  copies     %d" % len(after.copies))
print("  verdict    " + verdict(rep2))

# 3. the new initialisation's rho_L, simulated and in PyTorch
sim = sigprop.simulate(sigprop.Model(**after.options), width=D, seeds=8, heads=HEADS, seed=7717)
print("simulate     width %d, %d heads, 8 networks: rho_%d %.4f +- %.4f (s.e.); theory %.4f"
      % (D, HEADS, int(sim["layer"][-1]), sim["rho"][-1], sim["rho_se"][-1],
         rep2["verdict"]["rho_final"]))
print("  forward    rho_L %.4f (PyTorch, this network, this sequence)" % forward_rho(enc, x))
