"""Specs of fc_net.py: TwoLayerNet and FullyConnectedNet, loss and every parameter's gradient."""

from __future__ import annotations

import numpy as np

import impl.fc_net as impl
import reference.fc_net as ref
from comparisons.adapters import ModelLoss
from comparisons.sampling import C2, N1, TIES, Sample, dims, labels, values
from comparisons.spec import ONE, OpSpec, Variant
from comparisons.specs.kinks import mlp_param_kinks

HIDDEN_LAYERS = 2
"""FullyConnectedNet is checked with this many hidden layers (three affine layers)."""


def _mlp_sample(rng: np.random.Generator, case: str, hidden: int) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), C=(2, 5))
    widths = [d["D"], *(int(h) for h in rng.integers(1, 6, size=hidden)), d["C"]]
    arrays = {"X": values(rng, (d["N"], d["D"]), case), "y": labels(rng, d["N"], d["C"])}
    for i in range(1, len(widths)):
        arrays[f"W{i}"] = values(rng, (widths[i - 1], widths[i]), case, scale=0.7)
        arrays[f"b{i}"] = values(rng, (widths[i],), case, scale=0.3)
    # reg large enough that a wrong regularization gradient is visible next to the data term
    static = {"reg": float(rng.uniform(0.1, 1.0)), "hidden_dims": widths[1:-1], "num_classes": d["C"]}
    return Sample(arrays, static)


def _params(t: Sample, layers: int) -> dict:
    return {f"{p}{i}": t[f"{p}{i}"] for i in range(1, layers + 1) for p in "Wb"}


def _spec(name: str, cls, hidden: int, init, doc: str) -> OpSpec:
    params = tuple(f"{p}{i}" for i in range(1, hidden + 2) for p in "Wb")
    return OpSpec(
        name=name,
        family="fc_net",
        variants=(Variant("vectorized", ModelLoss(cls, init, params)),),
        reference=lambda t: {
            "loss": ref.fc_net_loss(_params(t, hidden + 1), t["X"], t["y"], t["reg"]),
            "scores": ref.fc_net_scores(_params(t, hidden + 1), t["X"]),
        },
        sample=lambda rng, case: _mlp_sample(rng, case, hidden),
        outputs={"loss": ONE, "scores": None},
        wrt=params,
        edge_cases=(N1, C2, TIES),
        kinks=lambda s, band: mlp_param_kinks(s["X"], {p: s[p] for p in params}, hidden, band),
        description=doc,
    )


SPECS = (
    _spec(
        "two_layer_net",
        impl.TwoLayerNet,
        1,
        lambda s: dict(
            input_dim=s["X"].shape[1], hidden_dim=s["hidden_dims"][0], num_classes=s["num_classes"], reg=s["reg"]
        ),
        "affine - relu - affine - softmax, 0.5 * reg * sum(W^2)",
    ),
    _spec(
        "fully_connected_net",
        impl.FullyConnectedNet,
        HIDDEN_LAYERS,
        lambda s: dict(
            hidden_dims=s["hidden_dims"],
            input_dim=s["X"].shape[1],
            num_classes=s["num_classes"],
            reg=s["reg"],
            dtype=s["X"].dtype,
        ),
        f"{{affine - relu}} x {HIDDEN_LAYERS} - affine - softmax, 0.5 * reg * sum(W^2)",
    ),
)
