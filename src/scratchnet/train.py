"""Training: the loop that repeats forward, loss, backward, update.

``fit`` shuffles the training set every epoch with its own seeded Generator,
walks through it in mini-batches, and records one row of ``History`` per
epoch. The same seed gives the same batches, so the same model and numbers.
``DEFAULTS`` is the recommended MNIST recipe, shared by the command line and
the book.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from scratchnet.augment import Augment
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.model import Sequential, mlp
from scratchnet.optim import SCHEDULES, SGD, Adam, AdamW, Optimizer
from scratchnet.parameter import Parameter


@dataclass(frozen=True)
class TrainConfig:
    """A complete MNIST training recipe: network, optimizer and schedule.

    ``n_val`` training images are held out for validation (the command line
    picks them at random with ``seed``), so the rest, 55,000, are trained on.
    ``optimizer`` is ``"adam"``, ``"adamw"`` or ``"sgd"`` (with ``momentum``
    and ``nesterov``); ``init`` is ``None`` (He for ReLU, else Glorot),
    ``"he"`` or ``"glorot"``; ``augment_shift`` and ``augment_degrees`` > 0
    train on randomly shifted / rotated digits; ``early_stopping`` > 0 is the
    patience in epochs (needs a validation set). The defaults switch all of
    these off, so adding them changed no result.
    """

    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: str = "adam"
    lr: float = 4e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    epochs: int = 10
    batch_size: int = 256
    n_val: int = 5000
    seed: int = 0
    nesterov: bool = False
    init: str | None = None
    augment_shift: int = 0
    augment_degrees: float = 0.0
    early_stopping: int = 0

    def __str__(self) -> str:
        """One aligned ``name  value`` line per field: the recipe as a table."""
        width = max(map(len, vars(self)))
        return "\n".join(f"{name:<{width}}  {value}"
                         for name, value in vars(self).items())

    def build_model(self, n_in: int = 784, n_out: int = 10) -> Sequential:
        return mlp([n_in, *self.hidden, n_out], self.activation, self.dropout,
                   seed=self.seed, init=self.init)

    def build_optimizer(self, params: list[Parameter]) -> Optimizer:
        if self.optimizer == "adam":
            return Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer == "adamw":
            return AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.optimizer == "sgd":
            return SGD(params, lr=self.lr, momentum=self.momentum,
                       nesterov=self.nesterov, weight_decay=self.weight_decay)
        raise ValueError(f"optimizer must be 'adam', 'adamw' or 'sgd', got "
                         f"{self.optimizer!r}")

    def build_augment(self) -> Augment | None:
        """The batch augmentation of this recipe, or None; seeded by ``seed``."""
        if not (self.augment_shift or self.augment_degrees):
            return None
        return Augment(self.augment_shift, self.augment_degrees,
                       seed=self.seed + 1)

    def fit_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``fit`` that this recipe sets, e.g.
        ``fit(model, x, y, optimizer=..., **config.fit_kwargs())``."""
        return {"epochs": self.epochs, "batch_size": self.batch_size,
                "lr_schedule": self.lr_schedule, "seed": self.seed,
                "augment": self.build_augment(),
                "early_stopping": self.early_stopping or None}


DEFAULTS = TrainConfig()
"""The recommended recipe: 784-256-128-10 ReLU, Adam with cosine decay.

With seed 0 it reaches about 98.3% test accuracy after 10 epochs on 55,000
images in under 10 s on a 2-core CPU; the book measures it afresh.
"""


class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs.

    Use it as ``fit(..., early_stopping=patience)`` or as a callback,
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
                             "validation_data or validation_split to fit")
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
    inf. ``explain("--lr ")`` words the advice for the command line.
    """

    def __init__(self, what: str, epoch: int, step: int, loss: float,
                 lr: float, suggested_lr: float | None) -> None:
        self.what, self.epoch, self.step, self.loss = what, epoch, step, loss
        self.lr, self.suggested_lr = lr, suggested_lr
        super().__init__(self.explain())

    def explain(self, lr_option: str = "lr=") -> str:
        if self.suggested_lr is None:
            return (f"{self.what}: the input batch contains NaN or inf values; "
                    "clean the data")
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


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray, loss: Any = None,
             batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``, in evaluation mode."""
    logits = model.logits(x, batch_size)
    value = (loss or SoftmaxCrossEntropy()).forward(logits, y)
    return value, float(np.mean(logits.argmax(axis=1) == y))


