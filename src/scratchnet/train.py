"""Training: the loop that repeats forward, loss, backward, update.

``train_step`` is one update on one batch, the five lines everything else
is built around. ``train_epoch`` runs it over a shuffled pass of the data;
``fit`` runs epochs, shuffling with its own seeded Generator, and records
one row of ``History`` per epoch, with validation, a learning-rate schedule,
augmentation and early stopping around it. The same seed gives the same
batches, so the same model and numbers. How long and in what batches is
one ``FitConfig``, whose defaults are plain values here; the recipes
(``presets``) build on this module, not the other way round, and
``presets.DEFAULTS.fit_config()`` is ``FitConfig()``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from scratchnet.errors import check_whole
from scratchnet.losses import Loss, SoftmaxCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optim import SCHEDULES, Optimizer

__all__ = ["EarlyStopping", "FitConfig", "History", "TrainingDiverged", "evaluate", "fit",
           "suggest_lr", "train_epoch", "train_step"]

EPOCHS, BATCH_SIZE, LR, LR_SCHEDULE = 10, 256, 4e-3, "cosine"
"""``FitConfig``'s defaults: 10 epochs of batches of 256 with cosine decay;
``LR``, 4e-3, is the rate Adam trains them well at (``suggest_lr`` never
offers more). ``presets.DEFAULTS`` names the same recipe."""


StepCallback = Callable[[int, float], None]
"""``on_step(step, loss)``: called after every update, ``step`` counted from 1
across epochs, ``loss`` the batch's loss before its update."""


class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs.

    Use it as ``FitConfig(early_stopping=patience)`` or as a callback,
    ``fit(..., on_epoch_end=EarlyStopping(model, patience))``. It keeps a
    copy of the weights of the best epoch so far (``monitor`` is
    ``"val_loss"``, lower is better, or ``"val_acc"``, higher is better) and,
    with ``restore_best``, puts them back when it stops: the model you get is
    the one that did best on held-out data (Prechelt, 1998).
    """

    def __init__(self, model: Sequential, patience: int = 3, *,
                 monitor: str = "val_loss", min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1 epoch, got {patience!r}")
        if monitor not in ("val_loss", "val_acc"):
            raise ValueError(f"monitor must be 'val_loss' or 'val_acc', "
                             f"got {monitor!r}")
        self.model, self.patience, self.monitor = model, int(patience), monitor
        self.min_delta, self.restore_best = float(min_delta), restore_best
        self.best: float | None = None
        self.best_epoch = 0
        self.stopped_epoch: int | None = None
        self._weights: list[np.ndarray] = []

    def __call__(self, epoch: int, history: History) -> bool:
        values = getattr(history, self.monitor)
        if not values:
            raise ValueError("early stopping needs validation data: pass "
                             "validation to fit")
        sign = 1.0 if self.monitor == "val_loss" else -1.0   # lower is better
        score = sign * values[-1]
        if self.best is None or score < self.best - self.min_delta:
            self.best, self.best_epoch = score, epoch
            self._weights = [p.value.copy() for p in self.model.parameters()]
        elif epoch - self.best_epoch >= self.patience:
            self.stopped_epoch = epoch
            if self.restore_best:
                self.restore()
            return True
        return False

    def restore(self) -> None:
        """Copy the best epoch's weights back into the model, in place."""
        for p, saved in zip(self.model.parameters(), self._weights):
            p.value[...] = saved

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
                f"best_epoch={self.best_epoch}, stopped_epoch={self.stopped_epoch})")


class TrainingDiverged(RuntimeError):
    """The loss or the weights became NaN or infinite: they are ruined, so stop.

    ``what`` says what happened and where; ``suggested_lr`` is a learning
    rate worth trying instead, or None when the data itself holds NaN or
    inf or the loss was already infinite before any update; ``advice`` then
    says what to do instead. ``explain("--lr ")`` words the advice for the
    command line.
    """

    def __init__(self, what: str, epoch: int, step: int, loss: float,
                 lr: float, suggested_lr: float | None,
                 advice: str = "the input batch contains NaN or inf values; "
                               "clean the data") -> None:
        self.what, self.epoch, self.step, self.loss = what, epoch, step, loss
        self.lr, self.suggested_lr, self.advice = lr, suggested_lr, advice
        super().__init__(self.explain())

    def explain(self, lr_option: str = "lr=") -> str:
        if self.suggested_lr is None:
            return f"{self.what}: {self.advice}"
        return (f"{self.what}: the learning rate {self.lr:g} is too high; try "
                f"{lr_option}{self.suggested_lr:g}")


