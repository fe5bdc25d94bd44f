"""Declaring ops: ``declare.op`` derives what it can, roles feed the diagnosis, and a known
deviation loosens exactly the quantities it names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradverify
from gradverify.core.declare import op, required_parameters
from gradverify.core.engine import check_case
from gradverify.core.roles import Roles
from gradverify.core.sampling import RANDOM, Sample
from gradverify.core.spec import RANDOM_UPSTREAM
from gradverify.core.status import Status
from gradverify.core.tolerances import COMPARE
from gradverify.specs import registry


def scale_forward(x: np.ndarray, s: np.ndarray, mode: str = "plain") -> tuple[np.ndarray, tuple]:
    return x * s, (x, s)


def scale_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    x, s = cache
    return dout * s, (dout * x).sum(axis=0)


def wrong_scale_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    x, s = cache
    return 2 * dout * s, (dout * x).sum(axis=0)


def sample(rng: np.random.Generator, case: str) -> Sample:
    n, d = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    return Sample({"x": rng.standard_normal((n, d)), "s": rng.standard_normal(d), "k": rng.integers(0, 3, n)})


def reference(s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:  # parameters in another order: by name
    return x * s


def declared(backward):
    return op("scale", family="mine", forward=scale_forward, backward=backward, reference=reference, sample=sample)


def test_op_derives_args_wrt_and_outputs_from_the_functions() -> None:
    spec = op(
        "scale", family="mine", forward=scale_forward, backward=scale_backward, reference=reference, sample=sample
    )
    adapter = spec.variants[0].adapter
    assert required_parameters(scale_forward) == ("x", "s") == adapter.args
    assert spec.wrt == ("x", "s")  # the floating inputs; an integer array never is
    assert dict(spec.outputs) == {"out": RANDOM_UPSTREAM}
    records = check_case(spec, "float64", RANDOM, 3)
    assert {r.status for r in records} == {Status.PASS}


def test_a_declared_op_catches_a_wrong_backward() -> None:
    spec = op(
        "scale", family="mine", forward=scale_forward, backward=wrong_scale_backward, reference=reference, sample=sample
    )
    dx = next(r for r in check_case(spec, "float64", RANDOM, 3) if r.quantity == "dx")
    assert (dx.status, dx.diagnosis) == (Status.FAIL, "grad_scale")


def test_op_needs_exactly_one_kind_of_implementation() -> None:
    with pytest.raises(ValueError, match="either forward"):
        op("bad", family="mine", reference=reference, sample=sample)


def test_roles_read_sizes_by_the_names_a_spec_gives() -> None:
    s = Sample({"inputs": np.zeros((4, 3, 2)), "labels": np.zeros(5, dtype=int), "w": np.zeros((2, 7))}, {"lam": 0.5})
    roles = Roles(batch=("inputs",), time=("inputs",), labels="labels", classes=("w",), reg="lam")
    assert roles.sizes(s) == {"N": 5, "T": 3, "C": 7}  # the labels fix N
    assert roles.reg_strength(s) == 0.5 and Roles().sizes(s) == {} and Roles().reg_strength(s) is None


def test_a_deviation_loosens_only_the_quantities_it_names() -> None:
    (spec,) = registry.select(["affine_bn_relu"])
    records = check_case(spec, "float32", RANDOM, 0)
    atol = {r.quantity: r.atol for r in records}
    assert atol["db"] == 1e-4 and atol["dx"] == COMPARE["float32"].atol
    assert all(r.status == Status.PASS for r in records)


def test_the_facade_exposes_the_declaration_helper() -> None:
    assert gradverify.declare is op
