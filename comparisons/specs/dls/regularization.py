"""Specs of Course 2, week 1 (Regularization): the 3-layer network's cost with L2
regularization and its backward pass, and inverted dropout with the masks the forward drew.

The network's forward pass and plain cost come with the course (reg_utils); students write
the functions below, which are checked through them."""

from __future__ import annotations

from typing import Any

import numpy as np

import gradverify.impl.dls.regularization as impl
from gradverify.core.course_adapters import CostPipeline
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, Sample, dims
from gradverify.core.spec import ONE, Statistic
from gradverify.specs.dls.common import binary_labels, course_op, mlp_kinks, network, param_names

ref = references("gradverify.reference.dls.regularization")

FAMILY = "dls.regularization"
PARAMS = param_names(3)
GRAD_KEYS = {p: "d" + p for p in PARAMS}


def _sample(rng: np.random.Generator, case: str, setting: str) -> Sample:
    d = dims(rng, case, N=(1, 8), D=(1, 4), H=(1, 5))
    arrays = {
        **network(rng, case, [d["D"], d["H"], int(rng.integers(1, 5)), 1], d["N"]),
        "Y": binary_labels(rng, d["N"]),
    }
    static = (
        {"lambd": float(rng.uniform(0.05, 1.0))} if setting == "lambd" else {"keep_prob": float(rng.uniform(0.5, 0.9))}
    )
    return Sample(arrays, static)


def _l2_reference(t: Sample) -> dict:
    params = {k: t[k] for k in PARAMS}
    return {
        "cost": ref.compute_cost_with_regularization(
            ref.forward_propagation(t["X"], params), t["Y"], params, t["lambd"]
        )
    }


def _dropout_reference(t: Sample) -> dict:
    params = {k: t[k] for k in PARAMS}
    A3 = ref.forward_propagation_with_dropout(t["X"], params, t["keep_prob"], t["D1"], t["D2"])
    return {"cost": ref.compute_cost(A3, t["Y"])}


def _masks(sample: Sample, outputs: dict[str, Any]) -> dict[str, np.ndarray]:
    """The masks the implementation drew, 0/1 (bool masks of the 2017 edition included)."""
    return {k: np.asarray(outputs[k]).astype(np.float64) for k in ("D1", "D2")}


def _keep_rate(sample: Sample, outputs: dict[str, Any]) -> list[Statistic]:
    masks = [np.asarray(outputs[k], dtype=np.float64) for k in ("D1", "D2")]
    n = sum(m.size for m in masks)
    p = sample.static["keep_prob"]
    rate = float(sum(m.sum() for m in masks)) / n
    return [
        Statistic(
            "keep_rate",
            rate,
            p,
            5 * np.sqrt(p * (1 - p) / n) + 1e-12,
            "D = rand < keep_prob keeps units with probability keep_prob",
        )
    ]


L2 = CostPipeline(
    forward_fn=impl.forward_propagation,
    cost_fn=impl.compute_cost_with_regularization,
    backward_fn=impl.backward_propagation_with_regularization,
    forward_args=("X", "parameters"),
    cost_args=("A3", "Y", "parameters", "lambd"),
    backward_args=("X", "Y", "cache", "lambd"),
    wrt=PARAMS,
    grad_keys=GRAD_KEYS,
    pack={"parameters": PARAMS},
    output="A3",
)

DROPOUT = CostPipeline(
    forward_fn=impl.forward_propagation_with_dropout,
    cost_fn=impl.compute_cost,
    backward_fn=impl.backward_propagation_with_dropout,
    forward_args=("X", "parameters", "keep_prob"),
    cost_args=("A3", "Y"),
    backward_args=("X", "Y", "cache", "keep_prob"),
    wrt=PARAMS,
    grad_keys=GRAD_KEYS,
    pack={"parameters": PARAMS},
    output="A3",
    # the cache (Z1, D1, A1, W1, b1, Z2, D2, ...) holds the masks the reference must reuse
    exposed={"D1": 1, "D2": 6},
)

SPECS = (
    course_op(
        "dls.l2_regularization",
        FAMILY,
        {"vectorized": L2},
        _l2_reference,
        lambda rng, case: _sample(rng, case, "lambd"),
        {"cost": ONE},
        PARAMS,
        edge_cases=(N1, D1),
        kinks=lambda s, band: mlp_kinks(s, 2, band, with_x=False),
        description="compute_cost_with_regularization (+ lambd/(2m) sum W^2) and "
        "backward_propagation_with_regularization (+ lambd/m W)",
    ),
    course_op(
        "dls.dropout",
        FAMILY,
        {"vectorized": DROPOUT},
        _dropout_reference,
        lambda rng, case: _sample(rng, case, "keep_prob"),
        {"cost": ONE},
        PARAMS,
        edge_cases=(N1, D1),
        observe=_masks,
        statistics=_keep_rate,
        description="forward_propagation_with_dropout / backward_propagation_with_dropout, inverted dropout "
        "on both hidden layers, masks D1, D2 read from the cache",
    ),
)