@dataclass(repr=False)
class History:
    """Per-epoch records of a ``fit``; validation lists stay empty without one."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return asdict(self)

    def __len__(self) -> int:
        return len(self.train_loss)

    def __repr__(self) -> str:
        if not self.train_loss:
            return "History(0 epochs)"
        last = {k: v[-1] for k, v in self.as_dict().items()
                if v and k != "epoch_seconds"}
        text = ", ".join(f"{k}={v:.4f}" for k, v in last.items())
        return (f"History({len(self)} epochs in {sum(self.epoch_seconds):.1f} s; "
                f"last: {text})")


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray, loss: Loss | None = None,
             batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``, in evaluation mode."""
    logits = model.logits(x, batch_size)
    value = (loss or SoftmaxCrossEntropy()).forward(logits, y)
    return value, float(np.mean(logits.argmax(axis=1) == y))


@dataclass(frozen=True)
class FitConfig:
    """How ``fit`` runs the loop: how long, in what batches, in what order.

    ``epochs`` passes over the data in mini-batches of ``batch_size``,
    shuffled by a Generator seeded with ``seed``. The learning rate of step
    ``t`` of ``T`` is the optimizer's ``lr * lr_schedule(t, T)``:
    ``"cosine"``, ``"constant"`` or a function. ``augment`` maps each
    training batch ``(batch, features)`` to a new one of the same shape
    (e.g. ``augment.Augment``); validation data is never augmented.
    ``early_stopping`` (a patience in epochs, or an ``EarlyStopping``)
    stops when the validation loss stops improving and leaves the best
    epoch's weights in the model. ``presets.TrainConfig.fit_config()``
    gives a whole recipe's.
    """

    epochs: int = EPOCHS
    batch_size: int = BATCH_SIZE
    lr_schedule: str | Callable[[int, int], float] = LR_SCHEDULE
    seed: int = 0
    augment: Callable[[np.ndarray], np.ndarray] | None = None
    early_stopping: int | EarlyStopping | None = None


