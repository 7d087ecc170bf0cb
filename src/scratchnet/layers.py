"""Layers: each ``forward`` with its ``backward`` right below it.

A layer maps a batch ``x`` of shape ``(batch, features)`` to its output and
remembers what its backward pass needs. ``backward(grad_out)`` takes the
gradient of the loss wrt that output, adds the gradients wrt the layer's own
parameters to their ``.grad``, and returns the gradient wrt ``x``: the chain
rule, one layer at a time.

``LAYER_TYPES`` is the registry ``load`` rebuilds saved layers from. A class
joins it only through the ``@register`` decorator, as each built-in layer
below does, and a name can be taken only once: a reader's own ``class
ReLU(Layer)`` cannot change what a saved model loads as.

Layers follow the dtype of their input, so a float32 network trains in float32
and the gradient checker can run the same code in float64. ``Linear`` keeps
its parameters in float32 unless given ``dtype=np.float64``: the browser
playground's reference runs a whole network in float64, the precision of
JavaScript's numbers.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

from scratchnet import functional as F
from scratchnet.errors import check_whole
from scratchnet.parameter import Parameter

LAYER_TYPES: dict[str, type[Layer]] = {}
"""Layer classes by name, so a saved model's config can be turned back into
layers. Filled by ``register`` only."""

L = TypeVar("L", bound="type[Layer]")
T = TypeVar("T")


def register(cls: L) -> L:
    """Class decorator: let ``load`` rebuild layers of this class by its name.

    ``@register`` above ``class Name(Layer)`` adds it to ``LAYER_TYPES`` as
    ``"Name"``. A name already taken by another class is refused: a saved
    model must always load as the layers it was saved from. (Re-running the
    same class's definition, as a module reload does, replaces it.)
    """
    name = cls.__name__
    taken = LAYER_TYPES.get(name)
    if taken is not None and (taken.__module__, taken.__qualname__) != (
            cls.__module__, cls.__qualname__):
        raise ValueError(
            f"cannot register {cls.__module__}.{cls.__qualname__} as layer type "
            f"{name!r}: that name is taken by {taken.__module__}."
            f"{taken.__qualname__}; give the class another name")
    LAYER_TYPES[name] = cls
    return cls


def _check_float(x: np.ndarray, layer: Layer) -> np.ndarray:
    """Refuse integer or object input: uint8 pixels would silently wrap around."""
    dtype = getattr(x, "dtype", None)
    if getattr(dtype, "kind", None) != "f":
        raise ValueError(
            f"{layer!r} expected a floating-point array, got "
            f"{type(x).__name__} of dtype {dtype}; convert first, e.g. "
            "x.astype(np.float32) / 255 for uint8 pixels")
    return x


class Layer:
    """Base class: ``forward``, ``backward``, ``parameters``, ``config``.

    ``training`` is True while training; ``Dropout`` behaves differently
    when it is False (set it for a whole model with ``model.eval()``).
    """

    def __init__(self) -> None:
        self.training = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """The gradient wrt the input; adds the parameters' to their ``.grad``."""
        raise NotImplementedError

    def backward_parameters(self, grad_out: np.ndarray) -> None:
        """Only add the parameters' gradients to their ``.grad``.

        What the first layer that learns is asked for in training, where
        nothing uses the gradient wrt the network's input. By default it is
        ``backward`` with that gradient thrown away; ``Linear`` and
        ``Conv2D`` override it to skip computing it.
        """
        self.backward(grad_out)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        return []

    def config(self) -> dict[str, Any]:
        """What it takes to rebuild this layer: its type and constructor arguments."""
        return {"type": type(self).__name__}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        """The shape of each parameter a layer built from ``config`` would have.

        Computed without building it, so ``Sequential.load`` can compare a
        file's claims with its arrays before allocating anything.
        """
        return {}

    def _saved(self, value: T | None) -> T:
        """What ``forward`` saved for ``backward``; refuse a backward without one."""
        if value is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return value

    def _check_grad(self, grad_out: np.ndarray, shape: tuple[int, ...]) -> None:
        """Refuse a gradient that would broadcast: it must have the output's shape."""
        if getattr(grad_out, "shape", None) != shape:
            raise ValueError(
                f"{self!r}.backward expected grad_out of shape {shape} (the shape "
                f"of its output), got {getattr(grad_out, 'shape', type(grad_out))}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items()
                         if k != "type")
        return f"{type(self).__name__}({args})"


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``Layer.config()``; parameters start freshly initialised."""
    kwargs = dict(config)
    name = kwargs.pop("type", None)
    if name not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {name!r}; known types: "
                         f"{', '.join(sorted(LAYER_TYPES))}")
    return LAYER_TYPES[name](**kwargs)


def init_weights(fan_in: int, fan_out: int, init: str,
                 rng: np.random.Generator,
                 shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float32 ``(fan_in, fan_out)`` matrix scaled so signals neither die nor blow up.

    ``"he"``: normal with variance ``2 / fan_in``, for ReLU, which zeroes half
    its inputs. ``"glorot"``: uniform with variance ``2 / (fan_in + fan_out)``,
    for tanh and sigmoid. ``shape`` (default ``(fan_in, fan_out)``) is for
    weights laid out otherwise, such as a convolution's kernels.
    """
    shape = (fan_in, fan_out) if shape is None else shape
    if init == "he":
        std = math.sqrt(2.0 / fan_in)   # a Python float keeps float32
        return rng.standard_normal(shape, dtype=np.float32) * std
    if init == "glorot":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(np.float32)
    raise ValueError(f"init must be 'he' or 'glorot', got {init!r}")


INITS = ("glorot", "he")
"""The names ``init_weights`` knows."""


def _float_dtype(dtype: np.dtype | type | str) -> np.dtype:
    """``float32`` or ``float64`` as a ``numpy.dtype``, or a ValueError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from err
    if resolved not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {resolved}")
    return resolved


@register
class Linear(Layer):
    """``y = x @ W + b``: ``(batch, in_features)`` -> ``(batch, out_features)``.

    ``W`` is ``(in_features, out_features)`` and ``b`` is ``(out_features,)``,
    both float32 unless ``dtype`` says otherwise. ``rng`` is an int seed or a
    shared ``numpy.random.Generator`` (share one when building several layers,
    so they get different weights). A float64 layer starts from the very
    weights of its float32 twin, drawn in float32 and widened exactly.
    """

    def __init__(self, in_features: int, out_features: int, *, init: str = "he",
                 rng: np.random.Generator | int = 0,
                 dtype: np.dtype | type | str = np.float32) -> None:
        super().__init__()
        self.in_features = check_whole("in_features", in_features)
        self.out_features = check_whole("out_features", out_features)
        self.init = init
        self.dtype = _float_dtype(dtype)
        weights = init_weights(self.in_features, self.out_features, init,
                               np.random.default_rng(rng))
        self.W = Parameter(weights.astype(self.dtype, copy=False), "W")
        self.b = Parameter(np.zeros(self.out_features, self.dtype), "b")
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expected input of shape "
                             f"(batch, {self.in_features}), got {x.shape}")
        self._x = x
        out = x @ self.W.value
        out += self.b.value         # in place: no second (batch, out) array
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.backward_parameters(grad_out)     # dL/dW and dL/db
        return grad_out @ self.W.value.T       # dL/dx = dL/dy W^T

    def backward_parameters(self, grad_out: np.ndarray) -> None:
        x = self._saved(self._x)
        self._check_grad(grad_out, (len(x), self.out_features))
        self.W.grad += x.T @ grad_out          # dL/dW = x^T dL/dy
        self.b.grad += grad_out.sum(axis=0)    # b is added to every row

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def config(self) -> dict[str, Any]:
        dtype = {} if self.dtype == np.float32 else {"dtype": self.dtype.name}
        return {"type": "Linear", "in_features": self.in_features,
                "out_features": self.out_features, "init": self.init, **dtype}

    @staticmethod
    def parameter_shapes(config: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        n_in, n_out = config["in_features"], config["out_features"]
        return {"W": (n_in, n_out), "b": (n_out,)}

    def __repr__(self) -> str:
        init = "" if self.init == "he" else f", init={self.init!r}"
        dtype = "" if self.dtype == np.float32 else f", dtype={self.dtype.name}"
        return f"Linear({self.in_features}, {self.out_features}{init}{dtype})"


@register
class ReLU(Layer):
    """``max(x, 0)`` elementwise; passes gradient only where ``x > 0``."""

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = _check_float(x, self)
        return np.maximum(x, 0)            # F.relu, written out where it is used

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._saved(self._x)
        self._check_grad(grad_out, x.shape)
        return grad_out * (x > 0)          # F.relu_grad, as a boolean mask


@register
class LeakyReLU(Layer):
    """``x`` for ``x > 0`` else ``slope * x``: a ReLU whose units cannot die."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = _check_float(x, self)
        return F.leaky_relu(x, self.slope)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._saved(self._x)
        self._check_grad(grad_out, x.shape)
        return grad_out * F.leaky_relu_grad(x, self.slope)

    def config(self) -> dict[str, Any]:
        return {"type": "LeakyReLU", "slope": self.slope}


@register
class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``; its derivative ``y (1 - y)`` reuses the output ``y``."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.sigmoid(_check_float(x, self))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._saved(self._y)
        self._check_grad(grad_out, y.shape)
        return grad_out * y * (1 - y)


@register
class Tanh(Layer):
    """``tanh(x)``; its derivative ``1 - y**2`` reuses the output ``y``."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.tanh(_check_float(x, self))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._saved(self._y)
        self._check_grad(grad_out, y.shape)
        return grad_out * (1 - y * y)


@register
class Dropout(Layer):
    """Inverted dropout: while training, zero each unit with probability ``p``.

    The survivors are scaled by ``1 / (1 - p)`` so a unit's expected value is
    unchanged, which is why evaluation (``training = False``) is the identity.
    ``rng`` is an int seed or a ``numpy.random.Generator``.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int = 0) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = np.random.default_rng(rng)
        self._mask: np.ndarray | None = None
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_float(x, self)
        self._shape = x.shape
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        self._mask = keep.astype(x.dtype) / (1 - self.p)
        return x * self._mask

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._check_grad(grad_out, self._saved(self._shape))
        return grad_out if self._mask is None else grad_out * self._mask

    def config(self) -> dict[str, Any]:
        return {"type": "Dropout", "p": self.p}


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh,
}
"""The activation layers by the names recipes, files and the command line use."""


def default_init(activation: str) -> str:
    """``"he"`` for ReLU-like activations, ``"glorot"`` for sigmoid and tanh."""
    return "he" if "relu" in activation else "glorot"
