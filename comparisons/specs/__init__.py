"""The op registry: one module per course file, each exporting ``SPECS``."""

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
    normalization,
    optim,
    rnn_layers,
    softmax,
)

SPECS: tuple[OpSpec, ...] = (
    *linear_svm.SPECS,
    *softmax.SPECS,
    *layers.SPECS,
    *layer_utils.SPECS,
    *normalization.SPECS,
    *dropout.SPECS,
    *fc_net.SPECS,
    *matrix_example.SPECS,
    *conv_layers.SPECS,
    *conv_layer_utils.SPECS,
    *cnn.SPECS,
    *rnn_layers.SPECS,
    *optim.SPECS,
)
