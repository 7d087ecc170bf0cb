"""The chapters' pictures: what each helper returns, labels, one figure a call."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scratchnet import plots

RNG = np.random.default_rng(0)
DIGITS = RNG.integers(0, 256, (12, 28, 28)).astype(np.uint8)
HISTORY = {"train_loss": [1.0, 0.5, 0.3], "train_acc": [0.7, 0.8, 0.9],
           "val_loss": [1.1, 0.6, 0.4], "val_acc": [0.6, 0.75, 0.85]}
X2 = RNG.standard_normal((40, 2)).astype(np.float32)
Y2 = (X2[:, 0] > 0).astype(int)
CM = RNG.integers(1, 50, (10, 10))
XS = np.linspace(-3, 3, 50)

FIGURES: dict[str, Callable[[], Figure]] = {
    "image_grid": lambda: plots.image_grid(DIGITS, [str(i) for i in range(12)]),
    "digit_grid": lambda: plots.digit_grid(DIGITS, np.arange(12) % 10, cols=6),
    "training_curves": lambda: plots.training_curves(HISTORY),
    "function_and_derivative": lambda: plots.function_and_derivative(
        XS, {"tanh": (np.tanh(XS), 1 - np.tanh(XS) ** 2),
             "relu": (np.maximum(XS, 0), (XS > 0) * 1.0)}),
}
AXES: dict[str, Callable[..., Axes]] = {
    "class_counts": lambda ax=None: plots.class_counts(np.bincount(Y2), ax=ax),
    "confusion_matrix": lambda ax=None: plots.confusion_matrix(CM, ax=ax),
    "decision_boundary": lambda ax=None: plots.decision_boundary(
        lambda g: (g[:, 0] > 0).astype(int), X2, Y2, ax=ax, resolution=20),
}


@pytest.fixture(autouse=True)
def no_figures() -> Iterator[None]:
    plt.close("all")
    yield
    plt.close("all")


@pytest.mark.parametrize("name", FIGURES)
def test_many_panel_pictures_return_the_one_figure_they_made(name: str) -> None:
    fig = FIGURES[name]()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize("name", AXES)
def test_one_panel_pictures_make_one_figure_when_given_no_axes(name: str) -> None:
    ax = AXES[name]()
    assert isinstance(ax, Axes)
    assert plt.get_fignums() == [ax.figure.number]


@pytest.mark.parametrize("name", AXES)
def test_one_panel_pictures_draw_into_the_axes_they_are_given(name: str) -> None:
    fig, given = plt.subplots()
    assert AXES[name](ax=given) is given
    assert plt.get_fignums() == [fig.number]
    assert given.has_data()


def test_axes_say_what_they_show() -> None:
    fig = plots.training_curves(HISTORY)
    loss, acc = fig.axes
    assert (loss.get_xlabel(), loss.get_ylabel()) == ("epoch", "cross-entropy loss")
    assert (acc.get_xlabel(), acc.get_ylabel()) == ("epoch", "accuracy (%)")
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        "training", "validation"]
    cm = plots.confusion_matrix(CM)
    assert (cm.get_xlabel(), cm.get_ylabel()) == ("predicted digit", "true digit")
    counts = plots.class_counts([5, 7, 9], title="train")
    assert (counts.get_xlabel(), counts.get_ylabel(), counts.get_title()) == (
        "digit", "examples", "train")


def test_training_curves_show_accuracy_in_percent_and_skip_missing_validation() -> None:
    fig = plots.training_curves({"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.9]})
    loss, acc = fig.axes
    assert len(loss.get_lines()) == 1
    np.testing.assert_allclose(acc.get_lines()[0].get_ydata(), [50.0, 90.0])


def test_a_grid_has_one_titled_panel_per_image_and_blank_spares() -> None:
    fig = plots.digit_grid(DIGITS, np.arange(12) % 10, cols=5)   # 3 rows of 5
    axes = fig.axes
    assert len(axes) == 15
    assert [ax.get_title() for ax in axes[:12]] == [str(i % 10) for i in range(12)]
    assert all(not ax.images for ax in axes[12:])


def test_the_confusion_matrix_writes_every_count_in_its_cell() -> None:
    ax = plots.confusion_matrix(CM)
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(CM.ravel())


def test_weights_get_a_colour_scale_centred_on_zero() -> None:
    weights = np.linspace(-0.5, 2.0, 2 * 784).reshape(2, 784)
    fig = plots.image_grid(weights, cols=2, symmetric=True)
    assert fig.axes[0].images[0].get_clim() == (-2.0, 2.0)


def test_images_of_the_wrong_shape_are_refused_with_the_shape() -> None:
    with pytest.raises(ValueError, match=r"got \(3, 5\)"):
        plots.image_grid(np.zeros((3, 5)))


def test_each_count_sits_in_its_row_and_column() -> None:
    # CM is not symmetric: a transposed matrix would put counts in wrong cells.
    ax = plots.confusion_matrix(CM)
    assert {t.get_position(): int(t.get_text()) for t in ax.texts} == {
        (j, i): int(CM[i, j]) for i in range(10) for j in range(10)}


def test_function_and_derivative_draw_the_curve_solid_and_the_derivative_dashed() -> None:
    y, dy = np.tanh(XS), 1 - np.tanh(XS) ** 2
    fig = plots.function_and_derivative(XS, {"tanh": (y, dy)}, cols=1)
    curve, derivative = fig.axes[0].get_lines()[:2]
    np.testing.assert_array_equal(curve.get_ydata(), y)
    np.testing.assert_array_equal(derivative.get_ydata(), dy)
    assert (curve.get_linestyle(), derivative.get_linestyle()) == ("-", "--")


def test_the_decision_boundary_shades_the_side_the_classifier_chose() -> None:
    # Wide in x, narrow in y, split at x = 4: a grid with its axes swapped
    # would span the wrong ranges and put class 1 on the wrong side.
    points = np.column_stack([np.linspace(0, 10, 30), np.linspace(0, 1, 30)])
    seen: list[np.ndarray] = []

    def predict(grid: np.ndarray) -> np.ndarray:
        seen.append(grid)
        return (grid[:, 0] > 4).astype(int)

    ax = plots.decision_boundary(predict, points, (points[:, 0] > 4).astype(int),
                                 resolution=41)
    (grid,) = seen
    np.testing.assert_allclose(grid.min(axis=0), [-0.5, -0.5])
    np.testing.assert_allclose(grid.max(axis=0), [10.5, 1.5])
    (shading,) = [c for c in ax.collections if hasattr(c, "levels")]
    class_one = shading.get_paths()[-1].vertices
    assert class_one[:, 0].min() >= 4 - 11 / 40
