"""Faults of an implementation become error records with a specific diagnosis, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import gradverify.impl.cs231n.linear_svm as svm
from gradverify.core.adapters import LossGrad
from gradverify.core.engine import check_case
from gradverify.core.spec import Variant
from gradverify.specs.registry import select

ARGS = ("W", "X", "y", "reg")


def raises(W, X, y, reg):
    raise IndexError("index 10 is out of bounds for axis 1 with size 10")


def returns_loss_only(W, X, y, reg):
    return svm.svm_loss_vectorized(W, X, y, reg)[0]


def returns_flattened(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, dW.ravel()


def returns_nan(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    dW = dW.copy()
    dW[0, 0] = np.nan
    return loss, dW


def mutates_input(W, X, y, reg):
    result = svm.svm_loss_vectorized(W, X, y, reg)
    X -= X.mean(axis=0)  # "preprocessing" in place
    return result


def returns_a_list(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, dW.tolist()


def run(fn, case="random", seed=4):  # W is (7, 6): a flattened dW is no broadcast of it
    (spec,) = select(["svm"])
    spec = spec.with_variants(Variant("user", LossGrad(fn, ARGS, ("W",))))
    return check_case(spec, "float64", case, seed)


@pytest.mark.parametrize(
    ("fn", "quantity", "diagnosis", "words"),
    [
        (raises, "(call)", "exception", "IndexError: index 10"),
        (returns_loss_only, "(call)", "bad_return", "(loss, gradient)"),
        (returns_flattened, "dW", "bad_shape", "expected"),
        (returns_nan, "dW", "nonfinite", "non-finite"),
        (mutates_input, "X", "input_mutated", "changed its input X"),
        (returns_a_list, "dW", "bad_return", "list"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_fault_gives_error_record(fn, quantity, diagnosis, words) -> None:
    records = run(fn)
    errors = [r for r in records if r.status == "error"]
    assert [(r.quantity, r.diagnosis) for r in errors] == [(quantity, diagnosis)]
    assert words in errors[0].message
    assert errors[0].function == fn.__name__


def test_records_have_every_public_column() -> None:
    from gradverify.core.records import COLUMNS

    for r in run(svm.svm_loss_naive):
        assert tuple(r.row()) == COLUMNS
        assert r.status == "pass"
        assert r.rel_err <= r.rtol
