"""
Course 2, week 1 (Regularization): answer key for the 3-layer network of that assignment.

LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, column-major:
- X: (n_x, m);  W1: (n_1, n_x), b1: (n_1, 1);  W2: (n_2, n_1), b2: (n_2, 1);
  W3: (1, n_2), b3: (1, 1);  Y, A3: (1, m).
- cache (baseline): (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
- cache (dropout):  (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3),
  where A1 and A2 are stored after the mask and the 1/keep_prob scaling.

The gradient dicts follow the course: "dW*"/"db*" are dJ/dparam, while the "dZ*" and "dA*"
entries are m times dJ/d(.) because the 1/m is only applied to dW and db.
"""

from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]


def forward_propagation(X: np.ndarray, parameters: Params) -> tuple[np.ndarray, tuple]:
    """
    Baseline forward pass (the course's reg_utils.forward_propagation).

    Inputs:
    - X: shape (n_x, m).
    - parameters: W1, b1, W2, b2, W3, b3 as in the module docstring.

    Returns a tuple of:
    - A3: shape (1, m).
    - cache: (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    """
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(Z2, 0)
    Z3 = W3 @ A2 + b3
    A3 = _sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def compute_cost(A3: np.ndarray, Y: np.ndarray) -> np.floating:
    """
    Cross-entropy averaged over m (the course's reg_utils.compute_cost, which uses nansum).

    Inputs:
    - A3: shape (1, m).
    - Y: shape (1, m).

    Returns:
    - cost: numpy scalar.
    """
    m = Y.shape[1]
    logprobs = -Y * np.log(A3) - (1 - Y) * np.log(1 - A3)
    return np.nansum(logprobs) / m


def compute_cost_with_regularization(A3: np.ndarray, Y: np.ndarray, parameters: Params, lambd: float) -> np.floating:
    """
    Cross-entropy plus the L2 term lambd / (2 m) * sum of squared weights.

    Inputs:
    - A3: shape (1, m).
    - Y: shape (1, m).
    - parameters: holds W1, W2, W3 (the course hard-codes three layers; every "W<l>" key is used).
    - lambd: regularization strength.

    Returns:
    - cost: numpy scalar.
    """
    m = Y.shape[1]
    squares = sum(np.sum(np.square(v)) for k, v in parameters.items() if k.startswith("W"))
    return compute_cost(A3, Y) + lambd / (2 * m) * squares


def backward_propagation(X: np.ndarray, Y: np.ndarray, cache: tuple) -> Params:
    """
    Baseline backward pass (the course's reg_utils.backward_propagation).

    Inputs:
    - X: shape (n_x, m).
    - Y: shape (1, m).
    - cache: from forward_propagation.

    Returns:
    - gradients: dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1.
    """
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _backward(X, Y, (A1, A2, A3), (W1, W2, W3), lambd=0.0, masks=None, keep_prob=1.0)


def backward_propagation_with_regularization(X: np.ndarray, Y: np.ndarray, cache: tuple, lambd: float) -> Params:
    """
    Backward pass of compute_cost_with_regularization: the baseline gradients with
    lambd / m * W added to each dW.

    Inputs:
    - X: shape (n_x, m).
    - Y: shape (1, m).
    - cache: from forward_propagation (12-tuple).
    - lambd: regularization strength.

    Returns:
    - gradients: dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1 (shapes of the
      matching forward values and parameters).
    """
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _backward(X, Y, (A1, A2, A3), (W1, W2, W3), lambd=lambd, masks=None, keep_prob=1.0)


def forward_propagation_with_dropout(
    X: np.ndarray, parameters: Params, keep_prob: float = 0.5, *, seed: int | None = 1
) -> tuple[np.ndarray, tuple]:
    """
    Forward pass with inverted dropout on the two hidden layers.

    The course's function starts with np.random.seed(1) and draws D1 then D2 with
    np.random.rand; seed=1 (the default) reproduces those masks exactly. seed=None leaves
    the global generator alone.

    Inputs:
    - X: shape (n_x, m).
    - parameters: W1, b1, W2, b2, W3, b3.
    - keep_prob: probability of keeping a unit.
    - seed: seed for np.random before drawing the masks, or None.

    Returns a tuple of:
    - A3: shape (1, m).
    - cache: (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3); D1 (n_1, m) and
      D2 (n_2, m) are 0/1 integer masks, A1 and A2 are already masked and scaled.
    """
    if seed is not None:
        np.random.seed(seed)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    D1 = (np.random.rand(*A1.shape) < keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob  # inverted dropout keeps the expected activation unchanged
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(Z2, 0)
    D2 = (np.random.rand(*A2.shape) < keep_prob).astype(int)
    A2 = A2 * D2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = _sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X: np.ndarray, Y: np.ndarray, cache: tuple, keep_prob: float) -> Params:
    """
    Backward pass of the cross-entropy cost through forward_propagation_with_dropout,
    with the masks held fixed.

    Inputs:
    - X: shape (n_x, m).
    - Y: shape (1, m).
    - cache: the 14-tuple from forward_propagation_with_dropout.
    - keep_prob: the value used in the forward pass.

    Returns:
    - gradients: dZ3, dW3, db3, dA2, dZ2, dW2, db2, dA1, dZ1, dW1, db1; dA2 and dA1 are taken
      after the mask and the 1/keep_prob scaling, as in the course.
    """
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _backward(X, Y, (A1, A2, A3), (W1, W2, W3), lambd=0.0, masks=(D1, D2), keep_prob=keep_prob)


def _backward(X, Y, activations, weights, *, lambd, masks, keep_prob) -> Params:
    """Shared 3-layer backward pass; masks is (D1, D2) or None."""
    m = X.shape[1]
    A1, A2, A3 = activations
    W1, W2, W3 = weights
    dZ3 = A3 - Y  # sigmoid followed by cross-entropy
    dA2 = W3.T @ dZ3
    if masks is not None:
        dA2 = dA2 * masks[1] / keep_prob
    # A2 > 0 exactly where relu was active and the unit was kept
    dZ2 = dA2 * (A2 > 0)
    dA1 = W2.T @ dZ2
    if masks is not None:
        dA1 = dA1 * masks[0] / keep_prob
    dZ1 = dA1 * (A1 > 0)
    grads = {"dZ3": dZ3, "dA2": dA2, "dZ2": dZ2, "dA1": dA1, "dZ1": dZ1}
    for name, dZ, A_in, W in (("3", dZ3, A2, W3), ("2", dZ2, A1, W2), ("1", dZ1, X, W1)):
        grads["dW" + name] = dZ @ A_in.T / m + lambd / m * W
        grads["db" + name] = np.sum(dZ, axis=1, keepdims=True) / m
    return grads


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -Z))
