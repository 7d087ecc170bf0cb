"""Optimizers: turn each parameter's gradient into an update of its value.

An optimizer sees only a list of ``Parameter`` objects, never the layers. Its
state (velocities, moment estimates) is allocated once, in float32 like the
parameters, and every update happens in place. Weight decay is the L2 penalty
``weight_decay / 2 * ||w||**2``, whose gradient ``weight_decay * w`` is added
to the gradient the step uses; ``p.grad`` itself is never changed, so after
``step()`` it still holds the gradient of the last backward. ``AdamW``
instead decouples the decay from the gradient and shrinks the weights
directly. ``Adam`` is written as the textbook states it; ``FusedAdam`` does
the same arithmetic in place, without temporary arrays, and is the one the
recipes train with (the Performance chapter measures the difference). Every
``FLUSH_EVERY`` steps, ``zero_grad`` also sets tiny optimizer state to zero
(``flush_tiny``), outside the steps the book prints.
``OPTIMIZERS`` names the classes the recipes and the command line offer.

A learning-rate schedule is a function ``(step, total_steps) -> factor``;
the rate of step ``t`` is ``lr * factor``. ``SCHEDULES`` names the ready-made
ones, and ``warmup(...)`` puts a linear warm-up in front of any of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from scratchnet.parameter import Parameter

FLUSH_BELOW = 2.0 ** -100
"""Optimizer state smaller than this (about 8e-31) is set to zero."""
FLUSH_EVERY = 32
"""Steps between two sweeps of ``flush_tiny`` over the optimizer state."""


def flush_tiny(arrays: Iterable[np.ndarray]) -> None:
    """Set the entries of each array below ``FLUSH_BELOW`` in size to zero.

    A velocity whose gradient stays zero (a pixel blank in every image of
    the batches, a unit that died) decays geometrically, and a few hundred
    steps later reaches the *subnormal* floats below 1.2e-38, which CPUs
    handle in slow microcode: left alone, they made every epoch of an MLP
    slower than the one before.
    Compiled frameworks switch them off in hardware (flush-to-zero); NumPy
    cannot, so the optimizers do it by hand, well before a value gets
    there. A step of ``lr * 8e-31`` moves no float32 weight anyway.
    """
    for a in arrays:
        a[np.abs(a) < FLUSH_BELOW] = 0


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr``."""

    def __init__(self, params: Iterable[Parameter], lr: float,
                 weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty list of parameters")
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a finite number > 0, got {lr!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.t = 0
        """Steps taken so far: each ``step()`` adds one."""

    def step(self) -> None:
        raise NotImplementedError

    def state(self) -> list[np.ndarray]:
        """The arrays the optimizer keeps per weight (velocities, moments)."""
        return []

    def zero_grad(self) -> None:
        """Zero every gradient, before the next backward pass.

        Every ``FLUSH_EVERY`` steps it also runs ``flush_tiny`` over
        ``state()``: housekeeping for the CPU's sake, kept out of ``step``.
        """
        for p in self.params:
            p.zero_grad()
        if self.t and self.t % FLUSH_EVERY == 0:
            flush_tiny(self.state())

    def _gradient(self, p: Parameter) -> np.ndarray:
        """The gradient to step along: ``p.grad``, plus ``weight_decay * w``
        (a new array then: ``p.grad`` is left as it is)."""
        if self.weight_decay:
            return p.grad + self.weight_decay * p.value
        return p.grad

    def hyperparameters(self) -> dict[str, Any]:
        """The settings worth printing (the ones that differ from no-ops)."""
        wd = {"weight_decay": self.weight_decay} if self.weight_decay else {}
        return {"lr": self.lr, **wd}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        n = sum(p.size for p in self.params)
        return f"{type(self).__name__}({args}; {n:,} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    ``v = momentum * v + g``, then ``w -= lr * v``, or with ``nesterov=True``
    ``w -= lr * (g + momentum * v)``: the PyTorch formulation.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if nesterov and not momentum:
            raise ValueError("nesterov=True needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), nesterov
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        mu, lr, self.t = self.momentum, self.lr, self.t + 1   # one more step
        for p, v in zip(self.params, self.velocity):
            g = self._gradient(p)
            if mu:
                v *= mu
                v += g                 # v = mu v + g
                # Nesterov looks ahead along the new velocity
                g = g + mu * v if self.nesterov else v
            p.value -= lr * g

    def state(self) -> list[np.ndarray]:
        return self.velocity if self.momentum else []

    def hyperparameters(self) -> dict[str, Any]:
        extra = {"momentum": self.momentum} if self.momentum else {}
        extra.update({"nesterov": True} if self.nesterov else {})
        return {**super().hyperparameters(), **extra}


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled per weight by its recent size.

    ``m`` and ``v`` estimate the mean and the uncentred variance of each
    weight's gradient; both start at zero, so early estimates are too small
    and are divided by ``1 - beta ** t`` (Kingma & Ba, 2015, Algorithm 1).
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be in [0, 1), got {betas!r}")
        self.betas, self.eps = (float(betas[0]), float(betas[1])), eps
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        (b1, b2), self.t = self.betas, self.t + 1
        for p, m, v in zip(self.params, self.m, self.v):
            g = self._gradient(p)
            m[...] = b1 * m + (1 - b1) * g        # running mean of g
            v[...] = b2 * v + (1 - b2) * g * g    # running mean of g squared
            m_hat = m / (1 - b1 ** self.t)        # bias corrections
            v_hat = v / (1 - b2 ** self.t)
            p.value -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def state(self) -> list[np.ndarray]:
        return self.m + self.v

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "betas": self.betas, "eps": self.eps}


class FusedAdam(Adam):
    """``Adam`` with the same arithmetic done in place: no temporary arrays.

    The bias corrections are folded into the step size and ``eps`` (the
    equivalent form of Kingma & Ba, 2015, sec. 2), and one scratch array
    per parameter holds, in turn, ``(1 - b1) g``, ``g**2``, ``sqrt(v)`` and
    the update. Equal to ``Adam`` up to float rounding.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
        self._scratch = [np.empty_like(p.value) for p in self.params]

    def step(self) -> None:
        (b1, b2), self.t = self.betas, self.t + 1
        c1, c2 = 1 - b1 ** self.t, math.sqrt(1 - b2 ** self.t)
        step_size, eps = self.lr * c2 / c1, self.eps * c2
        for p, m, v, s in zip(self.params, self.m, self.v, self._scratch):
            g = self._gradient(p)
            m *= b1
            m += np.multiply(g, 1 - b1, out=s)       # m = b1 m + (1 - b1) g
            v *= b2
            np.multiply(g, g, out=s)
            v += np.multiply(s, 1 - b2, out=s)       # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            p.value -= np.multiply(s, step_size, out=s)


class AdamW(FusedAdam):
    """Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

    Adam's L2 penalty is divided by ``sqrt(v_hat)`` like the rest of the
    gradient, so weights with large gradients are hardly decayed at all.
    AdamW keeps the decay out of the gradient and shrinks every weight by the
    same fraction ``lr * weight_decay`` before the (fused) Adam step:
    ``w -= lr * weight_decay * w``, then ``w -= lr * m_hat / (sqrt(v_hat) + eps)``
    with ``g`` the plain gradient. ``lr`` includes the schedule's factor, so
    the decay follows the schedule too.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay=0.0)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.decoupled_weight_decay = float(weight_decay)

    def step(self) -> None:
        shrink = 1.0 - self.lr * self.decoupled_weight_decay
        if shrink != 1.0:
            for p in self.params:
                p.value *= shrink              # w -= lr * wd * w, in place
        super().step()

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(),
                "weight_decay": self.decoupled_weight_decay}


