"""Specs of fc_net.py: TwoLayerNet and FullyConnectedNet, loss and every parameter's gradient.

FullyConnectedNet is also checked with batchnorm, with layernorm and with dropout. Its
test-time scores use batchnorm's running statistics, which the constructor cannot set: the
adapter sets them on each fresh model from the sample (``ModelLoss.prepare``). Dropout masks are
random; the spec draws them exactly as the course's dropout_forward does (see
``course_dropout_masks``) and hands them to the torch reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradverify.impl.cs231n.fc_net as impl
import gradverify.impl.cs231n.fc_net_2016 as impl_2016
from gradverify.core.adapters import ModelLoss
from gradverify.core.conventions import Convention
from gradverify.core.model_state import set_running_stats
from gradverify.core.references import references
from gradverify.core.sampling import C2, N1, TIES, Sample, dims, labels, values
from gradverify.core.spec import ONE, OpSpec, Variant
from gradverify.specs.cs231n.normalization import bias_before_batchnorm, norm_relu_inputs, scale_shift
from gradverify.specs.kinks import mlp_bounds, near_zero

ref = references("gradverify.reference.cs231n.fc_net")

DATA = ("X", "y")  # a model's loss(X, y): the course's data and label inputs

HIDDEN_LAYERS = 2
"""FullyConnectedNet is checked with this many hidden layers (three affine layers)."""


def _mlp_sample(rng: np.random.Generator, case: str, hidden: int) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), C=(2, 5))
    widths = [d["D"], *(int(h) for h in rng.integers(1, 6, size=hidden)), d["C"]]
    arrays = {"X": values(rng, (d["N"], d["D"]), case), "y": labels(rng, d["N"], d["C"])}
    for i in range(1, len(widths)):
        arrays[f"W{i}"] = values(rng, (widths[i - 1], widths[i]), case, scale=0.7)
        arrays[f"b{i}"] = values(rng, (widths[i],), case, scale=0.3)
    # reg large enough that a wrong regularization gradient is visible next to the data term
    static = {"reg": float(rng.uniform(0.1, 1.0)), "hidden_dims": widths[1:-1], "num_classes": d["C"]}
    return Sample(arrays, static)


def _params(t: Sample, layers: int) -> dict:
    return {f"{p}{i}": t[f"{p}{i}"] for i in range(1, layers + 1) for p in "Wb"}


def _spec(name: str, cls, hidden: int, init, doc: str) -> OpSpec:
    params = tuple(f"{p}{i}" for i in range(1, hidden + 2) for p in "Wb")
    return OpSpec(
        name=name,
        family="fc_net",
        variants=(Variant("vectorized", ModelLoss(cls, init, params, DATA)),),
        reference=lambda t: {
            "loss": ref.fc_net_loss(_params(t, hidden + 1), t["X"], t["y"], t["reg"]),
            "scores": ref.fc_net_scores(_params(t, hidden + 1), t["X"]),
        },
        sample=lambda rng, case: _mlp_sample(rng, case, hidden),
        outputs={"loss": ONE, "scores": None},
        wrt=params,
        edge_cases=(N1, C2, TIES),
        kinks=lambda s, band: mlp_bounds(s["X"], s["y"], {p: s[p] for p in params}, hidden, s["reg"], band),
        description=doc,
    )


SPECS = (
    _spec(
        "two_layer_net",
        impl.TwoLayerNet,
        1,
        lambda s: dict(
            input_dim=s["X"].shape[1], hidden_dim=s["hidden_dims"][0], num_classes=s["num_classes"], reg=s["reg"]
        ),
        "affine - relu - affine - softmax, 0.5 * reg * sum(W^2)",
    ),
    _spec(
        "fully_connected_net",
        impl.FullyConnectedNet,
        HIDDEN_LAYERS,
        lambda s: dict(
            hidden_dims=s["hidden_dims"],
            input_dim=s["X"].shape[1],
            num_classes=s["num_classes"],
            reg=s["reg"],
            dtype=s["X"].dtype,
        ),
        f"{{affine - relu}} x {HIDDEN_LAYERS} - affine - softmax, 0.5 * reg * sum(W^2)",
    ),
)


# --- FullyConnectedNet with normalization or dropout ------------------------------------------

NORM_EPS = 1e-5
"""The eps of the course's bn_params and ln_params, which FullyConnectedNet leaves at default."""


