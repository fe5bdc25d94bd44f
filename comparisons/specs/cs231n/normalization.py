"""Specs of the normalization layers: batch, layer, spatial batch and group normalization,
and the affine - norm - ReLU sandwiches.

Batch sizes are chosen deliberately. Train-mode batchnorm normalizes each feature over the
batch, so N = 1 has zero variance: the output is beta and the gradient with respect to x is
0, finite but degenerate, so a wrong dx could not show. Train-mode samples therefore have
N >= 2, with N = 2 (the smallest batch with a variance) as an edge case; the N = 1 behaviour
is pinned by a known-answer test instead. Layernorm normalizes each row, so N = 1 is an
ordinary edge case there while D = 1 is the degenerate one (D >= 2). Test-mode batchnorm
has no batch statistics: N = 1 is an edge case of it.

The running statistics live in ``bn_param`` (a static argument); ``Sample.cast`` gives them
the case's dtype, and a bn_param holding only its mode (the ``defaults`` case) checks the
course's zero defaults.

Normalization has no kinks; the sandwiches have ReLU's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import gradverify.impl.cs231n.norm_layer_utils as lu
import gradverify.impl.cs231n.normalization as impl
from gradverify.core.adapters import ForwardBackward
from gradverify.core.conventions import Convention
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, TIES, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM, Deviation, OpSpec, Variant
from gradverify.core.tolerances import COMPARE, Tolerance
from gradverify.specs.kinks import near_zero

if TYPE_CHECKING:
    import torch

ref_lu = references("gradverify.reference.cs231n.norm_layer_utils")
ref = references("gradverify.reference.cs231n.normalization")

N2, CONSTANT, OFFSET, DEFAULTS = "N=2", "constant", "offset", "defaults"
"""Edge cases: the smallest batch with a variance; one normalized group constant (zero
variance, so eps alone keeps it finite); values around 300 with spread 1 (E[x^2] - E[x]^2
loses every digit of the variance in float32); a bn_param holding only its mode."""
G1, GC, D2 = "G=1", "G=C", "D=2"

STATE = {"running_mean": ("bn_param", "running_mean"), "running_var": ("bn_param", "running_var")}
BN_OUTPUTS = {"out": RANDOM_UPSTREAM, "running_mean": None, "running_var": None}
XGB = ("x", "gamma", "beta")

_BIAS_REASON = (
    "the bias in front of train-mode batchnorm has zero gradient (the batch mean absorbs it): "
    "code and reference both return the rounding noise of summing da over the batch, "
    "~eps * N * max|da|, and |da| reaches |gamma| / sqrt(1e-5) ~ 300 per zero-variance feature "
    "(squared when two stack); measured over 60 seeds of every case: up to 2.2e-11 in float64 "
    "and 3.1e-5 in float32, so the default atol would fail correct code"
)


def bias_before_batchnorm(*biases: str) -> Deviation:
    """The gradients of biases in front of batchnorm are 0 but for rounding: atol only, on
    the named biases' gradients (on every quantity when none is named)."""
    return Deviation(
        _BIAS_REASON,
        {
            "float64": Tolerance(rtol=COMPARE["float64"].rtol, atol=1e-10, reason=_BIAS_REASON),
            "float32": Tolerance(rtol=COMPARE["float32"].rtol, atol=1e-4, reason=_BIAS_REASON),
        },
        quantities=tuple(f"d{b}" for b in biases),
    )


def _features(
    rng: np.random.Generator, shape: tuple[int, ...], case: str, axes: tuple[int, ...], eps: float
) -> np.ndarray:
    """Values normalized over ``axes``: each group gets its own spread and offset, so the
    mean subtraction and the division by the standard deviation both matter."""
    group = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if case == OFFSET:
        return 300.0 + rng.standard_normal(shape)
    if case == TIES:
        return values(rng, shape, case)
    x = rng.standard_normal(shape) * rng.uniform(0.3, 3.0, group) + 2.0 * rng.standard_normal(group)
    if case in (N2, D2):
        # Two values standardize to about +-1 whatever they are: the gradient with respect to
        # x is O(eps / var), pure cancellation that float32 cannot resolve unless var ~ eps.
        # The offset shrinks too, or the rounding of a float32 mean would swamp the spread.
        x *= np.sqrt(eps)
    if case == CONSTANT:
        # A multiple of 1/4 averages exactly in any precision, so the case checks the eps
        # handling rather than how 1 / sqrt(eps) amplifies the rounding of a float32 mean.
        index = tuple(slice(None) if i in axes else int(rng.integers(n)) for i, n in enumerate(shape))
        x[index] = rng.integers(-8, 9) / 4
    return x


