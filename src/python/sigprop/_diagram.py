# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop.diagram: the phase diagram of `sigprop diagram` and its figure."""
import ctypes
import errno
import math
import os

import numpy as np

from . import _lib
from ._calls import _number, _parse_axis, _whole
from ._model import Error, Model, _option_value as _option_text, version

_DEPTH = 60  # the program's depth for a diagram when the options give none


def _axis(opt, spec):
    """--x or --y: "NAME:MIN:MAX:N[:log]" (or a sequence of those fields),
    checked by the library as the program checks it (sp_axis_parse)."""
    return _parse_axis(_lib.sp_axis_parse, opt, spec)


def _same_param(a, b):
    a, b = a.param.contents.name.decode(), b.param.contents.name.decode()
    if a == b:
        return True
    return a.startswith("var-w") and b.startswith("var-w") and "var-w" in (a, b)


def _diagram_model(model, depth):
    """The model of the diagram: the program starts a diagram's model at
    depth 60 before the model options; `depth` (when given) comes last."""
    opts = dict(model.options)
    if depth is not None:
        opts.pop("depth", None)
        opts["depth"] = depth
        return Model(**opts)
    if "depth" in opts:
        return model
    return Model(**dict([("depth", _DEPTH)] + list(opts.items())))


def _check_corners(model, ax, ay):
    """The model at each corner must be valid: the library's message."""
    for c in range(4):
        opts = dict(model.options)
        for a, hi in ((ax, c & 1), (ay, c & 2)):
            name = a.param.contents.name.decode()
            opts.pop(name.replace("-", "_"), None)
            opts.pop(name, None)
            opts[name.replace("-", "_")] = repr(a.max if hi else a.min)
        if "depth" not in opts:
            opts = dict([("depth", model._depth)] + list(opts.items()))
        try:
            Model(**opts)
        except Error as e:
            raise Error(_lib.SP_EINVAL, e.message) from None


def _columns(t, num, strs, nrow):
    names = [t.names[i].decode() for i in range(t.ncol)]
    num = num.reshape(nrow, t.ncol)
    out = {}
    for i, name in enumerate(names):
        if strs[i] is not None:
            out[name] = np.array([s.decode() if s is not None else "" for s in strs[i]])
        else:
            out[name] = num[:, i].copy()
    return out


def _open_errno(path):
    """Why sp_outfile_open failed: its errno, else (where a preloaded
    runtime lost it) the folder's, else EIO."""
    e = ctypes.get_errno()
    if not e:
        try:
            os.stat(os.path.dirname(os.path.abspath(path)))
        except OSError as err:
            e = err.errno
    return e or errno.EIO


