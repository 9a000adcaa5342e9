# SPDX-License-Identifier: GPL-3.0-or-later
"""The input the first block sees, and its q0 and rho0 (private to sigprop.torch).

q0 is the mean squared entry of the T token vectors and rho0 the mean cosine
over every pair of distinct tokens, (|sum_t u_t|^2 - T) / (T (T - 1)) with
u_t = x_t / |x_t| (a zero vector adds nothing to the sum), as ``sigprop
inspect`` measures them (src/inspect.c, theory.md §2).  For a batch of
sequences, q0 is the mean over every token and rho0 the mean over the
sequences of each one's pair mean (attention mixes tokens of one sequence).

Hugging Face-named modules are run from their parameters, as inspect runs a
checkpoint: token embedding + learned positions (roberta: from pad_token_id +
1) + token type 0, the embedding LayerNorm with its weight and bias, electra's
embeddings_project; vit's class token and patch projection plus the position
table.  Without token ids, the ids (and vit's pixels) are inspect's: the
splitmix64 sequence from the seed, id_t = z_t mod vocab.
"""

import math

import torch

_MASK = (1 << 64) - 1


class Splitmix:
    """The splitmix64 stream inspect draws its input from."""

    def __init__(self, seed):
        self.x = seed & _MASK

    def next(self):
        self.x = (self.x + 0x9E3779B97F4A7C15) & _MASK
        z = self.x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def gauss(self):
        u = ((self.next() >> 11) + 0.5) * 2.0 ** -53
        v = ((self.next() >> 11) + 0.5) * 2.0 ** -53
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)


def q0_rho0(x):
    """(q0, rho0) of token vectors x: [T, d] or [B, T, d] (float64 sums)."""
    x = x.detach().to(torch.float64)
    if x.dim() == 2:
        x = x.unsqueeze(0)
    if x.dim() != 3 or x.shape[1] < 2 or x.shape[2] < 1:
        raise ValueError("inputs: expected [T, d] or [B, T, d] with T >= 2 tokens, got shape %s"
                         % (list(x.shape),))
    if not torch.isfinite(x).all():
        raise ValueError("inputs: the embedded tokens hold NaN or infinite entries")
    _, t, d = x.shape
    n2 = (x * x).sum(-1)
    q0 = float((n2 / d).mean())
    norm = torch.where(n2 > 0, n2.sqrt(), torch.ones_like(n2))
    u = torch.where((n2 > 0).unsqueeze(-1), x / norm.unsqueeze(-1), torch.zeros_like(x))
    s = u.sum(1)
    uu = (s * s).sum(-1)
    rho0 = float(((uu - t) / (t * (t - 1.0))).mean())
    return q0, rho0


def _param(lay, suffix):
    return dict(lay.module.named_parameters()).get(lay.prefix + suffix)


def _layer_norm_eps(lay, default):
    """The eps of the embedding LayerNorm module, if it is an nn.LayerNorm."""
    mod = dict(lay.module.named_modules()).get(lay.prefix + "embeddings.LayerNorm")
    return getattr(mod, "eps", default)


def default_ids(seed, tokens, vocab):
    rng = Splitmix(seed)
    return torch.tensor([rng.next() % vocab for _ in range(tokens)], dtype=torch.long)


def _text_embed(lay, ids, cfg):
    """Word (+ position + type, LayerNorm, projection) vectors of ids [B, T]."""
    fam = lay.family
    emb = _param(lay, _word_table(fam)).detach().double()
    if int(ids.min()) < 0 or int(ids.max()) >= emb.shape[0]:
        raise ValueError("tokens: ids outside [0, %d) (the vocabulary)" % emb.shape[0])
    x = emb[ids]
    t = ids.shape[1]
    bert = fam in ("bert", "roberta", "electra")
    pos = _param(lay, "wpe.weight" if fam == "gpt2" else "embeddings.position_embeddings.weight"
                 ) if bert or fam == "gpt2" else None
    if pos is not None:
        off = int(cfg.get("pad_token_id", 1)) + 1 if fam == "roberta" else 0
        if off + t > pos.shape[0]:
            raise ValueError("tokens: T = %d does not fit the position table's %d rows"
                             % (t, pos.shape[0] - off))
        x = x + pos.detach().double()[off:off + t]
    typ = _param(lay, "embeddings.token_type_embeddings.weight") if bert else None
    if typ is not None:
        x = x + typ.detach().double()[0]
    if bert:
        w, b = _param(lay, "embeddings.LayerNorm.weight"), _param(lay, "embeddings.LayerNorm.bias")
        eps = _layer_norm_eps(lay, cfg.get("layer_norm_eps", 1e-12))
        x = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True)
                                                        + eps)
        if w is not None:
            x = x * w.detach().double()
        if b is not None:
            x = x + b.detach().double()
        pw, pb = _param(lay, "embeddings_project.weight"), _param(lay, "embeddings_project.bias")
        if pw is not None:
            x = x @ pw.detach().double().t()
            if pb is not None:
                x = x + pb.detach().double()
    return x


