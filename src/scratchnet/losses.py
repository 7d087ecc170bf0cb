"""Losses: a number saying how wrong the outputs are, and its gradient.

Each loss has ``forward(outputs, targets) -> float`` (the mean over the batch)
and, right below it, ``backward() -> d loss / d outputs``, which starts the
backward pass through the model. ``Loss`` says exactly that, for training.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from scratchnet import functional as F


class Loss(Protocol):
    """What training needs of a loss: its value, then its gradient.

    ``forward(outputs, targets)`` returns the mean loss of the batch and
    remembers what ``backward()`` needs; ``backward()`` returns the gradient
    wrt ``outputs``. ``SoftmaxCrossEntropy`` and ``MSE`` below are two; any
    class with these two methods is a loss ``fit`` can train with.
    """

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float: ...

    def backward(self) -> np.ndarray: ...


def _check_logits(name: str, logits: np.ndarray) -> None:
    dtype = getattr(logits, "dtype", None)
    if getattr(dtype, "kind", None) != "f" or logits.ndim != 2:
        shape = getattr(logits, "shape", type(logits))
        raise ValueError(f"{name} expected float logits of shape (batch, n_classes), "
                         f"got {shape} of dtype {dtype}")


def _check_batch(name: str, batch: int) -> None:
    """A mean over no samples is undefined: refuse it instead of dividing by 0."""
    if batch == 0:
        raise ValueError(f"{name} got an empty batch (0 samples); a mean loss "
                         "needs at least one")


def check_labels(labels: np.ndarray, batch: int, n_classes: int) -> np.ndarray:
    """Integer labels of shape ``(batch,)`` in ``[0, n_classes)``, or a ValueError."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers (class indices), got dtype "
                         f"{labels.dtype}")
    if labels.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},) to match the logits, "
                         f"got {labels.shape}")
    if batch and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got values from "
                         f"{labels.min()} to {labels.max()}")
    return labels


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, fused: ``mean(-log softmax(z)[label])``.

    Fusing is both stabler (log-sum-exp never takes ``log(0)``, so logits of
    ``+-1e4`` give a finite loss) and simpler: the gradient wrt the logits is
    just ``(softmax(z) - one_hot(label)) / batch``.
    """

    def __init__(self) -> None:
        self._probs: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """``logits`` ``(batch, n_classes)``, ``labels`` ``(batch,)`` -> mean loss."""
        _check_logits("SoftmaxCrossEntropy", logits)
        _check_batch("SoftmaxCrossEntropy", len(logits))
        labels = check_labels(labels, *logits.shape)
        shifted = logits - logits.max(axis=1, keepdims=True)
        # -log softmax(z)[label] = log(sum_j exp(z_j)) - z_label (shifted)
        picked = shifted[np.arange(len(labels)), labels]
        exps = np.exp(shifted)
        total = exps.sum(axis=1, keepdims=True)
        probs = exps / total                      # softmax, computed once
        self._probs, self._labels = probs, labels
        return float(np.log(total).sum() - picked.sum()) / len(labels)

    def backward(self) -> np.ndarray:
        """``(softmax - one_hot) / batch``, shape ``(batch, n_classes)``."""
        if self._probs is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward() called before forward()")
        n = len(self._probs)
        grad = self._probs / n      # a new array: forward's probs stay intact
        grad[np.arange(n), self._labels] -= 1 / n
        return grad

    __call__ = forward

    def __repr__(self) -> str:
        return "SoftmaxCrossEntropy()"


class MSE:
    """Mean squared error, ``mean((y - t)**2)`` over every element.

    ``targets`` has the shape of ``outputs``; integer class labels ``(batch,)``
    are accepted for ``(batch, n_classes)`` outputs and compared as one-hot
    rows, which is the quadratic cost of early MNIST networks.
    """

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        dtype = getattr(outputs, "dtype", None)
        if dtype is None or not np.issubdtype(dtype, np.floating):
            raise ValueError(f"MSE expected float outputs, got dtype {dtype}")
        _check_batch("MSE", outputs.size)
        targets = np.asarray(targets)
        if np.issubdtype(targets.dtype, np.integer) and outputs.ndim == 2:
            targets = F.one_hot(check_labels(targets, *outputs.shape),
                                outputs.shape[1], dtype)
        if targets.shape != outputs.shape:
            raise ValueError(f"MSE expected targets of shape {outputs.shape} (like "
                             f"the outputs), got {targets.shape}")
        self._diff = outputs - targets.astype(dtype, copy=False)
        return float(np.mean(self._diff ** 2))

    def backward(self) -> np.ndarray:
        """``2 (y - t) / n`` with ``n`` the number of elements."""
        if self._diff is None:
            raise RuntimeError("MSE.backward() called before forward()")
        return self._diff * (2 / self._diff.size)

    __call__ = forward

    def __repr__(self) -> str:
        return "MSE()"
