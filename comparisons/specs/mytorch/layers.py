"""Specs of HW1P1's layer objects: Linear (S24 and S23 scaling, S25's flat bias), the
activations (S24 ``backward(dLdA)`` and S23's ``backward()`` returning dA/dZ), the losses
(S24 and S23 scaling) and BatchNorm1d in training and evaluation mode.

Each layer is built, its attributes set from the sample, run forward and backward; the
gradients it stores as attributes (``dLdW``) are compared like returned ones."""

from __future__ import annotations

import numpy as np

import gradverify.impl.mytorch.activation as act
import gradverify.impl.mytorch.batchnorm as bn
import gradverify.impl.mytorch.linear as lin
import gradverify.impl.mytorch.loss as loss
from gradverify.core.course_adapters import LayerObject
from gradverify.core.references import references
from gradverify.core.sampling import C2, D1, LARGE, N1, TIES, Sample, dims, values
from gradverify.core.spec import ONE, RANDOM_UPSTREAM
from gradverify.specs.dls.common import course_op
from gradverify.specs.kinks import near_zero

ref_act = references("gradverify.reference.mytorch.activation")
ref_bn = references("gradverify.reference.mytorch.batchnorm")
ref_lin = references("gradverify.reference.mytorch.linear")
ref_loss = references("gradverify.reference.mytorch.loss")

ALPHA = "alpha"

S24, S23, S25 = ("S24",), ("S23",), ("S25",)
"""The semesters whose handouts gradverify's MyTorch variants follow (HW4P1's layers: S25)."""
LINEAR_EDITIONS = {
    "S24": (S24, "dLdW = dLdZ^T A and dLdb = column sums, no 1/N"),
    "S23": (S23, "Linear.backward divides dLdW and dLdb by N"),
}
ACTIVATION_EDITIONS = {
    "S24": (S24, "backward(dLdA) returns dLdZ"),
    "S23": (S23, "backward() takes no argument and returns dA/dZ"),
}
MSE_EDITIONS = {
    "S24": (S24, "MSELoss = SSE / (N C), backward() = 2 (A - Y) / (N C)"),
    "S23": (S23, "MSELoss = SSE / (2 N C), backward() = (A - Y) / (N C)"),
}
CE_EDITIONS = {
    "S24": (S24, "CrossEntropyLoss.backward() = (softmax - Y) / N"),
    "S23": (S23, "CrossEntropyLoss.backward() = softmax - Y, without 1/N"),
}


def linear_sample(rng: np.random.Generator, case: str, flat_bias: bool = False) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), M=(1, 5))
    lead = (d["N"], int(rng.integers(1, 4))) if flat_bias and rng.random() < 0.5 else (d["N"],)
    return Sample(
        {
            "A": values(rng, (*lead, d["D"]), case),
            "W": values(rng, (d["M"], d["D"]), case),
            "b": values(rng, (d["M"],) if flat_bias else (d["M"], 1), case),
        }
    )


def z_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 6))
    return Sample({"Z": values(rng, (d["N"], d["D"]), case)})


def softmax_sample(rng: np.random.Generator, case: str, any_axis: bool) -> Sample:
    d = dims(rng, case, N=(1, 5), C=(2, 6))
    shape = (d["N"], d["C"], int(rng.integers(1, 4))) if any_axis else (d["N"], d["C"])
    static = {"dim": int(rng.integers(-len(shape), len(shape)))} if any_axis else {}
    return Sample({"Z": values(rng, shape, case)}, static)


def loss_sample(rng: np.random.Generator, case: str, one_hot: bool) -> Sample:
    d = dims(rng, case, N=(1, 8), C=(2, 6))
    n, c = d["N"], d["C"]
    if one_hot:
        Y = np.eye(c)[rng.integers(0, c, size=n)]
        A = (
            rng.choice([-1e3, 1e3], size=(n, 1)) + 2.0 * rng.standard_normal((n, c))
            if case == LARGE
            else values(rng, (n, c), case)
        )
    else:
        Y, A = values(rng, (n, c), case), values(rng, (n, c), case)
    return Sample({"A": A, "Y": Y})


FEATURE_STD = (0.5, 3.0)
"""The per-feature batch standard deviation of BatchNorm1d's Z: each feature of a sample is
standardized over the batch and given a spread drawn from this range. MyTorch's eps is 1e-8,
so dZ carries terms of relative size eps / var that cancel exactly only in exact arithmetic;
a nearly constant feature (two draws that happen to agree to 1%) makes dZ that cancellation
alone, which float32 cannot resolve (3-8% off for a correct implementation). A spread of at
least 0.5 keeps eps / var below 4e-8, where the dZ of any batch size is well conditioned."""


