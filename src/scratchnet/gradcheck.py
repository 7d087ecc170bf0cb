"""Gradient checking: is ``backward`` really the derivative of ``forward``?

We compare each analytic gradient with central differences
``(f(x + eps) - f(x - eps)) / (2 eps)``, one coordinate at a time, in float64
(float32's seven digits cannot resolve a step of ``1e-6``). The tests use these
functions on every layer, and so does the book, right after each derivation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f`` at ``x`` (same shape as ``x``).

    ``x`` must be float64; it is nudged in place and restored afterwards.
    """
    if x.dtype != np.float64:
        raise ValueError(f"numerical_gradient needs a float64 array, got {x.dtype}")
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``max |a - n|``, relative to the largest entry of either; 0 if both are 0.

    Relative to the tensor's scale rather than entry by entry, so a gradient
    entry that is exactly 0 (e.g. behind a ReLU) cannot make noise look huge.
    """
    scale = max(np.abs(analytic).max(initial=0), np.abs(numeric).max(initial=0))
    return 0.0 if scale == 0 else float(np.abs(analytic - numeric).max() / scale)


@dataclass
class GradcheckResult:
    """Relative error per checked tensor; ``ok`` when all are within ``tol``."""

    errors: dict[str, float]
    tol: float

    @property
    def ok(self) -> bool:
        return all(e <= self.tol for e in self.errors.values())

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    def __repr__(self) -> str:
        width = max(map(len, self.errors), default=0)
        rows = [f"  {name:<{width}}  {err:.1e}{'' if err <= self.tol else '  FAIL'}"
                for name, err in self.errors.items()]
        return "\n".join([f"GradcheckResult(ok={self.ok}, tol={self.tol:g})", *rows])


def _named_parameters(obj: Any) -> list[tuple[str, Any]]:
    """``named_parameters()`` of a model, or a layer's parameters by name."""
    if hasattr(obj, "named_parameters"):
        return list(obj.named_parameters())
    params = obj.parameters()
    names = [p.name or f"param{i}" for i, p in enumerate(params)]
    if len(set(names)) < len(names):
        names = [f"{i}.{name}" for i, name in enumerate(names)]
    return list(zip(names, params))


def check_layer(layer: Any, x: np.ndarray, seed: int = 0, eps: float = 1e-6,
                tol: float = 1e-6) -> GradcheckResult:
    """Check ``layer.backward`` for the input and every parameter.

    Works on a float64 copy of the layer (or of a whole ``Sequential``); the
    original is untouched. The scalar differentiated is ``sum(c * layer(x))``
    for a fixed random ``c``, so every output counts, each with its own
    weight. Each evaluation starts from a fresh copy, so a random layer such
    as ``Dropout`` draws the same mask every time.
    """
    base = copy.deepcopy(layer)
    for _, p in _named_parameters(base):
        p.value = p.value.astype(np.float64)
        p.grad = np.zeros_like(p.value)
    x = np.array(x, dtype=np.float64)
    c = np.random.default_rng(seed).standard_normal(base.forward(x).shape)

    def objective(inputs: np.ndarray) -> float:
        return float(np.sum(c * copy.deepcopy(base).forward(inputs)))

    probe = copy.deepcopy(base)
    probe.forward(x)
    analytic = {"input": probe.backward(c), **{
        name: p.grad for name, p in _named_parameters(probe)}}
    numeric = {"input": numerical_gradient(objective, x.copy(), eps)}
    for name, p in _named_parameters(base):
        numeric[name] = numerical_gradient(lambda _: objective(x), p.value, eps)
    return GradcheckResult(
        {k: relative_error(analytic[k], numeric[k]) for k in analytic}, tol)


def check_loss(loss: Any, logits: np.ndarray, labels: np.ndarray,
               eps: float = 1e-6, tol: float = 1e-6) -> GradcheckResult:
    """Check ``loss.backward()`` against finite differences of ``loss.forward``."""
    loss = copy.deepcopy(loss)
    logits = np.array(logits, dtype=np.float64)
    loss.forward(logits, labels)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda z: loss.forward(z, labels), logits.copy(), eps)
    return GradcheckResult({"logits": relative_error(analytic, numeric)}, tol)


def check_derivative(f: Callable[[np.ndarray], np.ndarray],
                     df: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     eps: float = 1e-6, tol: float = 1e-6) -> GradcheckResult:
    """Check an elementwise derivative: ``df(x)`` against differences of ``f``.

    For an elementwise ``f``, the gradient of ``sum(f(x))`` is ``f'(x)``.
    """
    x = np.array(x, dtype=np.float64)
    numeric = numerical_gradient(lambda z: float(np.sum(f(z))), x.copy(), eps)
    name = getattr(df, "__name__", "derivative")
    return GradcheckResult({name: relative_error(df(x), numeric)}, tol)
