"""Specs of Course 4, week 1 (Convolution model, step by step): conv_forward/conv_backward
and pool_forward/pool_backward in both modes, channels-last (m, n_H, n_W, n_C), hparameters
dicts. No 1/m anywhere: these backward functions return plain derivatives."""

from __future__ import annotations

import numpy as np

import gradverify.impl.dls.cnn as impl
from gradverify.core.course_adapters import CourseForwardBackward
from gradverify.core.references import references
from gradverify.core.sampling import N1, TIES, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM
from gradverify.specs.conv_kinks import max_pool_kinks
from gradverify.specs.dls.common import course_op

ref = references("gradverify.reference.dls.cnn")

FAMILY = "dls.cnn"
NO_PAD = "pad=0"
"""No padding, where the notebook's hint ``dA_prev_pad[pad:-pad]`` leaves nothing."""
OVERLAP = "overlap"
"""Pooling windows that overlap (stride < f): an input collects several windows' gradients."""


def conv_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 3), C=(1, 3), F=(1, 3))
    f, stride = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    pad = 0 if case == NO_PAD else int(rng.integers(0, 3))
    h, w = (int(rng.integers(max(1, f - 2 * pad), f + 4)) for _ in range(2))
    return Sample(
        {
            "A_prev": values(rng, (d["N"], h, w, d["C"]), case),
            "W": values(rng, (f, f, d["C"], d["F"]), case),
            "b": values(rng, (1, 1, 1, d["F"]), case),
        },
        {"hparameters": {"stride": stride, "pad": pad}},
    )


def pool_sample(rng: np.random.Generator, case: str, mode: str) -> Sample:
    d = dims(rng, case, N=(1, 3), C=(1, 3))
    f = int(rng.integers(1, 4))
    stride = int(rng.integers(1, f + 1)) if case != OVERLAP else 1
    h, w = (int(rng.integers(f, f + 4)) for _ in range(2))
    return Sample(
        {"A_prev": values(rng, (d["N"], h, w, d["C"]), case)}, {"hparameters": {"f": f, "stride": stride}, "mode": mode}
    )


def pool_kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    if s.static["mode"] != "max":
        return {}
    hp = s.static["hparameters"]
    param = {"pool_height": hp["f"], "pool_width": hp["f"], "stride": hp["stride"]}
    # the course marks every tied maximum, torch one of them: both are subgradients
    mask = max_pool_kinks(s["A_prev"].transpose(0, 3, 1, 2), param, band)
    return {"A_prev": mask.transpose(0, 2, 3, 1)}


def _pool(mode: str):
    return course_op(
        f"dls.pool_{mode}",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.pool_forward,
                impl.pool_backward,
                ("A_prev", "hparameters", "mode"),
                ("A_prev",),
                output=("A",),
                options={"mode": mode},
            )
        },
        lambda t: ref.pool_forward(t["A_prev"], t["hparameters"]["f"], t["hparameters"]["stride"], t["mode"]),
        lambda rng, case: pool_sample(rng, case, mode),
        {"A": RANDOM_UPSTREAM},
        ("A_prev",),
        edge_cases=(N1, OVERLAP, TIES) if mode == "max" else (N1, OVERLAP),
        kinks=pool_kinks,
        description=f"pool_forward/pool_backward, mode={mode!r}, hparameters f and stride, no padding",
    )


SPECS = (
    course_op(
        "dls.conv",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.conv_forward,
                impl.conv_backward,
                ("A_prev", "W", "b", "hparameters"),
                ("A_prev", "W", "b"),
                output=("Z",),
            )
        },
        lambda t: ref.conv_forward(t["A_prev"], t["W"], t["b"], t["hparameters"]["stride"], t["hparameters"]["pad"]),
        conv_sample,
        {"Z": RANDOM_UPSTREAM},
        ("A_prev", "W", "b"),
        edge_cases=(N1, NO_PAD),
        description="conv_forward/conv_backward: A_prev (m, H, W, C_prev), W (f, f, C_prev, C), b (1, 1, 1, C), "
        "hparameters stride and pad",
    ),
    _pool("max"),
    _pool("average"),
)
