"""A PyTorch file that also defines a CS231n name: its import error stays the student's."""

import gradverify_fixture_absent_vision  # noqa: F401


def affine_relu_forward(x, w, b):
    raise NotImplementedError
