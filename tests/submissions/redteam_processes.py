"""Red team (attack 2): start processes. Each function first tries one way out (a torch
child process, fork, os.system, a TCP socket) and returns correct values only if it worked.
Under seccomp every attempt fails, so every function raises: errors, never passes."""

import os
import socket
import subprocess
import sys

import numpy as np


def _torch_in_a_child():
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.ones(1).item())"], capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"the child failed: {out.stderr[-200:]!r}")


def _fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _system():
    status = os.system("true")
    if status != 0:
        raise RuntimeError(f"os.system returned {status}")


def _connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.close()


def affine_forward(x, w, b):
    _torch_in_a_child()
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    _torch_in_a_child()
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_forward(x):
    _fork()
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    _fork()
    return dout * (cache > 0)


def svm_loss(x, y):
    _system()
    n = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    positive = (margins > 0).astype(x.dtype)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return margins.sum() / n, positive / n


def softmax_loss(x, y):
    _connect()
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(p[np.arange(n), y]).sum() / n
    p[np.arange(n), y] -= 1
    return loss, p / n
