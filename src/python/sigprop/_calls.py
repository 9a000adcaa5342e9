# SPDX-License-Identifier: GPL-3.0-or-later
"""The functions of the package, one per command of the program."""
import ctypes
import json
import math
import os

import numpy as np

from . import _lib
from ._model import Error, MlpModel, _option_value as _option_text, _strerror

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


def critical(model, param=None, rho_final=None, beta_c=False, chi1=None, range=None):
    # pylint: disable=redefined-builtin
    """The answer of `sigprop critical` (one of):
    critical(model, PARAM, rho_final=V[, range=(MIN, MAX)]): the smallest
        value of the real parameter PARAM ("alpha-sa", "beta", ...) with
        rho_L <= V, or for PARAM "depth" the largest depth L with rho_l <= V
        for every l <= L (an int);
    critical(model, beta_c=True): beta_c of block 1's attention input;
    critical(model, "var-w" or "var-b", chi1=V[, range=...]): the variance
        at which the MLP alone has chi_1 = V (1: the edge of chaos).
    The computation and its messages are the library's
    (sp_critical_query); raises Error (status 9, SP_ENOROOT, when there
    is no root in the range)."""
    given = [w for w, on in (("rho-final", rho_final is not None), ("beta-c", bool(beta_c)),
                             ("chi1", chi1 is not None)) if on]
    if len(given) > 1:
        raise Error(_lib.SP_EINVAL, "critical: give one of rho_final, beta_c and chi1")
    where = None
    if rho_final is not None:
        where = "rho-final=" + _option_text(rho_final)
    elif chi1 is not None:
        where = "chi1=" + _option_text(chi1)
    elif beta_c:
        where = "beta-c"
    text = None
    if range is not None:
        lo, hi = range
        text = "%s:%s" % (_option_text(lo), _option_text(hi))
    ans = _lib.CriticalAnswer()
    usage = ctypes.c_int()
    err = ctypes.create_string_buffer(512)
    enc = lambda v: None if v is None else str(v).encode()
    s = _lib.sp_critical_query(model._m, enc(param), enc(where), enc(text), ctypes.byref(ans),
                               ctypes.byref(usage), err, len(err))
    if s:
        raise Error(s, err.value.decode("utf-8", "replace"))
    return int(ans.value) if ans.is_depth else ans.value


MLP_COLUMNS = tuple(_lib.sp_meanfield_table_column(i).decode() for i in range(7))


def _parse_axis(parse, opt, spec):
    """An axis "NAME:MIN:MAX:N[:SPACING]" (or a sequence of those fields)
    through the library's parser `parse` (sp_axis_parse or
    sp_axis_parse_mlp, the program's checks and messages): an _lib.Axis,
    or Error with its message."""
    text = spec if isinstance(spec, str) else ":".join(_option_text(v) for v in spec)
    a = _lib.Axis()
    msg = ctypes.create_string_buffer(1024)
    if parse(opt.encode(), text.encode(), ctypes.byref(a), msg, len(msg)):
        raise Error(_lib.SP_EINVAL, msg.value.decode(errors="replace"))
    return a


def _mlp_axis(opt, spec):
    """An axis (NAME, MIN, MAX, N[, SPACING]) checked as the program checks
    --x and --y (sp_axis_parse_mlp): (is var-w, min, max, n, log)."""
    a = _parse_axis(_lib.sp_axis_parse_mlp, opt, spec)
    return (a.param.contents.name == b"var-w", a.min, a.max, a.n,
            a.spacing == _lib.SP_SPACING_LOG)


def mlp(x=None, y=None, **options):
    """The mean field of the MLP alone, `sigprop mlp` (theory.md §8).
    options: activation, var_w, var_b, erf_scale (the program's MLP
    options, checked by the library with its messages).  Without x and y:
    a structured array of one row with the columns q_star, chi1, c_star,
    xi_c, xi_q (NaN where the program leaves a cell empty).  With
    x=("var-w", MIN, MAX, N[, "log"]) and y=("var-b", ...) (or the other
    way round; --x, --y): the grid, x fastest, with the columns var_w,
    var_b, q_star, chi1, c_star, xi_c, xi_q; a point that does not converge
    has NaN values.  Raises Error."""
    m = MlpModel(**options)
    if x is None and y is None:
        out = np.empty(1, np.dtype([(c, np.float64) for c in MLP_COLUMNS[2:]]))
        s = _lib.sp_meanfield_table_point(m._m, out.ctypes.data, None)
        if s:
            raise Error(s, _lib.describe(s, "mlp"))
        return out
    ax = _mlp_axis("x", x) if x is not None else None
    ay = _mlp_axis("y", y) if y is not None else None
    if ax is None or ay is None:
        raise Error(_lib.SP_EINVAL, "--x and --y: give both (one var-w, one var-b) for a grid")
    if ax[0] == ay[0]:
        raise Error(_lib.SP_EINVAL, "--x and --y: both sweep %s; one must be var-w and the "
                    "other var-b" % ("var-w" if ax[0] else "var-b"))
    xs = np.array([_lib.sp_meanfield_table_axis(ax[1], ax[2], ax[3], ax[4], i)
                   for i in range(ax[3])])
    ys = np.array([_lib.sp_meanfield_table_axis(ay[1], ay[2], ay[3], ay[4], j)
                   for j in range(ay[3])])
    out = np.empty(ax[3] * ay[3], np.dtype([(c, np.float64) for c in MLP_COLUMNS]))
    w, b = ctypes.c_double(), ctypes.c_double()
    s = _lib.sp_meanfield_table_grid(m._m, 1 if ax[0] else 0, xs.ctypes.data, len(xs),
                                     ys.ctypes.data, len(ys), out.ctypes.data, None, None,
                                     ctypes.byref(w), ctypes.byref(b))
    if s:
        raise Error(s, _lib.describe(s, "mlp: var-w = %g, var-b = %g" % (w.value, b.value)))
    return out


