"""A small reverse-mode automatic differentiation engine over NumPy arrays.

A ``Tensor`` holds an array ``data``, a gradient ``grad`` of the same shape,
the tensors it was made from, and a function that passes its gradient back to
them: the local derivative the Backprop chapter derives by hand for each
operation. ``loss.backward()`` puts every tensor of the graph in topological
order and calls those functions from the loss back to the leaves, the chain
rule applied automatically.

Aims: readable in one sitting, and exactly the arithmetic of the hand-written
layers, so that both give the same gradients. Not aims: speed, higher-order
derivatives, in-place operations, or views sharing a gradient. Gradients
flow only into tensors made with ``requires_grad=True`` and into what is
computed from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from scratchnet import functional as F
from scratchnet.layers import Linear, ReLU, Sigmoid, Tanh
from scratchnet.model import Sequential


class Tensor:
    """An array that remembers how it was made, so its gradient can flow back.

    ``data`` is the value and ``grad`` the gradient of the final loss with
    respect to it (same shape, zeros until ``backward``). ``parents`` are the
    tensors this one was computed from, by the operation named ``op``
    (empty for a leaf); ``_backward`` adds this tensor's
    ``grad``, times the local derivative, to the parents' ``grad``.
    """

    def __init__(self, data: Any, parents: tuple[Tensor, ...] = (),
                 op: str = "", requires_grad: bool = False) -> None:
        self.data = np.asarray(data)
        self.grad = np.zeros_like(self.data)
        self.parents = parents
        self.op = op
        self.requires_grad: bool = requires_grad or any(
            p.requires_grad for p in parents)
        self._backward: Callable[[], None] = lambda: None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        made = f", op={self.op!r}" if self.op else ""
        return f"Tensor(shape={self.shape}, dtype={self.data.dtype}{made})"

    # -- the backward pass ---------------------------------------------------

    def backward(self) -> None:
        """Fill ``grad`` of every tensor this scalar depends on.

        Each tensor passes its gradient back only after every tensor that
        used it has passed its own: a topological order, reversed.
        """
        if self.data.size != 1:
            raise ValueError(f"backward() starts from a scalar loss, got shape "
                             f"{self.shape}; reduce it first, e.g. with .sum()")
        self.grad = np.ones_like(self.data)    # dL/dL = 1
        for t in reversed(topological_order(self)):
            t._backward()

    # -- arithmetic, broadcasting like NumPy ---------------------------------

    def __add__(self, other: Any) -> Tensor:
        other = as_tensor(other, self.data.dtype)
        out = Tensor(self.data + other.data, (self, other), "+")

        def backward() -> None:          # d(a + b) = da + db
            if self.requires_grad:
                self.grad += unbroadcast(out.grad, self.shape)
            if other.requires_grad:
                other.grad += unbroadcast(out.grad, other.shape)
        out._backward = backward
        return out

    def __mul__(self, other: Any) -> Tensor:
        other = as_tensor(other, self.data.dtype)
        out = Tensor(self.data * other.data, (self, other), "*")

        def backward() -> None:          # d(a * b) = b da + a db
            if self.requires_grad:
                self.grad += unbroadcast(out.grad * other.data, self.shape)
            if other.requires_grad:
                other.grad += unbroadcast(out.grad * self.data, other.shape)
        out._backward = backward
        return out

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other: Any) -> Tensor:
        return self + (-as_tensor(other, self.data.dtype))

    def __radd__(self, other: Any) -> Tensor:
        return self + other

    def __rmul__(self, other: Any) -> Tensor:
        return self * other

    def __rsub__(self, other: Any) -> Tensor:
        return as_tensor(other, self.data.dtype) - self

    def __matmul__(self, other: Tensor) -> Tensor:
        """``(N, d_in) @ (d_in, d_out)``: the linear layer's product.

        Stacks of matrices ``(..., n, k) @ (..., k, m)`` work too, as in NumPy:
        ``mT`` below transposes the last two axes (``.T`` for a matrix).
        """
        out = Tensor(self.data @ other.data, (self, other), "@")

        def backward() -> None:          # dL/dX = G W^T, dL/dW = X^T G
            if self.requires_grad:
                self.grad += unbroadcast(out.grad @ mT(other.data), self.shape)
            if other.requires_grad:
                other.grad += unbroadcast(mT(self.data) @ out.grad, other.shape)
        out._backward = backward
        return out

    # -- elementwise functions -----------------------------------------------

    def _elementwise(self, op: str, value: np.ndarray, slope: np.ndarray) -> Tensor:
        """``f(self)`` given as its value and its derivative ``f'(self)``."""
        out = Tensor(value, (self,), op)

        def backward() -> None:          # dL/dz = G * f'(z)
            if self.requires_grad:
                self.grad += out.grad * slope
        out._backward = backward
        return out

    def relu(self) -> Tensor:
        return self._elementwise("relu", F.relu(self.data), self.data > 0)

    def tanh(self) -> Tensor:
        y = F.tanh(self.data)
        return self._elementwise("tanh", y, 1 - y * y)

    def sigmoid(self) -> Tensor:
        y = F.sigmoid(self.data)
        return self._elementwise("sigmoid", y, y * (1 - y))

    def exp(self) -> Tensor:
        y = np.exp(self.data)
        return self._elementwise("exp", y, y)

    def log(self) -> Tensor:
        return self._elementwise("log", np.log(self.data), 1 / self.data)

    # -- reductions and reshapes ---------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None,
            keepdims: bool = False) -> Tensor:
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def backward() -> None:          # every summed entry gets G
            if self.requires_grad:
                g = out.grad
                if axis is not None and not keepdims:   # put the summed axes back
                    g = np.expand_dims(g, axis)
                self.grad += np.broadcast_to(g, self.shape)
        out._backward = backward
        return out

    def mean(self, axis: int | tuple[int, ...] | None = None,
             keepdims: bool = False) -> Tensor:
        axes = range(self.data.ndim) if axis is None else np.atleast_1d(axis)
        count = math.prod(self.shape[a] for a in axes)
        return self.sum(axis, keepdims) * (1.0 / count)

    def reshape(self, *shape: int) -> Tensor:
        """Like NumPy's: ``t.reshape(2, 3)`` or ``t.reshape(-1)``."""
        out = Tensor(self.data.reshape(shape), (self,), "reshape")

        def backward() -> None:          # the same numbers, the old shape
            if self.requires_grad:
                self.grad += out.grad.reshape(self.shape)
        out._backward = backward
        return out

    def transpose(self, *axes: int) -> Tensor:
        axes_or_none = axes or None
        out = Tensor(self.data.transpose(axes_or_none), (self,), "transpose")

        def backward() -> None:          # move the axes back
            if self.requires_grad:
                back = None if axes_or_none is None else np.argsort(axes)
                self.grad += out.grad.transpose(back)
        out._backward = backward
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()

    # -- log-softmax and the loss ---------------------------------------------

    def log_softmax(self) -> Tensor:
        """``z - log(sum(exp(z)))`` along the last axis, without overflow."""
        shifted = self.data - self.data.max(axis=-1, keepdims=True)
        out = Tensor(shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True)),
                     (self,), "log_softmax")

        def backward() -> None:          # G - softmax(z) * sum(G)
            if self.requires_grad:
                softmax = np.exp(out.data)
                self.grad += out.grad - softmax * out.grad.sum(axis=-1, keepdims=True)
        out._backward = backward
        return out


