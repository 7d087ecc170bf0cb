"""A trainable array and its gradient, kept side by side.

Layers add to ``grad`` during ``backward``; optimizers read ``grad`` and
update ``value`` in place. Neither needs to know about the other, which is
the whole point: an optimizer works on a flat list of ``Parameter`` objects.
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """``value`` and ``grad``: arrays of the same shape and dtype, plus a name.

    ``grad`` is a plain array. Gradients accumulate (``grad += ...``) across
    ``backward`` calls until ``zero_grad()``, as in PyTorch, so a model can
    sum gradients from several losses or batches before one optimizer step.
    """

    __slots__ = ("grad", "name", "value")

    def __init__(self, value: np.ndarray, name: str = "") -> None:
        self.value = np.asarray(value)
        self.name = name
        self.grad = np.zeros_like(self.value)

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
        """Set every entry of ``grad`` to zero, in place (the array stays)."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return (f"Parameter({self.name!r}, shape={self.value.shape}, "
                f"dtype={self.value.dtype})")