def cosine_decay(step: int, total_steps: int) -> float:
    """Learning-rate factor falling from 1 at step 0 to 0 at ``total_steps``.

    Half a cosine: large steps early while far from a minimum, gently smaller
    ones at the end so the weights settle instead of rattling around.
    """
    return 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


def constant(step: int, total_steps: int) -> float:
    """Learning-rate factor 1 throughout."""
    return 1.0


def step_decay(step: int, total_steps: int,
               milestones: tuple[float, ...] = (0.5, 0.75),
               gamma: float = 0.1) -> float:
    """Learning-rate factor multiplied by ``gamma`` at each milestone.

    Milestones are fractions of ``total_steps``: the default is 1 for the
    first half, 0.1 until three quarters, then 0.01, the classic recipe
    for ImageNet networks scaled to any length of training.
    """
    passed = sum(step >= m * total_steps for m in milestones)
    return gamma ** passed


def linear_warmup(step: int, total_steps: int, warmup_steps: int) -> float:
    """Factor rising linearly from ``1 / warmup_steps`` to 1, then 1.

    Adam's first moment estimates are noisy; a few small steps at the start
    keep them from throwing freshly initialised weights far off.
    """
    return min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0


def warmup(schedule: Callable[[int, int], float] | str = "cosine",
           fraction: float = 0.05) -> Callable[[int, int], float]:
    """Linear warm-up over the first ``fraction`` of the steps, then ``schedule``.

    The wrapped schedule runs over the remaining steps, from its own step 0,
    so ``warmup("cosine")`` rises to 1 and then falls to 0 at the very end.
    """
    after = SCHEDULES[schedule] if isinstance(schedule, str) else schedule
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"warm-up fraction must be in [0, 1), got {fraction!r}")

    def warmed_up(step: int, total_steps: int) -> float:
        n_warm = round(fraction * total_steps)
        if step < n_warm:
            return linear_warmup(step, total_steps, n_warm)
        return after(step - n_warm, total_steps - n_warm)

    warmed_up.__name__ = f"warmup_{getattr(after, '__name__', 'schedule')}"
    return warmed_up


SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "constant": constant, "cosine": cosine_decay, "step": step_decay,
}
"""The schedules ``fit(lr_schedule=...)`` accepts by name: each maps
``(step, total_steps)`` to the factor the base learning rate is multiplied by."""
SCHEDULES["warmup_cosine"] = warmup("cosine")

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "adam": FusedAdam, "adamw": AdamW, "sgd": SGD,
}
"""The optimizers a recipe names: ``"adam"`` is ``FusedAdam``, which steps
exactly as ``Adam`` does, faster."""
