"""Specs of dropout: inverted dropout in train mode, and the identity in test mode.

The mask is random, so the reference cannot predict it: ``observe`` recovers the mask the
implementation drew from its own output (x is nonzero everywhere, so a unit was kept iff its
output is nonzero) and the reference checks the values and gradient under that mask. What the
mask comparison cannot see, the drawing itself, is checked by ``statistics``: the keep rate
is within five binomial standard deviations of p (x has hundreds of entries), and kept units
are scaled by exactly 1 / p. The implementation is deterministic for its sample through
``dropout_param["seed"]``, the course's convention.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradverify.impl.cs231n.dropout as impl
from gradverify.core.adapters import BadReturn, ForwardBackward
from gradverify.core.conventions import Convention, static_view
from gradverify.core.references import references
from gradverify.core.sampling import N1, Sample, dims
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Statistic, Variant

ref = references("gradverify.reference.cs231n.dropout")

P1, P_SMALL = "p=1", "p=0.05"
"""Edge cases: keep everything (the output is x), and keep one unit in twenty."""

KEEP_RATE_SIGMAS = 5.0
"""A correct keep rate leaves this band with probability ~6e-7 per check."""

SCALE_RTOL = 1e-4
"""Kept units are x / p up to the rounding of 1 / p (float32: ~6e-8 relative)."""


def _nonzero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values bounded away from 0 (also in float32), so the mask is readable off the output."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


def _p(rng: np.random.Generator, case: str) -> float:
    return {P1: 1.0, P_SMALL: 0.05}.get(case, float(rng.uniform(0.1, 0.95)))


def dropout_sample(rng: np.random.Generator, case: str) -> Sample:
    # hundreds of units: the keep-rate statistic is meaningful, and the op stays elementwise-cheap
    d = dims(rng, case, N=(1, 4), D=(250, 500))
    param = {"mode": "train", "p": _p(rng, case), "seed": int(rng.integers(2**31))}
    return Sample({"x": _nonzero(rng, (d["N"], d["D"]))}, {"dropout_param": param})


def dropout_test_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 4), D=(1, 6))
    param = {"mode": "test", "p": _p(rng, case), "seed": int(rng.integers(2**31))}
    return Sample({"x": _nonzero(rng, (d["N"], d["D"]))}, {"dropout_param": param})


def _out(sample: Sample, outputs: dict[str, Any]) -> np.ndarray | None:
    out = outputs.get("out")
    if not isinstance(out, np.ndarray) or out.shape != sample["x"].shape:
        return None
    return out.astype(np.float64)


def observed_mask(sample: Sample, outputs: dict[str, Any]) -> dict[str, np.ndarray]:
    """The mask the implementation drew: True where its output is nonzero."""
    out = _out(sample, outputs)
    if out is None:
        got = getattr(outputs.get("out"), "shape", type(outputs.get("out")).__name__)
        raise BadReturn(f"dropout_forward must return out of x's shape {sample['x'].shape}, got {got}")
    return {"mask": out != 0}


def dropout_statistics(sample: Sample, outputs: dict[str, Any]) -> list[Statistic]:
    out = _out(sample, outputs)
    if out is None:  # the out record already reports the problem
        return []
    p, n = sample["dropout_param"]["p"], out.size
    kept = out != 0
    stats = [
        Statistic(
            "keep_rate",
            float(kept.mean()),
            p,
            max(KEEP_RATE_SIGMAS * np.sqrt(p * (1 - p) / n), 1 / n),
            f"p is the probability of KEEPING a unit; {n} units should keep about p of them",
        )
    ]
    if kept.any() and p > 0:
        ratio = out[kept] / sample["x"][kept]
        worst = float(ratio[np.argmax(np.abs(ratio - 1 / p))])
        stats.append(
            Statistic(
                "scale",
                worst,
                1 / p,
                SCALE_RTOL / p,
                "inverted dropout scales every kept unit by 1 / p at training time",
            )
        )
    return stats


def _viewed_reference(t: Sample) -> Any:
    """Inverted dropout under the viewed keep probability, which may be 0 (p = 1 drops all)."""
    keep = t["dropout_param"]["p"]
    return t["x"] * t["mask"] * (1.0 / keep if keep > 0 else 0.0)


KEEP_P = Convention("keep_p", "p is the keep probability", editions=tuple(range(2018, 2025)))
DROP_P = Convention(
    "drop_p",
    "p is the drop probability",
    editions=(2016, 2017),
    view=static_view(dropout_param=lambda d: {**d, "p": 1.0 - d["p"]}),
    reference=_viewed_reference,
    undefined=lambda s: "p = 1 drops every unit and 1 / (1 - p) is undefined" if s["dropout_param"]["p"] >= 1 else None,
)
"""The 2016-2017 templates: "We drop each neuron output with probability p". The reference and
the keep-rate statistics see p as 1 - p; the implementation gets the p it was given."""


def _layer(args: tuple[str, ...] = ("x", "dropout_param")) -> ForwardBackward:
    return ForwardBackward(impl.dropout_forward, impl.dropout_backward, args, wrt=("x",))


SPECS = (
    OpSpec(
        name="dropout",
        family="dropout",
        variants=(Variant("vectorized", _layer()),),
        reference=lambda t: ref.dropout(t["x"], t["mask"], t["dropout_param"]["p"]),
        sample=dropout_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x",),
        edge_cases=(P1, P_SMALL),
        observe=observed_mask,
        statistics=dropout_statistics,
        default_convention=KEEP_P,
        conventions=(DROP_P,),
        description="train-mode inverted dropout, p = keep probability (2016-2017: drop probability), checked "
        "under the mask it drew, plus its keep rate and 1 / p scaling",
    ),
    OpSpec(
        name="dropout_test_mode",
        family="dropout",
        variants=(Variant("vectorized", _layer()),),
        reference=lambda t: ref.dropout_test(t["x"]),
        sample=dropout_test_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x",),
        edge_cases=(N1,),
        description="test-mode dropout: the identity",
    ),
)
