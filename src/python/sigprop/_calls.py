# SPDX-License-Identifier: GPL-3.0-or-later
"""The functions of the package, one per command of the program."""
import ctypes

import numpy as np

from . import _lib
from ._model import Error, _strerror

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


def recommend(model, margin=None, rho_max=None, gain=None):
    """The report of `sigprop recommend -o -` as a dict (the JSON schema of
    sigprop-recommend(1)): phase, beta, rho0, q0, depth, ..., verdict,
    sensitivity, flags, recommendation.  margin, rho_max and gain are the
    options --margin, --rho-max and --gain.  Raises Error."""
    raise NotImplementedError("recommend: not yet")


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