class Diagram:
    """A swept phase diagram (from sigprop.diagram): .grid and .curves (dicts
    of numpy columns named as the program's CSV columns), .counts (points
    of each class) and .plot(path)."""

    def __init__(self, model, handle, ax, ay):
        self._model, self._d, self._ax, self._ay = model, handle, ax, ay
        view = _lib.sp_diagram_view(handle)
        n = ax.n * ay.n
        nc = _lib.sp_diagram_grid_ncol(view)
        num = np.empty(n * nc, np.float64)
        strs = (ctypes.c_char_p * (n * nc))()
        t = _lib.Table()
        s = _lib.sp_diagram_grid_table(view, num.ctypes.data, strs, ctypes.byref(t))
        if s:
            raise Error(s, _lib.describe(s, "diagram"))
        cls = [strs[k * nc + nc - 1] for k in range(n)]
        self.grid = _columns(t, num, [None] * (nc - 1) + [cls], n)
        nr = _lib.sp_diagram_curves_nrow(view)
        cnum = np.empty(max(nr, 1) * 4, np.float64)
        cstr = (ctypes.c_char_p * (max(nr, 1) * 4))()
        s = _lib.sp_diagram_curves_table(view, cnum.ctypes.data, cstr, ctypes.byref(t))
        if s:
            raise Error(s, _lib.describe(s, "diagram"))
        names = [cstr[r * 4] for r in range(nr)]
        self.curves = _columns(t, cnum[:nr * 4], [names, None, None, None], nr)
        self.counts = {c: int(np.sum(self.grid["class"] == c))
                       for c in ("trainable", "rank-collapse", "entropy-collapse", "undefined")}

    def plot(self, path, title=None, colormap="viridis", range=None, mark=None, size=(252.0, 240.0),
             dpi=300.0):
        # pylint: disable=redefined-builtin
        """Write the figure of `sigprop diagram -o PATH` to `path` (.png, .pdf
        or .svg by extension) through the library's renderer: the same
        picture as the program's for the same inputs, without the program's
        metadata (its command line and model).  title (--title; default the
        program's), colormap (--colormap), range=(LO, HI) (--range),
        mark=(X, Y) (--mark), size=(W, H) in points (--size) and dpi (--dpi)
        are the program's figure options.  Raises Error."""
        path = os.fspath(path)
        fmt = _lib.sp_format_from_path(path.encode())
        if fmt not in (_lib.SP_FMT_PNG, _lib.SP_FMT_PDF, _lib.SP_FMT_SVG):
            raise Error(_lib.SP_EINVAL, "%s: a figure is written as .png, .pdf or .svg" % path)
        fo = _lib.DiagramFigureOptions()
        _lib.sp_diagram_figure_options_default(ctypes.byref(fo))
        fo.colormap = _lib.sp_colormap_lookup(str(colormap).encode())
        if not fo.colormap:
            raise Error(_lib.SP_EINVAL, "--colormap: '%s' is not one of viridis, cividis, magma, "
                        "inferno" % colormap)
        if range is not None:
            fo.range_lo = _number("range", range[0], -math.inf, math.inf)
            fo.range_hi = _number("range", range[1], -math.inf, math.inf)
        ax, ay = self._ax, self._ay
        if mark is not None:
            fo.mark, fo.mark_x, fo.mark_y = 1, _number("mark", mark[0], -math.inf, math.inf), \
                _number("mark", mark[1], -math.inf, math.inf)
            if not (ax.min <= fo.mark_x <= ax.max and ay.min <= fo.mark_y <= ay.max):
                raise Error(_lib.SP_EINVAL, "--mark %g,%g: outside the diagram ([%g, %g] x "
                            "[%g, %g])" % (fo.mark_x, fo.mark_y, ax.min, ax.max, ay.min, ay.max))
        if title is None:
            buf = ctypes.create_string_buffer(160)
            _lib.sp_model_title(self._model._m, _lib.sp_modelopt_preset(self._model._o),
                                ax.param, ay.param, buf, len(buf))
            title = buf.value
        else:
            title = str(title).encode()
        p = ctypes.c_void_p()
        s = _lib.sp_plot_alloc(float(size[0]), float(size[1]), 1, 1, ctypes.byref(p))
        if s:
            raise Error(s, _lib.describe(s, "diagram: figure"))
        try:
            s = _lib.sp_diagram_figure_draw(p, _lib.sp_diagram_view(self._d), ctypes.byref(fo),
                                            title) or _lib.sp_plot_status(p)
            if s:
                raise Error(s, _lib.describe(s, "diagram: figure"))
            self._write(p, path, fmt, float(dpi))
        finally:
            _lib.sp_plot_free(p)

    @staticmethod
    def _write(p, path, fmt, dpi):
        """Write the figure atomically, with the program's messages."""
        f = ctypes.c_void_p()
        ctypes.set_errno(0)
        s = _lib.sp_outfile_open(path.encode(), ctypes.byref(f))
        if s:
            raise Error(s, "%s: cannot write: %s" % (path, os.strerror(_open_errno(path))))
        meta = (_lib.Meta * 1)(_lib.Meta(b"sigprop", version().encode()))
        s = _lib.sp_plot_write(p, _lib.sp_outfile_stream(f), fmt, dpi, meta, 1)
        if not s:
            s = _lib.sp_outfile_close(f)
        if s:
            e = _lib.sp_outfile_error(f)
            _lib.sp_outfile_abort(f)
            if s == _lib.SP_EIO or e:
                raise Error(s, "%s: cannot write: %s" % (path, os.strerror(e or errno.EIO)))
            raise Error(s, _lib.describe(s, path))
        ctypes.set_errno(0)
        s = _lib.sp_outfile_commit(f)  # frees f, also on failure
        if s:
            raise Error(s, "%s: cannot write: %s" % (path, os.strerror(ctypes.get_errno()
                                                                    or errno.EIO)))

    def __del__(self, _free=_lib.sp_diagram_free):
        if getattr(self, "_d", None):
            _free(self._d)
            self._d = None