def course_dropout_masks(seed: int, n: int, widths: list[int], p: float) -> list[np.ndarray]:
    """The keep masks (bool, (N, H_l) per hidden layer) that FullyConnectedNet draws with the
    course's dropout_forward: each call runs ``np.random.seed(dropout_param["seed"])`` and then
    ``np.random.rand(N, H_l) < p``, so every layer's mask comes from a freshly seeded generator
    (the legacy MT19937 one, as RandomState(seed))."""
    return [np.random.RandomState(seed).rand(n, h) < p for h in widths]


def _net_params(hidden: int, normalization: str | None) -> tuple[str, ...]:
    names = []
    for i in range(1, hidden + 2):
        names += [f"W{i}", f"b{i}"]
        if normalization and i <= hidden:
            names += [f"gamma{i}", f"beta{i}"]
    return tuple(names)


def _layer_of(param: str) -> int:
    """The layer index of a parameter name: 2 for W2, b2, gamma2, beta2."""
    return int(param[len(param.rstrip("0123456789")) :])


def _net_sample(rng: np.random.Generator, case: str, hidden: int, normalization: str | None, dropout: bool) -> Sample:
    # N = 2 (batchnorm) and width 2 (layernorm) make the normalized gradient pure cancellation
    # (two values standardize to +-1), which float32 cannot resolve; see specs.normalization
    d = dims(rng, case, N=(3, 5) if normalization == "batchnorm" else (1, 5), D=(1, 5), C=(2, 5))
    low = 3 if normalization == "layernorm" else 1
    widths = [d["D"], *(int(h) for h in rng.integers(low, 6, size=hidden)), d["C"]]
    arrays = {"X": values(rng, (d["N"], d["D"]), case), "y": labels(rng, d["N"], d["C"])}
    for i in range(1, len(widths)):
        arrays[f"W{i}"] = values(rng, (widths[i - 1], widths[i]), case, scale=0.7)
        arrays[f"b{i}"] = values(rng, (widths[i],), case, scale=0.3)
        if normalization and i <= hidden:
            ss = scale_shift(rng, (widths[i],), case)
            arrays[f"gamma{i}"], arrays[f"beta{i}"] = ss["gamma"], ss["beta"]
        if normalization == "batchnorm" and i <= hidden:
            arrays[f"running_mean{i}"] = rng.standard_normal(widths[i])
            arrays[f"running_var{i}"] = rng.uniform(0.5, 2.0, widths[i])
    static = {"reg": float(rng.uniform(0.1, 1.0)), "hidden_dims": widths[1:-1], "num_classes": d["C"]}
    if dropout:
        static.update(p=float(rng.uniform(0.3, 0.9)), seed=int(rng.integers(2**31)))
        masks = course_dropout_masks(static["seed"], d["N"], widths[1:-1], static["p"])
        arrays.update({f"mask{i}": m for i, m in enumerate(masks, start=1)})
    return Sample(arrays, static)


