# SPDX-License-Identifier: GPL-3.0-or-later
"""Loading libsigprop and declaring the C functions the package calls.

The library is found, in order, at the path in the environment variable
SIGPROP_LIBRARY, next to the build tree this copy of the package was made
in, in the libdir of the prefix it was installed to (both recorded by meson
in _paths.py), then by the system's loader (libsigprop.so.0).
"""
import ctypes
import os
import threading

try:
    from . import _paths
except ImportError:  # the source tree, unconfigured
    _paths = None


def _candidates():
    env = os.environ.get("SIGPROP_LIBRARY")
    if env:
        return [env]
    found = []
    if _paths is not None:
        for path in (_paths.BUILD_LIBRARY, _paths.INSTALLED_LIBRARY):
            if path and os.path.exists(path):
                found.append(path)
    found.append("libsigprop.so.0")
    return found


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s (%s)" % (path, e))
    raise ImportError("sigprop: cannot load libsigprop: " + "; ".join(errors))


lib = _load()

c_int, c_long, c_double = ctypes.c_int, ctypes.c_long, ctypes.c_double
c_size_t, c_char_p, c_void_p = ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p
c_uint = ctypes.c_uint

# void (*sp_progress)(void *arg, size_t done, size_t total)
PROGRESS = ctypes.CFUNCTYPE(None, c_void_p, c_size_t, c_size_t)


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


sp_version = _declare("sp_version", c_char_p)
sp_strerror = _declare("sp_strerror", c_char_p, c_int)

# The model options (sigprop/modelopt.h).
sp_modelopt_alloc = _declare("sp_modelopt_alloc", c_int, ctypes.POINTER(c_void_p))
sp_modelopt_free = _declare("sp_modelopt_free", None, c_void_p)
sp_modelopt_set = _declare("sp_modelopt_set", c_int, c_void_p, c_int, c_char_p, c_char_p)
sp_modelopt_check = _declare("sp_modelopt_check", c_int, c_void_p, c_void_p)
sp_modelopt_error = _declare("sp_modelopt_error", c_char_p, c_void_p)
sp_modelopt_model = _declare("sp_modelopt_model", c_void_p, c_void_p)
sp_modelopt_count = _declare("sp_modelopt_count", c_size_t, c_int)


class ModeloptEntry(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("metavar", c_char_p), ("help", c_char_p),
                ("nodefault", c_int)]


sp_modelopt_entry_at = _declare("sp_modelopt_entry_at", ctypes.POINTER(ModeloptEntry),
                                c_int, c_size_t)
sp_modelopt_show = _declare("sp_modelopt_show", None, c_void_p, c_char_p, c_char_p, c_size_t)

# Workspaces (sigprop/workspace.h).
sp_workspace_needed = _declare("sp_workspace_needed", c_int, c_void_p)
sp_workspace_alloc = _declare("sp_workspace_alloc", c_int, ctypes.POINTER(c_void_p))
sp_workspace_free = _declare("sp_workspace_free", None, c_void_p)
sp_workspace_prepare = _declare("sp_workspace_prepare", c_int, c_void_p, c_void_p)

# The propagate table (sigprop/propagate_table.h).
sp_propagate_table_column = _declare("sp_propagate_table_column", c_char_p, c_size_t)
sp_propagate_table_fill = _declare("sp_propagate_table_fill", c_int, c_void_p, c_void_p,
                                   c_void_p, c_void_p)

# The report (sigprop/report.h, sigprop/recommend.h).
class RecommendOptions(ctypes.Structure):
    """sp_recommend_options."""
    _fields_ = [("rho_max", c_double), ("margin", c_double), ("gain", c_int),
                ("xtol", c_double), ("width", c_long)]


sp_recommend_options_default = _declare("sp_recommend_options_default", None,
                                        ctypes.POINTER(RecommendOptions))
sp_gain_from_name = _declare("sp_gain_from_name", c_int, c_char_p, ctypes.POINTER(c_int))
sp_report_recommend = _declare("sp_report_recommend", c_int, c_void_p,
                               ctypes.POINTER(RecommendOptions), c_int, c_char_p,
                               ctypes.POINTER(c_void_p), c_char_p, c_size_t)
sp_report_free = _declare("sp_report_free", None, c_void_p)

# Simulation (sigprop/sim.h, sigprop/sim_table.h).
class SimOptions(ctypes.Structure):
    """sp_sim_options."""
    _fields_ = [("tokens_scale", c_double), ("gradient", c_int), ("jacobian", c_int),
                ("input_ln", c_int), ("progress", PROGRESS), ("progress_arg", c_void_p)]


class SimTableOptions(ctypes.Structure):
    """sp_sim_table_options."""
    _fields_ = [("width", c_long), ("heads", c_long), ("seeds", c_long), ("threads", c_int),
                ("seed", ctypes.c_ulong), ("sim", SimOptions)]


