"""The comparison tool: a verdict only when the gap is larger than the seeds' spread."""

from __future__ import annotations

import math

import pytest

from scratchnet.compare import (
    MIN_SEEDS,
    VERDICTS,
    Repeats,
    best,
    edge_axes,
    repeat,
    verdict,
)


def test_repeat_calls_the_run_once_per_seed_and_keeps_each_value() -> None:
    seen = []

    def run(seed: int) -> float:
        seen.append(seed)
        return 10.0 + seed

    r = repeat(run, seeds=(3, 4, 5))
    assert seen == [3, 4, 5]
    assert r.values == (13.0, 14.0, 15.0)
    assert r.mean == pytest.approx(14.0)
    assert r.spread == pytest.approx(1.0)          # sample std, n - 1


def test_default_is_the_minimum_number_of_seeds() -> None:
    assert len(repeat(float).values) == MIN_SEEDS == 3


def test_fewer_than_three_seeds_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 seeds"):
        repeat(float, seeds=(0, 1))


def test_a_non_finite_value_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        Repeats((1.0, math.nan, 2.0))


def test_a_gap_larger_than_the_spreads_is_a_verdict() -> None:
    a, b = Repeats((0.97, 0.971, 0.969)), Repeats((0.95, 0.951, 0.949))
    assert verdict(a, b) == "better"
    assert verdict(b, a) == "worse"
    # For losses, lower is better.
    assert verdict(a, b, higher_is_better=False) == "worse"


def test_a_gap_inside_the_spreads_is_no_clear_difference() -> None:
    # The means differ by 0.0006, as single runs of the book's optimizers did,
    # and the seeds spread by more than that.
    a = Repeats((0.9706, 0.9690, 0.9722))
    b = Repeats((0.9700, 0.9685, 0.9715))
    assert verdict(a, b) == verdict(b, a) == "no clear difference"


def test_verdict_words_are_the_declared_ones() -> None:
    a, b = Repeats((1.0, 1.1, 0.9)), Repeats((5.0, 5.1, 4.9))
    assert {verdict(a, b), verdict(b, a), verdict(a, a)} == set(VERDICTS)


def test_text_shows_mean_and_spread_scaled() -> None:
    r = Repeats((0.97, 0.98, 0.99))
    assert r.text(scale=100, unit="%") == "98.00% ± 1.00"
    assert r.text(digits=3) == "0.980 ± 0.010"


def test_best_names_the_top_mean_and_whether_it_beats_the_runner_up() -> None:
    runs = {"a": Repeats((1.0, 1.1, 0.9)), "b": Repeats((5.0, 5.1, 4.9)),
            "c": Repeats((5.05, 5.15, 4.95))}
    assert best(runs) == ("c", "no clear difference")
    assert best(runs, higher_is_better=False) == ("a", "better")
    with pytest.raises(ValueError):
        best({"a": runs["a"]})


@pytest.mark.parametrize(("index", "shape", "axes"), [
    ((1, 2), (4, 6), ()),
    ((0, 2), (4, 6), (0,)),
    ((1, 5), (4, 6), (1,)),
    ((3, 0), (4, 6), (0, 1)),
    ((0, 3), (1, 6), ()),            # an axis of one value is not searched
    (1, 3, ()),
    (2, 3, (0,)),
    (0, 3, (0,)),
])
def test_edge_axes_finds_a_winner_on_the_grid_edge(index, shape, axes) -> None:
    assert edge_axes(index, shape) == axes


def test_edge_axes_refuses_an_index_outside_the_grid() -> None:
    with pytest.raises(ValueError):
        edge_axes((4, 0), (4, 6))
