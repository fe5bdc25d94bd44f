"""Red team (attack 11): change an input in place and hide it. At import, patch the worker's
reply to list no changed inputs and make ``np.array_equal`` always say "equal". The parent
reads the inputs back from the shared file itself: ``input_mutated`` all the same."""

import numpy as np

import gradverify.usercode.sandbox.worker as worker

np.array_equal = lambda *a, **k: True  # noqa: E731
_reply = worker._reply


def _quiet_reply(*args, **kwargs):
    reply, out = _reply(*args, **kwargs)
    reply["mutated"] = []
    return reply, {k: v for k, v in out.items() if not k.startswith("m:")}


worker._reply = _quiet_reply


def relu_forward(x):
    out = np.maximum(x, 0)
    x[...] = 0  # "free memory": a course function must never do this
    return out, out.copy()


def relu_backward(dout, cache):
    return dout * (cache > 0)
