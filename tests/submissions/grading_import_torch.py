"""Grading mode: a submission that hands back autograd's gradient. It imports torch at import
time, which ``--grading`` forbids (``forbidden_import``)."""

import torch


def svm_loss_naive(W, X, y, reg):
    w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    scores = torch.tensor(X, dtype=torch.float64) @ w
    rows = torch.arange(len(y))
    correct = scores[rows, torch.tensor(y)][:, None]
    margins = torch.clamp(scores - correct + 1, min=0)
    margins[rows, torch.tensor(y)] = 0
    loss = margins.sum() / len(y) + reg * (w * w).sum()
    loss.backward()
    return loss.item(), w.grad.numpy().astype(W.dtype)


def svm_loss_vectorized(W, X, y, reg):
    return svm_loss_naive(W, X, y, reg)
