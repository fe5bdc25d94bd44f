"""Specs of neural_net.py (CS231n 2016-2020 assignment 1): ``TwoLayerNet(input_size,
hidden_size, output_size, std)`` with ``loss(X, y=None, reg=0.0)``, the API before
``fc_net.TwoLayerNet``. Its regularization followed the linear classifiers: ``reg *
sum(W^2)`` in the 2017-2020 notebooks, ``0.5 * reg * sum(W^2)`` in 2016.
"""

from __future__ import annotations

import gradverify.impl.cs231n.neural_net as impl
from gradverify.core.adapters import ModelLoss
from gradverify.core.references import references
from gradverify.core.sampling import C2, N1, TIES
from gradverify.core.spec import ONE, OpSpec, Variant
from gradverify.specs.cs231n.editions import LINEAR_REG
from gradverify.specs.cs231n.fc_net import DATA, _mlp_sample, _params
from gradverify.specs.kinks import mlp_param_kinks

ref = references("gradverify.reference.cs231n.neural_net")

PARAMS = ("W1", "b1", "W2", "b2")

SPECS = (
    OpSpec(
        name="neural_net",
        family="neural_net",
        variants=(
            Variant(
                "vectorized",
                ModelLoss(
                    impl.TwoLayerNet,
                    lambda s: dict(
                        input_size=s["X"].shape[1], hidden_size=s["hidden_dims"][0], output_size=s["num_classes"]
                    ),
                    PARAMS,
                    DATA,
                    loss_kwargs=("reg",),
                ),
            ),
        ),
        reference=lambda t: ref.two_layer_net(_params(t, 2), t["X"], t["y"], t["reg"]),
        sample=lambda rng, case: _mlp_sample(rng, case, 1),
        outputs={"loss": ONE, "scores": None},
        wrt=PARAMS,
        edge_cases=(N1, C2, TIES),
        kinks=lambda s, band: mlp_param_kinks(s["X"], {p: s[p] for p in PARAMS}, 1, band),
        description="assignment 1's TwoLayerNet(input_size, hidden_size, output_size, std), loss(X, y, reg); "
        "reg * sum(W^2) (2016: 0.5 * reg * sum(W^2))",
        **LINEAR_REG,
    ),
)
