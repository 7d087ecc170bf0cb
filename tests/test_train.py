"""fit(): learns, is reproducible, validates, stops on divergence; the MNIST recipe."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchnet.data import load_mnist, preprocess
from scratchnet.layers import Dropout, Linear, ReLU
from scratchnet.losses import MSE, Loss, SoftmaxCrossEntropy
from scratchnet.model import Sequential, mlp
from scratchnet.optim import SGD, Adam, FusedAdam
from scratchnet.train import (
    LR,
    EarlyStopping,
    FitConfig,
    History,
    TrainingDiverged,
    fit,
    suggest_lr,
)


def xor_data(n: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points labelled by the sign of ``x1 * x2``: not linearly separable."""
    x = np.random.default_rng(seed).uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def train_xor(seed: int = 0, epochs: int = 30, validation: int = 0,
              progress: bool = False, on_epoch_end=None, **options
              ) -> tuple[object, History]:
    """``fit`` on xor data; ``validation`` holds out that many last rows."""
    x, y = xor_data()
    n = len(x) - validation
    model = mlp([2, 32, 2], seed=seed)
    opt = Adam(model.parameters(), lr=0.02)
    config = FitConfig(epochs=epochs, batch_size=32, seed=seed, **options)
    history = fit(model, opt, x[:n], y[:n], config, progress=progress,
                  validation=(x[n:], y[n:]) if validation else None,
                  on_epoch_end=on_epoch_end)
    assert opt.lr == 0.02                        # a schedule leaves no trace
    return model, history


def plain_fit(x, y, **options) -> History:
    """``fit`` of a small 2-4-2 network with SGD and ``FitConfig(**options)``."""
    model = mlp([2, 4, 2], seed=0)
    return fit(model, SGD(model.parameters(), lr=0.1), x, y, FitConfig(**options))


def test_a_small_network_learns_xor():
    model, history = train_xor()
    x, y = xor_data(seed=1)                        # fresh points
    assert np.mean(model.predict(x) == y) > 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 4
    assert len(history) == 30 and len(history.epoch_seconds) == 30


def test_the_same_seed_gives_the_same_history_and_weights():
    (m1, h1), (m2, h2) = train_xor(seed=3, epochs=5), train_xor(seed=3, epochs=5)
    for key in ("train_loss", "train_acc"):
        assert getattr(h1, key) == getattr(h2, key)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    _, h3 = train_xor(seed=4, epochs=5)
    assert h3.train_loss != h1.train_loss


def test_validation_scores_every_epoch_and_changes_no_training_number():
    _, scored = train_xor(epochs=3, validation=128)
    assert len(scored.val_loss) == len(scored.val_acc) == 3
    x, y = xor_data()
    model = mlp([2, 32, 2], seed=0)
    unscored = fit(model, Adam(model.parameters(), lr=0.02), x[:384], y[:384],
                   FitConfig(epochs=3, batch_size=32))
    assert unscored.val_acc == [] and unscored.train_loss == scored.train_loss


def test_validation_numbers_are_an_eval_mode_pass():
    """With Dropout, train and eval mode differ: fit must report eval mode.

    The expected numbers are computed here from the logits, not by
    ``evaluate``, which ``fit`` itself calls."""
    x, y = xor_data()
    model = Sequential(Linear(2, 32, rng=0), ReLU(), Dropout(0.5, rng=1),
                       Linear(32, 2, rng=2))
    history = fit(model, Adam(model.parameters(), lr=0.02), x, y,
                  FitConfig(epochs=3, batch_size=32), validation=(x, y))
    assert not model.training
    logits = x @ model[0].W.value + model[0].b.value
    logits = np.maximum(logits, 0) @ model[3].W.value + model[3].b.value
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected_loss = -log_p[np.arange(len(y)), y].mean()
    expected_acc = np.mean(logits.argmax(axis=1) == y)
    assert history.val_loss[-1] == pytest.approx(expected_loss, rel=1e-5)
    assert history.val_acc[-1] == pytest.approx(expected_acc)
    model.train()                       # the same pass with dropout on
    dropped = SoftmaxCrossEntropy().forward(model.forward(x), y)
    assert dropped != pytest.approx(expected_loss, rel=1e-3)


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be a whole number >= 1, got 0"),
    ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
    ({"lr_schedule": "linear"}, "lr_schedule must be one of"),
])
def test_bad_settings_are_refused(kwargs, message):
    x, y = xor_data(64)
    with pytest.raises(ValueError, match=message):
        plain_fit(x, y, **kwargs)