def scale_shift(rng: np.random.Generator, shape: tuple[int, ...], case: str) -> dict[str, np.ndarray]:
    return {"gamma": 1.0 + values(rng, shape, case, scale=0.5), "beta": values(rng, shape, case, scale=0.5)}


def _eps(rng: np.random.Generator, case: str) -> float:
    return 1e-5 if case == DEFAULTS else float(10 ** rng.uniform(-5, -3))


def bn_param(rng: np.random.Generator, D: int, mode: str, case: str, eps: float) -> dict[str, Any]:
    """A batchnorm param dict with momentum and running statistics (float64) drawn at random."""
    if case == DEFAULTS:
        return {"mode": mode}
    return {
        "mode": mode,
        "eps": eps,
        # away from 0.5, where swapping momentum and 1 - momentum changes nothing
        "momentum": float(rng.uniform(0.6, 0.95)),
        "running_mean": rng.standard_normal(D),
        "running_var": rng.uniform(0.5, 2.0, D),
    }


def _running(param: dict[str, Any], D: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The running statistics before the step as float64 tensors (zeros when absent)."""
    import torch  # at the first reference evaluation: loading the registry stays torch-free

    mean = param.get("running_mean", np.zeros(D))
    var = param.get("running_var", np.zeros(D))
    return torch.from_numpy(np.asarray(mean, dtype=np.float64)), torch.from_numpy(np.asarray(var, dtype=np.float64))


def _bn_ref_args(param: dict[str, Any], D: int) -> tuple[Any, ...]:
    mean, var = _running(param, D)
    return mean, var, param.get("momentum", 0.9), param.get("eps", 1e-5)


def batchnorm_sample(rng: np.random.Generator, case: str, mode: str = "train") -> Sample:
    # train mode: N >= 3 at random (N = 2 only as its own edge case, see _features)
    d = dims(rng, case, N=(1, 5) if mode == "test" else (3, 5), D=(1, 5))
    n = 2 if case == N2 else d["N"]
    eps = _eps(rng, case)
    x = _features(rng, (n, d["D"]), case, (0,), eps)
    arrays = {"x": x, **scale_shift(rng, (d["D"],), case)}
    return Sample(arrays, {"bn_param": bn_param(rng, d["D"], mode, case, eps)})


def layernorm_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 4), D=(3, 6))
    D = 2 if case == D2 else d["D"]
    eps = _eps(rng, case)
    x = _features(rng, (d["N"], D), case, (1,), eps)
    static = {"ln_param": {} if case == DEFAULTS else {"eps": eps}}
    return Sample({"x": x, **scale_shift(rng, (D,), case)}, static)


def spatial_batchnorm_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 3), C=(1, 4), H=(3, 5), W=(3, 5))
    eps = _eps(rng, case)
    x = _features(rng, (d["N"], d["C"], d["H"], d["W"]), case, (0, 2, 3), eps)
    static = {"bn_param": bn_param(rng, d["C"], "train", case, eps)}
    return Sample({"x": x, **scale_shift(rng, (d["C"],), case)}, static)


def spatial_groupnorm_sample(rng: np.random.Generator, case: str) -> Sample:
    # groups of K >= 2 channels: with K = 1 (the G=C edge case) groupnorm is instance norm
    d = dims(rng, case, N=(1, 3), G=(1, 3), K=(2, 3), H=(3, 5), W=(3, 5))
    G, K = {G1: (1, d["G"] * d["K"]), GC: (d["G"] * d["K"], 1)}.get(case, (d["G"], d["K"]))
    C = G * K
    eps = _eps(rng, case)
    x = _features(rng, (d["N"], G, K, d["H"], d["W"]), case, (2, 3, 4), eps).reshape(d["N"], C, d["H"], d["W"])
    static = {"G": G, "gn_param": {"eps": eps}}
    return Sample({"x": x, **scale_shift(rng, (1, C, 1, 1), case)}, static)


def affine_norm_sample(rng: np.random.Generator, case: str, norm: str) -> Sample:
    batchnorm = norm == "batchnorm"
    d = dims(rng, case, N=(3, 5) if batchnorm else (1, 4), D=(1, 4), M=(1, 4) if batchnorm else (3, 5))
    eps = _eps(rng, case)
    arrays = {
        "x": values(rng, (d["N"], d["D"]), case),
        "w": values(rng, (d["D"], d["M"]), case),
        "b": values(rng, (d["M"],), case),
        **scale_shift(rng, (d["M"],), case),
    }
    if batchnorm:
        return Sample(arrays, {"bn_param": bn_param(rng, d["M"], "train", case, eps)})
    return Sample(arrays, {"ln_param": {"eps": eps}})


def norm_relu_inputs(
    a: np.ndarray, magnitude: np.ndarray, gamma: np.ndarray, beta: np.ndarray, axis: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """The ReLU input z = gamma * standardize(a) + beta (over ``axis``) in float64, and the
    magnitude of the terms that formed it (for the kink band)."""
    mean = a.mean(axis=axis, keepdims=True)
    inv_std = 1 / np.sqrt(a.var(axis=axis, keepdims=True) + eps)
    xhat_magnitude = (magnitude + np.abs(magnitude).mean(axis=axis, keepdims=True)) * inv_std
    z = gamma * (a - mean) * inv_std + beta
    return z, xhat_magnitude * np.abs(gamma) + np.abs(beta)


def affine_norm_kinks(s: Sample, band: float, norm: str) -> dict[str, np.ndarray]:
    x, w, b, gamma, beta = (s[k] for k in ("x", "w", "b", "gamma", "beta"))
    batchnorm = norm == "batchnorm"
    param = s["bn_param"] if batchnorm else s["ln_param"]
    a, magnitude = x @ w + b, np.abs(x) @ np.abs(w) + np.abs(b)
    z, size = norm_relu_inputs(a, magnitude, gamma, beta, 0 if batchnorm else 1, param.get("eps", 1e-5))
    near = near_zero(z, size, band)
    units = near.any(axis=0)
    any_kink = bool(near.any())
    masks = {"gamma": units, "beta": units}
    if batchnorm:
        # a kink at (i, m) changes da[:, m] for the whole batch: column m of dw, db[m], all of dx
        dw = np.zeros(w.shape, dtype=bool)
        dw[:, units] = True
        masks.update(x=np.full(x.shape, any_kink), w=dw, b=units.copy())
    else:
        # a kink at (i, m) changes da[i, :]: row i of dx, all of dw and db
        dx = np.zeros(x.shape, dtype=bool)
        dx[near.any(axis=1)] = True
        masks.update(x=dx, w=np.full(w.shape, any_kink), b=np.full(b.shape, any_kink))
    return masks


def _test_mode(t: dict[str, Any], reference: Any, eps: float | None = None) -> Any:
    """``reference`` (a test-mode batchnorm) on the sample's running statistics, with its own
    eps unless ``eps`` is given."""
    mean, var = _running(t["bn_param"], t["x"].shape[1])
    eps = t["bn_param"].get("eps", 1e-5) if eps is None else eps
    return reference(t["x"], t["gamma"], t["beta"], mean, var, eps)


TEST_EPS_ADDED_TO_ROOT = Convention(
    "eps_added_to_root",
    "test mode divides by sqrt(running_var) + eps",
    reference=lambda t: _test_mode(t, ref.batchnorm_test_eps_added_to_root),
    bug="Test mode adds eps to the root, (x - running_mean) / (sqrt(running_var) + eps), where the course (and "
    "train mode) divide by sqrt(running_var + eps): the network computes another function at test time.",
)
TEST_EPS_LEFT_OUT = Convention(
    "eps_left_out",
    "test mode divides by sqrt(running_var)",
    reference=lambda t: _test_mode(t, ref.batchnorm_test, eps=0.0),
    bug="Test mode leaves eps out, (x - running_mean) / sqrt(running_var), where the course (and train mode) "
    "divide by sqrt(running_var + eps): the network computes another function at test time, and a zero "
    "running variance divides by zero.",
)
"""Lookalike bugs of test-mode batchnorm: epsilon where train mode does not put it."""


def _bn(forward, backward) -> ForwardBackward:
    return ForwardBackward(forward, backward, (*XGB, "bn_param"), wrt=XGB, state=STATE)


SPECS = (
    OpSpec(
        name="batchnorm",
        family="normalization",
        variants=(
            Variant("vectorized", _bn(impl.batchnorm_forward, impl.batchnorm_backward)),
            Variant("alt", _bn(impl.batchnorm_forward, impl.batchnorm_backward_alt)),
        ),
        reference=lambda t: ref.batchnorm_train(
            t["x"], t["gamma"], t["beta"], *_bn_ref_args(t["bn_param"], t["x"].shape[1])
        ),
        sample=batchnorm_sample,
        outputs=BN_OUTPUTS,
        wrt=XGB,
        edge_cases=(N2, D1, CONSTANT, OFFSET, DEFAULTS),
        description="train-mode batchnorm of x (N, D), N >= 2: out, and running statistics "
        "momentum * running + (1 - momentum) * batch (biased variance)",
    ),
    OpSpec(
        name="batchnorm_test_mode",
        family="normalization",
        variants=(Variant("vectorized", ForwardBackward(impl.batchnorm_forward, None, (*XGB, "bn_param"), wrt=())),),
        reference=lambda t: _test_mode(t, ref.batchnorm_test),
        sample=lambda rng, case: batchnorm_sample(rng, case, mode="test"),
        outputs={"out": RANDOM_UPSTREAM},
        wrt=(),
        edge_cases=(N1, D1),
        conventions=(TEST_EPS_ADDED_TO_ROOT, TEST_EPS_LEFT_OUT),
        description="test-mode batchnorm: x normalized with the running statistics (forward only)",
    ),
    OpSpec(
        name="layernorm",
        family="normalization",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(impl.layernorm_forward, impl.layernorm_backward, (*XGB, "ln_param"), wrt=XGB),
            ),
        ),
        reference=lambda t: ref.layernorm(t["x"], t["gamma"], t["beta"], t["ln_param"].get("eps", 1e-5)),
        sample=layernorm_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=XGB,
        edge_cases=(N1, D2, CONSTANT, OFFSET, DEFAULTS),
        description="layernorm of x (N, D), each row over its D >= 2 features",
    ),
    OpSpec(
        name="spatial_batchnorm",
        family="normalization",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.spatial_batchnorm_forward,
                    impl.spatial_batchnorm_backward,
                    (*XGB, "bn_param"),
                    wrt=XGB,
                    state=STATE,
                ),
            ),
        ),
        reference=lambda t: ref.spatial_batchnorm_train(
            t["x"], t["gamma"], t["beta"], *_bn_ref_args(t["bn_param"], t["x"].shape[1])
        ),
        sample=spatial_batchnorm_sample,
        outputs=BN_OUTPUTS,
        wrt=XGB,
        edge_cases=(N1, CONSTANT),
        description="train-mode spatial batchnorm of x (N, C, H, W), each channel over N, H, W",
    ),
    OpSpec(
        name="spatial_groupnorm",
        family="normalization",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.spatial_groupnorm_forward,
                    impl.spatial_groupnorm_backward,
                    (*XGB, "G", "gn_param"),
                    wrt=XGB,
                ),
            ),
        ),
        reference=lambda t: ref.spatial_groupnorm(t["x"], t["gamma"], t["beta"], t["G"], t["gn_param"]["eps"]),
        sample=spatial_groupnorm_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=XGB,
        edge_cases=(N1, G1, GC),
        description="groupnorm of x (N, C, H, W) in G groups of C / G channels, gamma, beta (1, C, 1, 1)",
    ),
    OpSpec(
        name="affine_bn_relu",
        family="norm_layer_utils",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    lu.affine_bn_relu_forward,
                    lu.affine_bn_relu_backward,
                    ("x", "w", "b", "gamma", "beta", "bn_param"),
                    wrt=("x", "w", "b", "gamma", "beta"),
                    state=STATE,
                ),
            ),
        ),
        reference=lambda t: ref_lu.affine_bn_relu(
            t["x"], t["w"], t["b"], t["gamma"], t["beta"], *_bn_ref_args(t["bn_param"], t["w"].shape[1])
        ),
        sample=lambda rng, case: affine_norm_sample(rng, case, "batchnorm"),
        outputs=BN_OUTPUTS,
        wrt=("x", "w", "b", "gamma", "beta"),
        edge_cases=(TIES,),
        # mask only (any value at a kink): no bound through the normalization backward yet
        kinks=lambda s, band: affine_norm_kinks(s, band, "batchnorm"),
        deviations=(bias_before_batchnorm("b"),),
        description="affine - train-mode batchnorm - ReLU (db is 0: the batch mean absorbs b)",
    ),
    OpSpec(
        name="affine_ln_relu",
        family="norm_layer_utils",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    lu.affine_ln_relu_forward,
                    lu.affine_ln_relu_backward,
                    ("x", "w", "b", "gamma", "beta", "ln_param"),
                    wrt=("x", "w", "b", "gamma", "beta"),
                ),
            ),
        ),
        reference=lambda t: ref_lu.affine_ln_relu(
            t["x"], t["w"], t["b"], t["gamma"], t["beta"], t["ln_param"].get("eps", 1e-5)
        ),
        sample=lambda rng, case: affine_norm_sample(rng, case, "layernorm"),
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x", "w", "b", "gamma", "beta"),
        edge_cases=(N1, TIES),
        # mask only (any value at a kink): no bound through the normalization backward yet
        kinks=lambda s, band: affine_norm_kinks(s, band, "layernorm"),
        description="affine - layernorm - ReLU",
    ),
)
