"""An honest student whose file imports a standard module (``colorsys``) that another
student's file in the same batch shadows (``redteam_shadow_module.py``). Correct ReLU."""

import colorsys

import numpy as np

assert not hasattr(colorsys, "SHADOWED"), "another student's colorsys.py was imported"


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
