"""The course's sandwich layers: the conv ones call the fast layers of fast_layers.py."""

from cs231n.fast_layers import *  # noqa: F403
from cs231n.layers import *  # noqa: F403


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)  # noqa: F405


def conv_relu_forward(x, w, b, conv_param):
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    conv_cache, relu_cache = cache
    return conv_backward_fast(relu_backward(dout, relu_cache), conv_cache)  # noqa: F405
