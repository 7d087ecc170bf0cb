"""Pictures the chapters share, so every figure in the book looks the same.

A one-panel picture (``class_counts``, ``confusion_matrix``,
``decision_boundary``) draws into a Matplotlib ``Axes``, made for you when
omitted, and returns it, so a chapter can place several in one figure. A
picture of several panels (``image_grid``, ``digit_grid``,
``training_curves``, ``function_and_derivative``) makes its own ``Figure``
and returns that. Either way a call makes at most one figure.

Figures must stay readable on a 390 px phone, where the page shrinks a
figure to the width of the screen: its smallest text must still be at least
9 CSS pixels there. How small text ends up depends on the font size *and* on
how wide the figure is, so the book measures it on the built page
(``tests/site/test_figures.py``). To make that possible, a figure drawn in a
notebook carries, in its PNG, the size of the smallest text it drew
(:func:`smallest_text_pt`); importing this module in IPython arranges that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

CLASS_NAMES = [str(d) for d in range(10)]

#: How wide a 390 px phone shows a figure wider than its screen: the page's
#: column, in CSS pixels. The smallest text a reader can still read there, in
#: CSS pixels (the rule ``tests/site/test_figures.py`` holds every figure to).
PHONE_COLUMN_PX = 358
MIN_TEXT_PX = 9.0


#: The book's text size in figures, in points (Matplotlib's default is 10):
#: in a figure 5.4 inches wide, the widest the chapters draw with it, it
#: shows at 9.9 CSS pixels on a phone.
FONT_PT = 11.0


def readable_pt(width_in: float) -> float:
    """The font size, in points, of text that stays at least
    ``MIN_TEXT_PX`` high on a phone in a figure ``width_in`` inches wide, and
    never below the book's ``FONT_PT``.

    A phone shrinks a figure wider than its column to the column, so text of
    ``pt`` points in a figure ``width_in`` inches wide shows at
    ``pt * PHONE_COLUMN_PX / (72 * width_in)`` CSS pixels. A tenth more
    leaves room for titles that stick out of the grid and widen the image.
    """
    return max(FONT_PT, 1.1 * MIN_TEXT_PX * 72 * width_in / PHONE_COLUMN_PX)


#: The PNG text key under which a notebook figure records its smallest text,
#: in points (read by ``tests/site/test_figures.py``).
SMALLEST_TEXT_KEY = "scratchnet:smallest-text-pt"


def smallest_text_pt(fig: Figure) -> float | None:
    """The size in points of the smallest text ``fig`` draws, or None when it
    draws none.

    It draws the figure and records the size of every piece of text the
    renderer is asked to draw, so hidden labels (an axis switched off) do not
    count and every kind that does (titles, ticks, legends, annotations,
    mathtext) is counted the same way.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    sizes: list[float] = []
    draw_text = renderer.draw_text

    def record(gc: Any, x: float, y: float, s: str, prop: Any, *args: Any,
               **kwargs: Any) -> Any:
        if s.strip():
            sizes.append(float(prop.get_size_in_points()))
        return draw_text(gc, x, y, s, prop, *args, **kwargs)

    renderer.draw_text = record
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    return min(sizes) if sizes else None


def _png_with_text_size(fig: Figure) -> str | None:
    """The inline backend's PNG of ``fig`` (same call, same options), with
    the size of its smallest text written into the PNG's metadata."""
    from IPython.core.pylabtools import print_figure

    smallest = smallest_text_pt(fig)
    metadata = {SMALLEST_TEXT_KEY: "none" if smallest is None else f"{smallest:g}"}
    png: str | None = print_figure(fig, "png", bbox_inches="tight", base64=True,
                                   metadata=metadata)
    return png


