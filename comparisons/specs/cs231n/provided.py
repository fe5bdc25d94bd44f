"""What CS231n ships already solved, so that a failure there is not the student's.

The course provides whole files (the fast layers and their im2col helpers, the solver, data
loaders, the k-NN and linear-classifier drivers) and single functions inside student files
(``sgd`` in ``optim.py``; the sandwich layers of ``layer_utils.py`` only call the student's
layers; ``temporal_softmax_loss`` in ``rnn_layers.py``). A course-provided function that fails
on its own (a Python 2 division, a name its own file never defines) is reported as not
checked; one that fails because a student function it calls is wrong still fails.
"""

from __future__ import annotations

FILES = frozenset(
    {
        "fast_layers",
        "im2col",
        "im2col_cython",
        "setup",
        "solver",
        "captioning_solver",
        "gradient_check",
        "data_utils",
        "vis_utils",
        "image_utils",
        "coco_utils",
        "features",
        "linear_classifier",
        "k_nearest_neighbor",
        "squeezenet",
        "pretrained_cnn",
        "net_visualization_pytorch",
        "style_transfer_pytorch",
    }
)
"""Module names (without package or .py) of the files the course ships solved."""

FUNCTIONS = frozenset(
    {
        "conv_forward_fast",
        "conv_backward_fast",
        "conv_forward_strides",
        "conv_backward_strides",
        "conv_forward_im2col",
        "conv_backward_im2col",
        "max_pool_forward_fast",
        "max_pool_backward_fast",
        "max_pool_forward_reshape",
        "max_pool_backward_reshape",
        "max_pool_forward_im2col",
        "max_pool_backward_im2col",
        "sgd",
        "affine_relu_forward",
        "affine_relu_backward",
        "conv_relu_forward",
        "conv_relu_backward",
        "conv_relu_pool_forward",
        "conv_relu_pool_backward",
        "conv_bn_relu_forward",
        "conv_bn_relu_backward",
        "temporal_softmax_loss",
    }
)
"""Functions the course ships solved inside files a student edits."""


def is_provided_file(module: str) -> bool:
    """Whether ``module`` (``cs231n.fast_layers``, ``fast_layers.py``) is a course-provided file."""
    stem = module.rsplit("/", 1)[-1].removesuffix(".py").rsplit(".", 1)[-1]
    return stem in FILES
