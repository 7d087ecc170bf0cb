"""A trainable array and its gradient, kept side by side.

Layers write ``grad`` during ``backward``; optimizers read ``grad`` and update
``value`` in place. Neither needs to know about the other, which is the whole
point: an optimizer works on a flat list of ``Parameter`` objects.
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """``value`` and ``grad``: arrays of the same shape and dtype, plus a name.

    Gradients accumulate (``+=``) across ``backward`` calls until
    ``zero_grad()``, as in PyTorch, so a model can sum gradients from several
    losses or batches before one optimizer step.
    """

    __slots__ = ("value", "name", "_grad", "_stale")

    def __init__(self, value: np.ndarray, name: str = "") -> None:
        self.value = np.asarray(value)
        self.name = name
        self._grad = np.zeros_like(self.value)
        self._stale = False   # True after zero_grad(): _grad holds old numbers

    @property
    def grad(self) -> np.ndarray:
        """The accumulated gradient: an array shaped like ``value``."""
        if self._stale:
            self._grad.fill(0)
            self._stale = False
        return self._grad

    @grad.setter
    def grad(self, array: np.ndarray) -> None:
        self._grad, self._stale = np.asarray(array), False

    def add_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """``grad += a @ b``, the shape of every weight gradient.

        Right after ``zero_grad()`` the product is written straight into
        ``grad``: no temporary array, no zero-filling, no addition, which
        for a big weight matrix is three passes over its memory saved.
        """
        if self._stale:
            np.matmul(a, b, out=self._grad)
            self._stale = False
        else:
            self._grad += a @ b

    def add_sum(self, a: np.ndarray) -> None:
        """``grad += a.sum(axis=0)``, the shape of every bias gradient: a
        bias is added to every row, so its gradient sums over them. Like
        ``add_matmul``, it writes straight into a stale ``grad``."""
        if self._stale:
            a.sum(axis=0, out=self._grad)
            self._stale = False
        else:
            self._grad += a.sum(axis=0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def size(self) -> int:
        return self.value.size

    def zero_grad(self) -> None:
        """Reset the gradient to zero, lazily: the array is cleared only if
        it is read before ``add_matmul`` or ``add_sum`` overwrites it."""
        self._stale = True

    def __repr__(self) -> str:
        return (f"Parameter({self.name!r}, shape={self.value.shape}, "
                f"dtype={self.value.dtype})")
