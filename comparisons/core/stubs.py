"""Telling an unfilled template stub from a wrong implementation.

Course templates initialise their results before the part a student writes: ``out = None``,
``dx, dw, db = None, None, None``, ``next_w = None`` (returned as they are when the TODO
block still holds ``pass``), and ``loss = 0.0; dW = np.zeros_like(W)`` for the linear
classifiers (so a stub returns ``(0.0, zeros)``). Such a function is ``not_implemented``:
counted apart from failures, since it has nothing to be wrong about yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradverify.core.adapters import BACKWARD_RAISED
from gradverify.core.status import Status

NOT_IMPLEMENTED = "not_implemented"
SIGNIFICANT = 1e-6
"""A reference gradient this large is not a rounding-level zero."""
USES_STUB = "uses_stub"


def fault_status(code: str, message: str) -> tuple[Status, str, str]:
    """Status, diagnosis and message of a call that raised ``code``: a stub's None, or an
    error caused by a None that a stub returned (``'NoneType' object has no attribute
    'shape'`` in the course's sandwich layer that called it), is ``not_implemented``."""
    if code == NOT_IMPLEMENTED:
        return Status.NOT_IMPLEMENTED, code, message
    if code == BACKWARD_RAISED:
        code = "exception"
    if code == "exception" and "'NoneType'" in message:
        why = " (a function it calls returned None: an unfilled stub?)"
        return Status.NOT_IMPLEMENTED, USES_STUB, message + why
    return Status.ERROR, code, message


def zeros_stub(got: Any, expected: np.ndarray) -> bool:
    """A returned value that is exactly zero everywhere (the template's ``np.zeros_like``)
    where the reference is not."""
    if not isinstance(got, (np.ndarray, float, int)) or isinstance(got, bool):
        return False
    array = np.asarray(got)
    if array.dtype.kind not in "iuf" or array.size == 0:
        return False
    # a reference that is itself ~0 (layernorm's dgamma on constant rows) proves nothing
    return not array.any() and float(np.max(np.abs(expected), initial=0.0)) > SIGNIFICANT


def zero_gradients(grads: dict[str, Any], ref_grads: dict[str, np.ndarray]) -> bool:
    """Every gradient a function returned is exactly zero where the reference's are not (the
    template's ``dW = np.zeros_like(W)`` never updated); one zero among others is a bug."""
    return bool(ref_grads) and all(zeros_stub(grads.get(k), v) for k, v in ref_grads.items())


def outputs_right(outputs: dict[str, Any], ref_outputs: dict[str, np.ndarray]) -> bool:
    """Every output is the reference's (or the template's 0.0): the gradient part alone is
    missing, as in ``svm_loss_naive`` whose loss the template already computes."""
    for name, expected in ref_outputs.items():
        got = outputs.get(name)
        if not isinstance(got, (np.ndarray, float, int, np.floating, np.integer)) or isinstance(got, bool):
            return False
        value = np.asarray(got, dtype=np.float64)
        if value.shape != np.shape(expected) and value.size != np.size(expected):
            return False
        if not (np.all(value == 0) or np.allclose(value.reshape(np.shape(expected)), expected, rtol=1e-4, atol=1e-6)):
            return False
    return True


def stub_outcome(outputs: dict[str, Any], grads: dict[str, Any], ref_outputs: dict, ref_grads: dict) -> bool:
    """The template's ``(0.0, zeros)``: a loss of exactly 0 and every gradient exactly zero
    (where the reference's are not)."""
    if "loss" not in outputs or not grads:
        return False
    loss = outputs["loss"]
    zero_loss = isinstance(loss, (float, int, np.floating, np.integer)) and float(loss) == 0.0
    if not zero_loss or float(np.asarray(ref_outputs.get("loss", 0.0))) == 0.0:
        return False
    return all(zeros_stub(grads.get(k), ref_grads[k]) for k in ref_grads if k in grads)