ATTENTION_COLUMNS = tuple(_lib.sp_attention_table_column(i).decode() for i in range(8))
_ATTENTION_DTYPE = np.dtype([(name, np.float64) for name in ATTENTION_COLUMNS])


def attention(lambda_=(0.0, 4.0, 81), tokens=(64, 512, 4096), causal=False):
    """The table of `sigprop attention`: one softmax row over T i.i.d.
    Gaussian energies of std lambda sqrt(log T), for n values of lambda
    from lmin to lmax (lambda_=(lmin, lmax, n), --lambda MIN:MAX:N) and every
    T of `tokens` (--tokens, at most 8), then the T -> infinity law;
    causal=True is --causal.  A numpy structured array with the program's
    columns tokens, lambda, y2, y3, y2sq, g, entropy, entropy_ratio, the
    rows of each T in turn; in the T -> infinity rows tokens is inf (the
    program prints "inf") and the entropy in nats NaN below lambda = sqrt 2.
    Raises Error with the program's messages."""
    try:
        lmin, lmax, n = lambda_
    except (TypeError, ValueError):
        raise Error(_lib.SP_EINVAL, "--lambda: '%s' is not MIN:MAX:N" % (lambda_,)) from None
    lmin, lmax = _number("lambda", lmin, -math.inf, math.inf), _number("lambda", lmax,
                                                                       -math.inf, math.inf)
    n = _whole("lambda", n, -math.inf, math.inf)
    if not lmin < lmax:
        raise Error(_lib.SP_EINVAL, "--lambda: MIN must be below MAX (got %s and %s)"
                    % (_option_text(lambda_[0]), _option_text(lambda_[1])))
    if lmin < 0.0 or lmax > _lib.SP_REM_TABLE_LAMBDA_MAX:
        raise Error(_lib.SP_EINVAL, "--lambda: [%s, %s] leaves [0, %g]"
                    % (_option_text(lambda_[0]), _option_text(lambda_[1]),
                       _lib.SP_REM_TABLE_LAMBDA_MAX))
    if n < 2 or n > 2001:
        raise Error(_lib.SP_EINVAL, "--lambda: N must be between 2 and 2001 (got %d)" % n)
    tokens = list(tokens)
    if len(tokens) > 8:
        raise Error(_lib.SP_EINVAL, "--tokens: at most 8 values")
    ts = []
    for t in tokens:
        x = _whole("tokens", t, -math.inf, math.inf)
        if not 2 <= x <= _lib.SP_MAX_TOKENS:
            raise Error(_lib.SP_EINVAL, "--tokens: %s is outside [2, %d]"
                        % (_option_text(t), _lib.SP_MAX_TOKENS))
        ts.append(x)
    out = np.empty(n * (len(ts) + 1), _ATTENTION_DTYPE)
    base = out.ctypes.data
    row = 0
    for t in ts + [0]:
        for i in range(n):
            lam = _lib.sp_attention_table_lambda(lmin, lmax, n, i)
            s = _lib.sp_attention_table_row(t, 1 if causal else 0, lam,
                                            base + row * _ATTENTION_DTYPE.itemsize)
            if s:
                what = ("attention: T = %d, lambda = %g" % (t, lam) if t
                        else "attention: T -> infinity, lambda = %g" % lam)
                raise Error(s, _lib.describe(s, what))
            row += 1
    out["tokens"][n * len(ts):] = np.inf
    return out


def inspect(path, config=None, tokens=None, seed=None, rho_max=None, margin=None):
    """The report of `sigprop inspect PATH --format json` as a dict: the
    weight stds of a safetensors checkpoint (FILE.safetensors or a sharded
    checkpoint's model.safetensors.index.json) measured block by block, q0
    and rho0 of one input through its embeddings, and the report of
    recommend for that initialisation (its JSON schema, command None),
    plus "checkpoint" (file, family, prefix, std_emb, std_pos, seed,
    advice).  config (a config.json path), tokens, seed, rho_max and margin
    are the program's options --config, --tokens, --seed, --rho-max and
    --margin.  Raises Error with the program's messages."""
    o = _lib.InspectOptions()
    _lib.sp_report_inspect_options_default(ctypes.byref(o))
    if config is not None:
        config = os.fspath(config).encode()
        o.config = config
    if tokens is not None:
        o.tokens = _whole("tokens", tokens, 0, _lib.SP_MAX_TOKENS)
        if o.tokens == 1:
            raise Error(_lib.SP_EINVAL, "--tokens: 1 is outside [2, %d] (0: from the config)"
                        % _lib.SP_MAX_TOKENS)
    if seed is not None:
        o.seed = _whole("seed", seed, 0, 4294967295.0)
    if rho_max is not None:
        o.rho_max = _number("rho-max", rho_max, 1e-9, 1 - 1e-9)
    if margin is not None:
        o.margin = _number("margin", margin, 0.0, 10.0)
    out = ctypes.c_void_p()
    err = ctypes.create_string_buffer(1024)
    usage = ctypes.c_int()
    s = _lib.sp_report_inspect(os.fspath(path).encode(), ctypes.byref(o), None,
                               ctypes.byref(out), err, len(err), ctypes.byref(usage))
    return _take_json(s, out, err)


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