def fit(model: Sequential, optimizer: Optimizer, x: np.ndarray, y: np.ndarray,
        config: FitConfig | None = None, *, loss: Loss | None = None,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        on_step: StepCallback | None = None,
        on_epoch_end: Callable[[int, History], bool | None] | None = None,
        progress: bool = False) -> History:
    """Train ``model`` with ``optimizer`` on ``x`` ``(n, features)``, ``y`` ``(n,)``.

    ``config`` says how long and in what batches (``FitConfig()``: 10
    epochs of 256, cosine decay, seed 0); ``loss`` defaults to
    ``SoftmaxCrossEntropy()``. With ``validation=(x_val, y_val)`` every
    epoch is scored on it too. ``on_step(step, loss)`` sees every batch's
    loss; ``on_epoch_end(epoch, history)`` may return True to stop early;
    ``progress`` shows a progress bar. Raises ``TrainingDiverged`` as soon
    as the loss is NaN or infinite, or, after an epoch's last update, any
    weight is.
    """
    config = config or FitConfig()
    epochs, batch_size = config.epochs, config.batch_size
    check_whole("epochs", epochs)
    check_whole("batch_size", batch_size)
    _check_data(x, y, validation)
    stopper = (EarlyStopping(model, config.early_stopping)
               if isinstance(config.early_stopping, int) else config.early_stopping)
    if stopper is not None and validation is None:
        raise ValueError("early_stopping needs validation data: pass validation")
    loss = loss or SoftmaxCrossEntropy()
    schedule = _schedule(config.lr_schedule)
    rng, base_lr = np.random.default_rng(config.seed), optimizer.lr
    steps = math.ceil(len(x) / batch_size)

    def set_lr(step: int) -> None:         # step counts from 0 across epochs
        optimizer.lr = base_lr * schedule(step, epochs * steps)
    history = History()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(len(x))       # a fresh shuffle every epoch
            with tqdm(total=steps, desc=f"epoch {epoch}/{epochs}", unit="batch",
                      disable=not progress) as bar:
                train_loss, train_acc = train_epoch(
                    model, loss, optimizer, x, y, order, batch_size=batch_size,
                    epoch=epoch, before_step=set_lr,
                    on_step=_after_step(bar, on_step), augment=config.augment)
                history.train_loss.append(train_loss)
                history.train_acc.append(train_acc)
                _check_weights(model, epoch, steps, train_loss, optimizer.lr)
                if validation is not None:
                    x_val, y_val = validation
                    val_loss, val_acc = evaluate(model, x_val, y_val, loss=loss)
                    history.val_loss.append(val_loss)
                    history.val_acc.append(val_acc)
                history.epoch_seconds.append(time.perf_counter() - start)
                bar.set_postfix(_summary(history))
            if on_epoch_end is not None and on_epoch_end(epoch, history):
                break
            if stopper is not None and stopper(epoch, history):
                break
        else:
            if stopper is not None and stopper.restore_best:
                stopper.restore()     # the last epoch need not be the best
    finally:
        optimizer.lr = base_lr
        model.eval()
    return history


