"""A declaration file: references and samplers only. It names the implementation and never
imports it, so ``gradverify check SUBMISSION --declarations own_declarations.py`` runs each
submission's ``swish_forward``, ``glu_forward``, ... in the sandbox worker, and torch only here.
The module part of a name (``own_layers:``) is where ``gradverify run --module`` finds the code."""

import torch
import torch.nn.functional as F

import gradverify

GRADVERIFY_OPS = [
    gradverify.op(
        "swish",
        forward="own_layers:swish_forward",
        backward="own_layers:swish_backward",
        reference=lambda x, beta: x * torch.sigmoid(beta * x),
        inputs={"x": ("N", "D"), "beta": 1.5},
    ),
    gradverify.op(
        "glu",
        forward="own_layers:glu_forward",
        backward="own_layers:glu_backward",
        reference=lambda x: F.glu(x, dim=1),
        inputs={"x": ("N", 6)},
    ),
    gradverify.op(
        "smoothed_ce",
        loss="own_layers:smoothed_ce_loss",
        reference=lambda x, y, eps: F.cross_entropy(x, y, label_smoothing=eps),
        inputs={"x": ("N", "C"), "y": gradverify.labels("N", classes="C"), "eps": 0.1},
        roles=gradverify.Roles(batch=("x",), labels="y"),
    ),
]
