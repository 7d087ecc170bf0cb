"""The training step, its callback, and the contracts it relies on.

``train_step`` is the loop's one body; these tests pin what the Training
chapter says of it: the order of its five lines, the loss it returns,
gradients that stay gradients, and a reader's own layer that just works.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet.layers import Layer, Linear, ReLU
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import Sequential, mlp
from scratchnet.optim import SGD, Adam, AdamW, FusedAdam
from scratchnet.parameter import Parameter
from scratchnet.train import (
    FitConfig,
    TrainingDiverged,
    fit,
    train_epoch,
    train_step,
)


def batch(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, n)


def test_train_step_returns_the_loss_before_the_update_and_updates_once():
    x, y = batch()
    model, loss = mlp([6, 5, 3], seed=0), SoftmaxCrossEntropy()
    before = loss.forward(model.forward(x), y)
    w0 = model[0].W.value.copy()
    outputs_before = model.forward(x)
    value, outputs = train_step(model, loss, SGD(model.parameters(), lr=0.1), x, y)
    assert value == before
    np.testing.assert_array_equal(outputs, outputs_before)   # not after the step
    np.testing.assert_allclose(model[0].W.value, w0 - 0.1 * model[0].W.grad,
                               rtol=1e-6)
    assert loss.forward(model.forward(x), y) < before


def test_train_step_zeroes_the_last_batch_s_gradient_first():
    x, y = batch()
    model, loss = mlp([6, 5, 3], seed=0), SoftmaxCrossEntropy()
    optimizer = SGD(model.parameters(), lr=1e-9)
    train_step(model, loss, optimizer, x, y)
    first = model[0].W.grad.copy()
    train_step(model, loss, optimizer, x, y)   # almost the same weights
    np.testing.assert_allclose(model[0].W.grad, first, rtol=1e-4, atol=1e-7)


def test_a_non_finite_loss_stops_before_the_update():
    x, y = batch()
    x[0, 0] = np.nan
    model = mlp([6, 5, 3], seed=0)
    weights = [p.value.copy() for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match="contains NaN or inf"):
        train_step(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                   x, y)
    for p, w in zip(model.parameters(), weights):
        np.testing.assert_array_equal(p.value, w)


def test_a_loss_infinite_before_any_update_blames_the_inputs_not_the_rate():
    x, y = batch()
    x[0] = 3e38                                 # finite, but far too large
    model = mlp([6, 5, 3], seed=0)
    with pytest.raises(TrainingDiverged) as caught, np.errstate(all="ignore"):
        train_step(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                   x, y)
    err = caught.value
    assert err.suggested_lr is None and "before any update" in str(err)
    assert "learning rate is not to blame" in str(err) and "3e+38" in str(err)
    assert "epoch" not in str(err)              # train_step alone has no epochs


def test_a_loss_that_diverges_after_updates_blames_the_rate_and_says_where():
    x, y = batch()
    model = mlp([6, 5, 3], seed=0)
    with pytest.raises(TrainingDiverged) as caught:
        fit(model, SGD(model.parameters(), lr=1e30), x, y,
            FitConfig(epochs=3, batch_size=8, lr_schedule="constant"))
    err = caught.value
    assert err.suggested_lr == pytest.approx(4e-3)
    assert f"at epoch {err.epoch}, step {err.step} of 4" in str(err)


def test_train_epoch_and_fit_are_train_step_over_the_batches():
    x, y = batch(100)
    by_hand, by_fit = mlp([6, 5, 3], seed=0), mlp([6, 5, 3], seed=0)
    order = np.random.default_rng(0).permutation(100)   # fit's first shuffle
    opt = SGD(by_hand.parameters(), lr=0.1)
    values = [train_step(by_hand, SoftmaxCrossEntropy(), opt,
                         x[order[i:i + 25]], y[order[i:i + 25]])[0]
              for i in range(0, 100, 25)]
    seen = []
    fit(by_fit, SGD(by_fit.parameters(), lr=0.1), x, y,
        FitConfig(epochs=1, batch_size=25, lr_schedule="constant", seed=0),
        on_step=lambda step, value: seen.append((step, value)))
    assert seen == [(i + 1, v) for i, v in enumerate(values)]
    for a, b in zip(by_hand.parameters(), by_fit.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_on_step_counts_steps_across_epochs_and_train_epoch_reports_accuracy():
    x, y = batch(60)
    steps = []
    model = mlp([6, 3], seed=0)
    fit(model, SGD(model.parameters(), lr=0.1), x, y,
        FitConfig(epochs=3, batch_size=25),
        on_step=lambda step, value: steps.append(step))
    assert steps == list(range(1, 10))
    model = mlp([6, 3], seed=0)
    loss_value, accuracy = train_epoch(model, SoftmaxCrossEntropy(),
                                       SGD(model.parameters(), lr=1e-12), x, y,
                                       np.arange(60), batch_size=60)
    predicted = model.predict(x)       # the weights moved by ~1e-12 only
    assert accuracy == pytest.approx(np.mean(predicted == y))
    assert loss_value > 0


class Scale(Layer):
    """A reader's own layer: the two documented methods, and one parameter."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.s = Parameter(np.ones(n, np.float32), "s")

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x * self.s.value

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.s.grad += (grad_out * self._x).sum(axis=0)
        return grad_out * self.s.value

    def parameters(self) -> list[Parameter]:
        return [self.s]