def topological_order(root: Tensor) -> list[Tensor]:
    """``root`` and every tensor it was computed from, each after its parents.

    A depth-first search: a tensor is appended once all the tensors it was
    made from are, and each tensor only once, however often it was used.
    """
    order: list[Tensor] = []
    seen: set[int] = set()

    def visit(t: Tensor) -> None:
        if id(t) not in seen:
            seen.add(id(t))
            for p in t.parents:
                visit(p)
            order.append(t)     # after everything it was made from

    visit(root)
    return order


def as_tensor(x: Any, dtype: np.dtype | None = None) -> Tensor:
    """``x`` itself if it is a ``Tensor``, else a constant holding it.

    A Python number takes ``dtype``, the other operand's, as NumPy would
    give it: ``0.5 * t`` stays float32 if ``t`` is.
    """
    if isinstance(x, Tensor):
        return x
    return Tensor(np.asarray(x, dtype if isinstance(x, (int, float)) else None))


def mT(a: np.ndarray) -> np.ndarray:
    """``a`` with its last two axes swapped: each matrix of a stack transposed
    (NumPy 2 calls it ``a.mT``)."""
    return np.swapaxes(a, -1, -2)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: an input NumPy repeated along an axis
    (the bias, added to every row) collects the gradient of every copy."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean ``-log softmax(logits)[label]``; ``logits`` ``(N, K)``, ``labels`` ``(N,)``.

    Its local derivative is the one the Softmax chapter derived, ``(P - Y) / N``,
    computed as ``SoftmaxCrossEntropy`` computes it.
    """
    z = logits.data
    n, rows = len(labels), np.arange(len(labels))
    shifted = z - z.max(axis=1, keepdims=True)
    total = np.exp(shifted).sum(axis=1, keepdims=True)
    out = Tensor((np.log(total).sum() - shifted[rows, labels].sum()) / n,
                 (logits,), "cross_entropy")

    def backward() -> None:              # (P - Y) / N
        if logits.requires_grad:
            grad = np.exp(shifted) / total / n
            grad[rows, labels] -= 1 / n
            logits.grad += grad * out.grad
    out._backward = backward
    return out


ACTIVATION_OPS: dict[type, Callable[[Tensor], Tensor]] = {
    ReLU: Tensor.relu, Tanh: Tensor.tanh, Sigmoid: Tensor.sigmoid}
"""The engine's operation for each activation layer of the package."""


def trace(model: Sequential, x: np.ndarray) -> tuple[Tensor, dict[str, Tensor]]:
    """``model(x)`` computed with engine operations: the logits, and a leaf
    per parameter under its ``named_parameters`` name.

    The leaves share their ``data`` with the parameters' arrays, so an
    optimizer that updates the parameters updates them too. Only ``Linear``
    and the activations are known; other layers raise a ValueError.
    """
    h, leaves = Tensor(x), {}
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            W = Tensor(layer.W.value, requires_grad=True)
            b = Tensor(layer.b.value, requires_grad=True)
            leaves[f"{i}.W"], leaves[f"{i}.b"] = W, b
            h = h @ W + b
        elif type(layer) in ACTIVATION_OPS:
            h = ACTIVATION_OPS[type(layer)](h)
        else:
            known = ", ".join(t.__name__ for t in ACTIVATION_OPS)
            raise ValueError(f"trace() knows Linear and {known}, not {layer!r}")
    return h, leaves


def train_step(model: Sequential, optimizer: Any, x: np.ndarray,
               y: np.ndarray) -> float:
    """``train.train_step`` with the engine's gradients instead of ``backward``.

    The same five steps: forward, loss, zero the gradients, backward, update.
    Returns the batch's loss, measured before the update.
    """
    logits, leaves = trace(model, x)
    loss = cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    for name, p in model.named_parameters():
        p.grad += leaves[name].grad
    optimizer.step()
    return float(loss.data)
