# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop.torch: from a PyTorch model to sigprop's model and back to its weights.

``describe(module)`` reads an nn.TransformerEncoder / nn.TransformerDecoder
stack or a module named like a Hugging Face family that ``--config``
supports, measures the std of every block's matrices (about their mean, n in
the denominator, as ``sigprop inspect`` does) and gives the model of
theory.md §11: the stds (root mean square over the blocks), the gains, the
norm placement, the widths, and ``options``, the keyword arguments of
``sigprop.Model`` (the CLI's long option names with '-' -> '_').

``measure(module, tokens)`` gives q0 and rho0 of the input the first block
sees; ``apply_(module, recommendation)`` draws the weights again with the
stds of a recommendation's initialisation-only form.
"""

import math

import torch

from . import _torch_input as _input
from ._torch_layout import KINDS, LayoutError, layout

__all__ = ["Description", "describe", "measure", "apply_", "LayoutError"]

# The order of the options sigprop.Model and the CLI take (a width before
# the stds is not needed: the CLI converts them in any order).
_STD_OPTIONS = (("q", "std_q"), ("k", "std_k"), ("v", "std_v"), ("o", "std_o"),
                ("ff_in", "std_ff_in"), ("ff_out", "std_ff_out"))


def _moments(t, name):
    x = t.detach().to(torch.float64)
    if not torch.isfinite(x).all():
        raise ValueError("%s: holds NaN or infinite entries" % name)
    return x


def _std(t, name):
    """Std of the entries about their mean, n in the denominator."""
    x = _moments(t, name)
    return float(((x - x.mean()) ** 2).mean().sqrt())


def _mean_square(t, name):
    x = _moments(t, name)
    return float((x * x).mean())


def _rms(values):
    values = [v for v in values if v is not None]
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else None


class Description:
    """The sigprop model of a torch.nn.Module (what ``describe`` returns).

    Attributes: ``kind`` (torch-encoder, torch-decoder or hf), ``family``,
    ``norm`` (post or pre), ``activation``, ``causal``, ``depth``,
    ``d_model``, ``heads``, ``d_ff``, ``tokens`` (T), ``stds`` (q, k, v, o,
    ff_in, ff_gate, ff_out, emb: root mean square over the blocks; None where
    the module has none), ``gains`` (sa = std_o / std_v, mlp = std_ff_out /
    std of the modelled first MLP layer), ``var_b`` (mean over the blocks of
    the mean squared MLP bias entry, both layers), ``var_vb`` (of the
    attention output's bias, W_O b_v + b_o), ``q0`` and ``rho0`` (None when
    not measured), ``layers`` (per block, kind -> std), ``assumed`` (what
    was not read from the module), ``unmodelled`` (tensor -> std: a
    decoder's cross-attention), ``final_norm``, ``options`` (for
    ``sigprop.Model(**options)``) and ``recommend_options`` (the gain
    ``sigprop inspect`` tunes for this norm placement)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def to_dict(self):
        return dict(self.__dict__)

    def model(self):
        """``sigprop.Model(**self.options)``."""
        import sigprop
        return sigprop.Model(**self.options)

    def __repr__(self):
        s = ", ".join("%s %.4g" % (k, v) for k, v in self.stds.items() if v is not None)
        return ("<sigprop.torch.Description %s%s: %s-LN, %s, L %d, d %d, %d heads, d_ff %d, "
                "T %d; stds %s>" % (self.kind, " " + self.family if self.family else "",
                                   self.norm, self.activation, self.depth, self.d_model,
                                   self.heads, self.d_ff, self.tokens, s))


def _layer_stds(lay):
    layers = []
    for parts in lay.layers:
        layers.append({k: _std(p.view(), p.name) for k, p in parts.items()})
    return layers


def _copies(lay):
    """Blocks whose matrices equal block 0's, entry for entry (PyTorch's
    stacks deep-copy one layer: every block starts with the same weights)."""
    first = lay.layers[0]
    return [i for i, parts in enumerate(lay.layers[1:], 1)
            if all(torch.equal(p.view(), first[k].view()) for k, p in parts.items())]


def _bias_variances(lay):
    """(var_b, var_vb): means over the blocks of the mean squared bias entry
    of the two MLP layers (averaged), and of the attention output's bias
    W_O b_v + b_o (with keys and values of fewer heads, d std_o^2 E b_v^2 +
    E b_o^2)."""
    vb, vvb = [], []
    for parts, biases in zip(lay.layers, lay.biases):
        ff = [_mean_square(biases[k].view(), biases[k].name) for k in ("ff_in", "ff_out")
              if k in biases]
        vb.append(sum(ff) / 2.0)
        wo = parts["o"].view().detach().double()
        bo = biases["o"].view().detach().double() if "o" in biases else None
        out = bo if bo is not None else torch.zeros(1, dtype=torch.float64)
        extra = 0.0
        if "v" in biases:
            bv = biases["v"].view().detach().double()
            conv1d = lay.family == "gpt2"
            if (wo.shape[0] if conv1d else wo.shape[1]) == bv.shape[0]:
                out = out + (bv @ wo if conv1d else wo @ bv)
            else:
                extra = lay.d_model * _std(wo, parts["o"].name) ** 2 * float((bv * bv).mean())
        vvb.append(float((out * out).mean()) + extra)
    return sum(vb) / len(vb), sum(vvb) / len(vvb)


def _hf_tokens(lay):
    """T of a Hugging Face-named module: its config's rule, else the position
    table's rows (roberta: less pad_token_id + 1), else 2048 (assumed)."""
    cfg, fam = lay.config, lay.family
    params = dict(lay.module.named_parameters())
    if fam == "vit":
        if isinstance(cfg.get("image_size"), int) and isinstance(cfg.get("patch_size"), int):
            return (cfg["image_size"] // cfg["patch_size"]) ** 2 + 1, False
        pos = params[lay.prefix + "embeddings.position_embeddings"]
        return pos.numel() // pos.shape[-1], False
    key = "n_positions" if fam == "gpt2" else "max_position_embeddings"
    off = int(cfg.get("pad_token_id", 1)) + 1 if fam == "roberta" else 0
    if isinstance(cfg.get(key), int):
        t = cfg[key] - off
        win = cfg.get("sliding_window")
        on = fam == "mistral" or (fam == "qwen2" and cfg.get("use_sliding_window"))
        if on and isinstance(win, int) and 0 < win < t:
            t = win
        return t, False
    pos = params.get(lay.prefix + ("wpe.weight" if fam == "gpt2"
                                   else "embeddings.position_embeddings.weight"))
    if pos is not None:
        return pos.shape[0] - off, False
    return 2048, True


def _embedding_std(lay, embedding):
    params = dict(lay.module.named_parameters())
    if lay.kind != "hf":
        w = getattr(embedding, "weight", None)
        return _std(w, "embedding.weight") if torch.is_tensor(w) else None
    if lay.family == "vit":
        name = "embeddings.patch_embeddings.projection.weight"
    else:
        name = _input._word_table(lay.family)
    return _std(params[lay.prefix + name], lay.prefix + name)


def _inputs(lay, tokens, embedding, seed, count):
    with torch.no_grad():
        if lay.kind == "hf":
            return _input.hf_inputs(lay, tokens, seed, count)
        return _input.torch_inputs(lay, tokens, embedding)


def _options(lay, stds, depth, t, var_b, var_vb, causal, q0, rho0):
    o = {"norm": lay.norm, "activation": lay.activation, "causal": bool(causal),
         "attention_stats": "finite", "tokens": t, "depth": depth, "d_model": lay.d_model,
         "heads": lay.heads, "d_ff": lay.d_ff}
    first = dict(stds)
    if lay.gate:
        first["ff_in"] = stds["ff_gate"]  # phi acts on W_gate x: the modelled first layer
    for kind, opt in _STD_OPTIONS:
        o[opt] = first[kind]
    o["var_b"] = var_b
    o["var_vb"] = var_vb
    if q0 is not None:
        o["q0"] = q0
        o["rho0"] = rho0
    return o


def describe(module, *, tokens=None, inputs=None, embedding=None, causal=None, family=None,
             heads=None, config=None, seed=1):
    """The sigprop model of `module` (a Description).

    tokens: the sequence length T (default: the inputs' length; for a Hugging
    Face-named module its config's or its position table's, else 2048; for a
    PyTorch stack 512, the CLI's default; the assumed ones are listed in
    ``assumed``).  inputs, embedding: a batch to ``measure`` q0 and rho0 on
    (a Hugging Face-named module is measured without them on inspect's input:
    T token ids from the splitmix64 stream of `seed`).  causal: decoder or
    encoder (default: the family's; an nn.TransformerEncoder is an encoder,
    an nn.TransformerDecoder a decoder, both assumed, the mask being an
    argument of forward()).  family, heads, config: as for
    ``sigprop inspect`` (config: a config.json dict or the module's
    ``config``).  Raises LayoutError (a ValueError) for a module it cannot
    read, ValueError for non-finite weights or unusable inputs."""
    lay = layout(module, family=family, heads=heads, config=config)
    assumed = []
    layers = _layer_stds(lay)
    depth = len(layers)
    stds = {k: _rms([l.get(k) for l in layers]) for k in KINDS}
    stds["emb"] = _embedding_std(lay, embedding)
    first = stds["ff_gate"] if lay.gate else stds["ff_in"]
    gains = {"sa": stds["o"] / stds["v"] if stds["v"] else None,
             "mlp": stds["ff_out"] / first if first else None}
    var_b, var_vb = _bias_variances(lay)
    x = _inputs(lay, inputs, embedding, seed, None) if inputs is not None else None
    if tokens is None and x is not None:
        tokens = int(x.shape[-2])
    elif tokens is None and lay.kind == "hf":
        tokens, guess = _hf_tokens(lay)
        if guess:
            assumed.append("tokens")
    elif tokens is None:
        tokens = 512
        assumed.append("tokens")
    if not isinstance(tokens, int) or tokens < 2:
        raise ValueError("tokens: T = %r, sigprop needs at least 2" % (tokens,))
    q0 = rho0 = None
    if x is None and lay.kind == "hf":
        x = _inputs(lay, None, None, seed, tokens)
    if x is not None:
        q0, rho0 = _input.q0_rho0(x)
    else:
        assumed += ["q0", "rho0"]
    if causal is None:
        causal = lay.causal if lay.causal is not None else lay.kind == "torch-decoder"
        if lay.kind != "hf":
            assumed.append("causal")
    unmodelled = {p.name: _std(p.view(), p.name) for p in lay.unmodelled}
    copies = _copies(lay)
    opts = _options(lay, stds, depth, tokens, var_b, var_vb, causal, q0, rho0)
    return Description(kind=lay.kind, family=lay.family, prefix=lay.prefix, norm=lay.norm,
                       activation=lay.activation, causal=bool(causal), depth=depth,
                       d_model=lay.d_model, heads=lay.heads, d_ff=lay.d_ff, tokens=tokens,
                       stds=stds, gains=gains, var_b=var_b, var_vb=var_vb, q0=q0, rho0=rho0,
                       layers=layers, assumed=assumed, unmodelled=unmodelled,
                       final_norm=lay.final_norm, copies=copies, options=opts,
                       recommend_options={"gain": "alpha" if lay.norm == "post" else "branch"})


def measure(module, tokens=None, *, embedding=None, family=None, heads=None, config=None,
            seed=1, count=None):
    """q0 and rho0 of the input the first block of `module` sees.

    For an nn.TransformerEncoder/Decoder, `tokens` are the embedded inputs
    (float, [T, d], or [B, T, d] / [T, B, d] as the layers' batch_first
    says), or token ids with `embedding` (a module, e.g. nn.Embedding, run on
    them).  For a Hugging Face-named module, token ids [T] or [B, T] (vit:
    pixels [B, C, H, W]) run through its embeddings from the parameters; None
    draws inspect's input (`count` tokens, default the module's T, from
    `seed`).  Returns a dict: q0 (mean squared entry), rho0 (mean cosine over
    the pairs of distinct tokens of a sequence, averaged over sequences),
    tokens (T) and sequences (B)."""
    lay = layout(module, family=family, heads=heads, config=config)
    if lay.kind == "hf" and tokens is None and count is None:
        count = _hf_tokens(lay)[0]
    x = _inputs(lay, tokens, embedding, seed, count)
    q0, rho0 = _input.q0_rho0(x)
    return {"q0": q0, "rho0": rho0, "tokens": int(x.shape[-2]),
            "sequences": int(x.shape[0]) if x.dim() == 3 else 1}


def _recommendation(rec):
    """(the form to apply, the top-level report or None)."""
    if not isinstance(rec, dict):
        raise ValueError("recommendation: expected the dict sigprop.recommend returns (or its "
                         "'recommendation'), got %s" % type(rec).__name__)
    top = None
    if "recommendation" in rec:
        top, rec = rec, rec["recommendation"]
        if rec is None:
            raise ValueError("recommendation: the report has none (%s)"
                             % top.get("phase", "no advice"))
    if not isinstance(rec, dict) or not isinstance(rec.get("stds"), dict):
        raise ValueError("recommendation: no 'stds' in it")
    if rec.get("status"):
        raise ValueError("recommendation: none was found (%s)" % rec["status"])
    skips = [(k, rec.get(k)) for k in ("skip_sa", "skip_mlp")]
    bad = [(k, v) for k, v in skips if v is not None and abs(float(v) - 1.0) > 1e-12]
    if bad:
        alt = rec.get("alternative") or {}
        hint = ""
        if alt.get("form") == "initialisation":
            hint = ("; its initialisation-only alternative reaches %s (rho_L %.3g): pass "
                    "recommendation['alternative'] to apply that"
                    % (alt.get("phase"), alt.get("rho_final") or float("nan")))
        raise ValueError("recommendation: the %s form needs a code change, a skip multiplier %s "
                         "(x -> a x + f(x) in every block), which re-initialising the weights "
                         "cannot do%s" % (rec.get("form", "code-change"),
                                          ", ".join("%s = %.6g" % kv for kv in bad), hint))
    return rec, top


def _target_stds(rec, top, lay):
    want = dict(rec["stds"])
    if lay.gate and want.get("ff_gate") is None:
        # described with std_ff_in = the gate's std (the modelled layer)
        want["ff_gate"], want["ff_in"] = want.get("ff_in"), None
    for k in ("q", "k", "v", "o", "ff_out"):
        if want.get(k) is None or not (float(want[k]) >= 0 and math.isfinite(float(want[k]))):
            raise ValueError("recommendation: the std of %s is %r, not a number >= 0"
                             % (k, want.get(k)))
    if top is not None:
        for key in ("d_model", "heads"):
            mine = getattr(lay, key)
            if key == "heads" and lay.heads_source == "default":
                continue  # not read from the module: only the split of gpt_neox needs it
            if top.get(key) is not None and top[key] != mine:
                raise ValueError("recommendation: %s %s differs from the module's %d (it was "
                                 "made for another network)" % (key, top[key], mine))
    return want


def apply_(module, recommendation, *, seed=0, generator=None, family=None, heads=None,
           config=None):
    """Draw every block matrix of `module` again, in place, from N(0, s^2)
    with s the recommendation's std of its kind (each block independently);
    the bias of W_O and of the second MLP layer is scaled with its weight (the
    branch gain folded into them acts on the whole branch).  Embeddings,
    norms and the other biases are left as they are; with a gated MLP the
    gate gets the modelled first layer's std and the linear factor (up_proj)
    is left as it is.

    `recommendation`: the dict of ``sigprop.recommend`` (its
    'recommendation' is used) or one form of it.  Refuses (ValueError) a
    form with a skip multiplier other than 1, which needs a code change.
    `generator` (a torch.Generator) or `seed` makes the draw reproducible;
    family, heads, config as for ``describe`` (heads default to the report's).
    Returns {tensor name: (old std, new std)} for every tensor changed (old:
    measured before; new: the std drawn with, or for a scaled bias its root
    mean square after)."""
    rec, top = _recommendation(recommendation)
    if heads is None and top is not None and isinstance(top.get("heads"), int):
        heads = top["heads"]  # the split of gpt_neox's query_key_value
    lay = layout(module, family=family, heads=heads, config=config)
    want = _target_stds(rec, top, lay)
    if generator is None:
        generator = torch.Generator().manual_seed(int(seed))
    before = _layer_stds(lay)
    old = {k: _rms([l.get(k) for l in before]) for k in KINDS}
    changed = {}
    with torch.no_grad():
        for parts, biases in zip(lay.layers, lay.biases):
            for kind in KINDS:
                if kind not in parts or want.get(kind) is None:
                    continue
                p, s = parts[kind], float(want[kind])
                view = p.view()
                o = _std(view, p.name)
                draw = torch.empty(view.shape, dtype=torch.float64).normal_(0.0, 1.0,
                                                                            generator=generator)
                view.copy_((draw * s).to(view.dtype))
                changed[p.name] = (o, s)
                b = biases.get(kind)
                if kind in ("o", "ff_out") and b is not None and old[kind]:
                    bv = b.view()
                    ob = math.sqrt(_mean_square(bv, b.name))
                    bv.mul_(s / old[kind])
                    if ob > 0 and s != old[kind]:
                        changed[b.name] = (ob, math.sqrt(_mean_square(bv, b.name)))
    return changed