@pytest.mark.parametrize("y", [np.zeros(63, int), np.zeros(64), np.zeros((64, 2), int)])
def test_y_must_be_integer_labels_as_long_as_x(y):
    x, _ = xor_data(64)
    with pytest.raises(ValueError, match=r"integer labels y \(n,\) of the same length"):
        plain_fit(x, y)


@pytest.mark.filterwarnings("error")          # and no NumPy overflow warnings
def test_a_huge_learning_rate_raises_training_diverged_with_a_hint():
    x, y = xor_data()
    model = mlp([2, 32, 2], seed=0)
    with pytest.raises(TrainingDiverged) as err:
        fit(model, SGD(model.parameters(), lr=1e6), x * 1e3, y,
            FitConfig(epochs=3, batch_size=32))
    message = str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert "epoch 1, step" in message and "is too high" in message
    assert err.value.suggested_lr == LR     # not 1e5: that diverges too
    assert "try lr=0.004" in message and "try --lr 0.004" in err.value.explain("--lr ")
    assert err.value.epoch == 1 and not math.isfinite(err.value.loss)


@pytest.mark.filterwarnings("error")
def test_an_update_that_overflows_on_the_last_step_is_caught():
    """One batch per epoch: the loss before it is finite, the weights after not."""
    x, y = xor_data(64)
    model = mlp([2, 4, 2], seed=0)
    with pytest.raises(TrainingDiverged, match="weights '0.W' became NaN or inf"):
        fit(model, SGD(model.parameters(), lr=1e300), x, y,
            FitConfig(epochs=1, batch_size=10**9))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"epochs": 1.5}, TypeError, "epochs must be a whole number, got 1.5"),
    ({"batch_size": 2.5}, TypeError, "batch_size must be a whole number, got 2.5"),
    ({"epochs": True}, TypeError, "epochs must be a whole number"),
])
def test_non_integer_epochs_and_batch_sizes_are_named(kwargs, error, message):
    x, y = xor_data(64)
    with pytest.raises(error, match=message):
        plain_fit(x, y, **kwargs)


def test_empty_validation_data_is_refused_before_training():
    x, y = xor_data(64)
    model = mlp([2, 4, 2])
    with pytest.raises(ValueError, match="validation must be .* at least one"):
        fit(model, SGD(model.parameters(), lr=0.1), x, y, validation=(x[:0], y[:0]))


def test_nan_inputs_are_named_as_the_cause_of_divergence():
    x, y = xor_data()
    x[100] = np.nan
    with pytest.raises(TrainingDiverged, match="input batch contains NaN"):
        plain_fit(x, y, epochs=1, batch_size=32)


def test_on_epoch_end_can_stop_training_early():
    seen = []

    def stop_after_two(epoch, history):
        seen.append((epoch, len(history)))
        return epoch == 2

    _, history = train_xor(epochs=10, on_epoch_end=stop_after_two)
    assert seen == [(1, 1), (2, 2)] and len(history) == 2


def test_schedules_change_the_result_but_not_the_optimizer_setting():
    losses = [train_xor(epochs=3, lr_schedule=schedule)[1].train_loss
              for schedule in ("cosine", "constant", lambda t, total: 0.5)]
    assert losses[0] != losses[1] != losses[2] != losses[0]


def test_fit_works_with_mse_on_integer_labels():
    x, y = xor_data()
    model = mlp([2, 32, 2], activation="tanh", seed=0)
    history = fit(model, SGD(model.parameters(), 0.5), x, y,
                  FitConfig(epochs=20, batch_size=16), loss=MSE())
    assert history.train_acc[-1] > 0.8


