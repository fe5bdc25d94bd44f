"""Half-finished work: the network's loss is computed but its grads dict is still the
template's empty one; batchnorm_backward_alt computes dgamma and dbeta but leaves dx None."""

import numpy as np


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        p = self.params
        hidden = np.maximum(X.reshape(len(X), -1) @ p["W1"] + p["b1"], 0)
        scores = hidden @ p["W2"] + p["b2"]
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y)), y].mean()
        loss += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        # TODO: the backward pass
        return loss, grads


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    mean, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mean) / np.sqrt(var + eps)
    bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros_like(mean)) + (1 - momentum) * mean
    bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros_like(var)) + (1 - momentum) * var
    return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + eps))


def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = None, None, None
    xhat, gamma, std = cache
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    # TODO: dx
    return dx, dgamma, dbeta


class FullyConnectedNet:
    """Batchnorm and dropout were never implemented: ``normalization`` is accepted and ignored,
    so the loss has no gamma or beta gradients (the rest is right)."""

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.reg, self.num_layers = reg, len(hidden_dims) + 1
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])

    def loss(self, X, y=None):
        h, inputs = X.reshape(len(X), -1), []
        for i in range(1, self.num_layers):
            inputs.append(h)
            h = np.maximum(h @ self.params[f"W{i}"] + self.params[f"b{i}"], 0)
        inputs.append(h)
        L = self.num_layers
        scores = h @ self.params[f"W{L}"] + self.params[f"b{L}"]
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        dout = p
        dout[np.arange(n), y] -= 1
        dout /= n
        grads = {}
        for i in range(L, 0, -1):
            W = self.params[f"W{i}"]
            grads[f"W{i}"], grads[f"b{i}"] = inputs[i - 1].T @ dout + self.reg * W, dout.sum(axis=0)
            loss += 0.5 * self.reg * np.sum(W * W)
            dout = (dout @ W.T) * (inputs[i - 1] > 0)
        return loss, grads
