"""The pure math of a network: activations, softmax, cross-entropy, derivatives.

Plain functions of NumPy arrays, with no state, so the book can plot them and
check each derivative numerically. Every function is vectorized over any shape
(softmax and friends along the last axis) and keeps the input's float dtype:
float32 in, float32 out, so the hot path stays in float32 and gradient checks
can run the very same code in float64.

Elementwise derivatives (``relu_grad`` ...) return ``f'(x)``, evaluated at the
*input* ``x``. Softmax is not elementwise, so its ``*_grad`` functions return
the vector-Jacobian product with an upstream gradient instead.
"""

from __future__ import annotations

import numpy as np


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(x, 0)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """1 where ``x > 0``, else 0 (we pick 0 for the kink at ``x = 0``)."""
    return (x > 0).astype(x.dtype)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """``x`` for ``x > 0``, ``slope * x`` otherwise, so no unit is ever dead."""
    return np.where(x > 0, x, slope * x)


def leaky_relu_grad(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """1 where ``x > 0``, else ``slope``."""
    return np.where(x > 0, 1, slope).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, without overflow for large ``|x|``.

    ``exp(-x)`` overflows for ``x << 0``; ``exp(-|x|)`` never does, and
    ``sigmoid(x) = z / (1 + z)`` with ``z = exp(x)`` covers the negative side.
    """
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, z) / (1 + z)


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """``sigmoid(x) * (1 - sigmoid(x))``."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """``tanh(x) = 2 sigmoid(2x) - 1``: a sigmoid centred on zero."""
    return np.tanh(x)


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """``1 - tanh(x)**2``."""
    return 1 - np.tanh(x) ** 2


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(x_i) / sum_j exp(x_j)`` along ``axis``; rows of logits to probabilities.

    Subtracting the row maximum first changes nothing mathematically but keeps
    every ``exp`` in ``(0, 1]``, so logits of 1e4 do not overflow.
    """
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(x))`` computed as ``x - logsumexp(x)``.

    Taking the log of a softmax that underflowed to 0 would give ``-inf``; the
    log-sum-exp form stays finite.
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_grad(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """Backpropagate ``grad_out`` through ``softmax(x)`` (rows along the last axis).

    With ``s = softmax(x)`` the Jacobian is ``diag(s) - s s^T``, so the product
    is ``s * (grad_out - sum(grad_out * s))`` without forming the matrix.
    """
    s = softmax(x)
    return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float32) -> np.ndarray:
    """Integer labels ``(batch,)`` to rows ``(batch, n_classes)`` with a single 1."""
    return np.eye(n_classes, dtype=dtype)[labels]
