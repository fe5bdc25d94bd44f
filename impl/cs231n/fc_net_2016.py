"""CS231n 2016-2017's FullyConnectedNet constructor, over the latest network (fc_net.py).

The editions' classes share one name, so each lives in the module of its edition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradverify.impl.cs231n import fc_net


class FullyConnectedNet(fc_net.FullyConnectedNet):
    """
    FullyConnectedNet with the 2016-2017 constructor: ``dropout`` is the probability of
    DROPPING a unit (0: no dropout) and ``use_batchnorm`` switches batch normalization on;
    layer normalization did not exist yet. Kept units are those with ``rand < 1 - dropout``,
    scaled by 1 / (1 - dropout). Parameters, shapes and ``loss`` are FullyConnectedNet's.
    """

    def __init__(
        self,
        hidden_dims: list[int] | tuple[int, ...],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout: float = 0,
        use_batchnorm: bool = False,
        reg: float = 0.0,
        weight_scale: float = 1e-2,
        dtype: Any = np.float32,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            hidden_dims,
            input_dim,
            num_classes,
            dropout_keep_ratio=1 - dropout,
            normalization="batchnorm" if use_batchnorm else None,
            reg=reg,
            weight_scale=weight_scale,
            dtype=dtype,
            seed=seed,
        )
