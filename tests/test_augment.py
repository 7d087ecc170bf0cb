"""Augmentation: shapes, dtypes and ranges kept; shifts exact; seeded."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import augment as A


def images(n: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 784), dtype=np.float32)


@pytest.mark.parametrize("transform", [
    lambda x, rng: A.random_shift(x, rng, max_shift=3),
    lambda x, rng: A.random_rotation(x, rng, max_degrees=15),
    lambda x, rng: A.elastic(x, rng, alpha=34, sigma=4),
    lambda x, rng: A.Augment(2, 10, elastic=(8, 3), seed=rng)(x),
    lambda x, rng: A.Augment(2, seed=rng)(x),
])
def test_augmentations_keep_shape_dtype_and_range(transform):
    x = images()
    out = transform(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.array_equal(out, x)


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, 0), (0, -3), (-1, 2), (4, 4)])
def test_shift_by_k_equals_np_roll_on_a_padded_image(dy, dx):
    x = images(1)
    m = 4
    padded = np.pad(x.reshape(28, 28), m)
    expected = np.roll(padded, (dy, dx), axis=(0, 1))[m:-m, m:-m]
    out = A.shift(x, np.array([dy]), np.array([dx]))
    np.testing.assert_array_equal(out.reshape(28, 28), expected)


def test_each_image_gets_its_own_shift():
    x = np.repeat(images(1), 3, axis=0)
    out = A.shift(x, np.array([0, 1, -2]), np.array([1, 0, 3]))
    for i, (dy, dx) in enumerate([(0, 1), (1, 0), (-2, 3)]):
        np.testing.assert_array_equal(out[i], A.shift(x[:1], [dy], [dx])[0])


def test_rotation_by_zero_and_zero_displacement_are_the_identity():
    x = images()
    np.testing.assert_array_equal(
        A.resample(x, *A.rotation_coordinates(np.zeros(len(x)), 28)), x)
    np.testing.assert_array_equal(A.random_rotation(x, np.random.default_rng(0),
                                                    max_degrees=0), x)
    np.testing.assert_array_equal(A.resample(x, *A.identity_grid(len(x), 28)), x)


def test_rotation_by_90_degrees_is_np_rot90():
    x = images(2)
    out = A.resample(x, *A.rotation_coordinates(np.radians([90.0, -90.0]), 28))
    np.testing.assert_allclose(out[0].reshape(28, 28),
                               np.rot90(x[0].reshape(28, 28)), atol=1e-5)
    np.testing.assert_allclose(out[1].reshape(28, 28),
                               np.rot90(x[1].reshape(28, 28), -1), atol=1e-5)


def test_resample_at_half_pixels_averages_the_neighbours():
    x = images(1)
    rows, cols = A.identity_grid(1, 28)
    out = A.resample(x, rows, cols + 0.5).reshape(28, 28)
    img = x.reshape(28, 28)
    np.testing.assert_allclose(out[:, :-1], (img[:, :-1] + img[:, 1:]) / 2,
                               rtol=1e-6)
    np.testing.assert_allclose(out[:, -1], img[:, -1] / 2, rtol=1e-6)  # edge: 0


def test_reads_from_far_outside_are_background():
    x = images(2)
    rows, cols = A.identity_grid(2, 28)
    assert not A.resample(x, rows + 100, cols - 100).any()


def test_gaussian_matrix_blurs_a_constant_to_itself_away_from_the_edges():
    g = A.gaussian_matrix(28, sigma=2.0)
    blurred = g @ np.ones((28, 28), np.float32) @ g.T
    np.testing.assert_allclose(blurred[10:18, 10:18], 1.0, rtol=1e-5)
    assert g.dtype == np.float32 and np.allclose(g, g.T)


def test_elastic_with_zero_alpha_is_the_identity():
    x = images()
    np.testing.assert_array_equal(
        A.elastic(x, np.random.default_rng(0), alpha=0.0), x)


def test_the_same_seed_gives_the_same_output_and_a_new_seed_another():
    x = images()
    runs = [A.Augment(2, 10, elastic=(34, 4), seed=s)(x) for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    a = A.random_shift(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, A.random_shift(x, np.random.default_rng(3)))


def test_a_batch_equals_its_images_augmented_one_by_one():
    """Vectorised over the batch: image i depends on image i and its draw only."""
    x = images(5)
    rng = np.random.default_rng(0)
    angles = rng.uniform(-0.3, 0.3, 5)
    whole = A.resample(x, *A.rotation_coordinates(angles, 28))
    for i in range(5):
        alone = A.resample(x[i:i + 1], *A.rotation_coordinates(angles[i:i + 1], 28))
        np.testing.assert_array_equal(whole[i], alone[0])


def test_shift_only_augment_is_an_exact_pixel_copy():
    x = (images() * 255).round() / 255
    out = A.Augment(max_shift=2, seed=0)(x)
    assert set(np.unique(out)) <= set(np.unique(x)) | {0.0}


@pytest.mark.parametrize("bad", [np.zeros((4, 783), np.float32),
                                 np.zeros((4, 28, 28), np.float32),
                                 np.zeros((4, 784), np.uint8)])
def test_bad_input_is_refused_with_the_expected_shape(bad):
    with pytest.raises(ValueError, match="side|square"):
        A.random_shift(bad, np.random.default_rng(0))


def test_negative_settings_are_refused():
    with pytest.raises(ValueError, match=">= 0"):
        A.Augment(max_shift=-1)


def test_elastic_displacement_is_smooth_seeded_and_scaled_by_alpha():
    dy, dx = A.elastic_displacement(3, 28, np.random.default_rng(0), alpha=34.0,
                                    sigma=4.0)
    assert dy.shape == dx.shape == (3, 28, 28)
    again, _ = A.elastic_displacement(3, 28, np.random.default_rng(0))
    np.testing.assert_array_equal(dy, again)
    # Smooth: neighbouring pixels move together, unlike the raw noise.
    raw = np.random.default_rng(1).uniform(-1, 1, (3, 28, 28))
    step = np.abs(np.diff(dy, axis=2)).mean() / np.abs(dy).mean()
    raw_step = np.abs(np.diff(raw, axis=2)).mean() / np.abs(raw).mean()
    assert step < raw_step / 5
    doubled, _ = A.elastic_displacement(3, 28, np.random.default_rng(0), alpha=68.0)
    np.testing.assert_allclose(doubled, 2 * dy, rtol=1e-5)
