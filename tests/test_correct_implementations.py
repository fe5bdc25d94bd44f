"""A correct implementation never fails, whatever the seed, dtype or edge case."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec
from gradverify.specs.registry import select

SPECS = select(None)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from(["float64", "float32"]),
    pick=st.integers(0, 100),
)
def test_built_in_implementations_never_fail(spec: OpSpec, seed: int, dtype: str, pick: int) -> None:
    kinds = (RANDOM, *spec.edge_cases)
    case = kinds[pick % len(kinds)]
    records = check_case(spec, dtype, case, seed)
    bad = [(r.quantity, r.status, r.message) for r in records if r.status in ("fail", "error")]
    assert not bad, f"{spec.name} {dtype} {case}:{seed}: {bad}"
    assert {r.quantity for r in records} >= set(spec.outputs) | {f"d{w}" for w in spec.wrt}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_finite_differences_agree_on_random_cases(spec: OpSpec) -> None:
    """The third opinion agrees with correct gradients away from kinks."""
    for seed in range(3):
        for r in check_case(spec, "float64", RANDOM, seed, thorough=True):
            if r.quantity.startswith("d") and r.quantity[1:] in spec.wrt:
                assert r.fd_verdict in ("agree", "kink"), r
