# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a torch.nn.Module keeps each block's matrices (private to sigprop.torch).

Two kinds of module are read: PyTorch's own nn.TransformerEncoder and
nn.TransformerDecoder stacks, and modules whose parameters carry the names of
a Hugging Face family that ``--config`` supports.  The family is recognised by
its parameter names only (the transformers library is never imported), by the
rules of ``sigprop inspect`` (src/inspect.c): the token embedding's name gives
the family and the prefix, ``roberta.``/``electra.`` prefixes and
``embeddings_project`` tell the BERT-like families apart, a ``q_proj`` bias
makes a llama-like module qwen2, and gpt_neox's fused ``query_key_value`` is
split per head.

A matrix is held as a ``Part``: a parameter and the view of it that is the
matrix (a third of a fused Q, K, V), so that its std is measured on that view
and a new draw is copied into it.
"""

import torch
from torch import nn

KINDS = ("q", "k", "v", "o", "ff_in", "ff_gate", "ff_out")


class LayoutError(ValueError):
    """A module sigprop.torch cannot read (the message says why)."""


class Part:
    """One matrix (or bias) of one block: ``name`` (the parameter's name, with
    ``[q]``, ``[k]``, ``[v]`` for a third of a fused one) and ``view()``."""

    def __init__(self, name, param, select=None):
        self.name = name
        self.param = param
        self.select = select

    def view(self):
        t = self.param.data
        return self.select(t) if self.select else t


class Layout:
    """The blocks of a module: ``layers`` (one dict kind -> Part per block),
    ``biases`` (the same for the biases), the widths and the architecture."""

    def __init__(self):
        self.kind = None          # "torch-encoder", "torch-decoder" or "hf"
        self.family = None        # the Hugging Face family, or None
        self.prefix = ""
        self.layers = []
        self.biases = []
        self.unmodelled = []      # (name, Part): cross-attention of a decoder
        self.d_model = self.heads = self.d_ff = None
        self.norm = None
        self.activation = None
        self.causal = None
        self.final_norm = False
        self.batch_first = False
        self.gate = False
        self.heads_source = None
        self.config = {}
        self.module = None


# ---- PyTorch's own stacks ------------------------------------------------

def _thirds(name, param, d):
    return [Part("%s[%s]" % (name, k), param, lambda t, i=i: t[i * d:(i + 1) * d])
            for i, k in enumerate(("q", "k", "v"))]


def _activation_of(layer, where):
    act = getattr(layer, "activation", None)
    fn = torch.nn.functional
    if act is fn.relu or isinstance(act, nn.ReLU):
        return "relu"
    if act is fn.gelu or isinstance(act, nn.GELU):
        return "gelu"
    if act is fn.silu or isinstance(act, nn.SiLU):
        return "silu"
    if act is torch.tanh or act is fn.tanh or isinstance(act, nn.Tanh):
        return "tanh"
    if isinstance(act, nn.Identity):
        return "linear"
    raise LayoutError("%s: activation %r is not one sigprop models (relu, gelu, silu, tanh, "
                      "identity)" % (where, act))


def _attention_parts(prefix, mha, where):
    d = mha.embed_dim
    if getattr(mha, "in_proj_weight", None) is not None:
        w = _thirds(prefix + "in_proj_weight", mha.in_proj_weight, d)
    else:
        w = [Part(prefix + n, getattr(mha, n)) for n in ("q_proj_weight", "k_proj_weight",
                                                         "v_proj_weight")]
        if any(p.param.shape[1] != d for p in w):
            raise LayoutError("%s: keys or values of another width (kdim/vdim) are not "
                              "modelled" % where)
    parts = dict(zip(("q", "k", "v"), w))
    parts["o"] = Part(prefix + "out_proj.weight", mha.out_proj.weight)
    biases = {}
    if getattr(mha, "in_proj_bias", None) is not None:
        biases.update(zip(("q", "k", "v"), _thirds(prefix + "in_proj_bias", mha.in_proj_bias, d)))
    if mha.out_proj.bias is not None:
        biases["o"] = Part(prefix + "out_proj.bias", mha.out_proj.bias)
    return parts, biases


def _torch_stack(module, decoder):
    lay = Layout()
    lay.kind = "torch-decoder" if decoder else "torch-encoder"
    lay.module = module
    layers = list(module.layers)
    if not layers:
        raise LayoutError("%s has no layers" % type(module).__name__)
    first = layers[0]
    lay.d_model = first.self_attn.embed_dim
    lay.heads = first.self_attn.num_heads
    lay.heads_source = "module"
    lay.d_ff = first.linear1.out_features
    lay.norm = "pre" if getattr(first, "norm_first", False) else "post"
    lay.final_norm = getattr(module, "norm", None) is not None
    lay.batch_first = bool(getattr(first.self_attn, "batch_first", False))
    for i, layer in enumerate(layers):
        where = "layers.%d" % i
        if getattr(layer, "norm_first", False) != (lay.norm == "pre"):
            raise LayoutError("%s: norm_first differs from layer 0's" % where)
        if layer.self_attn.embed_dim != lay.d_model or layer.linear1.out_features != lay.d_ff:
            raise LayoutError("%s: widths differ from layer 0's" % where)
        act = _activation_of(layer, where)
        if lay.activation not in (None, act):
            raise LayoutError("%s: activation %s differs from layer 0's %s"
                              % (where, act, lay.activation))
        lay.activation = act
        parts, biases = _attention_parts(where + ".self_attn.", layer.self_attn, where)
        parts["ff_in"] = Part(where + ".linear1.weight", layer.linear1.weight)
        parts["ff_out"] = Part(where + ".linear2.weight", layer.linear2.weight)
        for k, lin in (("ff_in", layer.linear1), ("ff_out", layer.linear2)):
            if lin.bias is not None:
                biases[k] = Part(where + (".linear1.bias" if k == "ff_in" else ".linear2.bias"),
                                 lin.bias)
        lay.layers.append(parts)
        lay.biases.append(biases)
        if decoder:
            cross, _ = _attention_parts(where + ".multihead_attn.", layer.multihead_attn, where)
            lay.unmodelled.extend(cross.values())
    return lay


# ---- Hugging Face names ----------------------------------------------------

_BERT_MATS = {"q": "attention.self.query", "k": "attention.self.key",
              "v": "attention.self.value", "o": "attention.output.dense",
              "ff_in": "intermediate.dense", "ff_out": "output.dense"}
_LLAMA_MATS = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
               "o": "self_attn.o_proj", "ff_in": "mlp.up_proj", "ff_gate": "mlp.gate_proj",
               "ff_out": "mlp.down_proj"}

# family: anchor (token embedding; vit: patch projection), block prefix,
# matrices (fused: Q, K, V in "q"), fusion, default heads, norm, activation,
# causal.
FAMILIES = {
    "bert": ("embeddings.word_embeddings.weight", "encoder.layer.%d.", _BERT_MATS, None, 12,
             "post", "gelu", False),
    "gpt2": ("wte.weight", "h.%d.", {"q": "attn.c_attn", "o": "attn.c_proj",
                                     "ff_in": "mlp.c_fc", "ff_out": "mlp.c_proj"},
             "cols", 12, "pre", "gelu", True),
    "llama": ("embed_tokens.weight", "layers.%d.", _LLAMA_MATS, None, 32, "pre", "silu", True),
    "vit": ("embeddings.patch_embeddings.projection.weight", "encoder.layer.%d.",
            {"q": "attention.attention.query", "k": "attention.attention.key",
             "v": "attention.attention.value", "o": "attention.output.dense",
             "ff_in": "intermediate.dense", "ff_out": "output.dense"}, None, 12, "pre", "gelu",
            False),
    "gpt_neox": ("embed_in.weight", "layers.%d.", {"q": "attention.query_key_value",
                                                   "o": "attention.dense",
                                                   "ff_in": "mlp.dense_h_to_4h",
                                                   "ff_out": "mlp.dense_4h_to_h"},
                 "heads", 64, "pre", "gelu", True),
}
ALIASES = {"roberta": "bert", "electra": "bert", "mistral": "llama", "qwen2": "llama"}
ELECTRA_DEFAULT_HEADS = 4

# The activations of the transformers library's ACT2FN that sigprop models
# (as `--config` reads them, sigprop-inspect(1)).
HF_ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu", "gelu_fast": "gelu",
                  "gelu_pytorch_tanh": "gelu", "gelu_python": "gelu", "gelu_accurate": "gelu",
                  "quick_gelu": "gelu", "relu": "relu", "silu": "silu", "swish": "silu",
                  "tanh": "tanh", "linear": "linear"}


def _find_prefix(names, anchor):
    for n in names:
        if n.endswith(anchor):
            pre = n[:len(n) - len(anchor)]
            if pre == "" or pre.endswith("."):
                return pre
    return None


def _detect(names, family):
    """(family, prefix) from the parameter names, as sigprop inspect does."""
    if family is not None:
        base = ALIASES.get(family, family)
        if base not in FAMILIES:
            raise LayoutError("family '%s' is not supported (supported: bert, roberta, electra, "
                              "gpt2, llama, mistral, qwen2, vit, gpt_neox)" % family)
        pre = _find_prefix(names, FAMILIES[base][0])
        if pre is None:
            raise LayoutError("no parameter named [PREFIX.]%s: not a %s module"
                              % (FAMILIES[base][0], family))
        return family, pre
    for fam in ("bert", "gpt2", "llama", "vit", "gpt_neox"):
        pre = _find_prefix(names, FAMILIES[fam][0])
        if pre is None:
            continue
        if fam == "bert":
            if pre.startswith("roberta."):
                fam = "roberta"
            elif pre.startswith("electra.") or pre + "embeddings_project.weight" in names:
                fam = "electra"
        elif fam == "llama" and pre + "layers.0.self_attn.q_proj.bias" in names:
            fam = "qwen2"
        return fam, pre
    return None, None


def _config_dict(module, config):
    if config is None:
        config = getattr(module, "config", None)
    if config is None:
        return {}
    if isinstance(config, dict):
        return config
    if hasattr(config, "to_dict"):
        return config.to_dict()
    return dict(vars(config))


def _hf_heads(lay, cfg, fam):
    for key in ("num_attention_heads", "n_head"):
        if isinstance(cfg.get(key), int):
            lay.heads_source = "config"
            return cfg[key]
    default = ELECTRA_DEFAULT_HEADS if fam == "electra" else FAMILIES[ALIASES.get(fam, fam)][4]
    lay.heads_source = "default"
    return default if lay.d_model % default == 0 else 1


def _hf_part(params, name, fusion, d, heads):
    p = params[name]
    if fusion is None:
        return {"q": Part(name, p)}
    if fusion == "cols":
        return {k: Part("%s[%s]" % (name, k), p, lambda t, i=i: t[..., i * d:(i + 1) * d])
                for i, k in enumerate(("q", "k", "v"))}
    hd = d // heads
    def sel(t, i):
        return t.view(heads, 3, hd, *t.shape[1:])[:, i]
    return {k: Part("%s[%s]" % (name, k), p, lambda t, i=i: sel(t, i))
            for i, k in enumerate(("q", "k", "v"))}


def _hf_block(lay, params, l, spec, fusion):
    parts, biases = {}, {}
    block = lay.prefix + spec[1] % l
    for kind, stem in spec[2].items():
        w, b = block + stem + ".weight", block + stem + ".bias"
        if w not in params:
            raise LayoutError("parameter '%s' is missing (a %s module has it)" % (w, lay.family))
        fz = fusion if kind == "q" else None
        if fz:
            parts.update(_hf_part(params, w, fz, lay.d_model, lay.heads))
            if b in params:
                biases.update(_hf_part(params, b, fz, lay.d_model, lay.heads))
        else:
            parts[kind] = Part(w, params[w])
            if b in params:
                biases[kind] = Part(b, params[b])
    return parts, biases


def _hf_sizes(lay, params, spec, conv1d):
    q = params[lay.prefix + spec[1] % 0 + spec[2]["q"] + ".weight"]
    w1 = params[lay.prefix + spec[1] % 0 + spec[2]["ff_in"] + ".weight"]
    if q.dim() != 2 or w1.dim() != 2:
        raise LayoutError("block 0's query or first MLP weight is not a matrix")
    lay.d_model = q.shape[0] if conv1d else q.shape[1]
    lay.d_ff = w1.shape[1] if conv1d else w1.shape[0]
    if spec[3] and q.numel() != 3 * lay.d_model * lay.d_model:
        raise LayoutError("%s: %d entries, a fused Q, K, V of width %d has %d"
                          % (lay.prefix + spec[1] % 0 + spec[2]["q"] + ".weight", q.numel(),
                             lay.d_model, 3 * lay.d_model ** 2))


def _hf_stack(module, fam, pre, cfg, heads):
    lay = Layout()
    lay.kind, lay.family, lay.prefix, lay.module, lay.config = "hf", fam, pre, module, cfg
    params = dict(module.named_parameters())
    spec = FAMILIES[ALIASES.get(fam, fam)]
    conv1d = fam == "gpt2"
    first = pre + spec[1] % 0 + spec[2]["q"] + ".weight"
    if first not in params:
        raise LayoutError("no blocks (no parameter %s)" % first)
    _hf_sizes(lay, params, spec, conv1d)
    lay.heads = heads if heads is not None else _hf_heads(lay, cfg, fam)
    if heads is not None:
        lay.heads_source = "argument"
    if fam == "gpt_neox" and heads is None and lay.heads_source != "config":
        raise LayoutError("a gpt_neox module needs its number of heads (heads= or the module's "
                          "config): the fused query_key_value is interleaved per head")
    if lay.heads < 1 or lay.d_model % lay.heads:
        raise LayoutError("%d heads do not divide the width %d" % (lay.heads, lay.d_model))
    lay.norm, lay.causal, lay.gate = spec[5], spec[7], "ff_gate" in spec[2]
    act = cfg.get("hidden_act", cfg.get("activation_function", spec[6]))
    if act not in HF_ACTIVATIONS:
        raise LayoutError("activation '%s' is not one sigprop models" % act)
    lay.activation = HF_ACTIVATIONS[act]
    if fam in ("bert", "roberta", "electra") and cfg.get("is_decoder"):
        lay.causal = True
    l = 0
    while pre + spec[1] % l + spec[2]["q"] + ".weight" in params:
        parts, biases = _hf_block(lay, params, l, spec, spec[3])
        lay.layers.append(parts)
        lay.biases.append(biases)
        l += 1
    return lay


def layout(module, family=None, heads=None, config=None):
    """The Layout of `module`, or LayoutError saying why it cannot be read."""
    if not isinstance(module, nn.Module):
        raise LayoutError("expected a torch.nn.Module, got %s" % type(module).__name__)
    if isinstance(module, nn.Transformer):
        raise LayoutError("nn.Transformer: describe its .encoder or its .decoder")
    if isinstance(module, nn.TransformerEncoder):
        return _torch_stack(module, False)
    if isinstance(module, nn.TransformerDecoder):
        return _torch_stack(module, True)
    if isinstance(module, (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)):
        raise LayoutError("a single %s: wrap it in a stack (nn.TransformerEncoder(layer, 1))"
                          % type(module).__name__)
    names = [n for n, _ in module.named_parameters()]
    cfg = _config_dict(module, config)
    if family is None and isinstance(cfg.get("model_type"), str):
        family = cfg["model_type"]
    fam, pre = _detect(names, family)
    if fam is None:
        raise LayoutError("%s is neither an nn.TransformerEncoder/Decoder nor named like a "
                          "module of a supported family (bert, roberta, electra, gpt2, llama, "
                          "mistral, qwen2, vit, gpt_neox)" % type(module).__name__)
    return _hf_stack(module, fam, pre, cfg, heads)