def fit(model: Sequential, x: np.ndarray, y: np.ndarray, *,
        loss: Any = None, optimizer: Optimizer | None = None,
        epochs: int = DEFAULTS.epochs, batch_size: int = DEFAULTS.batch_size,
        lr_schedule: str | Callable[[int, int], float] = DEFAULTS.lr_schedule,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        validation_split: float = 0.0, seed: int | np.random.Generator = 0,
        progress: bool = True,
        on_epoch_end: Callable[[int, History], bool | None] | None = None,
        augment: Callable[[np.ndarray], np.ndarray] | None = None,
        early_stopping: int | EarlyStopping | None = None,
        ) -> History:
    """Train ``model`` on ``x`` ``(n, features)`` and labels ``y`` ``(n,)``.

    Defaults follow the ``DEFAULTS`` recipe: ``SoftmaxCrossEntropy()``, its
    optimizer, and its schedule. The learning rate of step ``t`` of ``T`` is
    ``lr * lr_schedule(t, T)``: ``"cosine"``, ``"constant"`` or a function.
    ``validation_split`` holds out that fraction of the *last* rows of ``x``.
    ``on_epoch_end(epoch, history)`` may return True to stop early.
    ``augment`` maps each training batch ``(batch, features)`` to a new one
    of the same shape (e.g. ``augment.Augment``); validation data is never
    augmented. ``early_stopping`` (a patience in epochs, or an
    ``EarlyStopping``) stops when the validation loss stops improving and
    leaves the best epoch's weights in the model. Raises
    ``TrainingDiverged`` as soon as the loss is NaN or infinite, or, after
    an epoch's last update, any weight is.
    """
    for name, n in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{name} must be a whole number, got {n!r}")
        if n < 1:
            raise ValueError(f"{name} must be >= 1, got {n}")
    x, y, validation_data = _split(x, y, validation_data, validation_split)
    stopper = (EarlyStopping(model, early_stopping)
               if isinstance(early_stopping, int) else early_stopping)
    if stopper is not None and validation_data is None:
        raise ValueError("early_stopping needs validation data: pass "
                         "validation_data or validation_split")
    loss = loss or SoftmaxCrossEntropy()
    optimizer = optimizer or DEFAULTS.build_optimizer(model.parameters())
    schedule = _schedule(lr_schedule)
    rng, base_lr = np.random.default_rng(seed), optimizer.lr
    steps = math.ceil(len(x) / batch_size)
    history = History()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(len(x))       # a fresh shuffle every epoch
            first = (epoch - 1) * steps
            with tqdm(total=steps, desc=f"epoch {epoch}/{epochs}", unit="batch",
                      disable=not progress) as bar:
                train_loss, train_acc = train_epoch(
                    model, x, y, order, loss, optimizer, batch_size, epoch,
                    lambda i: base_lr * schedule(first + i, epochs * steps), bar,
                    augment)
                history.train_loss.append(train_loss)
                history.train_acc.append(train_acc)
                _check_weights(model, epoch, steps, train_loss, optimizer.lr)
                if validation_data is not None:
                    val_loss, val_acc = evaluate(model, *validation_data, loss=loss)
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


# Every loss is tested for NaN/inf below (raising TrainingDiverged), so NumPy's
# overflow warnings on the way there would only add noise.
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def train_epoch(model: Sequential, x: np.ndarray, y: np.ndarray, order: np.ndarray,
                loss: Any, optimizer: Optimizer, batch_size: int, epoch: int,
                lr_at: Callable[[int], float], bar: Any = None,
                augment: Callable[[np.ndarray], np.ndarray] | None = None,
                ) -> tuple[float, float]:
    """One pass over ``x`` in ``order``: forward, loss, backward, update per batch.

    Batches are gathered with ``np.take``, so the data is never copied whole;
    ``augment``, if given, transforms each gathered batch.
    Returns the epoch's mean training loss and accuracy.
    """
    model.train()
    total_loss, correct = 0.0, 0
    steps = math.ceil(len(order) / batch_size)
    for i in range(steps):
        idx = order[i * batch_size:(i + 1) * batch_size]
        xb, yb = np.take(x, idx, axis=0), np.take(y, idx, axis=0)
        if augment is not None:
            xb = augment(xb)
        optimizer.lr = lr_at(i)
        logits = model.forward(xb)
        batch_loss = loss.forward(logits, yb)
        if not math.isfinite(batch_loss):
            raise _diverged(batch_loss, epoch, i + 1, steps, optimizer.lr, xb)
        optimizer.zero_grad()
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
        total_loss += batch_loss * len(idx)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
        if bar is not None:
            bar.update()
    return total_loss / len(order), correct / len(order)


def _split(x: np.ndarray, y: np.ndarray, validation_data: Any,
           validation_split: float) -> tuple[np.ndarray, np.ndarray, Any]:
    """Check ``x`` and ``y``; hold out the last ``validation_split`` of the rows."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or len(x) != len(y):
        raise ValueError(f"expected x (n, features) and integer labels y (n,) of the "
                         f"same length, got {np.shape(x)} and {y.dtype} {y.shape}")
    if validation_split:
        if validation_data is not None or not 0.0 < validation_split < 1.0:
            raise ValueError("validation_split must be in (0, 1) and cannot be "
                             "combined with validation_data")
        n = len(x) - round(validation_split * len(x))
        x, y, validation_data = x[:n], y[:n], (x[n:], y[n:])
    if not len(x):
        raise ValueError("no training data left")
    if validation_data is not None:
        x_val, y_val = validation_data
        if not len(x_val) or len(x_val) != len(y_val):
            raise ValueError(f"validation_data must be (x, y) with the same "
                             f"number of rows, at least one; got {len(x_val)} "
                             f"and {len(y_val)} (pass None for no validation)")
    return x, y, validation_data


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

    A tenth of it, but never more than the default recipe's, which trains
    well: a tenth of a huge rate (1e30) would diverge just the same.
    """
    return min(lr / 10, DEFAULTS.lr)


def _diverged(loss: float, epoch: int, step: int, steps: int, lr: float,
              xb: np.ndarray) -> TrainingDiverged:
    bad_data = not np.isfinite(xb).all()
    return TrainingDiverged(
        f"loss became {loss} at epoch {epoch}, step {step} of {steps} (lr={lr:g})",
        epoch, step, loss, lr, None if bad_data else suggest_lr(lr))


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
