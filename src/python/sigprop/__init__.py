# SPDX-License-Identifier: GPL-3.0-or-later
"""sigprop from Python: signal propagation in deep transformers at
initialisation, through the C library libsigprop (ctypes; no compiler
needed).  See sigprop-python(3).

    import sigprop
    m = sigprop.Model(preset="gpt2-small", depth=48)
    print(sigprop.recommend(m)["phase"])

Public API (stable; sigprop.torch builds on it):

Model(**options)
    A model from the program's model options as keywords, the long name
    with '-' written '_' (beta=0.3, var_v=0.2, norm="pre", causal=True,
    preset="gpt2-small", config="config.json", init_std=0.02, std_q=...,
    d_model=768, ...), applied in the order given, validated by the library
    with the program's messages.  Raises Error.
propagate(model) -> numpy structured array, one row per layer, the
    columns of `sigprop propagate` (layer, q, p, rho, beta_c, ...).
recommend(model, margin=None, rho_max=None, gain=None) -> dict
    The JSON report of `sigprop recommend -o -` (sigprop-recommend(1)).
simulate(model, width, seeds, ...) -> structured array (sigprop simulate),
    with an optional progress(done, total) callback.
critical(model, param, rho_final=V | beta_c=True | chi1=V, range=None) -> number.
mlp(x=None, y=None, **options) -> structured array (sigprop mlp).
attention(lambda_=(MIN, MAX, N), tokens=(...), causal=False) -> structured array.
inspect(path, config=None, ...) -> dict (sigprop inspect --format json).
diagram(model, x="beta:0:5:201", y="alpha-sa:0:5:201", depth=None, ...) -> Diagram
    The phase diagram of `sigprop diagram`: .grid and .curves (dicts of
    numpy columns named as its CSV columns), .plot(path) (PNG, PDF, SVG).
Error: raised on every failure; .status (the library's SP_E* code),
    .message (the program's message without the "sigprop: " prefix).

Every call may run in several threads at once (one Model may be shared);
the library runs without the GIL.
"""
from ._model import Error, Model, version
from ._calls import propagate, recommend, critical, mlp, attention, inspect, simulate
from ._diagram import Diagram, diagram

__version__ = version()

__all__ = ["Error", "Model", "propagate", "recommend", "critical", "mlp", "attention",
           "diagram", "Diagram", "inspect", "simulate", "__version__"]


def __getattr__(name):
    """sigprop.torch (describe, measure, apply_), imported on first use and
    only where PyTorch is installed (Debian python3-torch)."""
    if name == "torch":
        import importlib
        import importlib.util
        if importlib.util.find_spec("torch") is None:
            raise AttributeError("sigprop.torch needs PyTorch (python3-torch), which is not "
                                 "installed")
        return importlib.import_module(".torch", __name__)
    raise AttributeError("module 'sigprop' has no attribute %r" % name)
