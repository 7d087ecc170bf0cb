"""Metrics: accuracy, confusion matrix and per-class accuracy, with shape checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet.metrics import accuracy, confusion_matrix, per_class_accuracy

Y_TRUE = np.array([0, 1, 2, 2, 1, 0, 2])
Y_PRED = np.array([0, 2, 2, 2, 1, 1, 0])

label_pairs = st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 4), min_size=n, max_size=n),
    st.lists(st.integers(0, 4), min_size=n, max_size=n)))


def test_accuracy_is_the_fraction_of_matches():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 7)
    assert accuracy(Y_TRUE, Y_TRUE) == 1.0


def test_accuracy_accepts_scores_and_takes_their_argmax():
    scores = np.eye(3)[Y_PRED] * 5 - 1
    assert accuracy(Y_TRUE, scores) == accuracy(Y_TRUE, Y_PRED)


def test_confusion_matrix_rows_are_true_classes_columns_predictions():
    expected = [[1, 1, 0],
                [0, 1, 1],
                [1, 0, 2]]
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED, 3), expected)


@settings(max_examples=60, deadline=None)
@given(label_pairs)
def test_confusion_matrix_counts_every_pair_once(pair):
    y_true, y_pred = map(np.array, pair)
    cm = confusion_matrix(y_true, y_pred, n_classes=5)
    reference = np.zeros((5, 5), int)
    for t, p in zip(y_true, y_pred):
        reference[t, p] += 1
    np.testing.assert_array_equal(cm, reference)
    assert np.trace(cm) / len(y_true) == pytest.approx(accuracy(y_true, y_pred))


def test_per_class_accuracy_is_each_rows_hit_rate():
    np.testing.assert_allclose(per_class_accuracy(Y_TRUE, Y_PRED, 3),
                               [1 / 2, 1 / 2, 2 / 3])
    with_absent = per_class_accuracy(Y_TRUE, Y_PRED, 4)
    assert np.isnan(with_absent[3])


def test_uint8_labels_as_mnist_stores_them_work():
    y = Y_TRUE.astype(np.uint8)
    assert confusion_matrix(y, y, 3).trace() == 7


@pytest.mark.parametrize("y_true, y_pred, message", [
    (Y_TRUE, Y_PRED[:-1], r"same n, got \(7,\) and \(6,\)"),
    (Y_TRUE[:, None], Y_PRED, "same n"),
    (Y_TRUE.astype(float), Y_PRED, "y_true must hold integer"),
])
def test_mismatched_or_non_integer_labels_are_refused(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        accuracy(y_true, y_pred)


def test_labels_outside_the_classes_are_refused():
    with pytest.raises(ValueError, match=r"y_pred must be in \[0, 2\)"):
        confusion_matrix(np.array([0, 1]), np.array([0, 2]), n_classes=2)


def test_accuracy_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.array([], int), np.array([], int))
