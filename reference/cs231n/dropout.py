"""Forward-only torch version of inverted dropout, given the mask.

Drawing the mask is the implementation's business (the course draws it with numpy's global
generator); the reference takes the mask it drew and checks everything else.
"""

from __future__ import annotations

from torch import Tensor


def dropout(x: Tensor, mask: Tensor, p: float) -> Tensor:
    """
    Train-mode inverted dropout with a given mask.

    Inputs:
    - x: A tensor of any shape.
    - mask: A bool (or 0/1) tensor of x's shape, True where the unit is kept.
    - p: The probability of keeping a unit; kept units are scaled by 1 / p.

    Returns:
    - out: A tensor of x's shape, x * mask / p.
    """
    return x * mask.to(x.dtype) / p


def dropout_test(x: Tensor) -> Tensor:
    """
    Test-mode dropout: the identity.

    Inputs:
    - x: A tensor of any shape.

    Returns:
    - out: x.
    """
    return x