def _net_kinks(s: Sample, band: float, hidden: int, normalization: str | None, dropout: bool) -> dict[str, np.ndarray]:
    """Masks of the parameter gradients that a ReLU input at 0 (in the training-time forward
    pass) may change: its unit's parameters in that layer (all of W_l and b_l under layernorm,
    which mixes a row's units) and every parameter below."""
    names = _net_params(hidden, normalization)
    masks = {k: np.zeros(s[k].shape, dtype=bool) for k in names}
    h = s["X"].reshape(len(s["X"]), -1)
    size = np.abs(h)
    for i in range(1, hidden + 1):
        W, b = s[f"W{i}"], s[f"b{i}"]
        z, magnitude = h @ W + b, size @ np.abs(W) + np.abs(b)
        if normalization:
            axis = 0 if normalization == "batchnorm" else 1
            z, magnitude = norm_relu_inputs(z, magnitude, s[f"gamma{i}"], s[f"beta{i}"], axis, NORM_EPS)
        units = near_zero(z, magnitude, band).any(axis=0)
        if units.any():
            whole = normalization == "layernorm"
            masks[f"W{i}"][:, slice(None) if whole else units] = True
            masks[f"b{i}"][slice(None) if whole else units] = True
            if normalization:
                masks[f"gamma{i}"][units] = masks[f"beta{i}"][units] = True
            for k in names:
                if _layer_of(k) < i:
                    masks[k][:] = True
        keep = s[f"mask{i}"] / s["p"] if dropout else 1.0
        h, size = np.maximum(z, 0) * keep, np.where(z > 0, magnitude, 0.0) * keep
    return masks


def _net_reference(t: Sample, hidden: int, normalization: str | None, dropout: bool) -> dict[str, Any]:
    params = {k: t[k] for k in _net_params(hidden, normalization)}
    masks = [t[f"mask{i}"] for i in range(1, hidden + 1)] if dropout else None
    p = t["p"] if dropout else 1.0
    running = None
    if normalization == "batchnorm":
        running = [(t[f"running_mean{i}"], t[f"running_var{i}"]) for i in range(1, hidden + 1)]
    return {
        "loss": ref.fc_net_loss(params, t["X"], t["y"], t["reg"], normalization, masks, p, NORM_EPS),
        "scores": ref.fc_net_scores(params, t["X"], normalization, running, None, 1.0, NORM_EPS),
    }


NEW_KWARGS, DROPOUT_KWARG, USE_BATCHNORM = "vectorized", "2016-2020", "2016-2017"
"""FullyConnectedNet's constructor by edition, as variant names: 2021-2024 take
``dropout_keep_ratio`` and ``normalization``; 2018-2020 ``dropout`` (keep probability) and
``normalization``; 2016-2017 ``dropout`` (its template's drop probability) and ``use_batchnorm``.
The answer key of the older variants is the 2016-2017 class."""
ANSWER_KEYS = {NEW_KWARGS: impl.FullyConnectedNet, DROPOUT_KWARG: impl_2016.FullyConnectedNet}
ANSWER_KEYS[USE_BATCHNORM] = impl_2016.FullyConnectedNet


def net_init(s: Sample, normalization: str | None, dropout: bool, signature: str = NEW_KWARGS) -> dict[str, Any]:
    """FullyConnectedNet's constructor arguments for a sample, in the keywords of ``signature``."""
    kwargs = dict(
        hidden_dims=s["hidden_dims"],
        input_dim=s["X"].shape[1],
        num_classes=s["num_classes"],
        reg=s["reg"],
        dtype=s["X"].dtype,
    )
    if signature == USE_BATCHNORM:
        kwargs.update(use_batchnorm=normalization == "batchnorm")
    elif signature == NEW_KWARGS or normalization:
        kwargs.update(normalization=normalization)
    if dropout:
        kwargs.update({"dropout_keep_ratio" if signature == NEW_KWARGS else "dropout": s["p"], "seed": s["seed"]})
    return kwargs


def net_adapter(cls: Any, normalization: str | None, dropout: bool, signature: str = NEW_KWARGS) -> ModelLoss:
    """The adapter of a FullyConnectedNet-like class configured as the spec of that option."""
    return ModelLoss(
        cls,
        lambda s: net_init(s, normalization, dropout, signature),
        _net_params(HIDDEN_LAYERS, normalization),
        DATA,
        prepare=set_running_stats if normalization == "batchnorm" else None,
    )


