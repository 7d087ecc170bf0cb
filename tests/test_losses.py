"""Losses: values, stability at extreme logits, gradients, and label checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratchnet import functional as F
from scratchnet.gradcheck import check_loss
from scratchnet.losses import MSE, SoftmaxCrossEntropy

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((8, 10)) * 2
LABELS = RNG.integers(0, 10, 8)


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_label():
    p = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(8), LABELS]))
    assert SoftmaxCrossEntropy().forward(LOGITS, LABELS) == pytest.approx(expected)
    assert SoftmaxCrossEntropy()(LOGITS, LABELS) == pytest.approx(
        -np.mean(F.log_softmax(LOGITS)[np.arange(8), LABELS]), rel=1e-12)


def test_backward_is_softmax_minus_one_hot_over_batch():
    loss = SoftmaxCrossEntropy()
    loss.forward(LOGITS, LABELS)
    expected = (F.softmax(LOGITS) - F.one_hot(LABELS, 10, np.float64)) / 8
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-12)


@pytest.mark.parametrize("loss, targets", [
    (SoftmaxCrossEntropy(), LABELS),
    (MSE(), LABELS),
    (MSE(), RNG.standard_normal((8, 10))),
], ids=["cross-entropy", "mse-labels", "mse-targets"])
def test_backward_matches_finite_differences(loss, targets):
    result = check_loss(loss, LOGITS, targets)
    assert result.ok, result


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_and_gradient_are_finite_at_logits_of_1e4(dtype):
    logits = np.array([[1e4, -1e4, 0], [-1e4, 1e4, -1e4]], dtype)
    loss = SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        wrong = loss.forward(logits, np.array([1, 0]))
        grad = loss.backward()
    assert wrong == pytest.approx(2e4)
    assert grad.dtype == dtype and np.isfinite(grad).all()
    right = loss.forward(logits, np.array([0, 1]))
    assert right == 0.0


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 16), st.integers(2, 12)),
              elements=st.floats(-1e4, 1e4, width=32)), st.data())
def test_loss_is_never_negative_and_gradient_rows_sum_to_zero(logits, data):
    batch, n_classes = logits.shape
    labels = np.array(data.draw(st.lists(st.integers(0, n_classes - 1),
                                         min_size=batch, max_size=batch)))
    loss = SoftmaxCrossEntropy()
    assert loss.forward(logits, labels) >= 0
    grad = loss.backward()
    assert grad.shape == logits.shape and grad.dtype == np.float32
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


@pytest.mark.parametrize("labels, message", [
    (np.array([0.0, 1.0]), "must be integers"),
    (np.array([[0], [1]]), r"must have shape \(2,\)"),
    (np.array([0, 1, 2]), r"must have shape \(2,\)"),
    (np.array([0, 3]), r"in \[0, 3\), got values from 0 to 3"),
    (np.array([-1, 0]), r"in \[0, 3\)"),
])
def test_bad_labels_get_a_clear_error(labels, message):
    with pytest.raises(ValueError, match=message):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3), np.float32), labels)


@pytest.mark.parametrize("logits", [np.zeros(3), np.zeros((2, 3), np.int64)])
def test_logits_must_be_a_float_matrix(logits):
    with pytest.raises(ValueError, match=r"float logits of shape \(batch, n_classes\)"):
        SoftmaxCrossEntropy().forward(logits, np.array([0, 1]))


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), MSE()])
def test_backward_before_forward_is_an_error(loss):
    with pytest.raises(RuntimeError, match="before forward"):
        loss.backward()


def test_mse_is_the_mean_squared_difference_and_accepts_labels():
    y = np.array([[0.5, 0.5], [1.0, 0.0]], np.float32)
    loss = MSE()
    assert loss.forward(y, np.array([[0, 1], [1, 0]], np.float32)) == 0.125
    assert loss.forward(y, np.array([1, 0])) == 0.125
    np.testing.assert_allclose(loss.backward(), [[0.25, -0.25], [0, 0]])
    assert loss.backward().dtype == np.float32


def test_mse_refuses_targets_of_another_shape():
    with pytest.raises(ValueError, match=r"targets of shape \(2, 2\)"):
        MSE().forward(np.zeros((2, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), MSE()], ids=repr)
def test_an_empty_batch_is_refused_not_divided_by_zero(loss):
    with pytest.raises(ValueError, match="empty batch"):
        loss.forward(np.zeros((0, 10), np.float32), np.zeros(0, np.int64))


@pytest.mark.parametrize(("labels", "message"), [
    (np.array([0.0, 1.0]), "must be integers"),
    (np.array([0, 1, 2]), r"shape \(2,\)"),
    (np.array([0, 10]), r"in \[0, 10\), got values from 0 to 10"),
    (np.array([-1, 3]), r"from -1 to 3"),
])
def test_check_labels_names_what_is_wrong(labels, message):
    from scratchnet.losses import check_labels

    with pytest.raises(ValueError, match=message):
        check_labels(labels, 2, 10)


def test_check_labels_passes_good_labels_through():
    from scratchnet.losses import check_labels

    labels = np.array([3, 0], dtype=np.uint8)
    assert check_labels(labels, 2, 10) is not None
    np.testing.assert_array_equal(check_labels(labels, 2, 10), labels)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_at_logits_of_1e4(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = SoftmaxCrossEntropy().forward(logits, np.array([1, 0]))
    # row 0: 2e4 below the best; row 1: 2e4 below two tied best logits
    assert np.isfinite(loss) and loss == pytest.approx(2e4 + np.log(2) / 2, rel=1e-6)


def test_cross_entropy_of_uniform_logits_is_log_of_class_count():
    assert SoftmaxCrossEntropy().forward(np.zeros((4, 10)), np.arange(4)) == (
        pytest.approx(np.log(10)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(2, 8), st.data())
def test_cross_entropy_is_never_negative(batch, n_classes, data):
    logits = data.draw(arrays(np.float64, (batch, n_classes),
                              elements=st.floats(-50, 50)))
    labels = np.array(data.draw(st.lists(st.integers(0, n_classes - 1),
                                         min_size=batch, max_size=batch)))
    assert SoftmaxCrossEntropy().forward(logits, labels) >= 0