def batchnorm_sample(rng: np.random.Generator, case: str, feature_std: tuple[float, float] = FEATURE_STD) -> Sample:
    d = dims(rng, case, N=(2, 8), D=(1, 5))
    n, c = d["N"], d["D"]
    raw = rng.standard_normal((n, c))  # N >= 2 continuous draws: every feature has a spread
    unit = (raw - raw.mean(axis=0, keepdims=True)) / raw.std(axis=0, keepdims=True)
    Z = unit * rng.uniform(*feature_std, size=(1, c)) + rng.uniform(-2, 2, size=(1, c))
    return Sample(
        {
            "Z": Z,
            "BW": values(rng, (1, c), case),
            "Bb": values(rng, (1, c), case),
            "running_M": values(rng, (1, c), case),
            "running_V": rng.uniform(0.5, 2.0, size=(1, c)),
        },
        {ALPHA: float(rng.uniform(0.5, 0.99))},
    )


def _linear(flat_bias: bool = False, edition: str = "S24") -> LayerObject:
    def init(s: Sample) -> dict:
        return {
            "in_features": s["W"].shape[1],
            "out_features": s["W"].shape[0],
            "flat_bias": flat_bias,
            "edition": edition,
        }

    # S23 divided dLdW and dLdb by the batch size N (its cross-entropy backward did not)
    scale = (lambda s: dict.fromkeys(("W", "b"), 1.0 / s["A"].shape[0])) if edition == "S23" else None
    return LayerObject(lin.Linear, init, ("A",), {"W": "W", "b": "b"}, ("A",), {"W": "dLdW", "b": "dLdb"},
                       output="Z", scale=scale)  # fmt: skip


def _no_init(s: Sample) -> dict:
    return {}


def _activation(cls: type, s23: bool) -> LayerObject:
    return LayerObject(cls, _no_init, ("Z",), returns=("Z",), output="A", derivative=s23)


def _loss(cls: type, edition: str) -> LayerObject:
    if cls is loss.MSELoss and edition == "S23":
        scale = lambda s: {"loss": 0.5, "A": 0.5}  # noqa: E731 - S23: SSE / (2 N C) and its gradient
    elif edition == "S23":
        scale = lambda s: {"A": float(s["A"].shape[0])}  # noqa: E731 - S23: softmax - Y, no 1/N
    else:
        scale = None
    return LayerObject(cls, lambda s: {"edition": edition}, ("A", "Y"), returns=("A",), output="loss",
                       upstream=False, scale=scale)  # fmt: skip


def _batchnorm(evaluate: bool) -> LayerObject:
    return LayerObject(
        bn.BatchNorm1d,
        lambda s: {"num_features": s["Z"].shape[1], "alpha": s[ALPHA]},
        ("Z",),
        {k: k for k in ("BW", "Bb", "running_M", "running_V")},
        ("Z",),
        {"BW": "dLdBW", "Bb": "dLdBb"},
        output="BZ",
        forward_kwargs={"eval": evaluate},
        state={} if evaluate else {"next_running_M": "running_M", "next_running_V": "running_V"},
    )


def _bn_train_reference(t: Sample) -> dict:
    M, V = ref_bn.running_stats(t["Z"], t["running_M"], t["running_V"], t[ALPHA])
    return {"BZ": ref_bn.batchnorm1d_train(t["Z"], t["BW"], t["Bb"]), "next_running_M": M, "next_running_V": V}


def _z_kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    return {"Z": near_zero(s["Z"], np.abs(s["Z"]), band)}


ELEMENTWISE = {
    "identity": (act.Identity, ref_act.identity),
    "sigmoid": (act.Sigmoid, ref_act.sigmoid),
    "tanh": (act.Tanh, ref_act.tanh),
    "relu": (act.ReLU, ref_act.relu),
    "gelu": (act.GELU, ref_act.gelu),
}