def test_progress_bar_goes_to_stderr_and_is_off_unless_asked_for(capsys):
    train_xor(epochs=1, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err
    x, y = xor_data()
    model = mlp([2, 4, 2])
    fit(model, SGD(model.parameters(), lr=0.1), x, y, FitConfig(epochs=1))
    captured = capsys.readouterr()
    assert captured.err == captured.out == ""


def test_history_as_dict_and_repr():
    _, history = train_xor(epochs=2)
    d = history.as_dict()
    assert set(d) == {"train_loss", "train_acc", "val_loss", "val_acc",
                      "epoch_seconds"}
    assert d["val_acc"] == []
    assert repr(history).startswith("History(2 epochs in ")
    assert repr(History()) == "History(0 epochs)"


def _weights(model) -> list[np.ndarray]:
    return [p.value.copy() for p in model.parameters()]


def test_early_stopping_callback_restores_the_best_epochs_weights():
    model = mlp([2, 4, 2], seed=0)
    stopper = EarlyStopping(model, patience=2)
    history, snapshots = History(), {}
    for epoch, val_loss in enumerate([0.9, 0.5, 0.7, 0.6], start=1):
        for p in model.parameters():
            p.value += 1.0                   # "training" changes the weights
        snapshots[epoch] = _weights(model)
        history.val_loss.append(val_loss)
        stop = stopper(epoch, history)
        assert stop == (epoch == 4)
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 4
    for now, best in zip(_weights(model), snapshots[2]):
        np.testing.assert_array_equal(now, best)


def test_early_stopping_can_monitor_accuracy_and_needs_validation():
    model = mlp([2, 4, 2], seed=0)
    stopper = EarlyStopping(model, patience=1, monitor="val_acc")
    history = History(val_acc=[0.5])
    assert not stopper(1, history)
    history.val_acc.append(0.4)
    assert stopper(2, history) and stopper.best_epoch == 1
    with pytest.raises(ValueError, match="validation"):
        EarlyStopping(model)(1, History())
    with pytest.raises(ValueError, match="validation"):
        train_xor(epochs=2, early_stopping=2)


def test_fit_with_early_stopping_leaves_the_best_validation_weights():
    x, y = xor_data()
    x_val, y_val = xor_data(200, seed=1)
    y_val = 1 - y_val            # learning xor makes these labels ever worse
    snapshots = {}

    def keep(epoch, history):
        snapshots[epoch] = _weights(model)

    model = mlp([2, 32, 2], seed=0)
    history = fit(model, Adam(model.parameters(), lr=0.02), x, y,
                  FitConfig(epochs=20, batch_size=32, early_stopping=3),
                  validation=(x_val, y_val), on_epoch_end=keep)
    best = int(np.argmin(history.val_loss)) + 1
    assert len(history) == best + 3 < 20
    for now, kept in zip(_weights(model), snapshots[best]):
        np.testing.assert_array_equal(now, kept)


def test_fit_applies_augment_to_training_batches_only():
    seen = []

    def spy(xb):
        seen.append(xb.shape)
        return xb

    _, history = train_xor(epochs=1, augment=spy, validation=128)
    assert seen and all(s[1] == 2 for s in seen)
    assert sum(s[0] for s in seen) == 384        # the 75% training rows
    _, plain = train_xor(epochs=1, validation=128)
    assert history.train_loss == plain.train_loss   # identity changes nothing


@pytest.mark.mnist
@pytest.mark.slow
def test_a_small_mlp_reaches_97_percent_on_real_mnist():
    """784-128-10, 3 epochs on all 60,000 images: 97.46% when measured (~2 s)."""
    (x, y), (x_test, y_test) = load_mnist(progress=False)
    x, x_test = preprocess(x), preprocess(x_test)
    model = mlp([784, 128, 10], seed=0)
    fit(model, Adam(model.parameters(), lr=3e-3), x, y,
        FitConfig(epochs=3, batch_size=128, lr_schedule="cosine"))
    assert np.mean(model.predict(x_test) == y_test) >= 0.97


def test_the_rate_suggested_after_divergence_is_smaller_and_never_above_the_default():
    assert suggest_lr(1e-2) == pytest.approx(1e-3)
    assert suggest_lr(1e30) == LR            # a tenth of 1e30 diverges too
    assert suggest_lr(LR) < LR


class HingeLoss:
    """A loss scratchnet does not ship, written against the ``Loss`` protocol."""

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        sign = np.where(np.arange(outputs.shape[1]) == targets[:, None], -1.0, 1.0)
        self._active = (1 + sign * outputs > 0) * sign / len(outputs)
        return float(np.maximum(0, 1 + sign * outputs).sum() / len(outputs))

    def backward(self) -> np.ndarray:
        return self._active.astype(np.float32)


def test_fit_trains_with_any_loss_that_keeps_the_loss_protocol():
    x, y = xor_data()
    loss: Loss = HingeLoss()
    model = mlp([2, 16, 2], seed=0)
    history = fit(model, FusedAdam(model.parameters(), lr=LR), x, y,
                  FitConfig(epochs=20, batch_size=32), loss=loss)
    # Two classes, outputs near 0 at the start: the hinge loss is near 2
    # (cross-entropy would be near log 2 = 0.69), so these are its values.
    assert history.train_loss[0] > 1.2
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.train_acc[-1] > 0.9
