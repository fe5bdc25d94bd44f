"""Red team (attack 1, harder): remove the import blocker, then import gradverify's solutions,
or read their source by path and run it. Landlock makes the files unreadable and bubblewrap
replaces their folder by an empty one, so every route fails and the functions raise: errors,
never passes. Each attempt is logged to the worker's stderr."""

import importlib
import sys
from pathlib import Path

import gradverify

sys.meta_path[:] = [f for f in sys.meta_path if "ImportBlocker" not in type(f).__name__]
for name in list(sys.modules):
    if name.startswith("gradverify.impl"):
        del sys.modules[name]


def _steal():
    try:
        return importlib.import_module("gradverify.impl.cs231n.layers")
    except Exception as e:  # noqa: BLE001 - try the next route
        print(f"import route failed: {type(e).__name__}: {e}", file=sys.stderr)
    engine = Path(gradverify.__file__).parent
    for folder in (engine / "impl", engine.parent / "impl"):
        try:
            source = (folder / "cs231n" / "layers.py").read_text()
        except OSError as e:
            print(f"read route failed: {e}", file=sys.stderr)
            continue
        namespace = {}
        exec(compile(source, "stolen", "exec"), namespace)  # noqa: S102
        return type("Stolen", (), {k: staticmethod(v) for k, v in namespace.items() if callable(v)})
    raise PermissionError("gradverify's solutions are out of reach")


def relu_forward(x):
    return _steal().relu_forward(x)


def relu_backward(dout, cache):
    return _steal().relu_backward(dout, cache)
