"""The 2-D toy problems: shapes, dtypes, seeds, balance, and their geometry."""

import numpy as np
import pytest

from scratchnet.toy import two_spirals, xor_blobs

GENERATORS = [xor_blobs, two_spirals]


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [2, 3, 101, 400])
def test_shapes_and_dtypes(make, n):
    x, y = make(n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.isfinite(x).all()


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [2, 3, 100, 401])
def test_classes_are_balanced_and_labels_are_0_and_1(make, n):
    _, y = make(n, seed=1)
    counts = np.bincount(y, minlength=2)
    assert len(counts) == 2
    assert counts[0] == (n + 1) // 2 and counts[1] == n // 2


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_gives_same_arrays(make):
    x1, y1 = make(300, seed=7)
    x2, y2 = make(300, seed=7)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("make", GENERATORS)
def test_different_seeds_give_different_points(make):
    x1, _ = make(300, seed=7)
    x2, _ = make(300, seed=8)
    assert not np.array_equal(x1, x2)


@pytest.mark.parametrize("make", GENERATORS)
def test_a_generator_can_be_passed_as_seed(make):
    x1, y1 = make(50, seed=np.random.default_rng(3))
    x2, y2 = make(50, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("make", GENERATORS)
def test_rows_are_shuffled_not_grouped_by_class(make):
    _, y = make(400, seed=0)
    # Alternating 0,1,0,1 would be a pattern, as would all 0s then all 1s.
    assert 0 < y[:200].sum() < 200
    assert not np.array_equal(y, np.arange(400) % 2)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("bad", [0, 1, -5, 2.5, True])
def test_bad_n_is_rejected_with_a_clear_error(make, bad):
    with pytest.raises(ValueError, match="n must be"):
        make(bad)


@pytest.mark.parametrize("make", GENERATORS)
def test_negative_noise_is_rejected(make):
    with pytest.raises(ValueError, match="noise must be"):
        make(10, noise=-0.1)


def test_xor_labels_follow_the_sign_rule_without_noise():
    x, y = xor_blobs(200, noise=0.0, seed=0)
    assert set(map(tuple, np.abs(x))) == {(1.0, 1.0)}
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    # All four corners are used.
    assert len(set(map(tuple, x))) == 4


def test_xor_is_not_linearly_separable_by_least_squares():
    x, y = xor_blobs(400, noise=0.0, seed=0)
    design = np.column_stack([x, np.ones(len(x))])
    w, *_ = np.linalg.lstsq(design, 2.0 * y - 1.0, rcond=None)
    # The best linear fit is the zero map: it carries no information.
    np.testing.assert_allclose(design @ w, 0.0, atol=1e-6)


def test_spiral_arms_are_point_reflections_of_each_other_without_noise():
    x, y = two_spirals(400, noise=0.0, seed=0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.max() <= 1.0 + 1e-6
    # Arm 1 at angle t + pi is arm 0 turned by half a circle: reflecting it
    # through the origin lands it on arm 0, whose angle equals its radius
    # times t_max (modulo a full turn).
    t_max = 2 * np.pi * 1.5
    flipped = np.where(y[:, None] == 1, -x, x)
    angle = np.arctan2(flipped[:, 1], flipped[:, 0])
    expected = radius * t_max
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped, 0.0, atol=1e-4)


def test_turns_must_be_positive():
    with pytest.raises(ValueError, match="turns must be"):
        two_spirals(10, turns=0)
