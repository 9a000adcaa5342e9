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
        raise Error(s, _lib.describe(s, "propagate: block %d" % done.value))
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


def _take_json(status, out, err):
    if status:
        raise Error(status, err.value.decode("utf-8", "replace"))
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
    err = ctypes.create_string_buffer(1024)
    with model._call_lock:  # the model's check writes its message on failure
        s = _lib.sp_report_recommend(model._o, ctypes.byref(o), g, None, ctypes.byref(out),
                                     err, len(err))
    return _take_json(s, out, err)


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


SIMULATE_COLUMNS = tuple(_lib.sp_sim_table_column(i).decode() for i in range(27))
_SIM_NBASE = 21


def _whole(name, value, lo, hi):
    """A whole-number option checked as the program checks it."""
    x = _number(name, value, -math.inf, math.inf)
    text = _option_text(value)
    if x != math.floor(x) or abs(x) > 9.0e15:
        raise Error(_lib.SP_EINVAL, "--%s: '%s' is not a whole number" % (name, text))
    if not lo <= x <= hi:
        raise Error(_lib.SP_EINVAL, "--%s: %s is outside [%g, %g]" % (name, text, lo, hi))
    return int(x)


def _human_bytes(b):
    for scale, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB")):
        if b >= scale:
            return "%.1f %s" % (b / scale, unit)
    return "%.0f kB" % (b / 1e3)


def _sim_memory(model, o):
    """Refuse a run beyond the machine's memory, as the program does."""
    need = ctypes.c_double()
    s = _lib.sp_sim_table_memory(model._m, ctypes.byref(o), ctypes.byref(need))
    if s:
        raise Error(s, _lib.describe(s, "simulate"))
    limit = _lib.sp_sim_memory_limit()
    if (limit > 0 and need.value > limit) or need.value > 1e18:
        raise Error(_lib.SP_ENOMEM, "simulate: needs %s of memory (width %d, %d tokens, %d head%s),"
                    " more than the %s of this machine" % (
                        _human_bytes(need.value), o.width, model._tokens, o.heads,
                        "" if o.heads == 1 else "s", _human_bytes(limit)))


def simulate(model, width, seeds, heads=1, seed=1, threads=None, tokens_scale=None,
             input_ln=False, gradient=False, jacobian=False, progress=None):
    """The table of `sigprop simulate`: `seeds` random networks of width
    `width` (the options --width, --seeds, --heads, --seed, --threads,
    --tokens-scale, --input-ln, --gradient, --jacobian), as a numpy
    structured array of depth + 1 rows with the program's columns: layer,
    then NAME and NAME_se (mean and standard error over networks) of q, p,
    rho, cos, rho_std, y2, y3, entropy, max_attention, overlap, and with
    gradient=True grad_wq, with jacobian=True grad_chi and grad_chi_total.
    Bit for bit the program's numbers for any number of threads.
    progress(done, total), when given, is called with the blocks simulated
    over all networks (from the calling thread).  Raises Error."""
    o = _lib.SimTableOptions()
    _lib.sp_sim_table_options_default(ctypes.byref(o))
    o.width = _whole("width", width, 2, math.inf)
    o.seeds = _whole("seeds", seeds, 1, math.inf)
    o.heads = _whole("heads", heads, 1, math.inf)
    o.seed = _whole("seed", seed, 0, 9e15)
    if threads is not None:
        o.threads = _whole("threads", threads, 1, 1024)
    if tokens_scale is not None:
        o.sim.tokens_scale = _number("tokens-scale", tokens_scale, 2.0, math.inf)
    o.sim.gradient, o.sim.jacobian, o.sim.input_ln = bool(gradient), bool(jacobian), bool(input_ln)
    if o.width % o.heads:
        raise Error(_lib.SP_EINVAL, "--heads: %d does not divide the width %d" % (o.heads, o.width))
    _sim_memory(model, o)
    if progress is not None:
        callback = _lib.PROGRESS(lambda arg, done, total: progress(done, total))
        o.sim.progress = callback
    rows = model._depth + 1
    full = np.empty((rows, len(SIMULATE_COLUMNS)), np.float64)
    failed, done = ctypes.c_ulong(), ctypes.c_long()
    s = _lib.sp_sim_table_fill(model._m, ctypes.byref(o), full.ctypes.data, None,
                               ctypes.byref(failed), ctypes.byref(done))
    if s:
        what = "simulate: seed %d, block %d" % (failed.value, done.value)
        raise Error(s, _lib.describe(s, what if failed.value else "simulate"))
    keep = [k for k in range(len(SIMULATE_COLUMNS))
            if k < _SIM_NBASE or (k < _SIM_NBASE + 2 and gradient)
            or (k >= _SIM_NBASE + 2 and jacobian)]
    dtype = np.dtype([(SIMULATE_COLUMNS[k], np.float64) for k in keep])
    out = np.empty(rows, dtype)
    for k in keep:
        out[SIMULATE_COLUMNS[k]] = full[:, k]
    return out