sp_sim_table_options_default = _declare("sp_sim_table_options_default", None,
                                        ctypes.POINTER(SimTableOptions))
sp_sim_table_column = _declare("sp_sim_table_column", c_char_p, c_size_t)
sp_sim_table_fill = _declare("sp_sim_table_fill", c_int, c_void_p,
                             ctypes.POINTER(SimTableOptions), c_void_p, ctypes.POINTER(c_int),
                             ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(c_long))
sp_sim_table_memory = _declare("sp_sim_table_memory", c_int, c_void_p,
                               ctypes.POINTER(SimTableOptions), ctypes.POINTER(c_double))
sp_sim_memory_limit = _declare("sp_sim_memory_limit", c_double)
sp_status_describe = _declare("sp_status_describe", None, c_int, c_char_p, c_char_p, c_size_t)


def describe(status, what):
    """The program's message for a failure of `what`."""
    buf = ctypes.create_string_buffer(512)
    sp_status_describe(status, what.encode(), buf, len(buf))
    return buf.value.decode("utf-8", "replace")


# The attention table (sigprop/attention_table.h).
sp_attention_table_column = _declare("sp_attention_table_column", c_char_p, c_size_t)
sp_attention_table_lambda = _declare("sp_attention_table_lambda", c_double, c_double, c_double,
                                     c_long, c_long)
sp_attention_table_row = _declare("sp_attention_table_row", c_int, c_long, c_int, c_double,
                                  c_void_p)
SP_REM_TABLE_LAMBDA_MAX = 64.0
SP_MAX_TOKENS = 1000000000

# The question of sigprop critical (sigprop/critical_query.h).
class CriticalAnswer(ctypes.Structure):
    """sp_critical_answer."""
    _fields_ = [("value", c_double), ("is_depth", c_int), ("what", ctypes.c_char * 256)]


sp_critical_query = _declare("sp_critical_query", c_int, c_void_p, c_char_p, c_char_p, c_char_p,
                             ctypes.POINTER(CriticalAnswer), ctypes.POINTER(c_int), c_char_p,
                             c_size_t)

# The tables of sigprop mlp (sigprop/meanfield_table.h).
sp_meanfield_table_column = _declare("sp_meanfield_table_column", c_char_p, c_size_t)
sp_meanfield_table_axis = _declare("sp_meanfield_table_axis", c_double, c_double, c_double,
                                   c_long, c_int, c_long)
sp_meanfield_table_point = _declare("sp_meanfield_table_point", c_int, c_void_p, c_void_p,
                                    c_void_p)
sp_meanfield_table_grid = _declare("sp_meanfield_table_grid", c_int, c_void_p, c_int, c_void_p,
                                   c_size_t, c_void_p, c_size_t, c_void_p, c_void_p, c_void_p,
                                   ctypes.POINTER(c_double), ctypes.POINTER(c_double))

class InspectOptions(ctypes.Structure):
    """sp_report_inspect_options."""
    _fields_ = [("config", c_char_p), ("tokens", c_long), ("seed", ctypes.c_ulong),
                ("rho_max", c_double), ("margin", c_double)]


sp_report_inspect_options_default = _declare("sp_report_inspect_options_default", None,
                                             ctypes.POINTER(InspectOptions))
sp_report_inspect = _declare("sp_report_inspect", c_int, c_char_p,
                             ctypes.POINTER(InspectOptions), c_char_p, ctypes.POINTER(c_void_p),
                             c_char_p, c_size_t, ctypes.POINTER(c_int))

SP_OK, SP_EINVAL, SP_EDOM, SP_ENOMEM = 0, 1, 2, 3
SP_MODELOPT_ALL, SP_MODELOPT_MLP = 0, 1

_lock = threading.Lock()


def optional(name, restype, *argtypes):
    """A function of a newer library, or None."""
    try:
        return _declare(name, restype, *argtypes)
    except AttributeError:
        return None

# Diagrams (sigprop/diagram.h, diagram_table.h, diagram_figure.h, model_title.h).
class Param(ctypes.Structure):
    """sp_param."""
    _fields_ = [("name", c_char_p), ("label", c_char_p), ("kind", c_int), ("min", c_double),
                ("max", c_double), ("doc", c_char_p)]


class Axis(ctypes.Structure):
    """sp_axis."""
    _fields_ = [("param", ctypes.POINTER(Param)), ("min", c_double), ("max", c_double),
                ("n", c_size_t), ("spacing", c_int)]


class DiagramOptions(ctypes.Structure):
    """sp_diagram_options."""
    _fields_ = [("rho_max", c_double), ("y2_max", c_double), ("threads", c_uint),
                ("progress", PROGRESS), ("progress_arg", c_void_p), ("grad_fraction", c_double),
                ("lambda_g", c_int)]


class Table(ctypes.Structure):
    """sp_table."""
    _fields_ = [("ncol", c_size_t), ("nrow", c_size_t), ("names", ctypes.POINTER(c_char_p)),
                ("num", c_void_p), ("str", c_void_p)]


