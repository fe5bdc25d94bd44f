"""The functional update rules of ``reference/cs231n/optim.py`` are torch.optim's: the same
trajectories and the same state, on every kind of sample the specs draw."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from gradverify.core.sampling import RANDOM
from gradverify.reference.cs231n import optim as functional
from gradverify.specs.cs231n import optim as optim_specs


def _torch_optim(rule: str, w: torch.Tensor, dws: torch.Tensor, config: dict[str, Any] | None) -> dict:
    """The rule run by torch.optim itself (the reference as it was first written)."""
    s = {**functional.DEFAULTS[rule], **(config or {})}
    p = w.detach().clone().requires_grad_(True)
    lr = s["learning_rate"]
    if rule == "sgd":
        opt = torch.optim.SGD([p], lr=lr)
    elif rule == "sgd_momentum":
        opt = torch.optim.SGD([p], lr=lr, momentum=s["momentum"], dampening=0.0)
        if "velocity" in s:
            opt.state[p] = {"momentum_buffer": -torch.as_tensor(s["velocity"], dtype=p.dtype).clone() / lr}
    elif rule == "rmsprop":
        opt = torch.optim.RMSprop([p], lr=lr, alpha=s["decay_rate"], eps=s["epsilon"])
        if "cache" in s:
            opt.state[p] = {"step": torch.tensor(0.0), "square_avg": torch.as_tensor(s["cache"], dtype=p.dtype).clone()}
    else:
        opt = torch.optim.Adam([p], lr=lr, betas=(s["beta1"], s["beta2"]), eps=s["epsilon"])
        if {"m", "v", "t"} & set(s):
            opt.state[p] = {
                "step": torch.tensor(float(s.get("t", 0))),
                "exp_avg": torch.as_tensor(s["m"], dtype=p.dtype).clone() if "m" in s else torch.zeros_like(p),
                "exp_avg_sq": torch.as_tensor(s["v"], dtype=p.dtype).clone() if "v" in s else torch.zeros_like(p),
            }
    steps = []
    for dw in dws:
        p.grad = dw.detach().clone()
        opt.step()
        steps.append(p.detach().clone())
    out = {"trajectory": torch.stack(steps)}
    state = opt.state[p]
    if rule == "sgd_momentum":
        out["velocity"] = -lr * state["momentum_buffer"]
    elif rule == "rmsprop":
        out["cache"] = state["square_avg"]
    elif rule == "adam":
        out.update(m=state["exp_avg"], v=state["exp_avg_sq"], t=state["step"])
    return out


def _with_state(rule: str, rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    """A config that carries state from earlier steps (the course passes it back in)."""
    state = {
        "sgd": {},
        "sgd_momentum": {"velocity": rng.standard_normal(shape)},
        "rmsprop": {"cache": rng.random(shape)},
        "adam": {"m": rng.standard_normal(shape), "v": rng.random(shape), "t": int(rng.integers(1, 50))},
    }
    return state[rule]


@pytest.mark.parametrize("rule", list(functional.DEFAULTS))
def test_functional_rules_equal_torch_optim(rule: str) -> None:
    spec = next(s for s in optim_specs.SPECS if s.name == rule)
    rng = np.random.default_rng(0)
    for i, case in enumerate([RANDOM] * 20 + list(spec.edge_cases) * 4):
        sample = spec.sample(rng, case)
        config = sample.static["config"]
        if i % 3 == 2 and config is not None:
            config = {**config, **_with_state(rule, rng, sample["w"].shape)}
        w, dws = torch.from_numpy(sample["w"]), torch.from_numpy(sample["dws"])
        ours = getattr(functional, rule)(w, dws, config)
        theirs = _torch_optim(rule, w, dws, config)
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert ours[key].dtype == theirs[key].dtype, key
            assert torch.equal(ours[key], theirs[key]), f"{rule} {case} {key}"


def test_a_wrong_rule_differs_from_torch_optim() -> None:
    # the comparison above can fail: Adam without bias correction is not torch.optim's Adam
    w, dws = torch.ones(3, dtype=torch.float64), torch.full((2, 3), 0.5, dtype=torch.float64)
    theirs = _torch_optim("adam", w, dws, {})
    ours = functional.adam(w, dws, {"t": 1000})  # bias correction ~1: the first steps are wrong
    assert not torch.equal(ours["trajectory"], theirs["trajectory"])
