# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop.Model and sigprop.Error."""
import ctypes
import os
import threading

from . import _lib


class Error(Exception):
    """A failure of the library: `status` is its SP_E* code (1 invalid
    argument, 2 outside the domain, 3 out of memory, 5 input/output, ...),
    `message` the program's message for it (str(e) is the message)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def version():
    """The library's version string."""
    return _lib.sp_version().decode()


def _strerror(status):
    return _lib.sp_strerror(status).decode()


def _option_value(value):
    """The text the program would read for a Python value (None: no text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        return float.__repr__(float(value))  # shortest text that reads back exactly
    except (TypeError, ValueError):
        return str(value)


def _flags():
    """The names of the options that take no value (causal, no-causal)."""
    flags = set()
    for i in range(_lib.sp_modelopt_count(_lib.SP_MODELOPT_ALL)):
        e = _lib.sp_modelopt_entry_at(_lib.SP_MODELOPT_ALL, i).contents
        if e.metavar is None:
            flags.add(e.name.decode())
    return flags


_FLAGS = _flags()


class Model:
    """A model built from the program's model options.

    Model(preset="bert-base", depth=24, rho0=0.1) is `--preset bert-base
    --depth 24 --rho0 0.1`: keywords are the long option names with '-'
    written '_', applied in the order given.  Numbers may be int, float or
    numpy scalars; choices and paths are strings; causal=True/False is
    --causal/--no-causal.  The library validates every option and the
    whole model with the program's messages and raises Error.

    A Model is read-only once made and may be shared between threads; the
    tables a model needs (finite-T statistics, MLP kernels) are built once,
    on first use.
    """

    _TABLE = _lib.SP_MODELOPT_ALL  # the option table the keywords come from
    _CHECK = True                  # check the whole model once the options are applied

    def __init__(self, **options):
        self._o = None
        self._ws = None
        self._ws_lock = threading.Lock()
        self._call_lock = threading.Lock()
        o = ctypes.c_void_p()
        s = _lib.sp_modelopt_alloc(ctypes.byref(o))
        if s:
            raise Error(s, "out of memory")
        self._o = o.value
        for key, value in options.items():
            self._apply(key.replace("_", "-"), value)
        s = _lib.sp_modelopt_check(self._o, None) if self._CHECK else 0
        if s:
            raise Error(s, self._error())
        self._m = _lib.sp_modelopt_model(self._o)
        self._depth = int(float(self["depth"]))
        self._tokens = int(float(self["tokens"]))
        self.options = dict(options)

    def _error(self):
        return _lib.sp_modelopt_error(self._o).decode("utf-8", "replace")

    def _apply(self, name, value):
        text = None
        if name in _FLAGS and isinstance(value, bool):
            if not value:
                name = "no-causal" if name == "causal" else "causal"
        else:
            text = _option_value(value).encode()
        s = _lib.sp_modelopt_set(self._o, self._TABLE, name.encode(), text)
        if s:
            raise Error(s, self._error())

    def _workspace(self):
        """The prepared workspace (an address, or None when not needed)."""
        if self._ws is not None or not _lib.sp_workspace_needed(self._m):
            return self._ws
        with self._ws_lock:
            if self._ws is None:
                w = ctypes.c_void_p()
                s = _lib.sp_workspace_alloc(ctypes.byref(w))
                if s:
                    raise Error(s, "out of memory")
                s = _lib.sp_workspace_prepare(w, self._m)
                if s:
                    _lib.sp_workspace_free(w)
                    raise Error(s, "workspace: " + _strerror(s))
                self._ws = w.value
        return self._ws

    def __getitem__(self, name):
        """The value of a model option as the program shows it (a string:
        model["beta"] is "0.5", model["norm"] "post")."""
        buf = ctypes.create_string_buffer(128)
        _lib.sp_modelopt_show(self._m, name.replace("_", "-").encode(), buf, len(buf))
        return buf.value.decode()

    def __repr__(self):
        args = ", ".join("%s=%r" % kv for kv in self.options.items())
        return "sigprop.Model(%s)" % args

    def __del__(self, _free_ws=_lib.sp_workspace_free, _free_o=_lib.sp_modelopt_free):
        # The functions are bound at definition: module globals may be gone
        # when the interpreter shuts down.
        if getattr(self, "_ws", None):
            _free_ws(self._ws)
            self._ws = None
        if getattr(self, "_o", None):
            _free_o(self._o)
            self._o = None


class MlpModel(Model):
    """The MLP alone of `sigprop mlp`: its four options (activation, var_w,
    var_b, erf_scale) from the library's MLP table, not checked as a whole
    transformer."""
    _TABLE = _lib.SP_MODELOPT_MLP
    _CHECK = False
