"""The pure functions: right values, kept dtypes, stable extremes, true derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from scratchnet import functional as F
from scratchnet.gradcheck import check_derivative, numerical_gradient

RNG = np.random.default_rng(0)
X = RNG.standard_normal((7, 5)) * 3          # float64, away from kinks w.p. ~1

ELEMENTWISE = [
    (F.relu, F.relu_grad),
    (F.leaky_relu, F.leaky_relu_grad),
    (F.sigmoid, F.sigmoid_grad),
    (F.tanh, F.tanh_grad),
]
ALL_FUNCTIONS = [f for pair in ELEMENTWISE for f in pair] + [F.softmax, F.log_softmax]

finite_logits = arrays(
    np.float64, array_shapes(min_dims=2, max_dims=2, max_side=12),
    elements=st.floats(-1e4, 1e4, allow_nan=False))


def test_activations_match_their_textbook_formulas():
    np.testing.assert_allclose(F.relu(X), np.where(X > 0, X, 0))
    np.testing.assert_allclose(F.leaky_relu(X, 0.1), np.where(X > 0, X, 0.1 * X))
    np.testing.assert_allclose(F.sigmoid(X), 1 / (1 + np.exp(-X)), rtol=1e-12)
    np.testing.assert_allclose(F.tanh(X), np.tanh(X))


@pytest.mark.parametrize("f, df", ELEMENTWISE, ids=lambda f: f.__name__)
def test_each_derivative_matches_finite_differences(f, df):
    result = check_derivative(f, df, X)
    assert result.ok, result


@pytest.mark.parametrize("f", ALL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functions_keep_the_input_dtype(f, dtype):
    assert f(X.astype(dtype)).dtype == dtype


def test_relu_gradient_is_zero_at_the_kink():
    assert F.relu_grad(np.array([0.0]))[0] == 0


def test_sigmoid_is_finite_and_silent_for_huge_inputs():
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise"):  # underflow to 0 is fine
        s = F.sigmoid(x)
    assert np.isfinite(s).all()
    assert s[0] == 0 and s[-1] == 1 and s[3] == 0.5
    assert np.all(np.diff(s) >= 0)


@settings(max_examples=60, deadline=None)
@given(finite_logits)
def test_softmax_rows_are_probability_distributions(logits):
    p = F.softmax(logits)
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(finite_logits, st.floats(-1e3, 1e3))
def test_softmax_ignores_a_constant_added_to_a_row(logits, c):
    np.testing.assert_allclose(F.softmax(logits + c), F.softmax(logits), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(finite_logits)
def test_log_softmax_is_finite_and_never_positive(logits):
    logp = F.log_softmax(logits)
    assert np.isfinite(logp).all() and (logp <= 0).all()


def test_log_softmax_equals_log_of_softmax_for_moderate_logits():
    np.testing.assert_allclose(F.log_softmax(X), np.log(F.softmax(X)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_finite_at_logits_of_1e4(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(F.softmax(logits)).all()
        assert np.isfinite(F.log_softmax(logits)).all()


def test_the_softmax_vector_jacobian_product_matches_finite_differences():
    g = RNG.standard_normal(X.shape)
    numeric = numerical_gradient(lambda z: float(np.sum(g * F.softmax(z))),
                                 X.copy())
    np.testing.assert_allclose(F.softmax_grad(X, g), numeric, rtol=1e-6, atol=1e-8)


def test_one_hot_puts_a_single_one_per_row():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3),
                                  [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(np.array([1]), 2).dtype == np.float32
