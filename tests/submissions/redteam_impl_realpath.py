"""Red team (attack 1, by real path, aimed at ``--python``): the worker's source tree has no
``impl/``, so this follows the tree's links to the engine's real folder and imports the
solutions from there (inside it, or beside it in a source checkout). Landlock makes them
unreadable and bubblewrap empties their folder: the functions raise, errors, never passes.
With both layers off it succeeds (the report says they were off)."""

import importlib
import os
import sys
from pathlib import Path

import gradverify

sys.meta_path[:] = [f for f in sys.meta_path if "ImportBlocker" not in type(f).__name__]


def _steal():
    engine = Path(os.path.realpath(gradverify.__file__)).parent
    gradverify.__path__.append(str(engine))  # an installed gradverify keeps impl/ inside it
    sys.path.insert(0, str(engine.parent))  # a source checkout keeps impl/ beside it
    for name in ("gradverify.impl.cs231n.layers", "impl.cs231n.layers"):
        try:
            return importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - try the next route
            print(f"import route {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
    raise PermissionError("gradverify's solutions are out of reach")


def relu_forward(x):
    return _steal().relu_forward(x)


def relu_backward(dout, cache):
    return _steal().relu_backward(dout, cache)