class DiagramFigureOptions(ctypes.Structure):
    """sp_diagram_figure_options."""
    _fields_ = [("colormap", c_void_p), ("range_lo", c_double), ("range_hi", c_double),
                ("mark", c_int), ("mark_x", c_double), ("mark_y", c_double)]


class Meta(ctypes.Structure):
    """sp_meta."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


SP_PARAM_INTEGER = 1
SP_SPACING_LINEAR, SP_SPACING_LOG = 0, 1
SP_AXIS_MAX, SP_GRID_MAX = 20000, 16000000
SP_FMT_PNG, SP_FMT_PDF, SP_FMT_SVG = 3, 4, 5

sp_param_lookup = _declare("sp_param_lookup", ctypes.POINTER(Param), c_char_p)
sp_param_table = _declare("sp_param_table", ctypes.POINTER(Param), ctypes.POINTER(c_size_t))
SP_AXIS_MLP_MAX = 1001
sp_axis_parse = _declare("sp_axis_parse", c_int, c_char_p, c_char_p, ctypes.POINTER(Axis),
                         c_char_p, c_size_t)
sp_axis_parse_mlp = _declare("sp_axis_parse_mlp", c_int, c_char_p, c_char_p,
                             ctypes.POINTER(Axis), c_char_p, c_size_t)
sp_diagram_options_default = _declare("sp_diagram_options_default", None,
                                      ctypes.POINTER(DiagramOptions))
sp_diagram_alloc = _declare("sp_diagram_alloc", c_int, c_void_p, ctypes.POINTER(Axis),
                            ctypes.POINTER(Axis), ctypes.POINTER(DiagramOptions),
                            ctypes.POINTER(c_void_p))
sp_diagram_free = _declare("sp_diagram_free", None, c_void_p)
sp_diagram_sweep = _declare("sp_diagram_sweep", c_int, c_void_p)
sp_diagram_curves = _declare("sp_diagram_curves", c_int, c_void_p)
sp_diagram_view = _declare("sp_diagram_view", c_void_p, c_void_p)
sp_diagram_grid_ncol = _declare("sp_diagram_grid_ncol", c_size_t, c_void_p)
sp_diagram_grid_table = _declare("sp_diagram_grid_table", c_int, c_void_p, c_void_p, c_void_p,
                                 ctypes.POINTER(Table))
sp_diagram_curves_nrow = _declare("sp_diagram_curves_nrow", c_size_t, c_void_p)
sp_diagram_curves_table = _declare("sp_diagram_curves_table", c_int, c_void_p, c_void_p,
                                   c_void_p, ctypes.POINTER(Table))
sp_diagram_figure_options_default = _declare("sp_diagram_figure_options_default", None,
                                             ctypes.POINTER(DiagramFigureOptions))
sp_diagram_figure_draw = _declare("sp_diagram_figure_draw", c_int, c_void_p, c_void_p,
                                  ctypes.POINTER(DiagramFigureOptions), c_char_p)
sp_colormap_lookup = _declare("sp_colormap_lookup", c_void_p, c_char_p)
sp_modelopt_preset = _declare("sp_modelopt_preset", c_void_p, c_void_p)
sp_model_title = _declare("sp_model_title", None, c_void_p, c_void_p, ctypes.POINTER(Param),
                          ctypes.POINTER(Param), c_char_p, c_size_t)
sp_plot_alloc = _declare("sp_plot_alloc", c_int, c_double, c_double, c_size_t, c_size_t,
                         ctypes.POINTER(c_void_p))
sp_plot_free = _declare("sp_plot_free", None, c_void_p)
sp_plot_status = _declare("sp_plot_status", c_int, c_void_p)
sp_plot_write = _declare("sp_plot_write", c_int, c_void_p, c_void_p, c_int, c_double,
                         ctypes.POINTER(Meta), c_size_t)
sp_format_from_path = _declare("sp_format_from_path", c_int, c_char_p)
# sp_outfile_open gives its reason in errno: called through a handle that keeps it.
_errno_lib = ctypes.CDLL(lib._name, use_errno=True)
sp_outfile_open = _errno_lib.sp_outfile_open
sp_outfile_open.restype = c_int
sp_outfile_open.argtypes = [c_char_p, ctypes.POINTER(c_void_p)]
sp_outfile_error = _declare("sp_outfile_error", c_int, c_void_p)
sp_outfile_stream = _declare("sp_outfile_stream", c_void_p, c_void_p)
sp_outfile_close = _declare("sp_outfile_close", c_int, c_void_p)
sp_outfile_commit = _errno_lib.sp_outfile_commit
sp_outfile_commit.restype = c_int
sp_outfile_commit.argtypes = [c_void_p]
sp_outfile_abort = _declare("sp_outfile_abort", None, c_void_p)