def train_step(model: Sequential, loss: Loss, optimizer: Optimizer,
               x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """One update on the batch ``x`` ``(batch, features)``, ``y`` ``(batch,)``.

    Returns the batch's loss, measured before the update, and the outputs it
    was measured on (``train_epoch`` counts the right answers among them).
    A NaN or infinite loss raises ``TrainingDiverged`` before it can ruin
    the weights.
    """
    outputs = model.forward(x)                      # forward pass
    value = loss.forward(outputs, y)                # the loss
    if not math.isfinite(value):
        raise _diverged(value, optimizer, x)
    optimizer.zero_grad()                           # forget the last batch's
    model.backward(loss.backward(), input_grad=False)   # fill every .grad
    optimizer.step()                                # move the weights
    return value, outputs


# Every loss is tested for NaN/inf (raising TrainingDiverged), so NumPy's
# overflow warnings on the way there would only add noise.
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def train_epoch(model: Sequential, loss: Loss, optimizer: Optimizer,
                x: np.ndarray, y: np.ndarray, order: np.ndarray, *,
                batch_size: int = BATCH_SIZE, epoch: int = 1,
                before_step: Callable[[int], None] | None = None,
                on_step: StepCallback | None = None,
                augment: Callable[[np.ndarray], np.ndarray] | None = None,
                ) -> tuple[float, float]:
    """``train_step`` on each batch of ``x`` taken in ``order``, in training mode.

    Batches are gathered with ``np.take``, so the data is never copied whole;
    ``augment``, if given, transforms each gathered batch. ``before_step(s)``
    runs before step ``s`` (counted from 0 over all epochs: a schedule sets
    the learning rate there) and ``on_step(s + 1, loss)`` after it.
    Returns the epoch's mean loss and accuracy, both measured on each batch
    before its update.
    """
    model.train()
    total_loss, correct = 0.0, 0
    steps = math.ceil(len(order) / batch_size)
    for i in range(steps):
        idx = order[i * batch_size:(i + 1) * batch_size]
        xb, yb = np.take(x, idx, axis=0), np.take(y, idx, axis=0)
        if augment is not None:
            xb = augment(xb)
        if before_step is not None:
            before_step((epoch - 1) * steps + i)
        try:
            value, outputs = train_step(model, loss, optimizer, xb, yb)
        except TrainingDiverged as err:   # say where it happened
            raise _diverged(err.loss, optimizer, xb,
                            f" at epoch {epoch}, step {i + 1} of {steps}",
                            epoch, i + 1) from None
        total_loss += value * len(idx)
        correct += int(np.count_nonzero(outputs.argmax(axis=1) == yb))
        if on_step is not None:
            on_step((epoch - 1) * steps + i + 1, value)
    return total_loss / len(order), correct / len(order)


def _after_step(bar: Any, on_step: StepCallback | None) -> StepCallback:
    """Advance the progress bar, then call the user's ``on_step``."""
    def after(step: int, value: float) -> None:
        bar.update()
        if on_step is not None:
            on_step(step, value)
    return after


def _check_data(x: np.ndarray, y: np.ndarray,
                validation: tuple[np.ndarray, np.ndarray] | None) -> None:
    """Refuse data ``fit`` cannot train on: mismatched rows, no rows, bad labels."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or len(x) != len(y):
        raise ValueError(f"expected x (n, features) and integer labels y (n,) of the "
                         f"same length, got {np.shape(x)} and {y.dtype} {y.shape}")
    if not len(x):
        raise ValueError("no training data")
    if validation is not None:
        x_val, y_val = validation
        if not len(x_val) or len(x_val) != len(y_val):
            raise ValueError(f"validation must be (x, y) with the same "
                             f"number of rows, at least one; got {len(x_val)} "
                             f"and {len(y_val)} (pass None for no validation)")


def _schedule(lr_schedule: str | Callable[[int, int], float],
              ) -> Callable[[int, int], float]:
    if callable(lr_schedule):
        return lr_schedule
    if lr_schedule not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {sorted(SCHEDULES)} or a "
                         f"function (step, total_steps) -> factor, got {lr_schedule!r}")
    return SCHEDULES[lr_schedule]


def _summary(history: History) -> dict[str, str]:
    """The last epoch's numbers, for the progress bar."""
    names = {"train_loss": "loss", "train_acc": "acc", "val_loss": "val_loss",
             "val_acc": "val_acc"}
    return {short: f"{getattr(history, name)[-1]:.4f}"
            for name, short in names.items() if getattr(history, name)}


def suggest_lr(lr: float) -> float:
    """A learning rate worth trying after ``lr`` diverged.

    A tenth of it, but never more than ``LR``, which trains the default
    recipe well: a tenth of a huge rate (1e30) would diverge just the same.
    """
    return min(lr / 10, LR)


def _diverged(loss: float, optimizer: Optimizer, xb: np.ndarray,
              where: str = "", epoch: int = 0, step: int = 0) -> TrainingDiverged:
    """The error for a non-finite ``loss`` on batch ``xb``, blaming the right thing.

    NaN or inf in the batch: the data. A loss already infinite before the
    optimizer's first update: the scale of the inputs or of the initial
    weights, not the learning rate. Otherwise: the learning rate.
    """
    lr = optimizer.lr
    what = f"loss became {loss}{where} (lr={lr:g})"
    if not np.isfinite(xb).all():
        return TrainingDiverged(what, epoch, step, loss, lr, None)
    if optimizer.t == 0:
        largest = float(np.abs(xb).max()) if xb.size else 0.0
        return TrainingDiverged(
            f"loss is {loss}{where}, before any update", epoch, step, loss, lr,
            None, f"the learning rate is not to blame; check the scale of the "
                  f"inputs (largest |x| in the batch: {largest:.3g}) and of the "
                  "initial weights")
    return TrainingDiverged(what, epoch, step, loss, lr, suggest_lr(lr))


def _check_weights(model: Sequential, epoch: int, steps: int, loss: float,
                   lr: float) -> None:
    """Raise ``TrainingDiverged`` if the epoch's updates left a non-finite weight.

    The loss is checked before each update, so this catches the one it never
    sees: the last, which would otherwise hand back a ruined model.
    """
    for name, p in model.named_parameters():
        if not np.isfinite(p.value).all():
            raise TrainingDiverged(
                f"weights {name!r} became NaN or inf in the updates of epoch "
                f"{epoch} (lr={lr:g})", epoch, steps, loss, lr, suggest_lr(lr))