def diagram(model, x="beta:0:5:201", y="alpha-sa:0:5:201", depth=None, rho_max=None,
            y2_max=None, overlay_gradient=None, overlay_lambda_g=False, threads=None,
            progress=None):
    """The phase diagram of `sigprop diagram` over the axes x and y ("NAME:
    MIN:MAX:N[:log]", --x and --y; the program's defaults) around `model`,
    at depth `depth` (default: the model's depth when its options gave one,
    else 60 as in the program).  rho_max (in (0, 1], default 0.9), y2_max
    (in (0, 1], default none), overlay_gradient (F in (0, 1)),
    overlay_lambda_g and threads (1 to 256; default one per processor; the
    numbers do not depend on it) are the program's options of the same
    names.  progress(done, total), when given, is called with the grid
    rows done (from the worker threads).  Returns a Diagram: .grid, .curves
    (the program's CSV columns, bit for bit) and .plot(path).  Raises Error
    with the program's messages."""
    ax, ay = _axis("x", x), _axis("y", y)
    o = _lib.DiagramOptions()
    _lib.sp_diagram_options_default(ctypes.byref(o))
    if rho_max is not None:
        o.rho_max = _number("rho-max", rho_max, -1.0, 1.0, True)
    if y2_max is not None:
        o.y2_max = _number("y2-max", y2_max, 0.0, 1.0, True)
    if overlay_gradient is not None:
        o.grad_fraction = _number("overlay-gradient", overlay_gradient, 0.0, 1.0, True, True)
    o.lambda_g = 1 if overlay_lambda_g else 0
    if threads is not None:
        o.threads = _whole("threads", threads, 1, 256)
    if _same_param(ax, ay):
        raise Error(_lib.SP_EINVAL, "--x and --y: both sweep %s; choose two different parameters"
                    % ax.param.contents.name.decode())
    m = _diagram_model(model, depth)
    _check_corners(m, ax, ay)
    if ax.n > _lib.SP_GRID_MAX // ay.n:
        raise Error(_lib.SP_EINVAL, "--x and --y: %d x %d = %d points is over the limit of %d "
                    "points in a grid" % (ax.n, ay.n, ax.n * ay.n, _lib.SP_GRID_MAX))
    if progress is not None:
        o.progress = _lib.PROGRESS(lambda arg, done, total: progress(done, total))
    d = ctypes.c_void_p()
    s = _lib.sp_diagram_alloc(m._m, ctypes.byref(ax), ctypes.byref(ay), ctypes.byref(o),
                              ctypes.byref(d))
    if s:
        raise Error(s, _lib.describe(s, "diagram"))
    try:
        s = _lib.sp_diagram_sweep(d) or _lib.sp_diagram_curves(d)
        if s:
            raise Error(s, _lib.describe(s, "diagram"))
        return Diagram(m, d.value, ax, ay)
    except BaseException:
        _lib.sp_diagram_free(d)
        raise
