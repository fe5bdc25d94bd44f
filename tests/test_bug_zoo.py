"""The suite must be able to fail: every mutant is caught, with the status it deserves."""

from __future__ import annotations

import pytest

from all_mutants import MUTANTS
from bugzoo import Mutant, run_mutant
from gradverify.specs.registry import select


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.op}-{m.name}")
def test_mutant_is_caught(mutant: Mutant) -> None:
    records = run_mutant(mutant)
    for quantity in mutant.catches:
        statuses = {r.status for r in records if r.quantity == quantity}
        assert mutant.status in statuses, f"{quantity}: got only {statuses}"
        caught = [r for r in records if r.quantity == quantity and r.status == mutant.status]
        codes = {r.diagnosis for r in caught}
        assert codes <= set(mutant.diagnosis), f"{quantity}: diagnosed {codes}, expected {mutant.diagnosis}"
    first = {r.diagnosis for r in records if r.status == mutant.status}
    assert mutant.diagnosis[0] in first
    if mutant.status == "kink":
        # a valid subgradient at a kink is never a failure
        assert not any(r.status in ("fail", "error") for r in records)


def test_every_op_has_a_mutant() -> None:
    assert {s.name for s in select(None)} <= {m.op for m in MUTANTS}


def test_wrong_backward_is_blamed_on_the_backward_pass() -> None:
    (mutant,) = [m for m in MUTANTS if (m.op, m.name) == ("svm", "sign_flip")]
    failing = [r for r in run_mutant(mutant) if r.status == "fail"]
    assert failing and all(r.fd_verdict == "disagree" for r in failing)
    assert all("the backward pass is wrong" in r.message for r in failing)


def test_wrong_forward_is_blamed_on_the_forward_pass() -> None:
    # the seeds' TwolayerNet: its gradient is not the gradient of its own (wrong) forward either
    (mutant,) = [m for m in MUTANTS if m.name == "seed_preactivation_bug"]
    records = run_mutant(mutant)
    assert any(r.quantity == "loss" and r.status == "fail" for r in records)
    # a forward that is wrong while the backward is right for the true function
    (mutant,) = [m for m in MUTANTS if m.name == "loss_includes_correct_class"]
    records = run_mutant(mutant)
    grads = [r for r in records if r.quantity == "dW"]
    assert all(r.status == "pass" for r in grads)
    assert any(r.status == "fail" for r in records if r.quantity == "loss")


def test_a_factor_indistinguishable_from_one_is_not_stated() -> None:
    # an output off by a hard-coded epsilon is, to six digits, 1 times the reference: saying so
    # explains nothing
    (mutant,) = [m for m in MUTANTS if (m.op, m.name) == ("rmsprop", "hard_coded_epsilon")]
    messages = [r.message or "" for r in run_mutant(mutant) if r.status == "fail"]
    assert messages and all("differs from the reference" in m for m in messages)
    assert not any("is 1 times the reference" in m for m in messages)
