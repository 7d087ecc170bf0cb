"""Evaluation: how often the network is right, and which digits it confuses.

Each function takes true labels ``(n,)`` and predictions ``(n,)``; for
convenience predictions may also be scores ``(n, n_classes)`` (logits or
probabilities), which are turned into labels with ``argmax``.
"""

from __future__ import annotations

import numpy as np


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return both as integer label arrays of equal shape ``(n,)``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(f"expected y_true (n,) and y_pred (n,) or (n, n_classes) "
                         f"with the same n, got {y_true.shape} and {y_pred.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{name} must hold integer class labels, got {y.dtype}")
    return y_true, y_pred


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the true label, in ``[0, 1]``."""
    y_true, y_pred = _labels(y_true, y_pred)
    if not y_true.size:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray,
                     n_classes: int = 10) -> np.ndarray:
    """``(n_classes, n_classes)`` counts: row = true class, column = prediction.

    Each pair ``(t, p)`` becomes the single index ``t * n_classes + p``, so one
    ``bincount`` counts all pairs at once.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} must be in [0, {n_classes}), got values from "
                             f"{y.min()} to {y.max()}")
    pairs = y_true.astype(np.int64) * n_classes + y_pred
    counts = np.bincount(pairs, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray,
                       n_classes: int = 10) -> np.ndarray:
    """``(n_classes,)``: for each true class, the fraction predicted correctly.

    This is each class's recall; a class absent from ``y_true`` gets NaN.
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(cm) / totals