def _record_text_size_in_notebooks() -> None:
    """In IPython with the inline backend, draw figures with
    :func:`_png_with_text_size`. Switching to the backend first lets it
    register its own PNG formatter now, so that this one replaces it rather
    than being replaced by it at the first figure."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    backend = plt.get_backend()
    if shell is None or "inline" not in backend:
        return
    plt.switch_backend(backend)
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_text_size)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _as_images(images: np.ndarray, side: int = 28) -> np.ndarray:
    """Accept ``(n, 28, 28)`` or flattened ``(n, 784)`` images."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == side * side:
        images = images.reshape(-1, side, side)
    if images.ndim != 3:
        raise ValueError(
            f"expected images of shape (n, {side}, {side}) or (n, {side * side}),"
            f" got {images.shape}"
        )
    return images


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    cols: int = 10,
    cmap: str = "gray_r",
    size: float = 1.0,
    symmetric: bool = False,
) -> Figure:
    """Show images in a grid, one small panel each, with optional titles.

    ``images`` is ``(n, h, w)`` or ``(n, 784)``. With ``symmetric=True`` the
    colour scale is centred on zero, which is what weights need. Titles are
    as large as a phone needs for the grid's width (:func:`readable_pt`).
    """
    images = _as_images(images)
    n = len(images)
    rows = max(1, -(-n // cols))
    title_pt = readable_pt(cols * size)
    title_in = 1.5 * title_pt / 72 if titles else 0.0
    fig, axes = plt.subplots(
        rows, cols, figsize=(cols * size, rows * (size + title_in)),
        layout="constrained", squeeze=False,
    )
    limit = float(np.abs(images).max()) if symmetric and n else None
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        kwargs = {"vmin": -limit, "vmax": limit} if limit else {}
        ax.imshow(images[i], cmap=cmap, **kwargs)
        if titles is not None:
            ax.set_title(titles[i], fontsize=title_pt)
    return fig


def digit_grid(
    images: np.ndarray, labels: Sequence[int] | np.ndarray | None = None,
    *, cols: int = 10,
) -> Figure:
    """A grid of digits, each titled with its label when labels are given."""
    titles = None if labels is None else [str(int(v)) for v in labels]
    return image_grid(images, titles, cols=cols)


def class_counts(counts: Sequence[int], *, ax: Axes | None = None,
                 title: str = "") -> Axes:
    """Bar chart of how many examples each digit class has."""
    ax = _axes(ax, (5.4, 2.8))
    ax.bar(range(len(counts)), counts, color="#5b7fa6")
    ax.set_xticks(range(len(counts)))
    ax.set_xlabel("digit")
    ax.set_ylabel("examples")
    if title:
        ax.set_title(title)
    return ax


def training_curves(history: Mapping[str, Sequence[float]] | object) -> Figure:
    """Loss and accuracy per epoch, training beside validation.

    ``history`` is a ``scratchnet.train.History`` or a dict of the same lists.
    """
    h = history if isinstance(history, Mapping) else history.as_dict()  # type: ignore[attr-defined]
    epochs = np.arange(1, len(h["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(5.4, 2.8),
                                          layout="constrained")
    ax_loss.plot(epochs, h["train_loss"], "o-", label="training")
    ax_acc.plot(epochs, 100 * np.asarray(h["train_acc"]), "o-", label="training")
    if h.get("val_loss"):
        ax_loss.plot(epochs, h["val_loss"], "s--", label="validation")
        ax_acc.plot(epochs, 100 * np.asarray(h["val_acc"]), "s--",
                    label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def confusion_matrix(cm: np.ndarray, *, ax: Axes | None = None,
                     normalize: bool = False) -> Axes:
    """Heat map of a confusion matrix: rows are true digits, columns guesses."""
    cm = np.asarray(cm)
    ax = _axes(ax, (5.2, 4.8))
    shown = cm / cm.sum(axis=1, keepdims=True) if normalize else cm
    ax.imshow(np.log1p(shown) if not normalize else shown, cmap="Blues")
    k = cm.shape[0]
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(int(cm[i, j]))
            dark = i == j
            ax.text(j, i, text, ha="center", va="center", fontsize=FONT_PT,
                    color="white" if dark else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set(xlabel="predicted digit", ylabel="true digit")
    return ax


def function_and_derivative(
    x: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *, cols: int = 2, ylim: tuple[float, float] | None = None, xlabel: str = "x",
) -> Figure:
    """One panel per function: the curve and its derivative on shared axes."""
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.7 * cols, 2.4 * rows),
                             sharex=True, sharey=True, layout="constrained",
                             squeeze=False)
    for ax, (name, (y, dy)) in zip(axes.flat, curves.items()):
        ax.plot(x, y, lw=2, label=name)
        ax.plot(x, dy, "--", lw=2, label="derivative")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name)
        if ylim is not None:
            ax.set_ylim(ylim)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=FONT_PT, loc="upper left")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes.flat[len(curves):]:
        ax.set_axis_off()
    return fig


def decision_boundary(
    predict, x: np.ndarray, y: np.ndarray, *, ax: Axes | None = None,
    title: str = "", resolution: int = 200,
) -> Axes:
    """Colour the plane by a classifier's answer and scatter the 2-D points.

    ``predict`` maps ``(n, 2)`` float arrays to ``(n,)`` class labels.
    """
    ax = _axes(ax, (4, 4))
    pad = 0.5
    (x0, y0), (x1, y1) = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution),
                         np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(x.dtype)
    zz = np.asarray(predict(grid)).reshape(gx.shape)
    ax.contourf(gx, gy, zz, alpha=0.25, cmap="coolwarm")
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=8, edgecolors="none")
    ax.set_title(title)
    ax.set_aspect("equal")
    return ax


plt.rcParams["font.size"] = FONT_PT
_record_text_size_in_notebooks()
