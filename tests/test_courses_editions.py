"""Editions of the DLS and MyTorch APIs in the ``convention`` column: each built-in variant is
labelled with the edition it implements; a user's code (bound to every edition's adapter, as
discovery binds it) passes as the edition it follows and is labelled so; with ``--edition``
pinned, code of another edition fails as ``other_edition`` naming the one it follows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

import gradverify.impl.dls.deep_nn as nn
import gradverify.impl.dls.optimization as opt
import gradverify.impl.mytorch.activation as act
import gradverify.impl.mytorch.linear as lin
import gradverify.impl.mytorch.loss as loss
from gradverify.cli.common import edition
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.specs import registry
from gradverify.usercode.course_match import first_edition

OPS = {s.name: s for s in (*registry.COURSES["dls"], *registry.COURSES["mytorch"])}
EDITIONED = [s for s in OPS.values() if s.conventions]


def records(spec: OpSpec, seeds=range(3), dtypes=("float64", "float32")) -> list:
    return [
        r
        for seed in seeds
        for dtype in dtypes
        for case in (RANDOM, *spec.edge_cases)
        for r in check_case(spec, dtype, case, seed)
    ]


def as_user_code(op: str, **code: Any) -> OpSpec:
    """The op with ``code`` in every edition's adapter, reduced to one variant whose
    alternatives are the other editions, as ``gradverify check`` does."""
    spec = OPS[op]
    variants = [Variant(v.name, dataclasses.replace(v.adapter, **code)) for v in spec.variants]
    return first_edition(spec.with_variants(*variants), [])


def test_the_editioned_ops_are_the_ones_whose_api_changed() -> None:
    assert {s.name for s in EDITIONED} == {
        "dls.L_model", "dls.planar", "dls.adam", "mytorch.linear", "mytorch.identity", "mytorch.sigmoid",
        "mytorch.tanh", "mytorch.relu", "mytorch.gelu", "mytorch.mse_loss", "mytorch.cross_entropy_loss",
    }  # fmt: skip


@pytest.mark.parametrize("spec", EDITIONED, ids=lambda s: s.name)
def test_each_built_in_edition_passes_and_is_labelled_with_its_edition(spec: OpSpec) -> None:
    labels = {c.variant: c.label() for c in (spec.default_convention, *spec.conventions)}
    found = records(spec, range(2))
    assert found and not [r for r in found if r.status.failing]
    assert {(r.variant, r.convention) for r in found} == set(labels.items())


# --- a student's code of each edition, written without the answer key's edition switch ---------


class LinearS23(lin.Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features, edition="S23")


class LinearS24(lin.Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)


class ReLUS23(act.ReLU):
    def backward(self):
        return super().backward()


class ReLUS24(act.ReLU):
    def backward(self, dLdA):
        return super().backward(dLdA)


def _loss(cls: type, which: str) -> type:
    return type(f"{cls.__name__}{which}", (cls,), {"__init__": lambda self: cls.__init__(self, edition=which)})


def L_model_backward_2017(AL, Y, caches):
    return nn.L_model_backward(AL, Y, caches, legacy_keys=True)


def L_model_backward_2021(AL, Y, caches):
    return nn.L_model_backward(AL, Y, caches)


def compute_cost_2017(A2, Y, parameters):
    return nn.compute_cost(A2, Y)


def compute_cost_2021(A2, Y):
    return nn.compute_cost(A2, Y)


def adam_2017(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    return opt.update_parameters_with_adam(
        parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon, return_corrected=False
    )


def adam_2021(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    return opt.update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon)


# op -> {edition pin: (the code's adapter field, code of that edition)}
STUDENTS: dict[str, dict[Any, tuple[str, Callable]]] = {
    "mytorch.linear": {"S23": ("cls", LinearS23), "S24": ("cls", LinearS24)},
    "mytorch.relu": {"S23": ("cls", ReLUS23), "S24": ("cls", ReLUS24)},
    "mytorch.mse_loss": {"S23": ("cls", _loss(loss.MSELoss, "S23")), "S24": ("cls", _loss(loss.MSELoss, "S24"))},
    "mytorch.cross_entropy_loss": {
        "S23": ("cls", _loss(loss.CrossEntropyLoss, "S23")),
        "S24": ("cls", _loss(loss.CrossEntropyLoss, "S24")),
    },
    "dls.L_model": {2018: ("backward_fn", L_model_backward_2017), 2022: ("backward_fn", L_model_backward_2021)},
    "dls.planar": {2019: ("cost_fn", compute_cost_2017), 2021: ("cost_fn", compute_cost_2021)},
    "dls.adam": {2017: ("fn", adam_2017), 2023: ("fn", adam_2021)},
}
CASES = [(op, pin) for op, editions in STUDENTS.items() for pin in editions]


def _label(spec: OpSpec, pin: Any) -> str:
    return next(c.label() for c in (spec.default_convention, *spec.conventions) if pin in c.editions)


@pytest.mark.parametrize(("op", "pin"), CASES)
def test_code_of_either_edition_passes_unpinned_and_names_its_edition(op: str, pin: Any) -> None:
    field, code = STUDENTS[op][pin]
    spec = as_user_code(op, **{field: code})
    found = records(spec)
    assert found and not [r for r in found if r.status.failing]
    # where both editions agree on a case (N = 1), the latest is named
    own = _label(OPS[op], pin)
    assert own in {r.convention for r in found}
    assert {r.convention for r in found} <= {own, OPS[op].default_convention.label()}


@pytest.mark.parametrize(("op", "pin"), CASES)
def test_pinned_to_its_edition_it_passes_and_to_the_other_it_fails_naming_its_own(op: str, pin: Any) -> None:
    field, code = STUDENTS[op][pin]
    spec = as_user_code(op, **{field: code})
    own = _label(OPS[op], pin)
    held = records(spec.pinned(pin), dtypes=("float64",))
    assert held and not [r for r in held if r.status.failing]
    assert {r.convention for r in held} == {own}
    (other,) = [p for p in STUDENTS[op] if p != pin]
    wrong = records(spec.pinned(other), dtypes=("float64",))
    failed = [r for r in wrong if r.status.failing]
    assert failed and all(r.status == Status.FAIL and r.diagnosis == "other_edition" for r in failed)
    assert all(r.convention == own and own in r.message for r in failed)


def test_an_edition_of_another_course_does_not_pin_an_op() -> None:
    assert OPS["mytorch.linear"].pinned(2017).edition is None
    assert OPS["dls.adam"].pinned("S23").edition is None
    assert OPS["dls.adam"].pinned(2018).edition == 2018


def test_pinning_a_built_in_run_keeps_the_variant_of_that_edition() -> None:
    assert [v.name for v in OPS["mytorch.linear"].pinned("S23").variants] == ["S23"]
    assert [v.name for v in OPS["dls.L_model"].pinned(2019).variants] == ["2017_dA_keys"]
    assert [v.name for v in OPS["dls.L_model"].pinned(2024).variants] == ["2021"]


def test_edition_accepts_years_and_semesters_and_rejects_anything_else() -> None:
    import argparse

    assert edition("2017") == 2017 and edition("s23") == "S23" and edition("F24") == "F24"
    for bad in ("S2024", "X23", "spring", "1999"):
        with pytest.raises(argparse.ArgumentTypeError):
            edition(bad)


def test_a_wrong_update_is_still_caught_whatever_the_edition() -> None:
    def adam_no_correction(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        return opt.update_parameters_with_adam(parameters, grads, v, s, 1, learning_rate, beta1, beta2, epsilon)

    found = records(as_user_code("dls.adam", fn=adam_no_correction), dtypes=("float64",))
    failed = [r for r in found if r.status.failing]
    assert failed and all(r.diagnosis != "other_edition" for r in failed)
    assert {r.convention for r in failed} == {OPS["dls.adam"].default_convention.label()}


def test_a_buggy_class_tried_as_every_edition_keeps_its_full_diagnosis() -> None:
    """Editions are told apart by statuses alone; the records kept for a failure still carry
    the finite-difference opinion that blames the backward pass."""

    class LinearDoubledW(LinearS24):
        def backward(self, dLdZ):
            dLdA = super().backward(dLdZ)
            self.dLdW = 2 * self.dLdW  # neither edition's: twice the gradient
            return dLdA

    found = records(as_user_code("mytorch.linear", cls=LinearDoubledW), dtypes=("float64",))
    failed = [r for r in found if r.status.failing]
    assert failed and {r.quantity for r in failed} == {"dW"}
    # its own forward's finite difference disagrees with its dLdW: the backward is to blame
    assert all(r.diagnosis == "grad_scale" and r.fd_verdict == "disagree" for r in failed)
    assert {r.convention for r in failed} == {OPS["mytorch.linear"].default_convention.label()}