def test_a_custom_first_layer_with_the_two_documented_methods_trains():
    x, y = batch(64)
    model = Sequential(Scale(6), Linear(6, 3, rng=0))
    history = fit(model, Adam(model.parameters(), lr=4e-3), x, y,
                  FitConfig(epochs=3, batch_size=16))
    assert len(history) == 3 and not np.allclose(model[0].s.value, 1.0)
    assert history.train_loss[-1] < history.train_loss[0]


def test_a_first_linear_still_skips_its_input_gradient():
    x, y = batch()
    model, loss = Sequential(Linear(6, 3, rng=0), ReLU()), SoftmaxCrossEntropy()
    loss.forward(model.forward(x), y)
    assert model.backward(loss.backward(), input_grad=False) is None


OPTIMIZERS = [
    lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: Adam(ps, weight_decay=0.1), lambda ps: FusedAdam(ps, weight_decay=0.1),
    lambda ps: AdamW(ps),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_after_step_grad_still_holds_the_gradient(make):
    p = Parameter(np.ones(4, np.float32))
    p.grad[...] = 2.0
    optimizer = make([p])
    for _ in range(3):
        optimizer.step()
        np.testing.assert_array_equal(p.grad, np.full(4, 2.0, np.float32))


def test_zero_grad_sets_the_gradient_to_zero_where_a_reader_looks():
    p = Parameter(np.ones((2, 3), np.float32))
    p.grad[...] = 5.0
    SGD([p], lr=0.1).zero_grad()
    np.testing.assert_array_equal(p.grad, np.zeros((2, 3)))
    p.grad += np.ones((2, 1), np.float32) @ np.ones((1, 3), np.float32)
    p.grad += np.ones((2, 1), np.float32) @ np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(p.grad, np.full((2, 3), 2.0))


def test_a_gradient_written_by_hand_after_zero_grad_is_added_to():
    p = Parameter(np.ones((2, 3), np.float32))
    p.zero_grad()
    p.grad[0, 0] = 1.0                        # the reader's own contribution
    p.grad += np.ones((4, 3), np.float32).sum(axis=0)
    np.testing.assert_array_equal(p.grad, [[5, 4, 4], [4, 4, 4]])


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_fused_adam_takes_the_textbook_adam_s_steps(weight_decay):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((5, 4))
    a, b = Parameter(start.copy()), Parameter(start.copy())
    textbook = Adam([a], lr=0.01, weight_decay=weight_decay)
    fused = FusedAdam([b], lr=0.01, weight_decay=weight_decay)
    for _ in range(50):
        g = rng.standard_normal((5, 4))
        a.grad[...] = b.grad[...] = g
        textbook.step()
        fused.step()
    np.testing.assert_allclose(a.value, b.value, rtol=1e-12, atol=1e-12)
