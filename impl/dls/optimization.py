"""
Course 2, week 2 (Optimization methods): answer key for the update rules.

parameters: {"W1", "b1", ..., "WL", "bL"}; grads, v and s: {"dW1", "db1", ...}, each entry
of the shape of its parameter (W[l]: (n_l, n_{l-1}), b[l]: (n_l, 1)).

The course's functions update `parameters`, `v` and `s` in place and also return them.
These return new dicts and leave their inputs untouched; callers that use the returned
values (as the course's model() does) see the same numbers.
"""

from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """
    One step of (mini-batch) gradient descent: W[l] -= lr * dW[l], b[l] -= lr * db[l].

    Inputs:
    - parameters: {"W1", "b1", ...}.
    - grads: {"dW1", "db1", ...}.
    - learning_rate: scalar.

    Returns:
    - parameters: new dict.
    """
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in parameters}


def initialize_velocity(parameters: Params) -> Params:
    """
    Inputs:
    - parameters: {"W1", "b1", ...}.

    Returns:
    - v: {"dW1", "db1", ...}, zeros of the parameters' shapes.
    """
    return {"d" + k: np.zeros_like(p) for k, p in parameters.items()}


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """
    Momentum as taught in the course (an exponentially weighted average, not PyTorch's
    v = beta v + g):
        v = beta * v + (1 - beta) * g;  W -= learning_rate * v.

    Inputs:
    - parameters, grads, v: dicts as in the module docstring.
    - beta: momentum coefficient.
    - learning_rate: scalar.

    Returns a tuple of:
    - parameters: new dict.
    - v: new dict of velocities.
    """
    v_new = {key: beta * v[key] + (1 - beta) * grads[key] for key in v}
    new = {k: parameters[k] - learning_rate * v_new["d" + k] for k in parameters}
    return new, v_new


def initialize_adam(parameters: Params) -> tuple[Params, Params]:
    """
    Inputs:
    - parameters: {"W1", "b1", ...}.

    Returns a tuple of:
    - v: {"dW1", "db1", ...}, zeros (first moment).
    - s: {"dW1", "db1", ...}, zeros (second moment).
    """
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    *,
    return_corrected: bool = True,
) -> tuple[Params, ...]:
    """
    One Adam step, t counting from 1:
        v = beta1 v + (1 - beta1) g;        v_hat = v / (1 - beta1**t)
        s = beta2 s + (1 - beta2) g**2;     s_hat = s / (1 - beta2**t)
        W -= learning_rate * v_hat / (sqrt(s_hat) + epsilon)      (epsilon outside the root)

    Inputs:
    - parameters, grads, v, s: dicts as in the module docstring.
    - t: step number (>= 1).
    - learning_rate, beta1, beta2, epsilon: scalars.
    - return_corrected: the 2021+ notebook returns the bias-corrected moments as well;
      pass False for the earlier editions' 3-tuple.

    Returns:
    - (parameters, v, s, v_corrected, s_corrected), or (parameters, v, s) when
      return_corrected is False; all new dicts.
    """
    v_new, s_new, v_hat, s_hat, new = {}, {}, {}, {}, {}
    for k in parameters:
        g = grads["d" + k]
        v_new["d" + k] = beta1 * v["d" + k] + (1 - beta1) * g
        s_new["d" + k] = beta2 * s["d" + k] + (1 - beta2) * g**2
        v_hat["d" + k] = v_new["d" + k] / (1 - beta1**t)
        s_hat["d" + k] = s_new["d" + k] / (1 - beta2**t)
        new[k] = parameters[k] - learning_rate * v_hat["d" + k] / (np.sqrt(s_hat["d" + k]) + epsilon)
    if return_corrected:
        return new, v_new, s_new, v_hat, s_hat
    return new, v_new, s_new
