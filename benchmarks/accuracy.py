"""Time to accuracy: how long training takes to first reach a test accuracy.

Only training time is counted; the periodic test evaluations are not.
"""

from __future__ import annotations

import time

import numpy as np

from scratchnet import metrics
from scratchnet.losses import SoftmaxCrossEntropy
from scratchnet.presets import DEFAULTS
from scratchnet.train import FitConfig, fit, train_step

from .common import MNIST


def seconds_to_98(d: MNIST, max_epochs: int = DEFAULTS.epochs) -> float | None:
    """The CLI's default MLP, test accuracy checked after every epoch."""
    model = DEFAULTS.build_model()
    reached: list[float] = []
    elapsed = 0.0

    def check(epoch: int, history) -> bool:
        nonlocal elapsed
        elapsed += history.epoch_seconds[-1]
        if metrics.accuracy(d.y_test, model.predict(d.x_test)) >= 0.98:
            reached.append(elapsed)
            return True
        return False

    fit(model, DEFAULTS.build_optimizer(model.parameters()), d.x_train, d.y_train,
        FitConfig(epochs=max_epochs, batch_size=DEFAULTS.batch_size, seed=0),
        on_epoch_end=check)
    return reached[0] if reached else None


def scratchnet_seconds_to(d: MNIST, target: float, check_every: int = 10,
                          max_steps: int = 5000) -> float | None:
    """The default recipe's mini-batch steps, checked every few steps."""
    model = DEFAULTS.build_model()
    optimizer = DEFAULTS.build_optimizer(model.parameters())
    loss = SoftmaxCrossEntropy()
    order = np.random.default_rng(0).permutation(len(d.x_train))
    batch = DEFAULTS.batch_size
    elapsed = 0.0
    for step in range(max_steps):
        start = time.perf_counter()
        model.train()
        i = (step * batch) % len(order)
        idx = order[i:i + batch]
        train_step(model, loss, optimizer, d.x_train.take(idx, axis=0), d.y_train[idx])
        elapsed += time.perf_counter() - start
        if (step + 1) % check_every == 0 and metrics.accuracy(
                d.y_test, model.predict(d.x_test)) >= target:
            return elapsed
    return None


def seed_notebook_seconds_to(d: MNIST, target: float, lr: float = 0.1,
                             check_every: int = 10, max_seconds: float = 300.0
                             ) -> float | None:
    """The classic seed notebook: 784-10-10, full-batch gradient descent, float64.

    Weights start uniform in [-0.5, 0.5) and every step uses all 60,000
    images, as in the popular from-scratch notebooks.
    """
    rng = np.random.default_rng(0)
    x, y = d.x_train.astype(np.float64), d.y_train
    x_test = d.x_test.astype(np.float64)
    w1, b1 = rng.random((784, 10)) - 0.5, rng.random(10) - 0.5
    w2, b2 = rng.random((10, 10)) - 0.5, rng.random(10) - 0.5
    onehot = np.eye(10)[y]
    n, elapsed, step = len(x), 0.0, 0
    while elapsed < max_seconds:
        start = time.perf_counter()
        h = np.maximum(x @ w1 + b1, 0)
        z = h @ w2 + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dz = (p - onehot) / n
        dh = (dz @ w2.T) * (h > 0)
        w2 -= lr * (h.T @ dz)
        b2 -= lr * dz.sum(0)
        w1 -= lr * (x.T @ dh)
        b1 -= lr * dh.sum(0)
        elapsed += time.perf_counter() - start
        step += 1
        if step % check_every == 0:
            pred = (np.maximum(x_test @ w1 + b1, 0) @ w2 + b2).argmax(axis=1)
            if metrics.accuracy(d.y_test, pred) >= target:
                return elapsed
    return None
