"""Compare training runs by repeating them over seeds, not by one run each.

One run of a network is one draw: another seed (other initial weights, another
order of the batches) moves its accuracy by a few tenths of a point, so a
difference of that size between two single runs says nothing. The book's rule:
a sentence that compares runs takes its verdict from :func:`repeat` (at least
three seeds), shows the mean and the spread beside it, and uses the word
:func:`verdict` gives, which is "no clear difference" when the gap between the
means is inside the spread of the two.

    adam = repeat(lambda seed: train(Adam, seed))       # a Repeats of 3 values
    sgd = repeat(lambda seed: train(SGD, seed))
    verdict(adam, sgd)        # "better", "worse" or "no clear difference"
    adam.text(scale=100, unit="%")                      # "97.21% ± 0.08"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

#: The fewest seeds a comparison may rest on.
MIN_SEEDS = 3

#: The words :func:`verdict` can return; a chapter's prose uses no others.
VERDICTS = ("better", "worse", "no clear difference")


@dataclass(frozen=True)
class Repeats:
    """The values one configuration gave with different seeds."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) < MIN_SEEDS:
            raise ValueError(f"a comparison needs at least {MIN_SEEDS} seeds, "
                             f"got {len(self.values)} value(s)")
        if not all(math.isfinite(v) for v in self.values):
            raise ValueError(f"every repeated value must be finite: {self.values}")

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    @property
    def spread(self) -> float:
        """The sample standard deviation over the seeds (n - 1 in the divisor)."""
        m = self.mean
        return math.sqrt(math.fsum((v - m) ** 2 for v in self.values)
                         / (len(self.values) - 1))

    def text(self, *, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
        """``mean ± spread`` as the prose shows it, e.g. ``97.21% ± 0.08``."""
        return (f"{scale * self.mean:.{digits}f}{unit} ± "
                f"{scale * self.spread:.{digits}f}")


def repeat(run: Callable[[int], float], seeds: Iterable[int] = range(MIN_SEEDS)
           ) -> Repeats:
    """Call ``run(seed)`` once per seed and keep what each returned."""
    return Repeats(tuple(float(run(seed)) for seed in seeds))


def verdict(a: Repeats, b: Repeats, *, higher_is_better: bool = True) -> str:
    """How ``a`` compares with ``b``: "better", "worse" or "no clear difference".

    The gap between the means is clear when it exceeds the sum of the two
    spreads; otherwise the seeds alone could have made it. ``higher_is_better``
    is False for losses and times.
    """
    gap = a.mean - b.mean
    if abs(gap) <= a.spread + b.spread:
        return "no clear difference"
    return "better" if (gap > 0) == higher_is_better else "worse"


def best(runs: dict[str, Repeats], *, higher_is_better: bool = True) -> tuple[str, str]:
    """The configuration with the best mean, and how it compares with the runner-up.

    Returns ``(name, word)``: ``word`` is :func:`verdict` of the best against
    the second best, so "no clear difference" means the ranking's top is a tie.
    """
    if len(runs) < 2:
        raise ValueError("ranking needs at least two configurations")
    sign = 1.0 if higher_is_better else -1.0
    ranked = sorted(runs, key=lambda n: sign * runs[n].mean, reverse=True)
    first, second = ranked[0], ranked[1]
    return first, verdict(runs[first], runs[second],
                          higher_is_better=higher_is_better)


def edge_axes(index: Sequence[int] | int, shape: Sequence[int] | int
              ) -> tuple[int, ...]:
    """The axes of a grid of ``shape`` on whose edge the best cell ``index`` lies.

    A winner on an edge may only be the best of the values tried, not the
    best there is: the grid should say so, or be widened. Empty when the
    winner is inside on every axis. An axis of length 1 is not searched and
    never counts.
    """
    index = (index,) if isinstance(index, int) else tuple(index)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
        raise ValueError(f"index {index} does not fit a grid of shape {shape}")
    return tuple(axis for axis, (i, n) in enumerate(zip(index, shape))
                 if n > 1 and i in (0, n - 1))
