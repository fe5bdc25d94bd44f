"""CS231n's ops, one module per course file (the course's own file names), each exporting
``SPECS``; every op gets the course's input roles (``roles``)."""

from __future__ import annotations

from gradverify.core.spec import OpSpec
from gradverify.specs.cs231n import (
    cnn,
    conv_layer_utils,
    conv_layers,
    dropout,
    fc_net,
    layer_utils,
    layers,
    linear_svm,
    matrix_example,
    neural_net,
    normalization,
    optim,
    rnn_layers,
    softmax,
)
from gradverify.specs.cs231n.roles import with_roles

MODULES = (
    linear_svm,
    softmax,
    layers,
    layer_utils,
    normalization,
    dropout,
    fc_net,
    neural_net,
    matrix_example,
    conv_layers,
    conv_layer_utils,
    cnn,
    rnn_layers,
    optim,
)

SPECS: tuple[OpSpec, ...] = tuple(with_roles(spec) for module in MODULES for spec in module.SPECS)
