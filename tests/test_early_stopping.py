"""EarlyStopping's settings, and the weights ``fit`` hands back with it.

(``test_train.py`` covers stopping itself: the patience count, ``val_acc``,
and ``fit`` restoring the best epoch when it stops early.)
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet.model import mlp
from scratchnet.optim import Adam
from scratchnet.train import EarlyStopping, FitConfig, History, fit


def xor(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(seed).uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def weights(model) -> list[np.ndarray]:
    return [p.value.copy() for p in model.parameters()]


def feed(stopper: EarlyStopping, model, scores: list[float],
         monitor: str = "val_loss") -> dict[int, list[np.ndarray]]:
    """Pretend to train: new weights every epoch, then the given score."""
    history, snapshots = History(), {}
    for epoch, score in enumerate(scores, start=1):
        for p in model.parameters():
            p.value += 1.0
        snapshots[epoch] = weights(model)
        getattr(history, monitor).append(score)
        if stopper(epoch, history):
            break
    return snapshots


def test_fit_restores_the_best_epoch_even_when_it_never_stopped_early() -> None:
    x, y = xor(512, seed=0)
    x_val, y_val = xor(200, seed=1)
    y_val = 1 - y_val              # learning xor makes these ever worse
    kept = {}
    model = mlp([2, 16, 2], seed=0)

    def keep(epoch, history):
        kept[epoch] = weights(model)

    history = fit(model, Adam(model.parameters(), lr=0.02), x, y,
                  FitConfig(epochs=6, batch_size=32, early_stopping=100),
                  validation=(x_val, y_val), on_epoch_end=keep)
    assert len(history) == 6                       # it ran to the end
    best = int(np.argmin(history.val_loss)) + 1
    assert best < 6
    for now, then in zip(weights(model), kept[best]):
        np.testing.assert_array_equal(now, then)


def test_without_restore_best_the_last_weights_stay() -> None:
    model = mlp([2, 4, 2], seed=0)
    stopper = EarlyStopping(model, patience=1, restore_best=False)
    snapshots = feed(stopper, model, [0.5, 0.9])
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 1
    for now, last in zip(weights(model), snapshots[2]):
        np.testing.assert_array_equal(now, last)


def test_an_improvement_smaller_than_min_delta_does_not_count() -> None:
    model = mlp([2, 4, 2], seed=0)
    stopper = EarlyStopping(model, patience=2, min_delta=0.1)
    feed(stopper, model, [1.0, 0.95, 0.92])        # better, but by < 0.1
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    plain = EarlyStopping(mlp([2, 4, 2], seed=0), patience=2)
    feed(plain, plain.model, [1.0, 0.95, 0.92])
    assert plain.best_epoch == 3 and plain.stopped_epoch is None


def test_monitoring_accuracy_means_higher_is_better() -> None:
    model = mlp([2, 4, 2], seed=0)
    stopper = EarlyStopping(model, patience=2, monitor="val_acc")
    snapshots = feed(stopper, model, [0.5, 0.8, 0.7, 0.6], monitor="val_acc")
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 4
    for now, best in zip(weights(model), snapshots[2]):
        np.testing.assert_array_equal(now, best)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"patience": 0}, "patience must be >= 1"),
    ({"patience": -3}, "patience must be >= 1"),
    ({"monitor": "train_loss"}, "monitor must be 'val_loss' or 'val_acc'"),
])
def test_settings_that_cannot_work_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EarlyStopping(mlp([2, 4, 2]), **kwargs)
