"""Small 2-D classification problems that a straight line cannot solve.

The activation-functions chapter uses them to show why a network needs a
nonlinearity: every point is a pair ``(x1, x2)``, so a classifier's decision
boundary can be drawn in the plane.

Every generator returns ``x`` of shape ``(n, 2)``, float32, and ``y`` of shape
``(n,)``, int64, with labels 0 and 1 in equal numbers (class 0 gets the extra
point when ``n`` is odd). The rows are shuffled, so the first rows are not all
one class. The same ``seed`` gives the same arrays.
"""

from __future__ import annotations

import numpy as np

from scratchnet.errors import check_whole

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    """A Generator passed in is used as is; anything else seeds a new one."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check(n: int, noise: float) -> None:
    check_whole("n", n, 2)   # one point per class at least
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(
            f"noise must be a finite number >= 0, got {noise!r}")


def _balanced_labels(n: int) -> np.ndarray:
    """``[0, 1, 0, 1, ...]``: equal classes, class 0 gets an odd extra."""
    return (np.arange(n) % 2).astype(np.int64)


def _shuffled(x: np.ndarray, y: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


def xor_blobs(n: int = 400, noise: float = 0.35,
              seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs at ``(+-1, +-1)``, labelled like XOR.

    A point's label is 1 when its blob's two coordinates have different signs
    (``x1 * x2 < 0`` at the centre) and 0 otherwise, so opposite corners share
    a class and no single line separates the classes.

    Parameters: ``n`` points in all; ``noise`` is the standard deviation of
    each blob around its centre; ``seed`` an int or a ``numpy`` Generator.
    Returns ``x`` ``(n, 2)`` float32 and ``y`` ``(n,)`` int64.
    """
    _check(n, noise)
    rng = _rng(seed)
    y = _balanced_labels(n)
    # Within each class, alternate between its two opposite corners.
    corner = (np.arange(n) // 2) % 2            # 0 or 1
    first = np.where(corner == 0, 1.0, -1.0)
    second = np.where(y == 0, first, -first)    # same sign <=> class 0
    centres = np.column_stack([first, second])
    x = centres + noise * rng.standard_normal((n, 2))
    return _shuffled(x, y, rng)


def two_spirals(n: int = 400, noise: float = 0.05, turns: float = 1.5,
                seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, one per class, within about [-1, 1]^2.

    Arm 0 is the curve of radius ``t / t_max`` at angle ``t``, for ``t``
    up to ``t_max = 2 pi turns``; arm 1 is the same curve turned by half a
    circle. Points are spread evenly along each arm's length, then moved
    by Gaussian ``noise`` (a standard deviation, in the units of ``x``).
    Returns ``x`` ``(n, 2)`` float32 and ``y`` ``(n,)`` int64.
    """
    _check(n, noise)
    if not np.isfinite(turns) or turns <= 0:
        raise ValueError(
            f"turns must be a finite number > 0, got {turns!r}")
    rng = _rng(seed)
    y = _balanced_labels(n)
    t_max = 2 * np.pi * turns
    # sqrt spaces the points evenly along the arm instead of crowding them
    # at the centre, because arc length grows roughly like t**2.
    t = t_max * np.sqrt(rng.uniform(0.02, 1.0, size=n))
    angle = t + np.pi * y
    radius = t / t_max
    x = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    x += noise * rng.standard_normal((n, 2))
    return _shuffled(x, y, rng)
