"""A 2016-2017 FullyConnectedNet, as those editions' template asked: ``dropout`` is the
probability of DROPPING a unit (0: none), ``use_batchnorm`` switches batch normalization on,
and this student's dropout keeps units where ``rand >= p``. Correct for those editions."""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode != "train":
        return x, (dropout_param, None)
    mask = (np.random.rand(*x.shape) >= p) / (1 - p)
    return x * mask, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + eps))
    xhat = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


class FullyConnectedNet:
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout=0,
        use_batchnorm=False,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.use_batchnorm, self.use_dropout = use_batchnorm, dropout > 0
        self.reg, self.num_layers, self.dtype = reg, 1 + len(hidden_dims), dtype
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = (weight_scale * np.random.randn(dims[i - 1], dims[i])).astype(dtype)
            self.params[f"b{i}"] = np.zeros(dims[i], dtype=dtype)
            if use_batchnorm and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(dims[i], dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(dims[i], dtype=dtype)
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)] if use_batchnorm else []

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        out, caches = X.reshape(X.shape[0], -1), []
        for i in range(1, self.num_layers):
            a = out.dot(self.params[f"W{i}"]) + self.params[f"b{i}"]
            bn_cache = drop_cache = None
            if self.use_batchnorm:
                a, bn_cache = batchnorm_forward(
                    a, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1]
                )
            h = np.maximum(a, 0)
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, self.dropout_param)
            caches.append((out, a, bn_cache, drop_cache))
            out = h
        L = self.num_layers
        scores = out.dot(self.params[f"W{L}"]) + self.params[f"b{L}"]
        if mode == "test":
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean()
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {f"W{L}": out.T.dot(dscores), f"b{L}": dscores.sum(axis=0)}
        dout = dscores.dot(self.params[f"W{L}"].T)
        for i in range(L - 1, 0, -1):
            x_in, a, bn_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, drop_cache)
            da = dout * (a > 0)
            if self.use_batchnorm:
                da, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward(da, bn_cache)
            grads[f"W{i}"], grads[f"b{i}"] = x_in.T.dot(da), da.sum(axis=0)
            dout = da.dot(self.params[f"W{i}"].T)
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] += self.reg * W
        return loss, grads
