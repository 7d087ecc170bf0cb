"""The gradient checker: right on known gradients, and it catches wrong backwards."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import functional as F
from scratchnet.gradcheck import (
    GradcheckResult,
    check_derivative,
    check_layer,
    check_loss,
    numerical_gradient,
    relative_error,
)
from scratchnet.layers import Linear, ReLU
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import Sequential

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))


class LinearForgettingTheBias(Linear):
    """A classic bug: no gradient for ``b``."""

    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.b.grad[...] = 0
        return grad_in


class LinearWithScaledInputGrad(Linear):
    """Another: a stray factor in ``dL/dx`` (the parameters are fine)."""

    def backward(self, grad_out):
        return 2 * super().backward(grad_out)


class ReLUPassingEverything(ReLU):
    """And one more: forgetting the mask, as if ReLU were the identity."""

    def backward(self, grad_out):
        super().backward(grad_out)
        return grad_out


class LossWithoutBatchMean(SoftmaxCrossEntropy):
    def backward(self):
        return super().backward() * len(self._labels)


def test_numerical_gradient_of_known_functions():
    x = X.copy()
    np.testing.assert_allclose(numerical_gradient(lambda z: np.sum(z**2), x), 2 * X,
                               rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda z: np.sum(np.exp(z)), x),
                               np.exp(X), rtol=1e-8)
    np.testing.assert_array_equal(x, X)                # restored exactly


def test_numerical_gradient_refuses_float32():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(np.sum, X.astype(np.float32))


def test_a_correct_layer_passes():
    result = check_layer(Linear(3, 2, rng=0), X)
    assert result.ok and set(result.errors) == {"input", "W", "b"}
    assert result.max_error < 1e-8


@pytest.mark.parametrize("layer, culprit", [
    (LinearForgettingTheBias(3, 2, rng=0), "b"),
    (LinearWithScaledInputGrad(3, 2, rng=0), "input"),
    (ReLUPassingEverything(), "input"),
], ids=["no-bias-grad", "scaled-input-grad", "relu-without-mask"])
def test_a_wrong_backward_is_caught_and_the_culprit_named(layer, culprit):
    result = check_layer(layer, X)
    assert not result.ok
    assert result.errors[culprit] > 0.1
    assert [name for name, e in result.errors.items() if e > result.tol] == [culprit]
    assert f"{culprit}" in repr(result) and "FAIL" in repr(result)


def test_a_wrong_layer_inside_a_model_is_caught_by_its_parameter_name():
    model = Sequential(Linear(3, 4, rng=0), ReLU(), LinearForgettingTheBias(4, 2))
    result = check_layer(model, X)
    assert [k for k, e in result.errors.items() if e > result.tol] == ["2.b"]


def test_checking_leaves_the_layer_untouched():
    layer = Linear(3, 2, rng=0)
    before = layer.W.value.copy()
    check_layer(layer, X)
    assert layer.W.value.dtype == np.float32
    np.testing.assert_array_equal(layer.W.value, before)
    assert not layer.W.grad.any()


def test_loss_checker_passes_the_real_loss_and_catches_a_wrong_one():
    logits, labels = RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    assert check_loss(SoftmaxCrossEntropy(), logits, labels).ok
    assert not check_loss(LossWithoutBatchMean(), logits, labels).ok


def test_derivative_checker_catches_a_wrong_derivative():
    assert check_derivative(F.sigmoid, F.sigmoid_grad, X).ok
    bad = check_derivative(F.sigmoid, F.sigmoid, X)
    assert not bad.ok and "sigmoid" in repr(bad)


def test_relative_error_is_scale_free_and_zero_for_zeros():
    a = np.array([1.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    tiny = relative_error(1e-9 * a, 1e-9 * (a + [0.01, 0]))  # noqa: RUF005 - arrays
    assert tiny == pytest.approx(0.01 / 1.01)


def test_result_repr_is_a_readable_table():
    text = repr(GradcheckResult({"input": 1e-10, "W": 0.5}, tol=1e-6))
    assert text.splitlines() == ["GradcheckResult(ok=False, tol=1e-06)",
                                 "  input  1.0e-10",
                                 "  W      5.0e-01  FAIL"]