def _drop_view(mask_rule: str) -> Any:
    """The sample as the reference sees it when the network's dropout takes ``dropout=q`` as
    the probability of dropping: keep 1 - q, with the masks the course's reseeded generator
    gives under ``mask_rule`` (``rand >= p`` or ``rand < 1 - p``: equal in law, not in draws)."""

    def view(sample: Sample) -> Sample:
        q, n = sample["p"], len(sample["X"])
        arrays = dict(sample.arrays)
        for i, h in enumerate(sample["hidden_dims"], start=1):
            draw = np.random.RandomState(sample["seed"]).rand(n, h)
            arrays[f"mask{i}"] = draw >= q if mask_rule == "ge" else draw < 1 - q
        return Sample(arrays, {**sample.static, "p": 1.0 - q})

    return view


NET_KEEP = Convention("keep_p", "dropout is the keep probability", editions=tuple(range(2018, 2025)))
NET_DROP = {
    "default_convention": NET_KEEP,
    "conventions": tuple(
        Convention(
            f"drop_p_{rule}", f"dropout is the drop probability (kept where {where})", (2016, 2017), _drop_view(rule)
        )
        for rule, where in (("ge", "rand >= p"), ("lt", "rand < 1 - p"))
    ),
}
"""The 2016-2017 networks pass ``dropout`` on as ``dropout_param['p']``, which their template
calls the drop probability; students kept units where ``rand >= p`` or ``rand < 1 - p``."""


def _net_spec(
    name: str,
    normalization: str | None,
    dropout: bool,
    edge_cases: tuple[str, ...],
    doc: str,
    signatures: tuple[str, ...] = (NEW_KWARGS,),
) -> OpSpec:
    """``signatures``: the constructor keywords of the editions that had this option; the
    answer key takes the latest, students' code any one of them."""
    hidden = HIDDEN_LAYERS
    return OpSpec(
        name=name,
        family="fc_net",
        variants=tuple(
            Variant(signature, net_adapter(ANSWER_KEYS[signature], normalization, dropout, signature))
            for signature in signatures
        ),
        reference=lambda t: _net_reference(t, hidden, normalization, dropout),
        sample=lambda rng, case: _net_sample(rng, case, hidden, normalization, dropout),
        outputs={"loss": ONE, "scores": None},
        wrt=_net_params(hidden, normalization),
        edge_cases=edge_cases,
        # mask only (any value at a kink): kinks.mlp_bounds does not model normalization or dropout
        kinks=lambda s, band: _net_kinks(s, band, hidden, normalization, dropout),
        # every quantity, not just db1 and db2: in integer-valued ties cases the batchnorm
        # gradients (dbeta1, ...) are sums over the batch that cancel to near zero, and float32
        # keeps only rounding noise of them (seen: 3% of a near-zero max in ties:344)
        deviations=(bias_before_batchnorm(),) if normalization == "batchnorm" else (),
        description=doc,
        **(NET_DROP if dropout else {}),
    )


SPECS = (
    *SPECS,
    _net_spec(
        "fully_connected_net_batchnorm",
        "batchnorm",
        False,
        (C2, TIES),
        f"{{affine - batchnorm - relu}} x {HIDDEN_LAYERS} - affine - softmax, N >= 3: training loss with batch "
        "statistics, test-time scores with the running statistics, gradients of W, b, gamma, beta",
        (NEW_KWARGS, USE_BATCHNORM),
    ),
    _net_spec(
        "fully_connected_net_layernorm",
        "layernorm",
        False,
        (N1, C2, TIES),
        f"{{affine - layernorm - relu}} x {HIDDEN_LAYERS} - affine - softmax, hidden widths >= 3",
    ),
    _net_spec(
        "fully_connected_net_dropout",
        None,
        True,
        (N1, C2, TIES),
        f"{{affine - relu - dropout}} x {HIDDEN_LAYERS} - affine - softmax with seed: ASSUMES the course's "
        "dropout_forward, which reseeds numpy's global generator with dropout_param['seed'] in every layer "
        "and keeps np.random.rand(N, H) < p; the reference gets those masks",
        (NEW_KWARGS, DROPOUT_KWARG),
    ),
)