SPECS = (
    course_op(
        "mytorch.linear",
        "mytorch.linear",
        {"S24": _linear(), "S23": _linear(edition="S23")},
        lambda t: ref_lin.linear(t["A"], t["W"], t["b"]),
        linear_sample,
        {"Z": RANDOM_UPSTREAM},
        ("A", "W", "b"),
        editions=LINEAR_EDITIONS,
        edge_cases=(N1, D1),
        description="Linear: Z = A W^T + b, W (out, in), b (out, 1); dLdW, dLdb stored (S23: divided by N)",
    ),
    course_op(
        "mytorch.linear_flat_bias",
        "mytorch.linear",
        {"S25": _linear(flat_bias=True)},
        lambda t: ref_lin.linear(t["A"], t["W"], t["b"]),
        lambda rng, case: linear_sample(rng, case, flat_bias=True),
        {"Z": RANDOM_UPSTREAM},
        ("A", "W", "b"),
        edge_cases=(N1, D1),
        description="HW4P1 Linear: b (out,), A (*, in) with any leading dimensions",
    ),
    *(
        course_op(
            f"mytorch.{name}",
            "mytorch.activation",
            {"S24": _activation(cls, s23=False), "S23": _activation(cls, s23=True)},
            lambda t, fn=fn: fn(t["Z"]),
            z_sample,
            {"A": RANDOM_UPSTREAM},
            ("Z",),
            editions=ACTIVATION_EDITIONS,
            edge_cases=(N1, D1, TIES) if name == "relu" else (N1, D1),
            kinks=_z_kinks if name == "relu" else None,
            description=f"{cls.__name__}: forward(Z) -> A; backward(dLdA) -> dLdZ (S23: backward() -> dA/dZ)",
        )
        for name, (cls, fn) in ELEMENTWISE.items()
    ),
    course_op(
        "mytorch.softmax",
        "mytorch.activation",
        {"S24": _activation(act.Softmax, s23=False)},
        lambda t: ref_act.softmax(t["Z"], dim=-1),
        lambda rng, case: softmax_sample(rng, case, any_axis=False),
        {"A": RANDOM_UPSTREAM},
        ("Z",),
        edge_cases=(N1, C2),
        description="Softmax over the rows of Z (N, C); backward applies the Jacobian",
    ),
    course_op(
        "mytorch.softmax_dim",
        "mytorch.activation",
        {"S25": LayerObject(act.Softmax, lambda s: {"dim": s["dim"]}, ("Z",), returns=("Z",), output="A")},
        lambda t: ref_act.softmax(t["Z"], dim=t["dim"]),
        lambda rng, case: softmax_sample(rng, case, any_axis=True),
        {"A": RANDOM_UPSTREAM},
        ("Z",),
        edge_cases=(N1, C2),
        description="HW4P1 Softmax(dim) along any axis of a 3-D Z",
    ),
    course_op(
        "mytorch.mse_loss",
        "mytorch.loss",
        {"S24": _loss(loss.MSELoss, "S24"), "S23": _loss(loss.MSELoss, "S23")},
        lambda t: ref_loss.mse_loss(t["A"], t["Y"]),
        lambda rng, case: loss_sample(rng, case, one_hot=False),
        {"loss": ONE},
        ("A",),
        editions=MSE_EDITIONS,
        edge_cases=(N1, C2),
        description="MSELoss: SSE / (N C), backward() -> 2 (A - Y) / (N C) (S23: half of both)",
    ),
    course_op(
        "mytorch.cross_entropy_loss",
        "mytorch.loss",
        {"S24": _loss(loss.CrossEntropyLoss, "S24"), "S23": _loss(loss.CrossEntropyLoss, "S23")},
        lambda t: ref_loss.cross_entropy_loss(t["A"], t["Y"]),
        lambda rng, case: loss_sample(rng, case, one_hot=True),
        {"loss": ONE},
        ("A",),
        editions=CE_EDITIONS,
        edge_cases=(N1, C2, LARGE),
        description="CrossEntropyLoss on logits A and one-hot Y, mean over N; backward() -> (softmax - Y) / N "
        "(S23: without 1/N)",
    ),
    course_op(
        "mytorch.batchnorm1d",
        "mytorch.batchnorm",
        {"S24": _batchnorm(evaluate=False)},
        _bn_train_reference,
        batchnorm_sample,
        {"BZ": RANDOM_UPSTREAM, "next_running_M": None, "next_running_V": None},
        ("Z", "BW", "Bb"),
        edge_cases=(D1,),
        description="BatchNorm1d training: batch statistics (biased variance, eps 1e-8), running = "
        "alpha old + (1 - alpha) batch",
    ),
    course_op(
        "mytorch.batchnorm1d_eval",
        "mytorch.batchnorm",
        {"S24": _batchnorm(evaluate=True)},
        lambda t: ref_bn.batchnorm1d_eval(t["Z"], t["BW"], t["Bb"], t["running_M"], t["running_V"]),
        batchnorm_sample,
        {"BZ": RANDOM_UPSTREAM},
        ("Z", "BW", "Bb"),
        edge_cases=(D1,),
        description="BatchNorm1d inference (eval=True): running statistics, left unchanged",
    ),
)