def _vit_embed(lay, pixels, seed, tokens):
    """Class token and patches of `pixels` [B, C, H, W] (None: inspect's own
    unit normals, one patch at a time) through the projection, + positions."""
    pw = _param(lay, "embeddings.patch_embeddings.projection.weight").detach().double()
    pb = _param(lay, "embeddings.patch_embeddings.projection.bias")
    cls = _param(lay, "embeddings.cls_token").detach().double().reshape(-1)
    pos = _param(lay, "embeddings.position_embeddings").detach().double()
    pos = pos.reshape(-1, pos.shape[-1])
    d, k = pw.shape[0], pw[0].numel()
    if pixels is None:
        rng = Splitmix(seed)
        a = torch.tensor([[rng.gauss() for _ in range(k)] for _ in range(tokens - 1)],
                         dtype=torch.float64)
        patches = (a @ pw.reshape(d, k).t()).unsqueeze(0)
    else:
        p = pw.shape[-1]
        pix = pixels.detach().double()
        patches = torch.nn.functional.conv2d(pix, pw, stride=p).flatten(2).transpose(1, 2)
    if pb is not None:
        patches = patches + pb.detach().double()
    x = torch.cat([cls.expand(patches.shape[0], 1, d), patches], 1)
    if x.shape[1] > pos.shape[0]:
        raise ValueError("tokens: %d patches and the class token do not fit the position "
                         "table's %d rows" % (x.shape[1], pos.shape[0]))
    return x + pos[:x.shape[1]]


def hf_inputs(lay, tokens, seed, count):
    """The first block's input of a Hugging Face-named module: [B, T, d]."""
    cfg = lay.config
    if lay.family == "vit":
        if tokens is not None and (not torch.is_tensor(tokens) or tokens.dim() != 4):
            raise ValueError("tokens: a vit module takes pixels [B, C, H, W]")
        return _vit_embed(lay, tokens, seed, count)
    if tokens is None:
        tokens = default_ids(seed, count, _param(lay, _word_table(lay.family)).shape[0])
    if not torch.is_tensor(tokens) or tokens.dtype not in (torch.int64, torch.int32):
        raise ValueError("tokens: expected a tensor of token ids (int64), got %s"
                         % (tokens.dtype if torch.is_tensor(tokens) else type(tokens).__name__))
    if tokens.dim() == 1:
        tokens = tokens.unsqueeze(0)
    if tokens.dim() != 2 or tokens.shape[1] < 2:
        raise ValueError("tokens: expected ids [T] or [B, T] with T >= 2, got shape %s"
                         % (list(tokens.shape),))
    return _text_embed(lay, tokens.long(), cfg)


def _word_table(fam):
    """The name of the token embedding table (after the prefix)."""
    return {"gpt2": "wte.weight", "gpt_neox": "embed_in.weight", "llama": "embed_tokens.weight",
            "mistral": "embed_tokens.weight", "qwen2": "embed_tokens.weight"}.get(
                fam, "embeddings.word_embeddings.weight")


def torch_inputs(lay, tokens, embedding):
    """Embedded inputs of a PyTorch stack, as [B, T, d] (batch_first or not)."""
    if tokens is None:
        raise ValueError("tokens: an nn.TransformerEncoder/Decoder has no embedding of its own; "
                         "give the embedded inputs, or token ids with embedding=")
    x = embedding(tokens) if embedding is not None else tokens
    if not torch.is_tensor(x) or not x.is_floating_point():
        raise ValueError("tokens: expected embedded inputs (a float tensor [T, d] or [B, T, d]); "
                         "give embedding= to embed token ids")
    if x.shape[-1] != lay.d_model:
        raise ValueError("tokens: width %d differs from the model's d_model %d"
                         % (x.shape[-1], lay.d_model))
    if x.dim() == 3 and not lay.batch_first:
        x = x.transpose(0, 1)
    return x
