# SPDX-License-Identifier: GPL-3.0-or-later
"""The functions of the package, one per command of the program."""
import ctypes
import json
import math

import numpy as np

from . import _lib
from ._model import Error, _option_value as _option_text, _strerror

_NCOL = 17
PROPAGATE_COLUMNS = tuple(_lib.sp_propagate_table_column(i).decode() for i in range(_NCOL))
_PROPAGATE_DTYPE = np.dtype([(name, np.float64) for name in PROPAGATE_COLUMNS])
_fill = _lib.sp_propagate_table_fill
_byref = ctypes.byref
_c_long = ctypes.c_long


def propagate(model):
    """The per-layer table of `sigprop propagate` for `model`: a numpy
    structured array of depth + 1 rows with the fields layer, q, p, rho,
    beta_c, frozen, lambda, m, y2, y3, y2sq, g, entropy, entropy_ratio,
    grad_wq, qk_v_ratio, grad_chi (float64; NaN where the program prints
    nan).  Row 0 is the input.  Raises Error (e.g. the stream overflowing
    in a stack without LayerNorm)."""
    w = model._ws if model._ws is not None else model._workspace()
    m = model._m
    out = np.empty(model._depth + 1, _PROPAGATE_DTYPE)
    done = _c_long()
    s = _fill(m, w, out.ctypes.data, _byref(done))
    if s:
        raise Error(s, "propagate: block %d: %s" % (done.value, _strerror(s)))
    return out


_GAINS = ("alpha", "alpha-sa", "alpha-mlp", "branch", "branch-sa", "branch-mlp")


def _number(name, value, lo, hi, open_lo=False, open_hi=False):
    """A number option checked as the program checks it (its message)."""
    text = _option_text(value)
    try:
        x = float(text)
    except ValueError:
        raise Error(_lib.SP_EINVAL, "--%s: '%s' is not a number" % (name, text)) from None
    if not math.isfinite(x):
        raise Error(_lib.SP_EINVAL, "--%s: '%s' is not a finite number" % (name, text))
    if not ((x > lo if open_lo else x >= lo) and (x < hi if open_hi else x <= hi)):
        raise Error(_lib.SP_EDOM, "--%s: %s is outside %s%g, %g%s"
                    % (name, text, "(" if open_lo else "[", lo, hi, ")" if open_hi else "]"))
    return x


def _take_json(model, status, out):
    if status:
        raise Error(status, model._error())
    try:
        return json.loads(ctypes.string_at(out.value).decode())
    finally:
        _lib.sp_report_free(out)


def recommend(model, margin=None, rho_max=None, gain=None):
    """The report of `sigprop recommend -o -` as a dict (the JSON schema of
    sigprop-recommend(1)): phase, beta, rho0, q0, depth, d_model, heads,
    tokens, stds, source, assumed, sigprop, command (None), model, verdict,
    first_block, sensitivity, flags, recommendation.  Finite-T statistics
    unless the model gave attention_stats.  margin (in [0, 10], default
    0.2), rho_max (in (0, 1), default 0.9) and gain (alpha, alpha-sa,
    alpha-mlp, branch, branch-sa, branch-mlp; default the preset's, else
    alpha) are the options --margin, --rho-max and --gain.  Raises Error
    with the program's message."""
    o = _lib.RecommendOptions()
    _lib.sp_recommend_options_default(ctypes.byref(o))
    if margin is not None:
        o.margin = _number("margin", margin, 0.0, 10.0)
    if rho_max is not None:
        o.rho_max = _number("rho-max", rho_max, 0.0, 1.0, True, True)
    g = -1
    if gain is not None:
        v = ctypes.c_int()
        if _lib.sp_gain_from_name(str(gain).encode(), ctypes.byref(v)) or gain not in _GAINS:
            raise Error(_lib.SP_EINVAL, "--gain: '%s' is not one of %s" % (gain, ", ".join(_GAINS)))
        g = v.value
    out = ctypes.c_void_p()
    with model._call_lock:  # the model's error message is written on failure
        s = _lib.sp_report_recommend(model._o, ctypes.byref(o), g, None, ctypes.byref(out))
        return _take_json(model, s, out)


def critical(model, **options):
    """The table of `sigprop critical` (not yet)."""
    raise NotImplementedError("critical: not yet")


def mlp(model, **options):
    """The table of `sigprop mlp` (not yet)."""
    raise NotImplementedError("mlp: not yet")


def attention(model, **options):
    """The table of `sigprop attention` (not yet)."""
    raise NotImplementedError("attention: not yet")


def diagram(model, x, y, progress=None, **options):
    """A phase diagram of `sigprop diagram` (not yet)."""
    raise NotImplementedError("diagram: not yet")


def inspect(path, config=None, **options):
    """The report of `sigprop inspect --format json` (not yet)."""
    raise NotImplementedError("inspect: not yet")


def simulate(model, width, seeds, progress=None, **options):
    """The table of `sigprop simulate` (not yet)."""
    raise NotImplementedError("simulate: not yet")
