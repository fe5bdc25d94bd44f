"""
Course 1 (Neural Networks and Deep Learning), weeks 3 and 4: answer key.

Column-major layout throughout: examples are columns.
- X, A[l]: (n_l, m);  W[l]: (n_l, n_{l-1});  b[l]: (n_l, 1);  Y, AL: (1, m).
- parameters: {"W1", "b1", ..., "WL", "bL"}; grads: {"dA0", "dW1", "db1", ...}.

Scaling convention of the course: only dW and db carry the 1/m of the cost. The
"dA" and "dZ" values that flow backward are m times the true derivative of the
cost J (dAL is the derivative of the per-example loss, not of J).
"""

from __future__ import annotations

import numpy as np

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]  # (A_prev, W, b)
LayerCache = tuple[LinearCache, np.ndarray]  # (linear_cache, Z)


def sigmoid(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    Sigmoid activation, the course's dnn_utils helper.

    Input:
    - Z: array of any shape.

    Returns a tuple of:
    - A: array of the same shape, 1 / (1 + exp(-Z)).
    - cache: Z
    """
    # exp(-logaddexp(0, -Z)) is the same function without overflow warnings for very negative Z
    A = np.exp(-np.logaddexp(0, -Z))
    return A, Z


def relu(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """
    ReLU activation, the course's dnn_utils helper.

    Input:
    - Z: array of any shape.

    Returns a tuple of:
    - A: array of the same shape, max(Z, 0).
    - cache: Z
    """
    return np.maximum(Z, 0), Z


def relu_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """
    Inputs:
    - dA: upstream gradient, same shape as Z.
    - cache: Z from relu().

    Returns:
    - dZ: same shape as Z; zero where Z <= 0 (the course's convention at 0).
    """
    Z = cache
    return dA * (Z > 0)


def sigmoid_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """
    Inputs:
    - dA: upstream gradient, same shape as Z.
    - cache: Z from sigmoid().

    Returns:
    - dZ: dA * s * (1 - s) with s = sigmoid(Z), same shape as Z.
    """
    s, _ = sigmoid(cache)
    return dA * s * (1 - s)


def linear_forward(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """
    Inputs:
    - A: activations of the previous layer, shape (n_{l-1}, m).
    - W: weights, shape (n_l, n_{l-1}).
    - b: bias, shape (n_l, 1).

    Returns a tuple of:
    - Z: W @ A + b, shape (n_l, m).
    - cache: (A, W, b)
    """
    return W @ A + b, (A, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str
) -> tuple[np.ndarray, LayerCache]:
    """
    LINEAR -> ACTIVATION for one layer.

    Inputs:
    - A_prev: shape (n_{l-1}, m).
    - W: shape (n_l, n_{l-1}).
    - b: shape (n_l, 1).
    - activation: "sigmoid" or "relu".

    Returns a tuple of:
    - A: shape (n_l, m).
    - cache: (linear_cache, activation_cache) = ((A_prev, W, b), Z)
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = _ACTIVATIONS[activation](Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, list[LayerCache]]:
    """
    [LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID.

    Inputs:
    - X: shape (n_x, m).
    - parameters: {"W1", "b1", ..., "WL", "bL"}, Wl of shape (n_l, n_{l-1}), bl of shape (n_l, 1).

    Returns a tuple of:
    - AL: output probabilities, shape (n_L, m) (n_L = 1 in the course).
    - caches: list of L layer caches, caches[l-1] belongs to layer l.
    """
    L = len(parameters) // 2
    caches = []
    A = X
    for layer in range(1, L + 1):
        activation = "sigmoid" if layer == L else "relu"
        A, cache = linear_activation_forward(A, parameters[f"W{layer}"], parameters[f"b{layer}"], activation)
        caches.append(cache)
    return A, caches


def compute_cost(AL: np.ndarray, Y: np.ndarray, parameters: object = None) -> np.floating:
    """
    Binary cross-entropy cost, averaged over the m examples.

    Serves both week 3 and week 4. Editions before 2021 called it as
    compute_cost(A2, Y, parameters) in week 3; that third argument is accepted and unused.

    Inputs:
    - AL: probabilities, shape (1, m).
    - Y: labels in {0, 1}, shape (1, m).
    - parameters: ignored.

    Returns:
    - cost: a numpy scalar (shape (), a float), -(1/m) * sum(Y log AL + (1-Y) log(1-AL)).
    """
    m = Y.shape[1]
    return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m


def linear_backward(dZ: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Inputs:
    - dZ: shape (n_l, m), in the course's scaling (m times dJ/dZ).
    - cache: (A_prev, W, b) with A_prev (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1).

    Returns a tuple of:
    - dA_prev: W.T @ dZ, shape (n_{l-1}, m) (no 1/m: it keeps flowing backward).
    - dW: (1/m) dZ @ A_prev.T, shape (n_l, n_{l-1}).
    - db: (1/m) row sums of dZ, shape (n_l, 1).
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    return W.T @ dZ, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: LayerCache, activation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward of linear_activation_forward.

    Inputs:
    - dA: gradient w.r.t. this layer's output A, shape (n_l, m).
    - cache: ((A_prev, W, b), Z).
    - activation: "sigmoid" or "relu".

    Returns a tuple of (dA_prev (n_{l-1}, m), dW (n_l, n_{l-1}), db (n_l, 1)).
    """
    if activation not in _BACKWARDS:
        raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")
    linear_cache, activation_cache = cache
    dZ = _BACKWARDS[activation](dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(
    AL: np.ndarray, Y: np.ndarray, caches: list[LayerCache], *, legacy_keys: bool = False
) -> dict[str, np.ndarray]:
    """
    Backward pass of L_model_forward for the cross-entropy cost.

    Inputs:
    - AL: shape (1, m), output of L_model_forward.
    - Y: labels, any shape with m entries (reshaped to AL's shape).
    - caches: the list returned by L_model_forward.
    - legacy_keys: use the 2017 edition's keys, where "dA{l}" held the gradient w.r.t.
      A[l-1] (so "dA1".."dAL" instead of "dA0".."dA{L-1}").

    Returns:
    - grads: "dW{l}" (n_l, n_{l-1}) and "db{l}" (n_l, 1) for l = 1..L, equal to dJ/dW and dJ/db;
      "dA{l}" (n_l, m) for l = 0..L-1, equal to m * dJ/dA[l].
    """
    L = len(caches)
    Y = Y.reshape(AL.shape)
    # derivative of the per-example loss; the 1/m is applied in linear_backward
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    grads = {}
    for layer in range(L, 0, -1):
        activation = "sigmoid" if layer == L else "relu"
        dA, dW, db = linear_activation_backward(dA, caches[layer - 1], activation)
        grads[f"dA{layer if legacy_keys else layer - 1}"] = dA
        grads[f"dW{layer}"] = dW
        grads[f"db{layer}"] = db
    return grads


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """
    One gradient-descent step, W -= learning_rate * dW and b -= learning_rate * db.

    Editions up to 2020 took `parameters` and updated it in place; from 2021 the argument is
    `params` and the function deep-copies it. This one never mutates its input and returns a
    new dict, which satisfies both call styles (use the return value).

    Inputs:
    - parameters: {"W1", "b1", ...}.
    - grads: {"dW1", "db1", ...} of the same shapes.
    - learning_rate: scalar.

    Returns:
    - parameters: a new dict with the updated arrays.
    """
    L = len(parameters) // 2
    updated = dict(parameters)
    for layer in range(1, L + 1):
        updated[f"W{layer}"] = parameters[f"W{layer}"] - learning_rate * grads[f"dW{layer}"]
        updated[f"b{layer}"] = parameters[f"b{layer}"] - learning_rate * grads[f"db{layer}"]
    return updated


# ---- Week 3: planar data, one hidden tanh layer -------------------------------------------------


def forward_propagation(X: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """
    LINEAR -> TANH -> LINEAR -> SIGMOID.

    Inputs:
    - X: shape (n_x, m).
    - parameters: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1).

    Returns a tuple of:
    - A2: shape (n_y, m).
    - cache: {"Z1": (n_h, m), "A1": (n_h, m), "Z2": (n_y, m), "A2": (n_y, m)}
    """
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2, _ = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward_propagation(
    parameters: dict[str, np.ndarray], cache: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray
) -> dict[str, np.ndarray]:
    """
    Gradients of compute_cost(A2, Y) for the week-3 network.

    Inputs:
    - parameters: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1).
    - cache: the dict returned by forward_propagation.
    - X: shape (n_x, m).
    - Y: shape (n_y, m).

    Returns:
    - grads: {"dW1", "db1", "dW2", "db2"}, shapes of the parameters, equal to dJ/dparam.
    """
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y  # sigmoid followed by cross-entropy
    dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1**2)  # tanh' = 1 - tanh^2
    return {
        "dW1": dZ1 @ X.T / m,
        "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
        "dW2": dZ2 @ A1.T / m,
        "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
    }


_ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu}
_BACKWARDS = {"sigmoid": sigmoid_backward, "relu": relu_backward}
