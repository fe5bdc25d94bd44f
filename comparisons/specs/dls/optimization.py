"""Specs of Course 2, week 2 (Optimization methods): gradient descent, momentum and Adam on
dicts of parameters and state, one step each from a random state. Nothing is differentiated:
the next parameters and every state entry are compared."""

from __future__ import annotations

import numpy as np

import gradverify.impl.dls.optimization as impl
from gradverify.core.course_adapters import DictUpdate
from gradverify.core.references import references
from gradverify.core.sampling import Sample, dims, values
from gradverify.specs.dls.common import course_op, network, param_names
from gradverify.specs.dls.deep_nn import EDITIONS_2017, EDITIONS_2021

ref = references("gradverify.reference.dls.optimization")

FAMILY = "dls.optimization"
PARAMS = param_names(2)
GRADS = tuple("d" + p for p in PARAMS)
FIRST_STEP = "t=1"
"""Adam's first step, where the bias correction divides by 1 - beta (its largest effect)."""


def _sample(rng: np.random.Generator, case: str, state: tuple[str, ...]) -> Sample:
    d = dims(rng, case, D=(1, 4), H=(1, 4))
    arrays = network(rng, case, [d["D"], d["H"], int(rng.integers(1, 3))], 1)
    del arrays["X"]
    arrays.update({"d" + k: values(rng, arrays[k].shape, case) for k in PARAMS})
    for s in state:
        # second moments are non-negative
        arrays.update({f"{s}_d{k}": np.abs(values(rng, arrays[k].shape, case)) for k in PARAMS})
    static = {
        "learning_rate": float(10 ** rng.uniform(-3, -1)),
        "beta": float(rng.uniform(0.8, 0.99)),
        "t": 1 if case == FIRST_STEP else int(rng.integers(1, 20)),
        "beta1": float(rng.uniform(0.8, 0.95)),
        "beta2": float(rng.uniform(0.99, 0.9999)),
        "epsilon": float(10 ** rng.uniform(-8, -4)),
    }
    return Sample(arrays, static)


def _dicts(t: Sample, *state: str) -> list[dict]:
    params = {k: t[k] for k in PARAMS}
    grads = {g: t[g] for g in GRADS}
    return [params, grads, *({g: t[f"{s}_{g}"] for g in GRADS} for s in state)]


def _flat(names: tuple[str, ...], dicts: tuple[dict, ...]) -> dict:
    return {f"{n}.{k}": v for n, d in zip(names, dicts, strict=True) for k, v in d.items()}


def _outputs(*names: str) -> dict[str, None]:
    keys = {"parameters": PARAMS}
    return {f"{n}.{k}": None for n in names for k in keys.get(n, GRADS)}


def _pack(*state: str) -> dict[str, tuple[str, ...]]:
    return {"parameters": PARAMS, "grads": GRADS, **{s: tuple(f"{g}={s}_{g}" for g in GRADS) for s in state}}


ADAM_ARGS = ("parameters", "grads", "v", "s", "t", "learning_rate", "beta1", "beta2", "epsilon")

SPECS = (
    course_op(
        "dls.gd",
        FAMILY,
        {
            "vectorized": DictUpdate(
                impl.update_parameters_with_gd, ("parameters", "grads", "learning_rate"), ("parameters",), pack=_pack()
            )
        },  # fmt: skip
        lambda t: _flat(("parameters",), (ref.update_parameters_with_gd(*_dicts(t), t["learning_rate"]),)),
        lambda rng, case: _sample(rng, case, ()),
        _outputs("parameters"),
        (),
        description="update_parameters_with_gd: W - learning_rate dW on the parameters dict",
    ),
    course_op(
        "dls.momentum",
        FAMILY,
        {
            "vectorized": DictUpdate(
                impl.update_parameters_with_momentum,
                ("parameters", "grads", "v", "beta", "learning_rate"),
                ("parameters", "v"),
                pack=_pack("v"),
            )
        },
        lambda t: _flat(
            ("parameters", "v"), ref.update_parameters_with_momentum(*_dicts(t, "v"), t["beta"], t["learning_rate"])
        ),
        lambda rng, case: _sample(rng, case, ("v",)),
        _outputs("parameters", "v"),
        (),
        description="update_parameters_with_momentum: v = beta v + (1 - beta) dW, W - learning_rate v",
    ),
    course_op(
        "dls.adam",
        FAMILY,
        {
            # the 2021 notebook returns (parameters, v, s, v_corrected, s_corrected), earlier ones
            # (parameters, v, s): the first three are compared either way
            "2021": DictUpdate(
                impl.update_parameters_with_adam, ADAM_ARGS, ("parameters", "v", "s"), pack=_pack("v", "s"), count=5
            ),
            "2017": DictUpdate(
                impl.update_parameters_with_adam,
                ADAM_ARGS,
                ("parameters", "v", "s"),
                pack=_pack("v", "s"),
                options={"return_corrected": False},
                count=3,
            ),
        },
        lambda t: _flat(
            ("parameters", "v", "s"),
            ref.update_parameters_with_adam(
                *_dicts(t, "v", "s"), t["t"], t["learning_rate"], t["beta1"], t["beta2"], t["epsilon"]
            ),
        ),
        lambda rng, case: _sample(rng, case, ("v", "s")),
        _outputs("parameters", "v", "s"),
        (),
        editions={
            "2021": (EDITIONS_2021, "returns (parameters, v, s, v_corrected, s_corrected)"),
            "2017": (EDITIONS_2017, "returns (parameters, v, s)"),
        },
        edge_cases=(FIRST_STEP,),
        description="update_parameters_with_adam: bias-corrected moments, epsilon outside the root; "
        "3-tuple (2017) or 5-tuple (2021) returns",
    ),
)
